from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "maillage.audit"
    label = "audit"
    verbose_name = "Journal d'audit"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from maillage.audit.guard import register_sqlite_function

        connection_created.connect(register_sqlite_function, dispatch_uid="audit_sqlite_function")
