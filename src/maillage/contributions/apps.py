from django.apps import AppConfig


class ContributionsConfig(AppConfig):
    name = "maillage.contributions"
    label = "contributions"
    verbose_name = "Contributions"
