"""``maillage purge_personal_data``: run the daily purge of personal data by hand (the worker runs it at 04:15)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from maillage.privacy.actions import purge_personal_data


class Command(BaseCommand):
    help = (
        "Efface les données personnelles échues (durées de conservation) et les effacements différés arrivés à terme."
    )

    def handle(self, *args, **options):
        counts = purge_personal_data()
        if not counts:
            self.stdout.write("Rien à effacer aujourd'hui.")
        for key, count in sorted(counts.items()):
            self.stdout.write(f"{key} : {count} ligne(s) effacée(s) ou anonymisée(s)")
