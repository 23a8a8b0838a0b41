from django.apps import AppConfig


class ReceiptsConfig(AppConfig):
    name = "maillage.receipts"
    label = "receipts"
    verbose_name = "Reçus fiscaux"
