from __future__ import annotations

from maillage.audit.models import AuditEvent

IP = "203.0.113.7"
IP_B = "2001:db8::42"


def only(action: str) -> AuditEvent:
    """The one event of that action (fails if there are none or several)."""
    events = list(AuditEvent.objects.filter(action=action))
    assert len(events) == 1, f"{action}: {len(events)} événement(s) au lieu d'un"
    return events[0]


def check(event: AuditEvent, *, actor, workspace, ip: str | None = IP) -> None:
    assert event.actor_id == (actor.pk if actor else None)
    assert event.actor_label == (actor.email if actor else "")
    assert event.workspace_id == (workspace.pk if workspace else None)
    if workspace is not None:
        assert event.organization_id == workspace.organization_id
    assert event.ip_address == ip
