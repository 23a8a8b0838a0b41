"""What the worker keeps about itself: one row per periodic job and period, one heartbeat per worker process."""

from __future__ import annotations

import os
import socket
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone


class PeriodicRun(models.Model):
    """A periodic job enqueued for one period (a day): the unique pair makes a second enqueue impossible, whichever
    worker's scheduler ticks, however often."""

    job = models.CharField(max_length=64)
    period = models.CharField(max_length=32)  # "2026-12-07" for a daily job
    enqueued_at = models.DateTimeField(auto_now_add=True)
    task_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-enqueued_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["job", "period"], name="jobs_one_run_per_job_and_period")]

    def __str__(self) -> str:
        return f"{self.job} {self.period}"


class WorkerBeat(models.Model):
    """A running ``maillage worker``: refreshed every few seconds, deleted when it stops cleanly. A task left
    RUNNING by a worker whose beat is gone stale (or whose process no longer exists on this host) is queued again."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    hostname = models.CharField(max_length=255)
    pid = models.IntegerField()
    started_at = models.DateTimeField(auto_now_add=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.worker_id} ({self.hostname}:{self.pid})"

    def is_alive(self, now=None, *, me: str = "") -> bool:
        """``me``: the worker id of the caller, alive by definition."""
        if self.worker_id == me:
            return True
        now = now or timezone.now()
        if now - self.seen_at > timedelta(seconds=settings.TASKS_WORKER_STALE_SECONDS):
            return False
        if self.hostname != socket.gethostname():
            return True  # another machine: only its beat tells
        if self.pid == os.getpid():
            return False  # our pid under another worker id: that worker died and the pid was given to us
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
