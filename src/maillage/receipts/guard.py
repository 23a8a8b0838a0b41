"""Issued receipts are immutable in the database too: triggers refuse any UPDATE of their legal fields and any
DELETE of ``receipts_receipt``, whatever the path (``QuerySet.update()``, raw SQL, another program).

- **UPDATE** of a legal field (everything the receipt says: number, donor, amount, dates, nature, boxes, issuer
  block…) is refused on both databases. Only the cancellation fields (``cancelled_at``, ``cancel_reason``,
  ``cancelled_by_id``), the e-mail mark (``emailed_at``) and ``issued_by_id`` (set to NULL by Django when the user
  account is deleted) may change; and a cancellation, once recorded, is never taken back nor rewritten.
- **DELETE** is refused except inside :func:`purge_allowed` (the retention purge after 6 years, ``purge.py``) and
  the audit journal's :func:`maillage.audit.guard.erasure_allowed` (whole-table ``flush``); same mechanism as the
  journal's triggers (``audit/guard.py``): on SQLite, an application function registered on each connection; on
  PostgreSQL, a session setting. TRUNCATE (PostgreSQL ``flush``) is left to the database's owner.

SQLite drops a table's triggers when a migration rebuilds it: a later migration that alters ``receipts_receipt``
must run :func:`install_op` again (the trigger tests fail otherwise), and add any new legal column to
``LEGAL_COLUMNS``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.apps.registry import Apps
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.backends.base.schema import BaseDatabaseSchemaEditor

TABLE = "receipts_receipt"
SQLITE_FUNCTION = "maillage_receipt_erasable"
PG_SETTING = "maillage.receipt_erasure"
MESSAGE = "reçu fiscal émis : ni modification ni suppression"

LEGAL_COLUMNS = (
    "workspace_id",
    "issuer_id",
    "year",
    "number",
    "reference",
    "form",
    "cerfa",
    "articles",
    "gift_form",
    "contribution_id",
    "individual_gift_id",
    "issuer_details_id",
    "donor_name",
    "donor_siren",
    "donor_legal_form",
    "donor_address",
    "donor_email",
    "amount",
    "gift_date",
    "nature",
    "payment_method",
    "description",
    "valuation_method",
    "skills_detail",
    "counterparts_value",
    "replaces_id",
    "issued_at",
    "retain_until",
)

_purgeable: ContextVar[bool] = ContextVar("receipt_purgeable", default=False)


def _changed(op: str) -> str:
    legal = " OR ".join(f"OLD.{c} {op} NEW.{c}" for c in LEGAL_COLUMNS)
    uncancel = f"(OLD.cancelled_at IS NOT NULL AND (OLD.cancelled_at {op} NEW.cancelled_at OR OLD.cancel_reason {op} NEW.cancel_reason))"
    return f"({legal} OR {uncancel})"


SQLITE_INSTALL = [
    f"DROP TRIGGER IF EXISTS {TABLE}_no_update",
    f"DROP TRIGGER IF EXISTS {TABLE}_no_delete",
    f"""CREATE TRIGGER {TABLE}_no_update BEFORE UPDATE ON {TABLE}
        WHEN {_changed("IS NOT")}
        BEGIN SELECT RAISE(ABORT, '{MESSAGE} (UPDATE refusé)'); END""",
    f"""CREATE TRIGGER {TABLE}_no_delete BEFORE DELETE ON {TABLE}
        WHEN NOT {SQLITE_FUNCTION}()
        BEGIN SELECT RAISE(ABORT, '{MESSAGE} (DELETE refusé)'); END""",
]
SQLITE_UNINSTALL = [f"DROP TRIGGER IF EXISTS {TABLE}_no_update", f"DROP TRIGGER IF EXISTS {TABLE}_no_delete"]

PG_INSTALL = [
    f"""CREATE OR REPLACE FUNCTION {TABLE}_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            IF current_setting('{PG_SETTING}', true) = 'on' OR current_setting('maillage.audit_erasure', true) = 'on' THEN
                RETURN OLD;
            END IF;
        ELSIF NOT {_changed("IS DISTINCT FROM")} THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION '{MESSAGE} (% refusé)', TG_OP
            USING HINT = 'Annulez le reçu (motif) et émettez un rectificatif ; la purge après 6 ans passe par maillage purge_receipts.';
    END
    $$""",
    f"DROP TRIGGER IF EXISTS {TABLE}_no_update ON {TABLE}",
    f"DROP TRIGGER IF EXISTS {TABLE}_no_delete ON {TABLE}",
    f"""CREATE TRIGGER {TABLE}_no_update BEFORE UPDATE ON {TABLE}
        FOR EACH ROW EXECUTE FUNCTION {TABLE}_immutable()""",
    f"""CREATE TRIGGER {TABLE}_no_delete BEFORE DELETE ON {TABLE}
        FOR EACH ROW EXECUTE FUNCTION {TABLE}_immutable()""",
]
PG_UNINSTALL = [
    f"DROP TRIGGER IF EXISTS {TABLE}_no_update ON {TABLE}",
    f"DROP TRIGGER IF EXISTS {TABLE}_no_delete ON {TABLE}",
    f"DROP FUNCTION IF EXISTS {TABLE}_immutable()",
]


def _statements(vendor: str, *, install: bool) -> list[str]:
    if vendor == "sqlite":
        return SQLITE_INSTALL if install else SQLITE_UNINSTALL
    if vendor == "postgresql":
        return PG_INSTALL if install else PG_UNINSTALL
    raise NotImplementedError(f"Reçus fiscaux : base {vendor} non prise en charge (SQLite ou PostgreSQL).")


def install_op(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    """Migration operation: (re)create the triggers. Run it again after any rebuild of the table on SQLite."""
    for sql in _statements(schema_editor.connection.vendor, install=True):
        schema_editor.execute(sql, params=None)


def uninstall_op(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    for sql in _statements(schema_editor.connection.vendor, install=False):
        schema_editor.execute(sql, params=None)


def _sqlite_erasable() -> int:
    from maillage.audit.guard import _erasable

    return 1 if (_purgeable.get() or _erasable.get()) else 0


def register_sqlite_function(sender: object, connection: BaseDatabaseWrapper, **kwargs: object) -> None:
    """``connection_created`` receiver: give each SQLite connection the function its DELETE trigger asks."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(SQLITE_FUNCTION, 0, _sqlite_erasable)


@contextlib.contextmanager
def purge_allowed(connection: BaseDatabaseWrapper) -> Iterator[None]:
    """Let DELETE through on the receipts for this connection: only the retention purge enters it."""
    token = _purgeable.set(True)
    postgres = connection.vendor == "postgresql"
    try:
        if postgres:
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config(%s, 'on', false)", [PG_SETTING])
        yield
    finally:
        _purgeable.reset(token)
        if postgres:
            with contextlib.suppress(Exception), connection.cursor() as cursor:
                cursor.execute("SELECT set_config(%s, 'off', false)", [PG_SETTING])
