# ruff: noqa: S608  (SQL assembled from constants of this module, never from user input)
"""Bulk writes: COPY on PostgreSQL (psycopg 3 ``cursor.copy``), ``executemany`` elsewhere."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import connection

from maillage.core.bulk_upsert import insert


def write_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence], *, batch: int = 20_000) -> int:
    """Append rows to a table through the fastest path the database offers. Returns the number written."""
    if connection.vendor == "postgresql":
        count = 0
        with connection.cursor() as cursor:
            cols = ", ".join(f'"{c}"' for c in columns)
            raw = cursor.cursor if hasattr(cursor, "cursor") else cursor
            with raw.copy(f'COPY "{table}" ({cols}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            return count
    return insert(table, columns, rows, batch=batch)  # executemany in chunks, the same as every other bulk write


def reset_sequence(table: str) -> None:
    """After rows were written with explicit ids, move PostgreSQL's identity past them (SQLite needs nothing)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), COALESCE((SELECT MAX(id) FROM \"{table}\"), 1))"
        )


def next_id(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT COALESCE(MAX(id), 0) + 1 FROM "{table}"')
        return int(cursor.fetchone()[0])
