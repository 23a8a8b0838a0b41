"""Set-based writes of an import batch: the contributions (which carry their import key), and the
``ImportedRow`` records of the other imports.

The rows come checked by :func:`maillage.contributions.cleaning.clean_contribution` (the checks of
``record_contribution``, the same function); here they are only written, inside the import's batch transaction.
On PostgreSQL the ids are drawn from the table's sequence in one query and the rows sent with ``COPY``; on
SQLite in multi-row ``INSERT … RETURNING id`` statements. Neither builds a model instance per row.
"""

from __future__ import annotations

import hashlib
from operator import itemgetter

from django.db import connection
from django.utils import timezone

from maillage.alliances.models import Alliance
from maillage.contributions import totals
from maillage.contributions.models import Contribution
from maillage.exchange.models import ImportedRow

AUTHOR = ("created_by_workspace_id", "created_by_id", "created_at")
RECORD_FIELDS = ("job_id", "workspace_id", "entity", "natural_key", "row_number", "model", "object_id", "created")


def contribution_key(workspace_id: int, natural_key: str) -> str:
    """The contribution's ``import_key``: 128 bits of a SHA-256 of the importing workspace and the row's natural
    key, as the 32 hex digits that both PostgreSQL's ``uuid`` and the SQLite column (``char(32)``) take as they
    are. The workspace is in the key, so the key alone is unique (one index, which the lookups cannot miss)."""
    return hashlib.sha256(f"{workspace_id}\x1f{natural_key}".encode()).hexdigest()[:32]


def write_contributions(rows: list[dict], *, workspace, user) -> list[int]:
    """Insert checked rows (``clean_contribution(...).fields``, with ``import_job_id`` and ``import_key`` when
    an import writes them); returns their ids, in order."""
    if not rows:
        return []
    now = timezone.now()
    fields = [f for f in Contribution._meta.concrete_fields if not f.primary_key and f.attname not in AUTHOR]
    names = [f.attname for f in fields if f.attname in rows[0]]
    given = [f.column for f in fields if f.attname in rows[0]]
    others = [f for f in fields if f.attname not in rows[0]]  # e.g. the import's job and key, when absent
    if connection.vendor == "postgresql":
        author = (workspace.pk, user.pk if user else None, now, *(f.get_default() for f in others))
        columns = ["id", *given, *AUTHOR, *(f.column for f in others)]
        ids = copy_rows(Contribution, columns, _with_ids(rows, names, author))
    elif not connection.features.can_return_rows_from_bulk_insert:  # SQLite before 3.35: no RETURNING
        objects = [Contribution(**row, created_by_workspace=workspace, created_by=user) for row in rows]
        Contribution.objects.bulk_create(objects, batch_size=1000)
        ids = [o.pk for o in objects]
    else:  # SQLite stores naive UTC text; dates and decimals go through the adapters Django registers
        author = (
            workspace.pk,
            user.pk if user else None,
            connection.ops.adapt_datetimefield_value(now),
            *(f.get_db_prep_save(f.get_default(), connection) for f in others),
        )
        getter, columns = itemgetter(*names), [*given, *AUTHOR, *(f.column for f in others)]
        ids = insert_rows(Contribution, columns, [(*getter(row), *author) for row in rows], returning=True)
    totals.add_received((r["receiver_id"], r["giver_kind"], r["kind"], r["status"], r["value"]) for r in rows)
    Alliance.objects.filter(pk__in={row["alliance_id"] for row in rows}).update(updated_at=now)
    return ids


class _with_ids:
    """The COPY rows ``(id, *values, *author)``, the ids filled in by :func:`copy_rows`."""

    def __init__(self, rows: list[dict], names: list[str], author: tuple):
        self.rows, self.getter, self.author = rows, itemgetter(*names), author

    def __len__(self) -> int:
        return len(self.rows)

    def with_ids(self, ids: list[int]):
        getter, author = self.getter, self.author
        return ((pk, *getter(row), *author) for pk, row in zip(ids, self.rows, strict=True))


def copy_rows(model, columns: list[str], rows) -> list[int]:
    """PostgreSQL: ``COPY`` ``rows`` (tuples in ``columns`` order) into ``model``'s table. When ``columns``
    starts with ``id``, ``rows`` is a :class:`_with_ids` and the ids come from the table's sequence, in one
    query; they are returned. The columns left out take their database default."""
    table = connection.ops.quote_name(model._meta.db_table)
    ids: list[int] = []
    with connection.cursor() as cursor:
        if columns[0] == "id":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [model._meta.db_table, len(rows)],
            )
            ids = [r[0] for r in cursor.fetchall()]
            rows = rows.with_ids(ids)
        quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
        # wrap_database_errors: psycopg's own errors become Django's (IntegrityError…), as for any other query.
        with connection.wrap_database_errors, cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
            write = copy.write_row
            for row in rows:
                write(row)
    return ids


def insert_rows(model, columns: list[str], rows: list[tuple], *, returning: bool = False) -> list[int]:
    """SQLite: multi-row ``INSERT``s of ``rows`` (tuples in ``columns`` order), ``RETURNING id`` when asked (the
    ids in the order of the rows, as ``bulk_create`` reads them)."""
    table = connection.ops.quote_name(model._meta.db_table)
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    per_statement = max(1, 30_000 // len(columns))  # under SQLite's 32,766 parameters
    ids: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            sql = f"INSERT INTO {table} ({quoted}) VALUES {', '.join([one] * len(chunk))}"  # noqa: S608
            params = [value for row in chunk for value in row]
            if returning:
                cursor.execute(sql + " RETURNING id", params)
                ids += [r[0] for r in cursor.fetchall()]
            else:
                cursor.execute(sql, params)
    return ids


def write_records(records: list[tuple]) -> None:
    """The ``ImportedRow`` of a batch, as tuples in :data:`RECORD_FIELDS` order (their ids are not needed)."""
    if not records:
        return
    if connection.vendor == "postgresql":
        copy_rows(ImportedRow, list(RECORD_FIELDS), records)
    else:
        insert_rows(ImportedRow, list(RECORD_FIELDS), records)
