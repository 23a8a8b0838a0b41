"""The observatory's refresh as a background task (the staff page enqueues it; the scheduler runs it nightly)."""

from __future__ import annotations

from django_tasks import task


@task()
def refresh_observatory() -> int:
    """Recompute every indicator; returns the number of cells written."""
    from maillage.observatory.refresh import refresh

    return refresh().cells


@task()
def scheduled_refresh_observatory() -> int:
    """The nightly job: publishes a snapshot on the cadence's day only (decision 0013: a fixed cadence, so that one
    write cannot be isolated between two snapshots), or when nothing was ever published. Returns the cells written
    (0 when not due)."""
    from maillage.observatory.refresh import refresh, snapshot_due

    return refresh().cells if snapshot_due() else 0
