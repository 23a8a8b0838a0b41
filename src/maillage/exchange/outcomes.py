"""What an import's runs share, whatever the file (rows or archive): the plan a validation reports, the refusal of a
batch, and the journal event that ends a job. Its own module so that ``runner`` and ``archive`` both use it
without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from maillage.audit.actions import record_event
from maillage.exchange.models import ImportJob, JobStatus
from maillage.exchange.rows import Planned


@dataclass
class Plan:
    rows: list[Planned] = field(default_factory=list)
    report: list[list] = field(default_factory=list)  # [row, column, value, message]
    total: int = 0
    refused: int = 0  # rows refused (one row may have several messages in the report)


class BatchRefused(Exception):
    """A batch (or a whole archive) refused: nothing of it was written; the message says what landed and why."""


def record_outcome(job: ImportJob, status: str, message: str = "") -> None:
    """Journal the end of an import (``import.finished`` / ``import.failed``), inside the transaction that writes
    the job's final state. Nobody acts: the import ran in the background."""
    details = {"filename": job.filename, "entity": job.entity}
    if message:
        details["message"] = message[:500]
    record_event(
        action="import.finished" if status == JobStatus.DONE else "import.failed",
        workspace=job.workspace,
        target=job,
        details=details,
    )
