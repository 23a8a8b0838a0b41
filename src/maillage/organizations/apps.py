from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _load_reference_data(sender, using="default", **kwargs):
    from maillage.organizations.causes import sync_causes
    from maillage.organizations.public_bodies import sync_public_bodies
    from maillage.territories.loader import load_reference_data

    sync_causes()
    load_reference_data(after_load=sync_public_bodies)


class OrganizationsConfig(AppConfig):
    name = "maillage.organizations"
    label = "organizations"
    verbose_name = "Annuaire des organisations"

    def ready(self):
        post_migrate.connect(_load_reference_data, sender=self, dispatch_uid="maillage-reference-data")
