"""Set-based writes of an import batch: the contributions (which carry their import key), and the
``ImportedRow`` records of the other imports.

The rows come checked by :func:`maillage.contributions.cleaning.clean_contribution` (the checks of
``record_contribution``, the same function); here they are only written, inside the import's batch transaction.
A batch of contributions is first *prepared* (formatted: ``COPY`` text lines on PostgreSQL, parameters on
SQLite; the sums it adds), without the database, then *written*: with ``COPY`` on PostgreSQL, in multi-row
``INSERT`` statements on SQLite, the ids left to the table. Neither builds a model instance per row.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from operator import itemgetter
from typing import Any

from django.db import connection
from django.utils import timezone

from maillage.alliances.models import Alliance
from maillage.contributions import totals
from maillage.contributions.models import Contribution
from maillage.core.bulk_sql import copy_rows, insert_rows
from maillage.exchange.models import ImportedRow

AUTHOR = ("created_by_workspace_id", "created_by_id", "created_at")
RECORD_FIELDS = ("job_id", "workspace_id", "entity", "natural_key", "row_number", "model", "object_id", "created")


def contribution_key(workspace_id: int, natural_key: str) -> str:
    """The contribution's ``import_key``: 128 bits of a SHA-256 of the importing workspace and the row's natural
    key, as the 32 hex digits that both PostgreSQL's ``uuid`` and the SQLite column (``char(32)``) take as they
    are. The workspace is in the key, so the key alone is unique (one index, which the lookups cannot miss)."""
    return hashlib.sha256(f"{workspace_id}\x1f{natural_key}".encode()).hexdigest()[:32]


@dataclass(slots=True)
class Prepared:
    """A batch of checked contributions, already formatted for the database: the import's checking thread makes
    it, the writing thread only sends it (decision 0006)."""

    rows: list[dict]
    values: list  # per row: its COPY text line, id left out (PostgreSQL), or its parameters (SQLite)
    columns: list[str]  # in the order of ``values``
    sums: list[tuple]  # what the rows add to their receivers' sums (:func:`totals.summed`)
    created_at: datetime


def prepare_contributions(rows: list[dict], *, workspace_id: int, user_id: int | None) -> Prepared:
    """Format checked rows (``clean_contribution(...).fields``, with ``import_job_id`` and ``import_key`` when
    an import writes them) for :func:`write_prepared`. Reads no database."""
    now = timezone.now()
    fields = [f for f in Contribution._meta.concrete_fields if not f.primary_key and f.attname not in AUTHOR]
    present = rows[0] if rows else {}
    names = [f.attname for f in fields if f.attname in present]
    others = [f for f in fields if f.attname not in present]  # e.g. the import's job and key, when absent
    # (a concrete field always has its column: the stubs type it Optional for the non-concrete ones)
    columns = [str(f.column) for f in fields if f.attname in present] + [*AUTHOR] + [str(f.column) for f in others]
    getter = itemgetter(*names) if names else (lambda row: ())
    values: list[Any]
    if connection.vendor == "postgresql":
        tail = "".join("\t" + copy_text(v) for v in (workspace_id, user_id, now, *(f.get_default() for f in others)))
        values = ["\t".join(map(copy_text, getter(row))) + tail + "\n" for row in rows]
    else:  # SQLite stores naive UTC text; dates and decimals go through the adapters Django registers
        author = (
            workspace_id,
            user_id,
            connection.ops.adapt_datetimefield_value(now),
            *(f.get_db_prep_save(f.get_default(), connection) for f in others),
        )
        values = [(*getter(row), *author) for row in rows]
    sums = totals.summed(_items(rows))
    return Prepared(rows, values, columns, sums, now)


def _items(rows: list[dict]):
    return ((r["receiver_id"], r["giver_kind"], r["kind"], r["status"], r["value"]) for r in rows)


def write_prepared(prepared: Prepared, keep: list[bool] | None = None) -> int:
    """Insert a prepared batch, or only its rows whose ``keep`` is true; add them to their receivers' sums and
    touch their alliances. Returns how many rows it wrote (their ids come from the table: nothing needs them)."""
    rows, values, sums = prepared.rows, prepared.values, prepared.sums
    if keep is not None:
        rows = [row for row, kept in zip(rows, keep, strict=True) if kept]
        values = [value for value, kept in zip(values, keep, strict=True) if kept]
        sums = totals.summed(_items(rows))
    if not rows:
        return 0
    if connection.vendor == "postgresql":
        copy_lines(Contribution, prepared.columns, values)
    else:
        insert_rows(Contribution, prepared.columns, values)
    totals.add_summed(sums)
    Alliance.objects.filter(pk__in={row["alliance_id"] for row in rows}).update(updated_at=prepared.created_at)
    return len(rows)


def write_contributions(rows: list[dict], *, workspace, user) -> int:
    """Insert checked rows at once (:func:`prepare_contributions` then :func:`write_prepared`)."""
    prepared = prepare_contributions(rows, workspace_id=workspace.pk, user_id=user.pk if user else None)
    return write_prepared(prepared)


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_text(value) -> str:
    """One value in PostgreSQL's ``COPY`` text format. Only the types a contribution holds: anything else is a
    programming error, not something to guess."""
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return value.translate(_ESCAPES)
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, int | Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, date):  # and datetime: ISO 8601, with its offset when aware
        return value.isoformat()
    raise TypeError(f"no COPY text for {type(value).__name__}")


def copy_lines(model, columns: list[str], lines: list[str]) -> None:
    """PostgreSQL: ``COPY`` ``lines`` (text format, each ending in a newline) into ``model``'s table; the
    columns left out (the id) take their database default."""
    table = connection.ops.quote_name(model._meta.db_table)
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    # wrap_database_errors: psycopg's own errors become Django's (IntegrityError…), as for any other query.
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,
        cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy,
    ):
        copy.write("".join(lines).encode())


def write_records(records: list[tuple]) -> None:
    """The ``ImportedRow`` of a batch, as tuples in :data:`RECORD_FIELDS` order (their ids are not needed)."""
    if not records:
        return
    if connection.vendor == "postgresql":
        copy_rows(ImportedRow, list(RECORD_FIELDS), records)
    else:
        insert_rows(ImportedRow, list(RECORD_FIELDS), records)
