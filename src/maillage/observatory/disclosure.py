"""Disclosure control: nothing published may identify one organisation (pure functions, no database).

Since decision 0013 the published figures are **perturbed by the cell-key method** (:func:`count_noise`,
:func:`amount_noise`, :func:`perturb_count`, :func:`perturb_amount`): each figure moves by a small amount fixed by
the keys of the records it counts, so the same records always give the same published figure (in any cell, at any
refresh) and no sum, difference or repetition averages the noise away. A cell is *secret* (one label) when its
perturbed number of associations is under ``MIN_ASSOCIATIONS``, or when the auditor (:mod:`.audit`) hides it; an
amount when it has fewer than ``MIN_CONTRIBUTORS`` givers.

The rules below (:func:`decide`, primary and secondary suppression) were the method until decision 0013; they are
kept because the auditor's tests show what an outsider recovers from them.

Former rules (docs/observatory.md before 0013):
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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from maillage.observatory.duckdb_sql import KEY_SPACE
from maillage.observatory.indicators import DOMINANCE_SHARE, MIN_ASSOCIATIONS, MIN_CONTRIBUTORS, MONEY_ROUNDING

Key = tuple[Any, ...]  # a cell: (indicator, level, code…), as the refresh builds them


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
    values: Mapping[Key, float],
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


# --- The cell-key method (decision 0013) ---------------------------------------------------------------------

# Perturbation of a count: d in -COUNT_NOISE..COUNT_NOISE with these probabilities (mean 0, variance 1.2), chosen
# by the cell key. The table is public (the protection does not rest on hiding it): an outsider knows that a
# published count is within ±COUNT_NOISE of the truth, and nothing narrower unless relations cross (the auditor).
COUNT_NOISE = 2
COUNT_TABLE = ((-2, 0.1), (-1, 0.2), (0, 0.4), (1, 0.2), (2, 0.1))
# Perturbation of an amount: ± a share of its largest giver's total, between AMOUNT_NOISE_MIN and AMOUNT_NOISE_MAX
# (never under the minimum: the largest giver's amount cannot be read back within ±10 %).
AMOUNT_NOISE_MIN = 0.10
AMOUNT_NOISE_MAX = 0.30
# Each figure has its own offset on the key circle: two figures counting the same records (every association
# has a local-authority partner) move independently, so "equal" published figures do not say "all".
GOLDEN = 0.6180339887498949


def key_fraction(cell_key: int, slot: int) -> float:
    """The cell key as a fraction of [0, 1), shifted per figure (``slot``)."""
    return (cell_key % KEY_SPACE / KEY_SPACE + slot * GOLDEN) % 1.0


def count_noise(cell_key: int, slot: int = 0) -> int:
    u = key_fraction(cell_key, slot)
    cumulative = 0.0
    for value, probability in COUNT_TABLE:
        cumulative += probability
        if u < cumulative:
            return value
    return COUNT_TABLE[-1][0]


def perturb_count(value: int, cell_key: int, slot: int = 0) -> int:
    """The published count: a true zero stays zero; any other moves by the cell's noise, never below zero."""
    value = int(value or 0)
    if value == 0:
        return 0
    return max(0, value + count_noise(cell_key, slot))


def amount_noise(cell_key: int, slot: int = 0) -> float:
    """A signed share in ±[AMOUNT_NOISE_MIN, AMOUNT_NOISE_MAX], fixed by the gifts' cell key."""
    u = key_fraction(cell_key, slot)
    sign = -1.0 if u < 0.5 else 1.0
    spread = (u * 2) % 1.0
    return sign * (AMOUNT_NOISE_MIN + (AMOUNT_NOISE_MAX - AMOUNT_NOISE_MIN) * spread)


def perturb_amount(amount: Amount, cell_key: int, slot: int = 0) -> int:
    """The published amount: total ± a share of the largest giver's total, rounded to MONEY_ROUNDING euros."""
    if amount.total <= 0:
        return 0
    return max(0, round_money(amount.total + amount_noise(cell_key, slot) * amount.top))


def amount_is_publishable(amount: Amount | None) -> bool:
    """Enough givers for the amount to be shown (zero is shown: it identifies nobody)."""
    return amount is None or amount.total <= 0 or amount.givers >= MIN_CONTRIBUTORS


def count_is_publishable(perturbed_associations: int) -> bool:
    return perturbed_associations >= MIN_ASSOCIATIONS


# --- The same perturbation on arrays (the refresh's path: one operation per figure, not per cell) -------------

_COUNT_VALUES = np.asarray([value for value, _ in COUNT_TABLE], dtype=np.float64)
_COUNT_CUMULATIVE = np.cumsum([probability for _, probability in COUNT_TABLE])


def key_fractions(cell_keys: np.ndarray, slot: int) -> np.ndarray:
    """:func:`key_fraction` of every cell key at once (NaN keys give NaN)."""
    return (np.mod(cell_keys, KEY_SPACE) / KEY_SPACE + slot * GOLDEN) % 1.0


def perturb_counts(values: np.ndarray, cell_keys: np.ndarray, slot: int = 0) -> np.ndarray:
    """:func:`perturb_count` of every cell at once; NaN (no figure) stays NaN."""
    u = key_fractions(np.nan_to_num(cell_keys), slot)
    noise = _COUNT_VALUES[np.minimum(np.searchsorted(_COUNT_CUMULATIVE, u, side="right"), len(_COUNT_VALUES) - 1)]
    out = np.maximum(0.0, values + noise)
    return np.where(values == 0, 0.0, out)


def perturb_amounts(total: np.ndarray, top: np.ndarray, cell_keys: np.ndarray, slot: int = 0) -> np.ndarray:
    """:func:`perturb_amount` of every cell at once (whole euros, rounded to ``MONEY_ROUNDING``)."""
    u = key_fractions(np.nan_to_num(cell_keys), slot)
    share = np.where(u < 0.5, -1.0, 1.0) * (AMOUNT_NOISE_MIN + (AMOUNT_NOISE_MAX - AMOUNT_NOISE_MIN) * ((u * 2) % 1.0))
    published = np.maximum(0.0, np.round((total + share * top) / MONEY_ROUNDING) * MONEY_ROUNDING)
    return np.where(total <= 0, 0.0, published)
