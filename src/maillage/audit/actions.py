"""The one way to write to the audit journal: ``record_event`` (``record_events`` for a batch). There is no update
and no delete path."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest

from maillage.audit.models import AuditEvent


def client_ip(request: HttpRequest | None) -> str | None:
    """The caller's address as the server saw it (behind the reverse proxy, the proxy sets REMOTE_ADDR)."""
    if request is None:
        return None
    address = request.META.get("REMOTE_ADDR") or ""
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def _event(*, action, actor, workspace, organization, target, target_label, details, request) -> AuditEvent:
    if organization is None and workspace is not None:
        organization_id = workspace.organization_id
    else:
        organization_id = getattr(organization, "pk", None)
    known = actor is not None and actor.is_authenticated
    return AuditEvent(
        workspace_id=getattr(workspace, "pk", None),
        organization_id=organization_id,
        actor_id=getattr(actor, "pk", None) if known else None,
        actor_label=str(getattr(actor, "email", "") or actor)[:255] if known else "",
        action=action,
        target_type=type(target).__name__ if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_label=(target_label or (str(target) if target is not None else ""))[:255],
        details=details or {},
        ip_address=client_ip(request),
        user_agent=(request.META.get("HTTP_USER_AGENT", "") if request is not None else "")[:255],
    )


def record_event(
    *,
    action: str,
    actor=None,
    workspace=None,
    organization=None,
    target=None,
    target_label: str = "",
    details: dict[str, Any] | None = None,
    request: HttpRequest | Origin | None = None,
) -> AuditEvent:
    """Append one event. ``action`` is a dotted name (``membership.role_changed``, ``receipt.issued``…).

    ``target`` is any model instance (its class name, primary key and ``str`` are kept); ``request`` gives the
    address and the browser (an :func:`origin` of a request does too, for work that goes on in a thread). Call it
    inside the action's transaction, so the event exists if and only if the change does.
    """
    event = _event(
        action=action,
        actor=actor,
        workspace=workspace,
        organization=organization,
        target=target,
        target_label=target_label,
        details=details,
        request=request,
    )
    event.save(force_insert=True)
    return event


def record_events(
    *,
    action: str,
    targets: list,
    actor=None,
    workspace=None,
    details_of=None,
    request: HttpRequest | Origin | None = None,
) -> list[AuditEvent]:
    """One event per target, in one INSERT (a batch of receipts): same fields as :func:`record_event`."""
    events = [
        _event(
            action=action,
            actor=actor,
            workspace=workspace,
            organization=None,
            target=target,
            target_label="",
            details=details_of(target) if details_of else None,
            request=request,
        )
        for target in targets
    ]
    return AuditEvent.objects.bulk_create(events)


@dataclass(frozen=True)
class Origin:
    """Where a request came from, kept for work that outlives it (a batch in a thread): ``record_event`` takes it
    as ``request``."""

    META: dict[str, str] = field(default_factory=dict)


def origin(request) -> Origin | None:
    if request is None:
        return None
    meta = request.META
    return Origin(
        META={k: meta[k] for k in ("REMOTE_ADDR", "HTTP_USER_AGENT") if isinstance(meta.get(k), str)},
    )
