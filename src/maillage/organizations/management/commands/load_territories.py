import time

from django.core.management.base import BaseCommand

from maillage.organizations.public_bodies import sync_public_bodies
from maillage.territories.loader import load_reference_data


class Command(BaseCommand):
    help = "Charge (ou met à jour) les territoires, le code NAF et les organismes publics. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="recharger même si les fichiers n'ont pas changé")

    def handle(self, *args, force: bool = False, **options):
        start = time.perf_counter()
        counts = load_reference_data(force=force, after_load=sync_public_bodies)
        elapsed = time.perf_counter() - start
        if counts:
            detail = ", ".join(f"{name} : {count}" for name, count in counts.items())
            self.stdout.write(self.style.SUCCESS(f"Données de référence chargées en {elapsed:.1f} s ({detail})."))
        else:
            self.stdout.write("Données de référence déjà à jour.")
