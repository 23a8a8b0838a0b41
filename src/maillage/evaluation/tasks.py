"""Daily: remind the parties that have not answered an open evaluation (each party every 20 hours at most)."""

from __future__ import annotations

import logging

from django_tasks import task

log = logging.getLogger(__name__)


def remind_open_evaluations(*, force: bool = False, say=None) -> int:
    """Every open evaluation in turn; one that fails is logged and the others go on. Returns the parties reminded."""
    from maillage.evaluation.actions import send_reminders
    from maillage.evaluation.models import Evaluation, EvaluationStatus

    total = 0
    for evaluation in Evaluation.objects.filter(status=EvaluationStatus.OPEN).select_related("alliance"):
        try:
            reminded = send_reminders(evaluation=evaluation, force=force)
        except Exception:
            log.exception("relance de l'évaluation %s impossible", evaluation.pk)
            continue
        total += len(reminded)
        for party in reminded:
            if say:
                say(f"Relance : {party.organization} — {evaluation}")
    return total


@task()
def remind_evaluations() -> int:
    return remind_open_evaluations()
