"""Tasks left RUNNING by a worker that died (SIGKILL, power cut, OOM) are queued again.

django-tasks' database backend marks a task RUNNING when a worker claims it and never looks at it again: a worker
killed in the middle leaves it RUNNING for ever. Each ``maillage worker`` therefore keeps a heartbeat
(:class:`~maillage.jobs.models.WorkerBeat`); at start and every beat, a task RUNNING under a worker whose beat is
stale, missing, or whose process is gone from this host, is put back to READY and run again from the start by the
next worker. Every task is written to be run again: it resumes from what its job rows say (the batches of an
import, the receipts already issued, the e-mails already sent). A task that has lost its worker
``MAX_ATTEMPTS`` times is marked FAILED instead (it is probably what kills the worker).
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from maillage.jobs.models import WorkerBeat

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


class WorkerLost(Exception):
    """Recorded as the error of a task whose workers kept dying."""


def requeue_orphans(*, me: str = "", now=None) -> list[str]:
    """Queue again the tasks of dead workers (``me``: the caller's worker id, alive); returns their ids."""
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    beats = {beat.worker_id: beat for beat in WorkerBeat.objects.all()}
    alive = {worker_id for worker_id, beat in beats.items() if beat.is_alive(now, me=me)}
    requeued = []
    for result in DBTaskResult.objects.running().only("id", "worker_ids", "task_path"):
        last = result.worker_ids[-1] if result.worker_ids else ""
        if last in alive:
            continue
        with transaction.atomic():
            locked = DBTaskResult.objects.select_for_update().filter(pk=result.pk, status="RUNNING").first()
            if locked is None or locked.worker_ids != result.worker_ids:
                continue  # finished, or claimed again, meanwhile
            if len(locked.worker_ids) >= MAX_ATTEMPTS:
                locked.set_failed(WorkerLost(f"Le travailleur est mort {len(locked.worker_ids)} fois sur cette tâche."))
                log.error("task %s failed: its worker died %s times", locked.pk, len(locked.worker_ids))
                continue
            DBTaskResult.objects.filter(pk=locked.pk).update(status="READY", started_at=None)
        log.warning("task %s (%s) queued again: its worker %s is gone", result.pk, result.task_path, last)
        requeued.append(str(result.pk))
    dead = [worker_id for worker_id in beats if worker_id not in alive]
    if dead:
        WorkerBeat.objects.filter(worker_id__in=dead).delete()
    return requeued
