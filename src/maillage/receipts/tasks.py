"""Receipts' background tasks: a batch issue (and its e-mails), the purge past the retention period."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.utils import timezone
from django_tasks import task

log = logging.getLogger(__name__)


@task()
def issue_batch(run_id: int, origin_meta: dict[str, str] | None = None) -> str:
    """Issue a year's pending receipts. Run again after a crash, it issues what is still pending and e-mails the
    receipts of the batch not e-mailed yet (numbers stay gapless: each chunk is one transaction).
    ``origin_meta``: the address and browser of the page that started it, for the journal."""
    from maillage.audit.actions import Origin
    from maillage.receipts.batch import run_batch

    return run_batch(run_id, Origin(META=origin_meta) if origin_meta else None).status


@task()
def purge_expired_receipts() -> int:
    """Daily: delete the receipts whose 6-year retention is over (those of the years that may be purged)."""
    from maillage.receipts.purge import earliest_purgeable_issue_year, purge_receipts

    today = timezone.localdate()
    try:
        return purge_receipts(issued_before_year=earliest_purgeable_issue_year(today) + 1, today=today)
    except ValidationError as exc:  # a purgeable receipt replaced by a kept one: nothing purged, said in the log
        log.warning("purge des reçus refusée : %s", " ".join(exc.messages))
        return 0
