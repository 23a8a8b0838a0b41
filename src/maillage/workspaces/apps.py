from django.apps import AppConfig


class WorkspacesConfig(AppConfig):
    name = "maillage.workspaces"
    label = "workspaces"
    verbose_name = "Espaces de travail"
