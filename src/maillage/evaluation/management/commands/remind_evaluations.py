"""Remind the parties that have not answered an open evaluation (run daily by ``maillage worker``)."""

from django.core.management.base import BaseCommand

from maillage.evaluation.tasks import remind_open_evaluations


class Command(BaseCommand):
    help = "Relance par e-mail les parties qui n'ont pas répondu aux évaluations ouvertes."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="relancer même les parties relancées il y a moins de 20 h"
        )

    def handle(self, *args, force=False, **options):
        total = remind_open_evaluations(force=force, say=self.stdout.write)
        self.stdout.write(self.style.SUCCESS(f"{total} partie(s) relancée(s)."))
