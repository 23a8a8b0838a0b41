"""The journal is append-only in the database too: triggers refuse UPDATE and DELETE on ``audit_auditevent``.

No code path updates or deletes an event (there is no admin, no API, no action for it); the triggers make sure a
bug, a careless ``QuerySet.update()`` or a hand-typed SQL statement cannot either.

- **UPDATE** is refused, on both databases, except inside :func:`redaction_allowed` (the erasure of a person's
  data, ``maillage.privacy``, decision 0012), and even there only when the fact stays: the action, its date, the
  workspace, organisation, actor and the target's type and id are unchanged; only the words that name a person
  (``actor_label``, ``target_label``, ``details``, ``ip_address``, ``user_agent``) may be replaced.
- **DELETE** (and **TRUNCATE** on PostgreSQL) is refused except inside :func:`erasure_allowed`, the one context
  that empties whole tables: Django's ``flush`` (``maillage flush`` and the test suite's transactional tests,
  through the ``flush`` command that this app overrides). ``maillage restore`` needs no exception: on SQLite it
  copies the backup's pages (no row is deleted), on PostgreSQL ``pg_restore --clean`` drops and re-creates the
  table with its triggers (DROP fires no trigger).

How the exception is granted:

- **SQLite**: the DELETE trigger fires ``WHEN NOT maillage_audit_erasable()``, an application-defined function
  registered on each connection Django opens (``connection_created``); it answers 1 only inside
  :func:`erasure_allowed`. Anywhere else the function is absent (``sqlite3`` shell, another program) and the
  trigger fails with "no such function": the DELETE is refused there too.
- **PostgreSQL**: the trigger function lets a DELETE or TRUNCATE through only when the session setting
  ``maillage.audit_erasure`` is ``on``, which :func:`erasure_allowed` sets and resets around the flush.

These triggers guard against the application and its operators' slips, not against the database's owner, who can
drop a trigger: see ``docs/security.md`` (Journal d'audit).

SQLite drops a table's triggers with it: a future migration that *rebuilds* ``audit_auditevent`` on SQLite
(most field changes do) must run :func:`install` again (``migrations.RunPython(guard.install_op, ...)``); the
tests that UPDATE and DELETE through raw SQL fail otherwise.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

TABLE = "audit_auditevent"
SQLITE_FUNCTION = "maillage_audit_erasable"
SQLITE_REDACT_FUNCTION = "maillage_audit_redactable"
PG_SETTING = "maillage.audit_erasure"
PG_REDACT_SETTING = "maillage.audit_redaction"
# The columns that say the fact: a redaction never changes them.
FACT_COLUMNS = ("id", "action", "created_at", "workspace_id", "organization_id", "actor_id", "target_type", "target_id")
MESSAGE = "audit_auditevent est en ajout seul"

_erasable: ContextVar[bool] = ContextVar("audit_erasable", default=False)
_redactable: ContextVar[bool] = ContextVar("audit_redactable", default=False)
_SAME_FACT = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in FACT_COLUMNS)
_PG_SAME_FACT = " AND ".join(f"NEW.{c} IS NOT DISTINCT FROM OLD.{c}" for c in FACT_COLUMNS)

SQLITE_INSTALL = [
    f"DROP TRIGGER IF EXISTS {TABLE}_no_update",
    f"DROP TRIGGER IF EXISTS {TABLE}_no_delete",
    f"""CREATE TRIGGER {TABLE}_no_update BEFORE UPDATE ON {TABLE}
        WHEN NOT ({SQLITE_REDACT_FUNCTION}() AND {_SAME_FACT})
        BEGIN SELECT RAISE(ABORT, '{MESSAGE} : UPDATE refusé'); END""",
    f"""CREATE TRIGGER {TABLE}_no_delete BEFORE DELETE ON {TABLE}
        WHEN NOT {SQLITE_FUNCTION}()
        BEGIN SELECT RAISE(ABORT, '{MESSAGE} : DELETE refusé'); END""",
]
SQLITE_UNINSTALL = [f"DROP TRIGGER IF EXISTS {TABLE}_no_update", f"DROP TRIGGER IF EXISTS {TABLE}_no_delete"]

PG_INSTALL = [
    f"""CREATE OR REPLACE FUNCTION {TABLE}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND current_setting('{PG_REDACT_SETTING}', true) = 'on' AND {_PG_SAME_FACT} THEN
            RETURN NEW;
        END IF;
        IF TG_OP <> 'UPDATE' AND current_setting('{PG_SETTING}', true) = 'on' THEN
            IF TG_LEVEL = 'ROW' THEN
                RETURN OLD;
            END IF;
            RETURN NULL;
        END IF;
        RAISE EXCEPTION '{MESSAGE} : % refusé', TG_OP
            USING HINT = 'Le journal d''audit ne se modifie ni ne s''efface (voir docs/security.md).';
    END
    $$""",
    f"DROP TRIGGER IF EXISTS {TABLE}_no_update ON {TABLE}",
    f"DROP TRIGGER IF EXISTS {TABLE}_no_delete ON {TABLE}",
    f"DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE}",
    f"""CREATE TRIGGER {TABLE}_no_update BEFORE UPDATE ON {TABLE}
        FOR EACH ROW EXECUTE FUNCTION {TABLE}_append_only()""",
    f"""CREATE TRIGGER {TABLE}_no_delete BEFORE DELETE ON {TABLE}
        FOR EACH ROW EXECUTE FUNCTION {TABLE}_append_only()""",
    f"""CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE}
        FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_append_only()""",
]
PG_UNINSTALL = [
    f"DROP TRIGGER IF EXISTS {TABLE}_no_update ON {TABLE}",
    f"DROP TRIGGER IF EXISTS {TABLE}_no_delete ON {TABLE}",
    f"DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE}",
    f"DROP FUNCTION IF EXISTS {TABLE}_append_only()",
]


def _statements(vendor: str, *, install: bool) -> list[str]:
    if vendor == "sqlite":
        return SQLITE_INSTALL if install else SQLITE_UNINSTALL
    if vendor == "postgresql":
        return PG_INSTALL if install else PG_UNINSTALL
    raise NotImplementedError(f"Journal d'audit : base {vendor} non prise en charge (SQLite ou PostgreSQL).")


def install_op(apps, schema_editor) -> None:
    """Migration operation: (re)create the triggers. Run it again after any rebuild of the table on SQLite."""
    for sql in _statements(schema_editor.connection.vendor, install=True):
        schema_editor.execute(sql, params=None)


def uninstall_op(apps, schema_editor) -> None:
    for sql in _statements(schema_editor.connection.vendor, install=False):
        schema_editor.execute(sql, params=None)


def _sqlite_erasable() -> int:
    return 1 if _erasable.get() else 0


def _sqlite_redactable() -> int:
    return 1 if _redactable.get() else 0


def register_sqlite_function(sender, connection, **kwargs) -> None:
    """``connection_created`` receiver: give each SQLite connection the functions its triggers ask."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(SQLITE_FUNCTION, 0, _sqlite_erasable)
        connection.connection.create_function(SQLITE_REDACT_FUNCTION, 0, _sqlite_redactable)


@contextlib.contextmanager
def erasure_allowed(connection) -> Iterator[None]:
    """Let DELETE (and TRUNCATE) through on the journal for this connection, for the time of a whole-table flush.

    Only the ``flush`` command enters it. UPDATE stays refused.
    """
    token = _erasable.set(True)
    postgres = connection.vendor == "postgresql"
    try:
        if postgres:
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config(%s, 'on', false)", [PG_SETTING])
        yield
    finally:
        _erasable.reset(token)
        if postgres:
            with contextlib.suppress(Exception), connection.cursor() as cursor:
                cursor.execute("SELECT set_config(%s, 'off', false)", [PG_SETTING])


@contextlib.contextmanager
def redaction_allowed(connection) -> Iterator[None]:
    """Let UPDATE through on the journal for this connection, for the words that name a person only (the triggers
    refuse any change of the fact's columns, ``FACT_COLUMNS``). Only ``maillage.privacy``'s erasure and the
    deletion of an account enter it."""
    token = _redactable.set(True)
    postgres = connection.vendor == "postgresql"
    try:
        if postgres:
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config(%s, 'on', false)", [PG_REDACT_SETTING])
        yield
    finally:
        _redactable.reset(token)
        if postgres:
            with contextlib.suppress(Exception), connection.cursor() as cursor:
                cursor.execute("SELECT set_config(%s, 'off', false)", [PG_REDACT_SETTING])
