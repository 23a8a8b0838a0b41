from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "maillage.api"
    label = "api"
    verbose_name = "API"
