"""Disclosure control: nothing published may identify one organisation (pure functions, no database).

Rules (docs/observatory.md):
- *primary*: a cell is published only if it counts at least ``MIN_ASSOCIATIONS`` distinct associations; an amount
  also needs at least ``MIN_CONTRIBUTORS`` distinct contributors and no contributor at ``DOMINANCE_SHARE`` or more
  of the total;
- *secondary*: for every additive relation ``parent = child₁ + … + childₙ (+ a remainder not published as a
  cell)``, the number of hidden terms is never exactly one, otherwise the hidden term could be recomputed from
  the margins. When it is one, the smallest published child is hidden too (or the parent, when no child is
  left), and the relations are walked again until nothing changes;
- amounts are rounded to ``MONEY_ROUNDING`` euros.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field

from maillage.observatory.indicators import DOMINANCE_SHARE, MIN_ASSOCIATIONS, MIN_CONTRIBUTORS, MONEY_ROUNDING

Key = Hashable


@dataclass
class Relation:
    """``parent = sum(children) + remainder``; ``remainder_hidden`` when the remainder must itself stay secret."""

    parent: Key
    children: list[Key]
    remainder_hidden: bool = False


@dataclass
class Amount:
    total: float = 0.0
    givers: int = 0
    top: float = 0.0


def count_is_safe(associations: int) -> bool:
    return associations >= MIN_ASSOCIATIONS


def amount_is_safe(amount: Amount) -> bool:
    if amount.total <= 0:
        return True  # nothing was given: a zero identifies nobody
    return amount.givers >= MIN_CONTRIBUTORS and amount.top < DOMINANCE_SHARE * amount.total


def remainder_is_hidden(remainder: float, *, counts: bool) -> bool:
    """A remainder of associations outside every child: secret when it is a small count, or any amount."""
    if remainder <= 0:
        return False
    return remainder < MIN_ASSOCIATIONS if counts else True


def relation_index(relations: list[Relation]) -> dict[Key, list[int]]:
    """Key → the relations it is a term of (once per occurrence)."""
    by_key: dict[Key, list[int]] = defaultdict(list)
    for index, relation in enumerate(relations):
        by_key[relation.parent].append(index)
        for child in relation.children:
            by_key[child].append(index)
    return by_key


def protect(
    values: dict[Key, float],
    hidden: set[Key],
    relations: Iterable[Relation],
    index: dict[Key, list[int]] | None = None,
) -> set[Key]:
    """Secondary suppression: return the cells to hide on top of ``hidden`` (which is not modified).

    Relations are walked from the last to the first, a relation touched by a new secret cell being walked again
    next; the number of hidden terms of each relation is kept up to date as cells are hidden, so that a relation
    with no hidden term costs nothing. ``index`` is :func:`relation_index` of ``relations``, when already built.
    """
    relations = list(relations)
    by_key = index if index is not None else relation_index(relations)
    secret = set(hidden)
    hidden_count = [1 if relation.remainder_hidden else 0 for relation in relations]
    for key in secret:
        for position in by_key.get(key, ()):
            hidden_count[position] += 1
    added: set[Key] = set()
    queue = list(range(len(relations)))
    queued = set(queue)
    while queue:
        position = queue.pop()
        queued.discard(position)
        if hidden_count[position] != 1:
            continue
        relation = relations[position]
        candidates = [c for c in relation.children if c not in secret]
        if candidates:
            choice = min(candidates, key=lambda c: (values.get(c, 0), str(c)))
        elif relation.parent not in secret:
            choice = relation.parent
        else:
            continue  # the single hidden term is the remainder and everything else is hidden: nothing to add
        secret.add(choice)
        added.add(choice)
        for other in by_key[choice]:
            hidden_count[other] += 1
            if other not in queued:
                queue.append(other)
                queued.add(other)
    return added


def hidden_terms(relation: Relation, secret: set[Key]) -> int:
    """How many terms of a relation are secret (the property every published table must keep ≠ 1)."""
    terms = [relation.parent, *relation.children]
    return sum(1 for t in terms if t in secret) + (1 if relation.remainder_hidden else 0)


def round_money(value: float) -> int:
    return int(round(value / MONEY_ROUNDING)) * MONEY_ROUNDING


@dataclass
class Table:
    """The raw figures of all cells, before publication: counts per cell, amounts per cell and kind."""

    associations: dict[Key, int] = field(default_factory=dict)
    amounts: dict[str, dict[Key, Amount]] = field(default_factory=dict)


def decide(table: Table, relations: list[Relation]):
    """Which cells are secret (primary, secondary) and which amounts are secret per kind.

    ``relations`` are built on cell keys with ``remainder_hidden`` unset; this function sets it per measure from
    the parent's value minus its children's. Returns (primary, secondary, amount_secret: {kind: set}).
    """
    counts = table.associations
    primary = {k for k, n in counts.items() if not count_is_safe(n)}
    get = counts.get
    remainders = [get(r.parent, 0) - sum([get(c, 0) for c in r.children]) for r in relations]
    count_relations = [
        Relation(r.parent, r.children, remainder_is_hidden(rest, counts=True))
        for r, rest in zip(relations, remainders, strict=True)
    ]
    index = relation_index(relations)
    secondary = protect(counts, primary, count_relations, index)
    secret = primary | secondary
    amount_secret: dict[str, set[Key]] = {}
    # Gifts follow their receiving association: when the children hold all the parent's associations, they hold
    # all its gifts too, so an amount remainder exists exactly where an association remainder does.
    amount_relations = [Relation(r.parent, r.children, rest > 0) for r, rest in zip(relations, remainders, strict=True)]
    for kind, amounts in table.amounts.items():
        values = {k: a.total for k, a in amounts.items()}
        first = set(secret)
        first |= {k for k, a in amounts.items() if not amount_is_safe(a)}
        amount_secret[kind] = first | protect(values, first, amount_relations, index)
    return primary, secondary, amount_secret
