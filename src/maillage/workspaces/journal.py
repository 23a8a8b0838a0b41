"""The journal of a workspace, as its owners read it (the journal itself lives in ``audit``, below).

The journal of a workspace is its own events (``workspace`` = it) plus the authentication events (``auth.*``,
recorded without a workspace) of its current and past members **while they were members**: a person's logins
before joining or after leaving are none of the workspace's business.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from maillage.audit.actions import record_event
from maillage.audit.labels import FAMILIES, action_label, target_label
from maillage.audit.models import AuditEvent
from maillage.workspaces.models import Membership


@dataclass(frozen=True)
class Filters:
    family: str = ""
    actor: int | None = None
    since: date | None = None
    until: date | None = None

    def as_details(self) -> dict:
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in self.__dict__.items() if v}


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def members_of(workspace) -> list[Membership]:
    """Every membership of the workspace, past ones included (the person filter's choices)."""
    return list(Membership.objects.visible_to(workspace).select_related("user").order_by("user__full_name", "user_id"))


def journal(workspace, filters: Filters | None = None, members: list[Membership] | None = None) -> QuerySet[AuditEvent]:
    """The workspace's journal, newest first. ``members``: :func:`members_of` if already read (saves a query).

    One OR term per membership (the person's ``auth.*`` events within the membership's period) next to the
    workspace's own events: each term is served by an index (``audit_actor_idx``, ``audit_workspace_idx``).
    """
    filters = filters or Filters()
    if members is None:
        members = members_of(workspace)
    condition = Q(workspace=workspace)
    for membership in members:
        if filters.actor and membership.user_id != filters.actor:
            continue
        period = Q(actor_id=membership.user_id, created_at__gte=membership.created_at)
        if membership.revoked_at is not None:
            period &= Q(created_at__lte=membership.revoked_at)
        condition |= period & Q(workspace__isnull=True, action__startswith="auth.")
    queryset = AuditEvent.objects.filter(condition)
    if filters.family:
        queryset = queryset.filter(action__startswith=f"{filters.family}.")
    if filters.actor:
        queryset = queryset.filter(actor_id=filters.actor)
    if filters.since:
        queryset = queryset.filter(created_at__gte=_start_of(filters.since))
    if filters.until:
        queryset = queryset.filter(created_at__lt=_start_of(filters.until + timedelta(days=1)))
    return queryset.order_by("-created_at", "-id")


def filters_from(data, members: list[Membership]) -> Filters:
    """Filters from a query string (page or API); French messages keyed by field for anything unknown."""
    errors: dict[str, list[str]] = {}
    family = (data.get("family") or "").strip()
    if family and family not in FAMILIES:
        errors["family"] = [f"Famille d'actions inconnue « {family[:40]} » : choisissez-la dans la liste."]
        family = ""
    actor = None
    raw_actor = (data.get("actor") or "").strip()
    if raw_actor:
        ids = {m.user_id for m in members}
        if raw_actor.isdigit() and len(raw_actor) < 12 and int(raw_actor) in ids:
            actor = int(raw_actor)
        else:
            errors["actor"] = ["Personne inconnue : choisissez un membre (actuel ou passé) de l'espace dans la liste."]
    days = {}
    for field, label in (("since", "Du"), ("until", "Au")):
        raw = (data.get(field) or "").strip()
        if raw:
            try:
                days[field] = date.fromisoformat(raw)
            except ValueError:
                errors[field] = [f"« {label} » : date invalide « {raw[:20]} », au format AAAA-MM-JJ (ex. 2026-01-31)."]
    if "since" in days and "until" in days and days["since"] > days["until"]:
        errors["until"] = ["« Au » doit suivre « Du » : la période est à l'envers."]
    if errors:
        raise ValidationError(errors)
    return Filters(family=family, actor=actor, since=days.get("since"), until=days.get("until"))


EXPORT_HEADERS = [
    "Date et heure",
    "Auteur",
    "Action",
    "Code de l'action",
    "Objet",
    "Identifiant de l'objet",
    "Désignation de l'objet",
    "Détails",
    "Adresse IP",
    "Navigateur",
]


def export_rows(queryset: QuerySet[AuditEvent]) -> Iterator[list]:
    for event in queryset.iterator(chunk_size=2000):
        yield [
            f"{timezone.localtime(event.created_at):%d/%m/%Y %H:%M:%S}",
            event.actor_label or "Maillage (automatique)",
            action_label(event.action),
            event.action,
            target_label(event.target_type),
            event.target_id,
            event.target_label,
            json.dumps(event.details, ensure_ascii=False, sort_keys=True) if event.details else "",
            event.ip_address or "",
            event.user_agent,
        ]


def export_journal(*, workspace, user, filters, request: HttpRequest | None = None):
    """The rows of the journal's CSV export. The export itself is journaled first (``audit.exported``, with its
    filters): it shows in the file when the filters let it in."""
    record_event(
        action="audit.exported", actor=user, workspace=workspace, details=filters.as_details(), request=request
    )
    return EXPORT_HEADERS, export_rows(journal(workspace, filters))
