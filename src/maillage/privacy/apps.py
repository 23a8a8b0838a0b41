from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "maillage.privacy"
    label = "privacy"
    verbose_name = "Données personnelles (RGPD)"
