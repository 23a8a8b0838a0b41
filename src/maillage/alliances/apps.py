from django.apps import AppConfig


class AlliancesConfig(AppConfig):
    name = "maillage.alliances"
    label = "alliances"
    verbose_name = "Alliances"
