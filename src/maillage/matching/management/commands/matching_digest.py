"""``maillage matching_digest``: e-mail each subscribed workspace the new needs, offers and calls that match it."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from maillage.matching.tasks import send_all_digests


class Command(BaseCommand):
    help = "Envoie les alertes de rapprochement (nouvelles offres, nouveaux besoins) aux espaces abonnés."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="envoyer même si le dernier envoi est récent")

    def handle(self, *args, force: bool, **options):
        counts = send_all_digests(force=force)
        self.stdout.write(f"Alertes envoyées : {counts['sent']} ; pas encore dues : {counts['skipped']}.")
        if counts.get("failed"):
            self.stderr.write(f"En échec (consignées, réessayées au prochain passage) : {counts['failed']}.")
