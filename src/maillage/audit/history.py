"""The history of corrections (decision 0016): the corrections actions journal ``{"before", "after", "reason"}``
for their record; the pages and the API print it from here. Reads only the journal's own rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import F

from maillage.audit.models import AuditEvent


@dataclass
class Correction:
    """One correction of a record: who, when, why, and each changed field (French label, before, after)."""

    at: datetime
    by: str
    organization: str
    reason: str
    changes: list[tuple[str, str, str]]


def corrections_of(target, action: str, labels: dict[str, str], shown) -> list[Correction]:
    """Every ``action`` event about ``target`` (newest first), as the pages print it: ``labels`` names the fields
    in French, ``shown(name, value)`` prints a value. The corrections actions write ``details`` as
    ``{"before": {...}, "after": {...}, "reason": "..."}``. One query."""
    events = (
        AuditEvent.objects.filter(action=action, target_type=type(target).__name__, target_id=str(target.pk))
        # The organisation's name only, as a column: cheaper than the workspace and organisation as models (issue 21).
        .annotate(organization_name=F("workspace__organization__name"))
        .order_by("-created_at", "-id")
    )
    result = []
    for event in events:
        before, after = event.details.get("before", {}), event.details.get("after", {})
        result.append(
            Correction(
                at=event.created_at,
                by=event.actor_label,
                organization=event.organization_name or "",
                reason=event.details.get("reason", ""),
                changes=[(labels.get(k, k), shown(k, before.get(k)), shown(k, after.get(k))) for k in after],
            )
        )
    return result
