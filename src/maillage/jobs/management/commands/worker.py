"""``maillage worker``: runs the background tasks (django-tasks' database worker) and the periodic jobs.

A thin layer over ``db_worker`` (same options: ``--queue-name``, ``--interval``, ``--batch``, ``--max-tasks``…)
that adds what it lacks for a service: a heartbeat, the recovery of the tasks of a dead worker, and the
scheduler of the daily jobs (:mod:`maillage.jobs.schedule`; ``--no-scheduler`` to leave it to another worker,
although two schedulers never enqueue a job twice). The housekeeping runs in a thread of the worker process.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand

from maillage.jobs.models import WorkerBeat
from maillage.jobs.recovery import requeue_orphans

log = logging.getLogger("maillage.jobs")


class Housekeeping:
    """Every ``every`` seconds: refresh the beat, queue again the tasks of dead workers, enqueue due jobs."""

    def __init__(self, worker_id: str, *, every: float, schedule: bool):
        self.worker_id, self.every, self.schedule = worker_id, every, schedule
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="worker-housekeeping", daemon=True)

    def once(self) -> None:
        from maillage.jobs.schedule import tick

        WorkerBeat.objects.update_or_create(
            worker_id=self.worker_id,
            defaults={"hostname": socket.gethostname(), "pid": os.getpid(), "seen_at": timezone.now()},
        )
        for task_id in requeue_orphans(me=self.worker_id):
            log.warning("tâche %s relancée : son travailleur s'est arrêté en cours de route", task_id)
        if self.schedule:
            for name in tick():
                log.info("tâche périodique %s mise en file", name)

    def _loop(self) -> None:
        while not self.stopping.wait(self.every):
            try:
                close_old_connections()
                self.once()
            except Exception:  # the worker goes on; the next beat tries again
                log.exception("housekeeping of worker %s failed", self.worker_id)
        connection.close()

    def start(self) -> None:
        self.once()  # before the first task: tasks of a worker killed before us are ready again at once
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        WorkerBeat.objects.filter(worker_id=self.worker_id).delete()


class Command(DatabaseWorkerCommand):
    help = (
        "Exécute les tâches d'arrière-plan (imports, reçus en lot, observatoire, relances…) et planifie les "
        "tâches quotidiennes. Arrêt propre par SIGTERM ou Ctrl+C : la tâche en cours se termine d'abord."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.set_defaults(reload=False)  # a service: restarted by systemd, not by a file watcher
        parser.add_argument("--no-scheduler", action="store_true", help="ne pas mettre en file les tâches quotidiennes")
        parser.add_argument(
            "--beat",
            type=float,
            default=settings.TASKS_WORKER_BEAT_SECONDS,
            help="secondes entre deux battements (reprise des tâches orphelines, planification)",
        )

    # django-tasks-db types its **options as dicts (each option a dict): ours are bools and floats, hence the ignore.
    def handle(  # type: ignore[override]
        self, *, no_scheduler: bool = False, beat: float = 10, worker_id: str, **options: Any
    ) -> None:
        housekeeping = Housekeeping(worker_id, every=beat, schedule=not no_scheduler)
        housekeeping.start()
        try:
            super().handle(worker_id=worker_id, **options)
        finally:
            housekeeping.stop()
