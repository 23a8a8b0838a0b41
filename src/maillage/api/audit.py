"""API of the audit journal: read-only, for the workspace's owners (list, filtered and paginated; CSV export)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from ninja import Router, Schema
from ninja.errors import HttpError

from maillage.api.auth import require_role
from maillage.audit.labels import action_label
from maillage.core.roles import Role
from maillage.core.spreadsheets import csv_response
from maillage.workspaces import journal as queries

router = Router(tags=["Journal d'audit"])

FILTERS_HELP = (
    "Filtres : family (famille d'actions : receipt, import, auth…), actor (identifiant d'un membre actuel ou "
    "passé), since et until (dates AAAA-MM-JJ, incluses)."
)


class EventOut(Schema):
    id: int
    created_at: datetime
    action: str
    action_label: str
    actor: int | None
    actor_label: str
    target_type: str
    target_id: str
    target_label: str
    details: dict[str, Any]
    ip_address: str | None
    user_agent: str


class EventPage(Schema):
    items: list[EventOut]
    page: int
    page_size: int
    has_next: bool


def _filters(request, **params):
    require_role(request, Role.OWNER)
    members = queries.members_of(request.workspace)
    try:
        return queries.filters_from(params, members), members
    except ValidationError as exc:
        raise HttpError(422, " ".join(f"{field} : {' '.join(m)}" for field, m in exc.message_dict.items())) from exc


@router.get(
    "/events", response=EventPage, summary="Journal d'audit de l'espace (propriétaires)", description=FILTERS_HELP
)
def list_events(
    request, page: int = 1, page_size: int = 50, family: str = "", actor: str = "", since: str = "", until: str = ""
):
    filters, members = _filters(request, family=family, actor=actor, since=since, until=until)
    if not 1 <= page <= 100000 or not 1 <= page_size <= 200:
        raise HttpError(422, "page : entre 1 et 100000 ; page_size : entre 1 et 200.")
    start = (page - 1) * page_size
    rows = list(queries.journal(request.workspace, filters, members)[start : start + page_size + 1])
    items = [
        EventOut(
            id=e.pk,
            created_at=e.created_at,
            action=e.action,
            action_label=action_label(e.action),
            actor=e.actor_id,
            actor_label=e.actor_label,
            target_type=e.target_type,
            target_id=e.target_id,
            target_label=e.target_label,
            details=e.details,
            ip_address=e.ip_address,
            user_agent=e.user_agent,
        )
        for e in rows[:page_size]
    ]
    return EventPage(items=items, page=page, page_size=page_size, has_next=len(rows) > page_size)


@router.get(
    "/export",
    response={200: None},
    summary="Export CSV du journal d'audit (inscrit au journal)",
    description=FILTERS_HELP,
)
def export(request, family: str = "", actor: str = "", since: str = "", until: str = ""):
    filters, _members = _filters(request, family=family, actor=actor, since=since, until=until)
    headers, rows = queries.export_journal(
        workspace=request.workspace, user=request.user, filters=filters, request=request
    )
    return csv_response(f"journal-audit-{timezone.localdate():%Y-%m-%d}", headers, rows)
