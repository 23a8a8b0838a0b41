"""Background work goes through Django's tasks framework (the ``django-tasks`` backport, decision 0009).

Each domain app declares its tasks in its own ``tasks.py`` (``@task``); pages, API and the scheduler only
``enqueue`` them. With the database backend (the default) a task is a row written in the caller's transaction and
run by ``maillage worker``; the tests use the immediate backend (run at once, in the caller's thread).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django_tasks import task_backends

log = logging.getLogger("maillage.jobs")


def uses_database_backend() -> bool:
    from django_tasks_db.backend import DatabaseBackend

    return isinstance(task_backends["default"], DatabaseBackend)


def is_waiting_or_running(task: Any) -> bool:
    """True when ``task`` is queued or being run (database backend only; the others keep no queue)."""
    if not uses_database_backend():
        return False
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(task_path=task.module_path, status__in=["READY", "RUNNING"]).exists()


@contextmanager
def going_on(what: str) -> Iterator[None]:
    """Around one item of a daily job: an error is logged and the job goes on with the next item."""
    try:
        yield
    except Exception:
        log.exception("%s : échec, les autres éléments continuent", what)
