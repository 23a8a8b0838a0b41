"""The observatory's refresh as a background task (the staff page enqueues it; the scheduler runs it nightly)."""

from __future__ import annotations

from django_tasks import task


@task()
def refresh_observatory() -> int:
    """Recompute every indicator; returns the number of cells written."""
    from maillage.observatory.refresh import refresh

    return refresh().cells
