from django.core.management.base import BaseCommand

from maillage.alliances.actions import RENEWAL_NOTICE_DAYS, send_agreement_reminders


class Command(BaseCommand):
    help = "Prévient les administrateurs des accords à renouveler dans les N jours (une fois par accord). À lancer chaque jour."

    def add_arguments(self, parser):
        parser.add_argument(
            "--jours", type=int, default=RENEWAL_NOTICE_DAYS, help="délai de prévenance (30 par défaut)"
        )

    def handle(self, *args, jours: int, **options):
        count = send_agreement_reminders(days=jours)
        self.stdout.write(f"{count} rappel(s) de renouvellement envoyé(s).")
