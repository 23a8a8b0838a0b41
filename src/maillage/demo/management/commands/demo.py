from django.core.management.base import BaseCommand

from maillage.demo.seed import ACCOUNTS, DEMO_PASSWORD, seed_demo


class Command(BaseCommand):
    help = "Remplit la base avec les données de démonstration (idempotent)."

    def handle(self, *args, **options):
        counts = seed_demo()
        self.stdout.write(
            self.style.SUCCESS(f"Données de démonstration prêtes ({counts['organizations']} organisations créées).")
        )
        for email, name, org in ACCOUNTS:
            self.stdout.write(f"  Compte {email} / mot de passe {DEMO_PASSWORD} ({name}, {org})")
