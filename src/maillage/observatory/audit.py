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
# A sub-count (with a local-authority partner…) or its complement (without one), published or secret, is never
# known exactly: at least two possible values, so that no "all", "none" or "exactly one" of a cell is certain.
SUB_PROTECTION = 1
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
        self._index_terms(
            np.asarray(parents, dtype=np.int64),
            np.asarray(child_eq, dtype=np.int64),
            np.asarray(child_key, dtype=np.int64),
        )

    def _index_terms(self, parent: np.ndarray, child_eq: np.ndarray, child_key: np.ndarray) -> None:
        self.relations = len(parent)
        self.parent = parent
        self.child_eq = child_eq
        self.child_key = child_key
        # Every term (parents first, then children) sorted by cell, to take each cell's tightest bound at once.
        targets = np.concatenate([self.parent, self.child_key])
        self.order = np.argsort(targets, kind="stable")
        sorted_targets = targets[self.order]
        self.starts = (
            np.flatnonzero(np.r_[True, sorted_targets[1:] != sorted_targets[:-1]]) if len(targets) else targets
        )
        self.touched = sorted_targets[self.starts] if len(targets) else targets
        self._sweep_terms: SweepTerms | None = None

    def sweep_terms(self) -> SweepTerms:
        """The terms grouped as :func:`propagate_arrays` reads them (built once, reused by every propagation)."""
        if self._sweep_terms is None:
            self._sweep_terms = SweepTerms(self)
        return self._sweep_terms

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


class SweepTerms:
    """A system's terms as a sweep of :func:`propagate_arrays` reads them: each cell's terms by rank (0: its first),
    so that a cell's tightest bound is taken over its few terms by a handful of whole-array maxima instead of one
    ``reduceat`` segment per cell; and each equation's children, to sweep only the equations a move touched."""

    def __init__(self, system: System) -> None:
        per_cell = np.diff(np.r_[system.starts, len(system.order)]).astype(np.int64)
        self.max_rank = int(per_cell.max(initial=0))
        self.first_terms = system.order[system.starts] if len(per_cell) else per_cell
        self.ranked = []  # (touched cells with more than r terms, their r-th term), r ≥ 1
        for rank in range(1, self.max_rank):
            cells = np.flatnonzero(per_cell > rank)
            self.ranked.append((cells, system.order[system.starts[cells] + rank]))
        # Per term (the equations' parents, then their children): its cell, its rank there, its equation.
        self.term_cell = np.concatenate([system.parent, system.child_key])
        self.term_rank = np.empty(len(system.order), dtype=np.int64)
        self.term_rank[system.order] = np.arange(len(system.order)) - np.repeat(system.starts, per_cell)
        self.term_eq = np.concatenate([np.arange(system.relations), system.child_eq])
        self.kids = np.bincount(system.child_eq, minlength=system.relations)
        self.first_kid = np.cumsum(self.kids) - self.kids


def _tightest(ufunc: np.ufunc, candidates: np.ndarray, terms: SweepTerms) -> np.ndarray:
    """Per touched cell (``System.touched`` order), ``ufunc`` (maximum or minimum) over its terms' candidates."""
    best = candidates[terms.first_terms]
    for cells, ranked in terms.ranked:
        best[cells] = ufunc(best[cells], candidates[ranked])
    return best


def _per_equation(values: np.ndarray, n: int, with_kids: np.ndarray, firsts: np.ndarray) -> np.ndarray:
    """Σ over each equation's children (``values``: one row per child, grouped by equation; ``firsts``: where the
    equations ``with_kids`` begin); 0 for an equation without children."""
    out = np.zeros((n, values.shape[1]), dtype=values.dtype)
    if len(with_kids):
        out[with_kids] = np.add.reduceat(values, firsts, axis=0)
    return out


# A sweep recomputes only the equations a term of which moved in the sweep before; when more than this share did,
# it recomputes them all (the grouping by cell is then precomputed).
SPARSE_SWEEP = 0.5


def propagate_arrays(
    system: System,
    low: np.ndarray,
    high: np.ndarray,
    rest_high: np.ndarray,
    *,
    integral: bool,
    rest_low: np.ndarray | None = None,
    couplings: Iterable[tuple[int, list[int]]] = (),
) -> None:
    """Tighten ``low``/``high`` (modified in place) with every equation at once, sweep after sweep, until nothing
    moves by more than the tolerance (or ``MAX_SWEEPS``: every intermediate result is sound).

    ``low``/``high`` are one measure per cell, or several (``(layers, cells)``: every measure sums over the same
    relations, ``rest_high`` then per layer and equation); ``couplings`` tie layers cell by cell, ``(p, [c₁…])``
    meaning layer p = Σ layers c in every cell (associations = with a company partner + without one).

    Each sweep computes every equation's bounds from the previous sweep's (Jacobi), but only for the equations one
    of whose terms moved in the previous sweep, and the couplings only in the cells that moved since they last saw
    them: an equation (or a cell's couplings) whose terms did not move gives the bounds it gave before, which did
    not tighten anything beyond the tolerance then and cannot now (bounds only tighten). So the result is the one
    of sweeping everything, sweep for sweep, at a fraction of the cost (issue 23: national scale)."""
    couplings = list(couplings)
    if not system.size or (not system.relations and not couplings):
        return
    # Cells × layers, each layer a column: every step below works on whole rows of layers at once.
    # Counts in float32 (half the memory to move) while every bound is an integer far below 2**24, where float32 is
    # exact even summed over a few children; amounts, and any larger count, in float64.
    finite = np.concatenate([low[np.isfinite(low)], high[np.isfinite(high)], [0.0]])
    dtype = np.float32 if integral and np.abs(finite).max() < 2**22 else np.float64
    by_cell_low = np.ascontiguousarray(low.reshape(-1, system.size).T, dtype=dtype)
    by_cell_high = np.ascontiguousarray(high.reshape(-1, system.size).T, dtype=dtype)
    layers = by_cell_low.shape[1]
    tolerance = 0.5  # counts: a whole association; amounts: half a euro (finer moves only creep around cycles)
    n_eq = system.relations
    terms = system.sweep_terms()
    rest_high = np.broadcast_to(rest_high.reshape(-1, n_eq).T.astype(dtype), (n_eq, layers))
    rest_lo_all = (
        np.zeros((n_eq, layers), dtype=dtype)
        if rest_low is None
        else np.broadcast_to(rest_low[:, None].astype(dtype), (n_eq, layers))
    )
    rest_inf_all = np.isinf(rest_high)
    rest_hi_finite_all = np.where(rest_inf_all, 0.0, rest_high)
    active = np.ones(layers, dtype=bool)  # the layers that moved last sweep (the others are settled)
    dirty = np.ones(n_eq, dtype=bool)  # the equations a term of which moved last sweep (all, at first)
    unsettled = np.ones(system.size, dtype=bool)  # the cells the couplings must see again (all, at first)
    moved_cells = np.zeros(system.size, dtype=bool)
    for _ in range(MAX_SWEEPS):
        rows = np.flatnonzero(active)
        every_row = len(rows) == layers
        active = np.zeros(layers, dtype=bool)
        moved_cells[:] = False
        if n_eq and len(rows) and dirty.any():
            if every_row:  # views: updated in place
                lo, hi = by_cell_low, by_cell_high
            else:
                lo, hi = by_cell_low[:, rows], by_cell_high[:, rows]
            equations = np.flatnonzero(dirty)
            every_equation = len(equations) > SPARSE_SWEEP * n_eq
            if every_equation:
                kids = terms.kids
                child_at: slice | np.ndarray = slice(None)
                parents = system.parent
                rest = (rest_lo_all, rest_inf_all, rest_hi_finite_all)
            else:  # the children of the dirty equations, in order
                kids = terms.kids[equations]
                ends = np.cumsum(kids)
                child_at = np.repeat(terms.first_kid[equations] - (ends - kids), kids) + np.arange(ends[-1])
                parents = system.parent[equations]
                rest = (rest_lo_all[equations], rest_inf_all[equations], rest_hi_finite_all[equations])
            rest_lo, rest_inf, rest_hi_finite = rest if every_row else (r[:, rows] for r in rest)
            child_key = system.child_key[child_at]
            term_eq = np.repeat(np.arange(len(kids)), kids)
            with_kids = np.flatnonzero(kids)
            firsts = (np.cumsum(kids) - kids)[with_kids]

            def per_equation(values: np.ndarray) -> np.ndarray:
                return _per_equation(values, len(kids), with_kids, firsts)  # noqa: B023 (used in this sweep only)

            c_lo = lo[child_key]
            c_hi = hi[child_key]
            c_inf = np.isinf(c_hi)
            c_hi_finite = np.where(c_inf, 0.0, c_hi)
            sum_lo = per_equation(c_lo) + rest_lo
            sum_hi_finite = per_equation(c_hi_finite) + rest_hi_finite
            n_inf = per_equation(c_inf.astype(dtype)) + rest_inf
            sum_hi = np.where(n_inf > 0, INF, sum_hi_finite)
            parent_of_term = parents[term_eq]
            # Per term, the equations' parents then their children: [Σ children] for a parent, [parent − the
            # others] for a child (written in place: the same operations as p − (Σ − c), in the same order).
            candidates_lo = np.empty((len(kids) + len(c_lo), len(rows)), dtype=dtype)
            candidates_hi = np.empty_like(candidates_lo)
            candidates_lo[: len(kids)] = sum_lo
            candidates_hi[: len(kids)] = sum_hi
            kid_lo, kid_hi = candidates_lo[len(kids) :], candidates_hi[len(kids) :]
            others = sum_hi_finite[term_eq]
            others -= c_hi_finite
            with np.errstate(invalid="ignore"):
                np.subtract(lo[parent_of_term], others, out=kid_lo)
                np.copyto(kid_lo, -INF, where=n_inf[term_eq] > c_inf)  # another term unbounded: nothing
                others = sum_lo[term_eq]
                others -= c_lo
                np.subtract(hi[parent_of_term], others, out=kid_hi)  # an unbounded parent leaves it unbounded
            if every_equation:
                cells = system.touched
                best_lo = _tightest(np.maximum, candidates_lo, terms)
                best_hi = _tightest(np.minimum, candidates_hi, terms)
            else:  # the same over the dirty equations' terms only, rank by rank (a cell's terms have distinct ranks)
                term_ids = np.concatenate([equations, n_eq + np.arange(len(system.child_key))[child_at]])
                cells, slot = np.unique(terms.term_cell[term_ids], return_inverse=True)
                ranks = terms.term_rank[term_ids]
                best_lo = np.full((len(cells), len(rows)), -INF, dtype=dtype)
                best_hi = np.full((len(cells), len(rows)), INF, dtype=dtype)
                for rank in range(terms.max_rank):
                    at = np.flatnonzero(ranks == rank)
                    if len(at):
                        best_lo[slot[at]] = np.maximum(best_lo[slot[at]], candidates_lo[at])
                        best_hi[slot[at]] = np.minimum(best_hi[slot[at]], candidates_hi[at])
            if integral:
                best_lo = np.ceil(best_lo - 1e-9)
                best_hi = np.floor(best_hi + 1e-9)
            now_lo, now_hi = lo[cells], hi[cells]
            up = best_lo > now_lo + tolerance
            down = best_hi < now_hi - tolerance
            moved = up.any(axis=0) | down.any(axis=0)
            if moved.any():
                lo[cells] = np.where(up, best_lo, now_lo)
                hi[cells] = np.where(down, best_hi, now_hi)
                if not every_row:
                    by_cell_low[:, rows] = lo
                    by_cell_high[:, rows] = hi
                moved_cells[cells[(up | down).any(axis=1)]] = True
            active[rows[moved]] = True
        if couplings:
            unsettled |= moved_cells
            # A cell's couplings give nothing new unless its bounds moved since they last saw it (their own moves
            # included: one pass of them is not a fixed point).
            which = np.flatnonzero(unsettled)
            layer_low, layer_high = by_cell_low[which].T.copy(), by_cell_high[which].T.copy()  # layers × cells
            before_low, before_high = layer_low.copy(), layer_high.copy()
            for whole, parts in couplings:
                for layer in _couple(layer_low, layer_high, whole, parts, tolerance, integral):
                    active[layer] = True
            unsettled[:] = False
            unsettled[which] = ((layer_low != before_low) | (layer_high != before_high)).any(axis=0)
            by_cell_low[which], by_cell_high[which] = layer_low.T, layer_high.T
            moved_cells |= unsettled
        if not active.any():
            break
        dirty[:] = False
        dirty[terms.term_eq[moved_cells[terms.term_cell]]] = True
    low.reshape(-1, system.size)[:] = by_cell_low.T
    high.reshape(-1, system.size)[:] = by_cell_high.T


def _couple(
    lows: np.ndarray, highs: np.ndarray, whole: int, parts: list[int], tolerance: float, integral: bool
) -> list[int]:
    """Layer ``whole`` = Σ layers ``parts`` in every cell: tighten each side from the others; return the layers
    whose bounds moved."""
    moved = []
    with np.errstate(invalid="ignore"):
        candidates = [(whole, lows[parts].sum(axis=0), highs[parts].sum(axis=0))]
        for part in parts:
            others = [p for p in parts if p != part]
            candidates.append((part, lows[whole] - highs[others].sum(axis=0), highs[whole] - lows[others].sum(axis=0)))
    for layer, new_lo, new_hi in candidates:
        if integral:
            new_lo, new_hi = np.ceil(new_lo - 1e-9), np.floor(new_hi + 1e-9)
        up = new_lo > lows[layer] + tolerance
        down = new_hi < highs[layer] - tolerance
        if up.any() or down.any():
            moved.append(layer)
            lows[layer] = np.where(up, new_lo, lows[layer])
            highs[layer] = np.where(down, new_hi, highs[layer])
    return moved


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
    subs: dict[str, dict[Key, int | None]] = field(default_factory=dict)  # sub-counts (None: secret or absent)


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
    subs: dict[str, np.ndarray] = field(default_factory=dict)  # sub-counts (NaN: secret), hidden with their cell

    def copy(self) -> Tables:
        return Tables(
            self.listed,
            self.counts.copy(),
            {k: v.copy() for k, v in self.amounts.items()},
            self.method,
            self.primary,
            {k: v.copy() for k, v in self.subs.items()},
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


@dataclass
class SubCounts:
    """How the sub-counts published beside the association count (with a local-authority partner, with a company
    partner, per form…) tie to it and to each other in every cell, as an outsider writes it.

    ``caps``: (sub, cap) pairs, ``0 ≤ sub ≤ cap`` in every cell (``cap`` is ``"associations"`` or another
    sub-count), written ``cap = sub + (cap − sub)`` with the complement a measure of its own (≥ 0, summed over the
    same relations: "how many have none" is a sub-count too); ``sums``: a sub-count that is, cell by cell, the sum of
    others; ``published_caps``: sub → (figure, factor) when the refresh caps the published sub at factor × that
    figure's published value (a share never above 100 %)."""

    caps: list[tuple[str, str]] = field(default_factory=list)
    sums: dict[str, list[str]] = field(default_factory=dict)
    published_caps: dict[str, tuple[str, int]] = field(default_factory=dict)


def sub_bounds_arrays(table: Tables, measure: str, subcounts: SubCounts) -> tuple[np.ndarray, np.ndarray]:
    """A published sub-count v is the truth plus noise in ±COUNT_NOISE (a true zero stays zero, so v ≥ 1 means at
    least one); capped at a published figure P, the truth is still ≤ v + COUNT_NOISE (it is ≤ its cap's truth ≤ P
    + COUNT_NOISE), or ≤ factor × (P + COUNT_NOISE) when the cap is a multiple."""
    size = len(table.counts)
    values = table.subs.get(measure, np.full(size, np.nan))
    shown = table.listed & ~np.isnan(table.counts) & ~np.isnan(values)
    low = np.zeros(size)
    high = np.full(size, INF)
    shown_values = values[shown]
    if table.method == "legacy":  # the former method published exact sub-counts
        low[shown] = high[shown] = shown_values
        return low, high
    low[shown] = np.where(shown_values >= 1, np.maximum(1, shown_values - COUNT_NOISE), 0)
    high[shown] = shown_values + COUNT_NOISE
    figure, factor = subcounts.published_caps.get(measure, ("", 1))
    if factor != 1:
        cap = table.counts if figure == "associations" else table.subs.get(figure, np.full(size, np.nan))
        with np.errstate(invalid="ignore"):
            capped = shown & (values >= factor * cap)
        high[capped] = np.maximum(high[capped], factor * (cap[capped] + COUNT_NOISE))
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
        self,
        system: System,
        truth_counts: np.ndarray,
        truth_amounts: dict[str, tuple[np.ndarray, np.ndarray]],
        truth_subs: Mapping[str, np.ndarray] | None = None,
        subcounts: SubCounts | None = None,
    ):
        self.system = system
        self.truth_counts = truth_counts
        self.truth_amounts = truth_amounts
        self.subcounts = subcounts or SubCounts()
        # The counts and sub-counts are propagated together: one layer per measure over the same relations, tied
        # cell by cell (sub + complement = cap, sums), so that a bound on either side narrows the other.
        truth_subs = dict(truth_subs or {})
        self.subs = list(truth_subs)
        layers: list[tuple[str, np.ndarray]] = [("associations", truth_counts), *truth_subs.items()]
        position = {name: i for i, (name, _) in enumerate(layers)}
        couplings: list[tuple[int, list[int]]] = []
        for sub, cap in self.subcounts.caps:
            if sub in position and cap in position:
                position[f"{cap}-{sub}"] = len(layers)
                layers.append((f"{cap}-{sub}", layers[position[cap]][1] - layers[position[sub]][1]))
                couplings.append((position[cap], [position[sub], position[f"{cap}-{sub}"]]))
        for total, parts in self.subcounts.sums.items():
            if total in position and all(part in position for part in parts):
                couplings.append((position[total], [position[part] for part in parts]))
        self.layers = [name for name, _ in layers]
        self.couplings = couplings
        self.layer_truth = np.stack([values for _, values in layers])
        self.rest_layers = np.stack([system.rest_high(values) for _, values in layers])
        self.rest_amounts = {kind: system.rest_high(total) for kind, (total, _top) in truth_amounts.items()}

    def _count_layers(self, table: Tables, prior: Bounds | None) -> tuple[np.ndarray, np.ndarray]:
        lows, highs = [], []
        for name in self.layers:
            if name == "associations":
                low, high = count_bounds_arrays(table)
            elif name in self.subs:
                low, high = sub_bounds_arrays(table, name, self.subcounts)
            else:  # a complement: nothing published, at least zero
                low, high = np.zeros(self.system.size), np.full(self.system.size, INF)
            self._intersect(low, high, prior, name)
            lows.append(low)
            highs.append(high)
        return np.stack(lows), np.stack(highs)

    def audit(self, table: Tables, prior: Bounds | None = None) -> tuple[Report, Bounds]:
        report = Report()
        keys = self.system.keys
        found: Bounds = {}
        lows, highs = self._count_layers(table, prior)
        propagate_arrays(self.system, lows, highs, self.rest_layers, integral=True, couplings=self.couplings)
        for layer, name in enumerate(self.layers):
            low, high, truth = lows[layer], highs[layer], self.layer_truth[layer]
            found[name] = (low, high)
            if name == "associations":  # a secret cell's count: more than COUNT_PROTECTION apart
                protected, width = table.listed & np.isnan(table.counts), COUNT_PROTECTION
            else:  # any cell's sub-count or complement: never known exactly
                protected, width = table.listed, SUB_PROTECTION
            report.checked[name] = int(protected.sum())
            report.errors += int((protected & ((truth < low - 1e-9) | (truth > high + 1e-9))).sum())
            for position in np.flatnonzero(protected & (high - low < width)):
                lo, hi = float(low[position]), float(high[position])
                report.findings.append(Finding(name, keys[position], lo, hi, float(truth[position]), width))
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
    subs = {}
    for measure, by_key in table.subs.items():
        values = np.full(size, np.nan)
        for key, value in by_key.items():
            at = system.index.get(key)
            if at is not None and value is not None:
                values[at] = value
        subs[measure] = values
    primary = None
    if table.method == "legacy":
        primary = np.zeros(size, dtype=bool)
        for key in table.primary:
            if key in system.index:
                primary[system.index[key]] = True
    return Tables(listed, counts, amounts, table.method, primary, subs)


def auditor_of(
    table: Published,
    truth_counts: Mapping[Key, int],
    truth_amounts: dict,
    relations,
    truth_subs: Mapping[str, Mapping[Key, int]] | None = None,
    subcounts: SubCounts | None = None,
) -> Auditor:
    """An :class:`Auditor` from dicts: ``truth_amounts`` is {kind: {key: Amount}}, ``truth_subs`` {sub: {key: n}}."""
    system = System(table.associations, relations)
    amounts = {
        kind: (
            system.vector({k: a.total for k, a in by_key.items()}),
            system.vector({k: a.top for k, a in by_key.items()}),
        )
        for kind, by_key in truth_amounts.items()
    }
    subs = {measure: system.vector(by_key) for measure, by_key in (truth_subs or {}).items()}
    return Auditor(system, system.vector(truth_counts), amounts, subs, subcounts)


def audit_publication(
    table: Published,
    truth_counts: dict[Key, int],
    truth_amounts: dict,
    relations,
    truth_subs: Mapping[str, Mapping[Key, int]] | None = None,
    subcounts: SubCounts | None = None,
) -> Report:
    """Every finding on a published table. ``truth_amounts``: {kind: {key: Amount}}; ``relations``: the refresh's
    relations plus the outsider's own (:func:`refresh.outsider_relations`); ``truth_subs``: the sub-counts'
    truth ({sub: {key: n}}), tied to the counts as ``subcounts`` says."""
    auditor = auditor_of(table, truth_counts, truth_amounts, relations, truth_subs, subcounts)
    report, _ = auditor.audit(tables_of(auditor.system, table, truth_amounts))
    return report
