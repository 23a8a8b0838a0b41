"""When the observatory publishes a snapshot (issue 23, decision 0013): one rule for the staff page, the CLI and the
nightly job.

The rule itself is :func:`maillage.observatory.queries.publication_cadence` (a snapshot is due when nothing was ever
published, or on ``OBSERVATORY_SNAPSHOT_WEEKDAY`` when nothing was published that day yet). Every way of publishing
goes through :func:`publish_snapshot`: the nightly job (``scheduled_refresh_observatory``), the task the staff page
queues (``refresh_observatory``, through :func:`request_snapshot`) and ``maillage refresh_observatory``. Only an
operator's ``--force`` publishes off the cadence; the run is then marked ``forced``, logged and journaled
(``observatory.snapshot_forced``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date

from maillage.audit.actions import record_event
from maillage.observatory.models import RefreshRun
from maillage.observatory.queries import publication_cadence

log = logging.getLogger(__name__)


class SnapshotNotDue(Exception):
    """No snapshot is due now: ``cadence`` (from :func:`publication_cadence`) says why, in French, and when."""

    def __init__(self, cadence: dict):
        self.cadence = cadence
        super().__init__(cadence["reason"])


def publish_snapshot(
    *,
    trigger: str,
    force: bool = False,
    actor=None,
    progress: Callable[[str], None] | None = None,
    today: date | None = None,
) -> RefreshRun:
    """Publish a snapshot if one is due (else :class:`SnapshotNotDue`); ``force`` publishes anyway, recorded on the
    run (``forced``), in the log and in the journal. ``trigger``: a :class:`RefreshRun.Trigger`."""
    from maillage.observatory.refresh import refresh

    cadence = publication_cadence(today)
    if not cadence["allowed"] and not force:
        raise SnapshotNotDue(cadence)
    forced = not cadence["allowed"]
    if forced:
        log.warning("observatory snapshot forced off the cadence (%s): %s", trigger, cadence["reason"])
        record_event(
            action="observatory.snapshot_forced",
            actor=actor,
            target_label="observatoire",
            details={"trigger": trigger, "reason": cadence["reason"], "next": cadence["next"].isoformat()},
        )
    return refresh(progress=progress, trigger=trigger, forced=forced)


def publish_if_due(trigger: str) -> int:
    """The tasks' entry: publish when due, else nothing (0 cells); returns the cells written."""
    try:
        return publish_snapshot(trigger=trigger).cells
    except SnapshotNotDue as not_due:
        log.info("observatory snapshot not due (%s): %s", trigger, not_due)
        return 0


def request_snapshot(today: date | None = None) -> str:
    """The staff page: queue the snapshot for ``maillage worker`` when it is due. Returns ``"queued"``,
    ``"not_due"`` (the cadence refuses) or ``"busy"`` (one is already queued or running)."""
    from maillage.core.tasks import is_waiting_or_running
    from maillage.observatory.tasks import refresh_observatory

    if not publication_cadence(today)["allowed"]:
        return "not_due"
    if is_waiting_or_running(refresh_observatory):
        return "busy"
    refresh_observatory.enqueue()
    return "queued"
