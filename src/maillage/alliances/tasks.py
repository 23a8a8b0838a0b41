"""Daily: the agreements to renew (each reminded once, marked in the same transaction)."""

from __future__ import annotations

from django_tasks import task


@task()
def remind_agreements() -> int:
    from maillage.alliances.actions import send_agreement_reminders

    return send_agreement_reminders()
