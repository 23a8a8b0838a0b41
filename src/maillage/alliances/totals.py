"""The time each party invested, kept up to date on write (:class:`~maillage.alliances.models.PartyTime`).

The dashboard shows the time a workspace invested per alliance and per partner kind; summing every attendance of
its history on each view grows with the data. Instead, every action that writes or deletes attendances adds the
difference here, inside its own transaction. The change is an addition
(``INSERT … ON CONFLICT DO UPDATE SET minutes = minutes + excluded.minutes``): two concurrent writers both land,
where recomputing the sum could let one overwrite the other's. :func:`rebuild` recomputes everything from the
attendances (bulk loads, the migration that created the table); :func:`drift` lists what disagrees (tests).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.db import connection
from django.db.models import Sum

from maillage.alliances.models import Attendance, PartyTime

CHUNK = 500  # rows per upsert statement: 1,000 parameters, far under SQLite's limit


def upsert_adding(table: str, keys: list[str], columns: list[str], rows: list[tuple]) -> None:
    """``INSERT`` ``rows`` (tuples of ``keys`` then ``columns``) into ``table``; on an existing key, add each value.

    Portable (SQLite ≥ 3.24 and PostgreSQL). Rows go in key order, so concurrent writers lock rows in one order.
    """
    if not rows:
        return
    quote = connection.ops.quote_name
    names = ", ".join(quote(c) for c in (*keys, *columns))
    adding = ", ".join(f"{quote(c)} = {quote(table)}.{quote(c)} + excluded.{quote(c)}" for c in columns)
    one = "(" + ", ".join(["%s"] * (len(keys) + len(columns))) + ")"
    rows = sorted(rows, key=lambda row: row[: len(keys)])
    with connection.cursor() as cursor:
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            cursor.execute(
                f"INSERT INTO {quote(table)} ({names}) VALUES {', '.join([one] * len(chunk))} "  # noqa: S608
                f"ON CONFLICT ({', '.join(quote(k) for k in keys)}) DO UPDATE SET {adding}",
                [value for row in chunk for value in row],
            )


def add_minutes(deltas: Mapping[int, int]) -> None:
    """Add ``{party id: minutes}`` (negative to take away) to the parties' time."""
    upsert_adding(PartyTime._meta.db_table, ["party_id"], ["minutes"], [(p, m) for p, m in deltas.items() if m])


def minutes_of_interactions(interaction_ids: Iterable[int]) -> dict[int, int]:
    """{party id: minutes} of the attendances at these interactions (what deleting them takes away)."""
    rows = (
        Attendance.objects.filter(interaction_id__in=list(interaction_ids))
        .order_by()
        .values_list("party_id")
        .annotate(minutes=Sum("minutes"))
    )
    return dict(rows)


def rebuild() -> None:
    """Recompute every party's time from the attendances (bulk loads; not under concurrent writes)."""
    table, source = PartyTime._meta.db_table, Attendance._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608
        cursor.execute(
            f"INSERT INTO {table} (party_id, minutes) "  # noqa: S608
            f"SELECT party_id, SUM(minutes) FROM {source} GROUP BY party_id"
        )


def drift() -> list[tuple[int, int, int]]:
    """(party id, kept minutes, summed minutes) wherever the kept time disagrees with the attendances."""
    kept = dict(PartyTime.objects.exclude(minutes=0).values_list("party_id", "minutes"))
    summed = dict(Attendance.objects.order_by().values_list("party_id").annotate(m=Sum("minutes")).exclude(m=0))
    return sorted(
        (party, kept.get(party, 0), summed.get(party, 0))
        for party in kept.keys() | summed.keys()
        if kept.get(party, 0) != summed.get(party, 0)
    )
