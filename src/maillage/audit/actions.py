"""The one way to write to the audit journal: ``record_event``. There is no update and no delete path."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from maillage.audit.models import AuditEvent


def client_ip(request: HttpRequest | None) -> str | None:
    """The caller's address as the server saw it (behind the reverse proxy, the proxy sets REMOTE_ADDR)."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def record_event(
    *,
    action: str,
    actor=None,
    workspace=None,
    organization=None,
    target=None,
    target_label: str = "",
    details: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AuditEvent:
    """Append one event. ``action`` is a dotted name (``membership.role_changed``, ``receipt.issued``…).

    ``target`` is any model instance (its class name, primary key and ``str`` are kept); ``request`` gives the
    address and the browser. Call it inside the action's transaction, so the event exists if and only if the
    change does.
    """
    if organization is None and workspace is not None:
        organization_id = workspace.organization_id
    else:
        organization_id = getattr(organization, "pk", None)
    return AuditEvent.objects.create(
        workspace_id=getattr(workspace, "pk", None),
        organization_id=organization_id,
        actor_id=getattr(actor, "pk", None) if actor is not None and actor.is_authenticated else None,
        actor_label=(
            str(getattr(actor, "email", "") or actor)[:255] if actor is not None and actor.is_authenticated else ""
        ),
        action=action,
        target_type=type(target).__name__ if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_label=(target_label or (str(target) if target is not None else ""))[:255],
        details=details or {},
        ip_address=client_ip(request),
        user_agent=(request.META.get("HTTP_USER_AGENT", "") if request is not None else "")[:255],
    )


def export_journal(*, workspace, user, filters, request: HttpRequest | None = None):
    """The rows of the journal's CSV export; the export itself is journaled (it is the first row of the file)."""
    from maillage.audit import queries

    record_event(
        action="audit.exported", actor=user, workspace=workspace, details=filters.as_details(), request=request
    )
    return queries.EXPORT_HEADERS, queries.export_rows(queries.journal(workspace, filters))
