from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "maillage.exchange"
    label = "exchange"
    verbose_name = "Imports et exports"
