from django.apps import AppConfig


class WorkspacesConfig(AppConfig):
    name = "maillage.workspaces"
    label = "workspaces"
    verbose_name = "Espaces de travail"

    def ready(self) -> None:
        from maillage.workspaces import signals

        signals.connect()
