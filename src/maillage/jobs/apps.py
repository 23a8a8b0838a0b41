from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "maillage.jobs"
    label = "jobs"
    verbose_name = "Travaux en arrière-plan"
