from django.apps import AppConfig


class DiagnosticConfig(AppConfig):
    name = "maillage.diagnostic"
    label = "diagnostic"
    verbose_name = "Diagnostic du modèle économique"
