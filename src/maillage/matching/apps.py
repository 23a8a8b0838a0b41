from django.apps import AppConfig


class MatchingConfig(AppConfig):
    name = "maillage.matching"
    label = "matching"
    verbose_name = "Rapprochement"
