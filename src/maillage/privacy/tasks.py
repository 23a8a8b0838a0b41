"""Privacy's background task: the daily purge of personal data past its retention (scheduled in ``jobs``)."""

from __future__ import annotations

from django_tasks import task


@task()
def purge_personal_data() -> dict[str, int]:
    """Daily: erase the rows whose legal hold has ended and those past their source's retention."""
    from maillage.privacy.actions import purge_personal_data as purge

    return purge()
