"""The journal is append-only in the database: UPDATE and DELETE refused by triggers, on SQLite and PostgreSQL.

Only the whole-table flush (``maillage flush``, the suite's transactional tests) may empty it; deleting a user or a
workspace leaves its events in place.
"""

from __future__ import annotations

import sqlite3

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from maillage.audit import guard
from maillage.audit.actions import record_event
from maillage.audit.models import AuditEvent
from maillage.workspaces.models import User, Workspace
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(workspace_a):
    user = make_user("auteur@a.test")
    return record_event(action="receipt.issued", actor=user, workspace=workspace_a, target_label="Reçu n° 1")


def refused(sql: str, params=()) -> str:
    with pytest.raises(DatabaseError) as info, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
    return str(info.value)


def test_raw_update_is_refused(event):
    message = refused("UPDATE audit_auditevent SET action = %s WHERE id = %s", ["tampered", event.pk])
    assert "ajout seul" in message and "UPDATE" in message
    assert AuditEvent.objects.get(pk=event.pk).action == "receipt.issued"


def test_raw_delete_is_refused(event):
    message = refused("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
    assert "ajout seul" in message and "DELETE" in message
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_orm_update_and_delete_are_refused_too(event):
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(actor_label="quelqu'un d'autre")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        event.actor_label = "x"
        event.save()
    assert AuditEvent.objects.get(pk=event.pk).actor_label == "auteur@a.test"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE: PostgreSQL")
def test_truncate_is_refused_on_postgresql(event):
    assert "TRUNCATE" in refused("TRUNCATE audit_auditevent")
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_erasure_context_lets_delete_through_but_never_update(event):
    with guard.erasure_allowed(connection):
        with pytest.raises(DatabaseError), transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).update(action="tampered")
        with transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).delete()
    assert not AuditEvent.objects.filter(pk=event.pk).exists()
    # Out of the context, refused again.
    again = record_event(action="receipt.issued")
    refused("DELETE FROM audit_auditevent WHERE id = %s", [again.pk])


def test_deleting_a_user_or_a_workspace_leaves_the_journal_alone(workspace_a, event):
    user_id = event.actor_id
    User.objects.get(pk=user_id).delete()
    Workspace.objects.get(pk=workspace_a.pk).delete()
    assert not User.objects.filter(pk=user_id).exists() and not Workspace.objects.filter(pk=workspace_a.pk).exists()
    kept = AuditEvent.objects.get(pk=event.pk)
    assert (kept.actor_id, kept.workspace_id, kept.actor_label) == (user_id, workspace_a.pk, "auteur@a.test")


def test_the_triggers_are_installed_after_all_migrations():
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_auditevent'")
        else:
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_auditevent'::regclass AND NOT tgisinternal"
            )
        names = {row[0] for row in cursor.fetchall()}
    expected = {"audit_auditevent_no_update", "audit_auditevent_no_delete"}
    if connection.vendor == "postgresql":
        expected.add("audit_auditevent_no_truncate")
    assert names == expected


@pytest.mark.django_db(transaction=True)
def test_the_flush_command_empties_the_journal(workspace_a):
    record_event(action="receipt.issued", workspace=workspace_a)
    call_command("flush", interactive=False, verbosity=0)
    assert AuditEvent.objects.count() == 0
    # The exception ended with the flush; the event left here is flushed by the test's own teardown (DELETE on
    # SQLite, TRUNCATE on PostgreSQL), through the same command.
    event = record_event(action="receipt.issued")
    with pytest.raises(DatabaseError):
        AuditEvent.objects.filter(pk=event.pk).delete()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite: a connection opened outside Django")
@pytest.mark.django_db(transaction=True)
def test_a_connection_without_the_function_cannot_delete_either(workspace_a):
    """The sqlite3 shell or another program lacks the functions that the DELETE and UPDATE triggers ask for (the
    UPDATE one lets a redaction through, decision 0012): both refused."""
    event = record_event(action="receipt.issued", workspace=workspace_a)
    name = str(connection.settings_dict["NAME"])
    raw = sqlite3.connect(name, uri=name.startswith("file:"))
    try:
        with pytest.raises(sqlite3.OperationalError, match="no such function"):
            raw.execute("DELETE FROM audit_auditevent WHERE id = ?", [event.pk])
        with pytest.raises(sqlite3.OperationalError, match="no such function"):
            raw.execute("UPDATE audit_auditevent SET action = 'x' WHERE id = ?", [event.pk])
        raw.rollback()
    finally:
        raw.close()
    assert AuditEvent.objects.filter(pk=event.pk).exists()
