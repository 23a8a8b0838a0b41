"""Bulk writes that run the same SQL on SQLite and PostgreSQL (both speak ``INSERT … ON CONFLICT``).

For reference data and generated data only, where building one model instance per row would cost more than the
write itself. Values must already be clean: nothing here validates.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection


def upsert(
    table: str,
    columns: Sequence[str],
    conflict: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    update: Sequence[str] | None = None,
    batch: int = 5000,
) -> int:
    """Insert rows, updating ``update`` (default: the other columns) of a row whose ``conflict`` columns exist."""
    quote = connection.ops.quote_name
    updates = [c for c in columns if c not in conflict] if update is None else list(update)
    # Table and column names are code constants, quoted; every value goes through a parameter.
    target = f"{quote(table)} ({', '.join(map(quote, columns))})"
    values = ", ".join(["%s"] * len(columns))
    keys = ", ".join(map(quote, conflict))
    action = (
        "DO UPDATE SET " + ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in updates) if updates else "DO NOTHING"
    )
    sql = f"INSERT INTO {target} VALUES ({values}) ON CONFLICT ({keys}) {action}"  # noqa: S608
    return _executemany(sql, rows, batch)


def insert(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], *, batch: int = 5000) -> int:
    quote = connection.ops.quote_name
    sql = f"INSERT INTO {quote(table)} ({', '.join(map(quote, columns))}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608
    return _executemany(sql, rows, batch)


def _executemany(sql: str, rows: Iterable[Sequence[Any]], batch: int) -> int:
    count = 0
    chunk: list[Sequence[Any]] = []
    with connection.cursor() as cursor:
        for row in rows:
            chunk.append(row)
            if len(chunk) >= batch:
                cursor.executemany(sql, chunk)
                count += len(chunk)
                chunk = []
        if chunk:
            cursor.executemany(sql, chunk)
            count += len(chunk)
    return count
