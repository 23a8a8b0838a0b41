from django.apps import AppConfig


class ReceiptsConfig(AppConfig):
    name = "maillage.receipts"
    label = "receipts"
    verbose_name = "Reçus fiscaux"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from maillage.receipts.guard import register_sqlite_function

        connection_created.connect(register_sqlite_function, dispatch_uid="receipts_sqlite_function")
