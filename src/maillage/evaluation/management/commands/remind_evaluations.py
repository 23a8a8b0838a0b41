"""Remind the parties that have not answered an open evaluation (run daily, e.g. from cron)."""

import logging

from django.core.management.base import BaseCommand

from maillage.evaluation.actions import send_reminders
from maillage.evaluation.models import Evaluation, EvaluationStatus

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Relance par e-mail les parties qui n'ont pas répondu aux évaluations ouvertes."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="relancer même les parties relancées il y a moins de 20 h"
        )

    def handle(self, *args, force=False, **options):
        evaluations = Evaluation.objects.filter(status=EvaluationStatus.OPEN).select_related("alliance")
        total = 0
        for evaluation in evaluations:
            try:
                reminded = send_reminders(evaluation=evaluation, force=force)
            except Exception:  # one evaluation that fails must not stop the others: logged, retried tomorrow
                logger.exception("Relances de l'évaluation %s non envoyées ; les suivantes continuent.", evaluation.pk)
                self.stderr.write(f"Relances en échec (consignées) : {evaluation}")
                continue
            total += len(reminded)
            for party in reminded:
                self.stdout.write(f"Relance : {party.organization} — {evaluation}")
        self.stdout.write(self.style.SUCCESS(f"{total} partie(s) relancée(s)."))
