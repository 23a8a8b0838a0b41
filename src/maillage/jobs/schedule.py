"""The periodic jobs and when they run (Europe/Paris), enqueued by the scheduler of ``maillage worker``.

Each job runs once per period (a day): :class:`PeriodicRun` holds one row per job and period under a unique
constraint, so that two workers, or a worker restarted, enqueue it once. A job missed while no worker ran is
enqueued as soon as one starts the same day; a past day is not caught up. Each job is also idempotent by itself
(per-item markers: an agreement is reminded once, a party every 20 hours at most, a digest once per frequency):
running its command by hand after the worker sends nothing twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tasks.base import Task

from maillage.alliances.tasks import remind_agreements
from maillage.evaluation.tasks import remind_evaluations
from maillage.jobs.models import PeriodicRun
from maillage.jobs.tasks import prune_task_results
from maillage.matching.tasks import matching_digest
from maillage.observatory.tasks import scheduled_refresh_observatory
from maillage.privacy.tasks import purge_personal_data
from maillage.receipts.tasks import purge_expired_receipts

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    name: str
    task: Task[[], Any]  # a django-tasks Task (called without arguments)
    at: time  # due every day from this local time on
    label: str


SCHEDULE = [
    # Runs nightly, publishes on the snapshot's weekday only (decision 0013).
    Periodic("refresh_observatory", scheduled_refresh_observatory, time(3, 0), "actualisation de l'observatoire"),
    Periodic("purge_receipts", purge_expired_receipts, time(4, 0), "purge des reçus au-delà de 6 ans"),
    Periodic("purge_personal_data", purge_personal_data, time(4, 15), "purge des données personnelles échues"),
    Periodic("prune_task_results", prune_task_results, time(4, 30), "oubli des tâches terminées depuis 30 jours"),
    Periodic("remind_agreements", remind_agreements, time(7, 0), "rappels des accords à renouveler"),
    Periodic("remind_evaluations", remind_evaluations, time(7, 15), "relances des évaluations"),
    Periodic("matching_digest", matching_digest, time(7, 30), "alertes de rapprochement"),
]


def active_schedule() -> list[Periodic]:
    off = set(settings.MAILLAGE_SCHEDULE_OFF)
    return [job for job in SCHEDULE if job.name not in off]


def due(now: datetime | None = None) -> list[tuple[Periodic, str]]:
    """The jobs due at ``now`` with their period (the local date)."""
    local = timezone.localtime(now or timezone.now())
    return [(job, local.date().isoformat()) for job in active_schedule() if local.time() >= job.at]


def tick(now: datetime | None = None) -> list[str]:
    """Enqueue every due job not yet enqueued for its period; returns the names enqueued."""
    due_now = due(now)
    if not due_now:
        return []
    known = set(PeriodicRun.objects.filter(period__in={period for _, period in due_now}).values_list("job", "period"))
    enqueued = []
    for job, period in due_now:
        if (job.name, period) in known:
            continue
        try:
            with transaction.atomic():  # the record and the task row together (database backend)
                run = PeriodicRun.objects.create(job=job.name, period=period)
                result = job.task.enqueue()
                run.task_id = str(result.id)
                run.save(update_fields=["task_id"])
        except IntegrityError:  # another worker's scheduler enqueued it meanwhile
            continue
        log.info("periodic job %s enqueued for %s", job.name, period)
        enqueued.append(job.name)
    return enqueued
