"""Set-based writes shared by the importers: rows as tuples, no model instance, no query compiled per row."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connection
from django.db.models import Model


def copy_rows(model: type[Model], columns: list[str], rows: Iterable[tuple[Any, ...]]) -> None:
    """PostgreSQL: ``COPY`` ``rows`` (tuples in ``columns`` order) into ``model``'s table; the columns left out
    take their database default."""
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
        with connection.wrap_database_errors, cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
            write = copy.write_row
            for row in rows:
                write(row)


def _insert() -> str:
    """SQLite: the verb of a multi-row insert. Inside a transaction, ``INSERT OR FAIL``: a multi-row ``INSERT`` whose
    constraints may abort it makes SQLite keep a statement journal, the original of every page the statement
    changes (written to a temporary file: 26 MB for 2,000 organisations and their index words at 50,000 in the
    directory, 96 MB at 1,000,000, bench/README.md); ``OR FAIL`` stops at the refused row without undoing the
    statement's earlier rows, so SQLite keeps none. The callers (an import's batch) let the ``IntegrityError`` roll
    back their ``atomic`` block whole, which undoes those rows too: the batch is all or nothing as before. Outside
    a transaction (autocommit), the plain ``INSERT``: each statement all or nothing by itself."""
    return "INSERT OR FAIL" if connection.in_atomic_block else "INSERT"


def insert_rows(model: type[Model], columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    """SQLite: multi-row ``INSERT``s of ``rows`` (tuples in ``columns`` order)."""
    table = connection.ops.quote_name(model._meta.db_table)
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    per_statement = max(1, 30_000 // len(columns))  # under SQLite's 32,766 parameters
    verb = _insert()
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            sql = f"{verb} INTO {table} ({quoted}) VALUES {', '.join([one] * len(chunk))}"  # noqa: S608
            cursor.execute(sql, [value for row in chunk for value in row])


def write_rows(model: type[Model], columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    """Insert ``rows`` (tuples in ``columns`` order, ids left to the table): ``COPY`` on PostgreSQL, multi-row
    ``INSERT`` on SQLite. No model instance, no query compiled per row."""
    if not rows:
        return
    if connection.vendor == "postgresql":
        copy_rows(model, columns, rows)
    else:
        insert_rows(model, columns, rows)


def insert_returning_ids(model: type[Model], columns: list[str], rows: list[tuple[Any, ...]]) -> list[int]:
    """Multi-row ``INSERT … RETURNING id`` of ``rows`` (values already prepared for the database); the ids in
    the order of the rows (PostgreSQL and SQLite ≥ 3.35 return them in the order of the VALUES, as Django's own
    ``bulk_create`` relies on)."""
    if connection.vendor == "postgresql" and rows:
        return _copy_returning_ids(model, columns, rows)
    table = connection.ops.quote_name(model._meta.db_table)
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    per_statement = max(1, min(1000, 30_000 // len(columns)))
    ids: list[int] = []
    verb = _insert()
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            sql = f"{verb} INTO {table} ({quoted}) VALUES {', '.join([one] * len(chunk))} RETURNING id"  # noqa: S608
            cursor.execute(sql, [value for row in chunk for value in row])
            ids += [row[0] for row in cursor.fetchall()]
    return ids


def _copy_returning_ids(model: type[Model], columns: list[str], rows: list[tuple[Any, ...]]) -> list[int]:
    """PostgreSQL: the ids drawn from the table's sequence first (one query), then the rows ``COPY``'d with them.
    A multi-row ``INSERT`` of thousands of parameters cost psycopg ≈ 0.14 ms of client CPU per row to bind
    (2,000 organisations: 0.29 s), ``COPY`` a few microseconds (bench/README.md, organisations import)."""
    pk = model._meta.pk
    assert pk is not None and pk.column is not None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, pk.column, len(rows)],
        )
        ids = [row[0] for row in cursor.fetchall()]
    copy_rows(model, [pk.column, *columns], [(pk_, *row) for pk_, row in zip(ids, rows, strict=True)])
    return ids
