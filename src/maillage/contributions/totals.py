"""What each party received, kept up to date on write (:class:`~maillage.contributions.models.ReceivedSum`).

The dashboard shows, per partner kind, what the workspace's parties received (by kind of contribution) and
what is still promised. Summing every contribution of the workspace's history on each view grows with the data;
instead ``record_contribution``, ``mark_received``, the importer's bulk writer and import undo add the difference
here, in their own transaction, as additions (see :func:`maillage.alliances.totals.upsert_adding`: safe under
concurrent writes). :func:`rebuild` recomputes everything (bulk loads, the migration that created the table);
:func:`drift` lists what disagrees (tests).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet, Sum

from maillage.alliances.totals import upsert_adding
from maillage.contributions.models import Contribution, Kind, ReceivedSum, Status

COLUMNS = ["money", "in_kind", "skills", "service", "volunteering", "promised"]
KINDS = frozenset(Kind.values)  # read once: ``Kind.values`` builds a new list at each access
ZERO = Decimal("0")

# One contribution as the sums see it: (receiver party id, giver kind, kind, status, value).
Item = tuple[int, str, str, str, Decimal]


def column(kind: str, status: str) -> str | None:
    """The sum a contribution counts in: what is promised, or what was received, by kind."""
    if status == Status.PROMISED:
        return "promised"
    return kind if status == Status.RECEIVED and kind in KINDS else None


def add_received(items: Iterable[Item], *, sign: int = 1) -> None:
    """Add contributions to their receivers' sums (``sign=-1`` takes them away)."""
    add_summed(summed(items, sign=sign))


def summed(items: Iterable[Item], *, sign: int = 1) -> list[tuple[Any, ...]]:
    """What contributions add to the sums, per receiver and giver kind: ``(receiver id, giver kind, *COLUMNS)``
    rows for :func:`add_summed` (computed without the database: the importer does it off its writing thread)."""
    sums: dict[tuple[int, str], dict[str, Decimal]] = defaultdict(lambda: dict.fromkeys(COLUMNS, ZERO))
    for receiver_id, giver_kind, kind, status, value in items:
        name = column(kind, status)
        if name and value:
            sums[receiver_id, giver_kind][name] += sign * value
    return [(*key, *(values[c] for c in COLUMNS)) for key, values in sums.items()]


def add_summed(rows: list[tuple[Any, ...]]) -> None:
    upsert_adding(ReceivedSum._meta.db_table, ["receiver_id", "giver_kind"], COLUMNS, rows)


def item(contribution: Contribution) -> Item:
    return (
        contribution.receiver_id,
        contribution.giver_kind,
        contribution.kind,
        contribution.status,
        contribution.value,
    )


def items(contributions: QuerySet[Contribution]) -> list[Item]:
    """The :data:`Item` of each contribution of a queryset (before deleting them, say)."""
    return list(contributions.values_list("receiver_id", "giver_kind", "kind", "status", "value"))


def _summed() -> QuerySet[Contribution, Any]:  # rows: receiver_id, giver_kind and one sum per column
    """The sums, computed from the contributions (one row per receiver and giver kind)."""
    filters = {c: Q(status=Status.PROMISED) if c == "promised" else Q(kind=c, status=Status.RECEIVED) for c in COLUMNS}
    return (
        Contribution.objects.order_by()
        .values("receiver_id", "giver_kind")
        .annotate(**{c: Sum("value", filter=f, default=ZERO) for c, f in filters.items()})
    )


def rebuild() -> None:
    """Recompute every sum from the contributions (bulk loads; not under concurrent writes)."""
    ReceivedSum.objects.all().delete()
    sql, params = _summed().query.sql_with_params()
    names = ", ".join(["receiver_id", "giver_kind", *COLUMNS])
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {ReceivedSum._meta.db_table} ({names}) {sql}", params)  # noqa: S608


def drift() -> list[tuple[Any, ...]]:
    """(receiver, giver kind, kept sums, summed sums) wherever the kept sums disagree with the contributions."""
    cents = Decimal("0.01")

    def rounded(row: Mapping[str, Any]) -> tuple[Decimal, ...]:

        return tuple(Decimal(row[c] or 0).quantize(cents) for c in COLUMNS)

    zero = tuple(ZERO.quantize(cents) for _ in COLUMNS)
    kept = {(r["receiver_id"], r["giver_kind"]): rounded(r) for r in ReceivedSum.objects.values()}
    summed = {(r["receiver_id"], r["giver_kind"]): rounded(r) for r in _summed()}
    return sorted(
        (*key, kept.get(key, zero), summed.get(key, zero))
        for key in kept.keys() | summed.keys()
        if kept.get(key, zero) != summed.get(key, zero)
    )
