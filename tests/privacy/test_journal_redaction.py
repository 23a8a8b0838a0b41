"""The journal lets a redaction through its append-only triggers, and nothing else: inside
``guard.redaction_allowed`` the words that name a person change, the fact's columns never do; outside, every UPDATE
is refused as before (decision 0012)."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from maillage.audit.actions import record_event
from maillage.audit.guard import redaction_allowed
from maillage.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(workspace_a):
    return record_event(action="invitation.sent", workspace=workspace_a, target_label="zorglub@example.org")


def _update(event, **values) -> None:
    with transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(**values)


def test_outside_the_redaction_every_update_is_refused(event):
    with pytest.raises(DatabaseError):
        _update(event, target_label="[effacé]")


def test_the_redaction_replaces_the_words_and_keeps_the_fact(event):
    with redaction_allowed(connection):
        _update(event, target_label="[effacé]", details={"email": "[effacé]"}, actor_label="[effacé]")
        for column, value in (("action", "tampered"), ("target_id", "99"), ("workspace_id", None)):
            with pytest.raises(DatabaseError):
                _update(event, **{column: value})
    event.refresh_from_db()
    assert (event.target_label, event.action) == ("[effacé]", "invitation.sent")
    with pytest.raises(DatabaseError):  # the permission ends with the context
        _update(event, target_label="again")
