"""The disclosure auditor: what an outsider can deduce from the published figures (pure functions, no database).

It plays the attacker of issue 23 (decision 0013): every linear relation an outsider can write between published
cells (a territory is the sum of its parts, an "all causes" cell the sum of its causes and of its bands, a
département the sum of its EPCIs when they lie inside it), the bounds the labels give (a published count is within
the public noise of the truth, a secret cell holds at least one association, an absent cell none), and, across
snapshots, the exact change of every cell between two refreshes (the worst case: an outsider who made the changes
or knows them). Interval propagation tightens every cell's bounds until nothing moves; a *finding* is a protected
quantity whose interval is narrower than its protection interval:

- the number of associations of a **secret** cell: the interval must hold more than ``COUNT_PROTECTION`` values
  apart (an outsider cannot tell 1 from 4);
- the total of a kind of gift in a cell, whether published or secret: the interval must be at least
  ``2 × AMOUNT_PROTECTION`` of the cell's largest giver's total wide (no single giver read within ±10 %).

Interval propagation is weaker than linear programming (it never combines two relations into a third), so the
auditor also writes the relation an outsider derives most easily, département = Σ EPCIs inside it (+ communes in
no EPCI). The refresh runs :func:`audit` before writing anything and keeps the report with the run.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np

from maillage.observatory.disclosure import AMOUNT_NOISE_MAX, COUNT_NOISE, Relation
from maillage.observatory.indicators import MIN_ASSOCIATIONS, MONEY_ROUNDING

Key = tuple[Any, ...]  # a cell, as the refresh builds them
INF = math.inf
COUNT_PROTECTION = 3  # a secret count's interval must be at least 3 wide: 4 possible values or more
AMOUNT_PROTECTION = 0.10  # ±10 % of the largest giver's total
MAX_SWEEPS = 200  # interval propagation over cycles can creep; stop after this many sweeps (still sound)


@dataclass
class Equation:
    """``parent = Σ children + remainder``, remainder in [rest_lo, rest_hi] (0, 0 when the outsider knows it is
    empty)."""

    parent: Key
    children: list[Key]
    rest_lo: float = 0.0
    rest_hi: float = 0.0


@dataclass
class Finding:
    measure: str  # "associations" or a kind of gift
    key: Key
    low: float
    high: float
    truth: float
    protection: float

    def as_dict(self) -> dict:
        return {
            "measure": self.measure,
            "cell": list(self.key) if isinstance(self.key, tuple) else self.key,
            "interval": [self.low, self.high if self.high != INF else None],
            "truth": self.truth,
            "protection": self.protection,
        }


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)
    exact: int = 0  # findings whose interval is a single value
    errors: int = 0  # intervals that do not hold the truth (a bug of the auditor, never expected)

    @property
    def ok(self) -> bool:
        return not self.findings

    def as_dict(self, limit: int = 50) -> dict:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "findings": len(self.findings),
            "exact": self.exact,
            "errors": self.errors,
            "examples": [f.as_dict() for f in self.findings[:limit]],
        }


class System:
    """The relations as arrays over the cells (index ``keys``): equation ``e`` is ``keys[parent[e]] = Σ
    keys[child_key[t]] for t with child_eq[t] == e (+ remainder)``. Built once per table, reused by every measure,
    every round of the refresh's hiding and every snapshot."""

    def __init__(self, keys: Iterable[Key], relations: Iterable) -> None:
        self.keys: list[Key] = list(dict.fromkeys(keys))
        self.index: dict[Key, int] = {key: i for i, key in enumerate(self.keys)}
        parents: list[int] = []
        child_eq: list[int] = []
        child_key: list[int] = []
        at = self._at
        index_get = self.index.get
        for relation in relations:
            e = len(parents)
            parents.append(at(relation.parent))
            found = [index_get(child) for child in relation.children]
            kids = [at(child) for child in relation.children] if None in found else cast(list[int], found)
            child_eq.extend([e] * len(kids))
            child_key.extend(kids)
        self.relations = len(parents)
        self.parent = np.asarray(parents, dtype=np.int64)
        self.child_eq = np.asarray(child_eq, dtype=np.int64)
        self.child_key = np.asarray(child_key, dtype=np.int64)
        # Every term (parents first, then children) sorted by cell, to take each cell's tightest bound at once.
        targets = np.concatenate([self.parent, self.child_key])
        self.order = np.argsort(targets, kind="stable")
        sorted_targets = targets[self.order]
        self.starts = (
            np.flatnonzero(np.r_[True, sorted_targets[1:] != sorted_targets[:-1]]) if len(targets) else targets
        )
        self.touched = sorted_targets[self.starts] if len(targets) else targets

    def equations_of(self, position: int) -> np.ndarray:
        """The equations a cell is a term of (once per occurrence)."""
        at = int(np.searchsorted(self.touched, position))
        if at >= len(self.touched) or self.touched[at] != position:
            return np.zeros(0, dtype=np.int64)
        end = self.starts[at + 1] if at + 1 < len(self.starts) else len(self.order)
        terms = self.order[self.starts[at] : end]
        return np.where(terms < self.relations, terms, self.child_eq[np.maximum(terms - self.relations, 0)])

    def children_of(self, equation: int) -> np.ndarray:
        begin, end = np.searchsorted(self.child_eq, [equation, equation + 1])
        return self.child_key[begin:end]

    def _at(self, key: Key) -> int:
        position = self.index.get(key)
        if position is None:
            position = self.index[key] = len(self.keys)
            self.keys.append(key)
        return position

    @property
    def size(self) -> int:
        return len(self.keys)

    def vector(self, values: Mapping[Key, float], default: float = 0.0) -> np.ndarray:
        out = np.full(self.size, default, dtype=np.float64)
        for key, value in values.items():
            position = self.index.get(key)
            if position is not None and value is not None:
                out[position] = value
        return out

    def rest_high(self, values: np.ndarray) -> np.ndarray:
        """Per equation, the remainder's upper bound as an outsider knows it: 0 when the children hold all the
        parent's value (worst case: the outsider knows it), else unbounded."""
        if not self.relations:
            return np.zeros(0)
        children = np.bincount(self.child_eq, weights=values[self.child_key], minlength=self.relations)
        rest = values[self.parent] - children
        return np.where(rest <= 1e-9, 0.0, INF)


def propagate_arrays(
    system: System,
    low: np.ndarray,
    high: np.ndarray,
    rest_high: np.ndarray,
    *,
    integral: bool,
    rest_low: np.ndarray | None = None,
) -> None:
    """Tighten ``low``/``high`` (modified in place) with every equation at once, sweep after sweep, until nothing
    moves by more than the tolerance (or ``MAX_SWEEPS``: every intermediate result is sound)."""
    if not system.relations:
        return
    tolerance = 0.5  # counts: a whole association; amounts: half a euro (finer moves only creep around cycles)
    n_eq = system.relations
    parent, child_eq, child_key = system.parent, system.child_eq, system.child_key
    rest_lo = np.zeros(n_eq) if rest_low is None else rest_low
    rest_inf = np.isinf(rest_high)
    rest_hi_finite = np.where(rest_inf, 0.0, rest_high)
    for _ in range(MAX_SWEEPS):
        c_lo = low[child_key]
        c_hi = high[child_key]
        c_inf = np.isinf(c_hi)
        c_hi_finite = np.where(c_inf, 0.0, c_hi)
        sum_lo = np.bincount(child_eq, weights=c_lo, minlength=n_eq) + rest_lo
        sum_hi_finite = np.bincount(child_eq, weights=c_hi_finite, minlength=n_eq) + rest_hi_finite
        n_inf = np.bincount(child_eq, weights=c_inf, minlength=n_eq) + rest_inf
        sum_hi = np.where(n_inf > 0, INF, sum_hi_finite)
        p_lo = low[parent][child_eq]
        p_hi = high[parent][child_eq]
        others_inf = (n_inf[child_eq] - c_inf) > 0
        with np.errstate(invalid="ignore"):
            kid_lo = np.where(others_inf, -INF, p_lo - (sum_hi_finite[child_eq] - c_hi_finite))
            kid_hi = p_hi - (sum_lo[child_eq] - c_lo)  # an unbounded parent leaves the child unbounded
        new_lo = np.concatenate([sum_lo, kid_lo])[system.order]
        new_hi = np.concatenate([sum_hi, kid_hi])[system.order]
        best_lo = np.maximum.reduceat(new_lo, system.starts)
        best_hi = np.minimum.reduceat(new_hi, system.starts)
        if integral:
            best_lo = np.ceil(best_lo - 1e-9)
            best_hi = np.floor(best_hi + 1e-9)
        cells = system.touched
        up = best_lo > low[cells] + tolerance
        down = best_hi < high[cells] - tolerance
        if not up.any() and not down.any():
            break
        low[cells[up]] = best_lo[up]
        high[cells[down]] = best_hi[down]


def propagate(bounds: dict[Key, list[float]], equations: list[Equation], *, integral: bool) -> dict[Key, list[float]]:
    """Tighten ``bounds`` ({key: [low, high]}, modified in place) with every equation until nothing moves."""
    system = System(bounds, [Relation(eq.parent, eq.children) for eq in equations])
    low = np.zeros(system.size)
    high = np.full(system.size, INF)
    for key, (lo, hi) in bounds.items():
        position = system.index[key]
        low[position], high[position] = lo, hi
    rest_lo = np.asarray([eq.rest_lo for eq in equations], dtype=np.float64)
    rest_hi = np.asarray([eq.rest_hi for eq in equations], dtype=np.float64)
    propagate_arrays(system, low, high, rest_hi, integral=integral, rest_low=rest_lo)
    for position, key in enumerate(system.keys):
        bounds[key] = [float(low[position]), float(high[position])]
    return bounds


def across_snapshots(
    current: dict[Key, list[float]],
    previous: dict[Key, list[float]],
    change: dict[Key, float],
) -> dict[Key, list[float]]:
    """Intersect each cell's interval with the previous snapshot's, shifted by the cell's true change (the outsider
    who knows every change between the two refreshes). Modifies and returns ``current``."""
    for key, (low, high) in previous.items():
        if key not in current or key not in change:
            continue
        delta = change[key]
        mine = current[key]
        mine[0] = max(mine[0], low + delta)
        mine[1] = min(mine[1], high + delta)
    return current


# --- What an outsider reads in a published table ---------------------------------------------------------------


@dataclass
class Published:
    """A published table as an outsider reads it: per cell, the associations (None: secret) and per kind of gift
    the amount (None: secret; a cell absent from ``amounts[kind]`` is secret too when the cell is)."""

    associations: dict[Key, int | None]
    amounts: dict[str, dict[Key, int | None]]
    method: str = "cell-key"  # or "legacy": exact figures, secret labelled primary (1–4) / secondary (≥ 5)
    primary: set[Key] = field(default_factory=set)  # legacy only


def count_bounds(table: Published) -> dict[Key, list[float]]:

    bounds: dict[Key, list[float]] = {}
    for key, value in table.associations.items():
        if table.method == "legacy":
            if value is not None:
                bounds[key] = [value, value]
            elif key in table.primary:
                bounds[key] = [1, MIN_ASSOCIATIONS - 1]
            else:
                bounds[key] = [MIN_ASSOCIATIONS, INF]
        elif value is not None:
            bounds[key] = [max(1, value - COUNT_NOISE), value + COUNT_NOISE]
        else:
            bounds[key] = [1, INF]  # the cell exists: at least one association
    return bounds


def amount_bounds(table: Published, kind: str) -> dict[Key, list[float]]:

    half = MONEY_ROUNDING / 2
    bounds: dict[Key, list[float]] = {}
    published = table.amounts.get(kind, {})
    for key, count in table.associations.items():
        value = published.get(key) if count is not None else None
        if value is None:
            bounds[key] = [0.0, INF]
        elif table.method == "legacy":
            bounds[key] = [max(0.0, value - half), value + half]
        else:  # published = total + m × top, |m| ≤ M, 0 < top ≤ total, then rounded
            bounds[key] = [max(0.0, (value - half) / (1 + AMOUNT_NOISE_MAX)), (value + half) / (1 - AMOUNT_NOISE_MAX)]
    return bounds


def equations_for(relations, values: Mapping[Key, float], extra: Iterable = ()) -> list[Equation]:
    """Equations from the refresh's relations (parent, children); the remainder is known empty to the outsider
    when it is (worst case), otherwise only non-negative."""
    out = []
    for relation in [*relations, *extra]:
        rest = values.get(relation.parent, 0) - sum(values.get(c, 0) for c in relation.children)
        out.append(Equation(relation.parent, list(relation.children), 0.0, 0.0 if rest <= 1e-9 else INF))
    return out


# --- The auditor on arrays (the refresh's path; the dict functions above are its readable reference) ----------


@dataclass
class Tables:
    """A published table as arrays over a :class:`System`'s cells: ``counts`` and ``amounts[kind]`` hold the
    published figure, NaN when secret; ``listed`` marks the cells the table lists (a cell it does not list holds
    no association: bounds [0, ∞) are still sound)."""

    listed: np.ndarray
    counts: np.ndarray
    amounts: dict[str, np.ndarray]
    method: str = "cell-key"
    primary: np.ndarray | None = None  # legacy only: bool per cell

    def copy(self) -> Tables:
        return Tables(
            self.listed, self.counts.copy(), {k: v.copy() for k, v in self.amounts.items()}, self.method, self.primary
        )


def count_bounds_arrays(table: Tables) -> tuple[np.ndarray, np.ndarray]:
    values = table.counts
    secret = table.listed & np.isnan(values)
    shown = table.listed & ~np.isnan(values)
    low = np.zeros(len(values))
    high = np.full(len(values), INF)
    if table.method == "legacy":
        primary = table.primary if table.primary is not None else np.zeros(len(values), dtype=bool)
        low[shown] = high[shown] = values[shown]
        low[secret & primary] = 1
        high[secret & primary] = MIN_ASSOCIATIONS - 1
        low[secret & ~primary] = MIN_ASSOCIATIONS
    else:
        low[shown] = np.maximum(1, values[shown] - COUNT_NOISE)
        high[shown] = values[shown] + COUNT_NOISE
        low[secret] = 1  # the cell exists: at least one association
    return low, high


def amount_bounds_arrays(table: Tables, kind: str) -> tuple[np.ndarray, np.ndarray]:
    half = MONEY_ROUNDING / 2
    size = len(table.counts)
    values = table.amounts.get(kind, np.full(size, np.nan))
    shown = table.listed & ~np.isnan(table.counts) & ~np.isnan(values)
    low = np.zeros(size)
    high = np.full(size, INF)
    if table.method == "legacy":
        low[shown] = np.maximum(0.0, values[shown] - half)
        high[shown] = values[shown] + half
    else:  # published = total + m × top, |m| ≤ M, 0 < top ≤ total, then rounded
        low[shown] = np.maximum(0.0, (values[shown] - half) / (1 + AMOUNT_NOISE_MAX))
        high[shown] = (values[shown] + half) / (1 - AMOUNT_NOISE_MAX)
    return low, high


Bounds = dict[str, tuple[np.ndarray, np.ndarray]]  # measure → (low, high) per cell


class Auditor:
    """Interval propagation over a fixed system and truth, for any published table of those cells.

    ``truth_counts``: associations per cell; ``truth_amounts``: {kind: (total, largest giver's total)} per cell
    (zeros where no gift). ``prior`` bounds (the previous snapshots', shifted by the true change) are intersected
    with the table's own before propagating: the outsider who keeps every published snapshot."""

    def __init__(
        self, system: System, truth_counts: np.ndarray, truth_amounts: dict[str, tuple[np.ndarray, np.ndarray]]
    ):
        self.system = system
        self.truth_counts = truth_counts
        self.truth_amounts = truth_amounts
        self.rest_counts = system.rest_high(truth_counts)
        self.rest_amounts = {kind: system.rest_high(total) for kind, (total, _top) in truth_amounts.items()}

    def audit(self, table: Tables, prior: Bounds | None = None) -> tuple[Report, Bounds]:
        report = Report()
        keys = self.system.keys
        found: Bounds = {}
        low, high = count_bounds_arrays(table)
        self._intersect(low, high, prior, "associations")
        propagate_arrays(self.system, low, high, self.rest_counts, integral=True)
        found["associations"] = (low, high)
        protected = table.listed & np.isnan(table.counts)
        truth = self.truth_counts
        report.checked["associations"] = int(protected.sum())
        report.errors += int((protected & ((truth < low - 1e-9) | (truth > high + 1e-9))).sum())
        for position in np.flatnonzero(protected & (high - low < COUNT_PROTECTION)):
            lo, hi = float(low[position]), float(high[position])
            report.findings.append(
                Finding("associations", keys[position], lo, hi, float(truth[position]), COUNT_PROTECTION)
            )
            report.exact += lo == hi
        for kind, (total, top) in self.truth_amounts.items():
            low, high = amount_bounds_arrays(table, kind)
            self._intersect(low, high, prior, kind)
            propagate_arrays(self.system, low, high, self.rest_amounts[kind], integral=False)
            found[kind] = (low, high)
            checked = table.listed & (total > 0)
            report.checked[kind] = int(checked.sum())
            report.errors += int((checked & ((total < low - 0.01) | (total > high + 0.01))).sum())
            if prior and f"top_{kind}" in prior:
                # Across snapshots the outsider is assumed to know every change, hence the new gifts: what is left
                # to protect is the givers already there (at most the previous snapshot's largest).
                top = np.fmin(top, prior[f"top_{kind}"][0])
            protection = 2 * AMOUNT_PROTECTION * top
            for position in np.flatnonzero(checked & (high - low < protection)):
                lo, hi = float(low[position]), float(high[position])
                report.findings.append(
                    Finding(kind, keys[position], lo, hi, float(total[position]), float(protection[position]))
                )
                report.exact += hi - lo < 1
        return report, found

    @staticmethod
    def _intersect(low: np.ndarray, high: np.ndarray, prior: Bounds | None, measure: str) -> None:
        if prior and measure in prior:
            before_low, before_high = prior[measure]
            np.maximum(low, before_low, out=low)
            np.minimum(high, before_high, out=high)


def tables_of(system: System, table: Published, kinds: Iterable[str] = ()) -> Tables:
    size = system.size
    listed = np.zeros(size, dtype=bool)
    counts = np.full(size, np.nan)
    for key, value in table.associations.items():
        position = system.index[key]
        listed[position] = True
        if value is not None:
            counts[position] = value
    amounts = {}
    for kind in {*kinds, *table.amounts}:
        values = np.full(size, np.nan)
        for key, value in table.amounts.get(kind, {}).items():
            at = system.index.get(key)
            if at is not None and value is not None:
                values[at] = value
        amounts[kind] = values
    primary = None
    if table.method == "legacy":
        primary = np.zeros(size, dtype=bool)
        for key in table.primary:
            if key in system.index:
                primary[system.index[key]] = True
    return Tables(listed, counts, amounts, table.method, primary)


def auditor_of(table: Published, truth_counts: Mapping[Key, int], truth_amounts: dict, relations) -> Auditor:
    """An :class:`Auditor` from dicts: ``truth_amounts`` is {kind: {key: Amount}}."""
    system = System(table.associations, relations)
    amounts = {
        kind: (
            system.vector({k: a.total for k, a in by_key.items()}),
            system.vector({k: a.top for k, a in by_key.items()}),
        )
        for kind, by_key in truth_amounts.items()
    }
    return Auditor(system, system.vector(truth_counts), amounts)


def audit_publication(table: Published, truth_counts: dict[Key, int], truth_amounts: dict, relations) -> Report:
    """Every finding on a published table. ``truth_amounts``: {kind: {key: Amount}}; ``relations``: the refresh's
    relations plus the outsider's own (:func:`refresh.outsider_relations`)."""
    auditor = auditor_of(table, truth_counts, truth_amounts, relations)
    report, _ = auditor.audit(tables_of(auditor.system, table, truth_amounts))
    return report
