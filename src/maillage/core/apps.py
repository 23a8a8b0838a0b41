from django.apps import AppConfig
from django.db.models.signals import post_migrate


def create_cache_tables(sender: object, using: str = "default", **kwargs: object) -> None:
    """``maillage migrate`` creates the database cache's table when CACHE_URL is db://… (idempotent).

    Connected for every app (``core`` has no models, so it gets no signal of its own); after the first app the
    table exists and ``createcachetable`` only looks.
    """
    from django.conf import settings
    from django.core.management import call_command

    if any(c["BACKEND"].endswith("DatabaseCache") for c in settings.CACHES.values()):
        call_command("createcachetable", database=using, verbosity=0)


class CoreConfig(AppConfig):
    name = "maillage.core"
    label = "core"
    verbose_name = "Socle"

    def ready(self) -> None:
        post_migrate.connect(create_cache_tables, dispatch_uid="maillage.core.create_cache_tables")
