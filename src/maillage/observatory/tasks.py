"""The observatory's refresh as a background task (the staff page enqueues it; the scheduler runs it nightly).

Both publish only when a snapshot is due (:mod:`maillage.observatory.snapshots`, one rule for page, CLI and job)."""

from __future__ import annotations

from django_tasks import task


@task()
def refresh_observatory() -> int:
    """Queued by the staff page: publishes the snapshot if it is still due when the worker runs it; returns the
    number of cells written (0 when not due)."""
    from maillage.observatory.models import RefreshRun
    from maillage.observatory.snapshots import publish_if_due

    return publish_if_due(RefreshRun.Trigger.PAGE)


@task()
def scheduled_refresh_observatory() -> int:
    """The nightly job: publishes a snapshot on the cadence's day only (decision 0013: a fixed cadence, so that one
    write cannot be isolated between two snapshots), or when nothing was ever published. Returns the cells written
    (0 when not due)."""
    from maillage.observatory.models import RefreshRun
    from maillage.observatory.snapshots import publish_if_due

    return publish_if_due(RefreshRun.Trigger.SCHEDULE)
