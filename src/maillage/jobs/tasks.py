"""Housekeeping of the task queue itself."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tasks import task

KEEP_FINISHED_DAYS = 30


@task()
def prune_task_results() -> int:
    """Forget the tasks finished more than 30 days ago (their job rows — imports, batches — stay)."""
    from maillage.core.tasks import uses_database_backend

    if not uses_database_backend():
        return 0
    from django_tasks_db.models import DBTaskResult

    limit = timezone.now() - timedelta(days=KEEP_FINISHED_DAYS)
    deleted, _ = DBTaskResult.objects.finished().filter(finished_at__lt=limit).delete()
    return deleted
