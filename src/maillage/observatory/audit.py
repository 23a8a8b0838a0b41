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
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from maillage.observatory.disclosure import AMOUNT_NOISE_MAX, COUNT_NOISE
from maillage.observatory.indicators import MIN_ASSOCIATIONS, MONEY_ROUNDING

Key = tuple[Any, ...]  # a cell, as the refresh builds them
INF = math.inf
COUNT_PROTECTION = 3  # a secret count's interval must be at least 3 wide: 4 possible values or more
AMOUNT_PROTECTION = 0.10  # ±10 % of the largest giver's total
MAX_SWEEPS = 60  # interval propagation over cycles can creep; stop after this many passes (still sound)


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


def propagate(bounds: dict[Key, list[float]], equations: list[Equation], *, integral: bool) -> dict[Key, list[float]]:
    """Tighten ``bounds`` ({key: [low, high]}, modified in place) with every equation until nothing moves."""
    by_key: dict[Key, list[int]] = defaultdict(list)
    for position, eq in enumerate(equations):
        by_key[eq.parent].append(position)
        for child in eq.children:
            by_key[child].append(position)
    for eq in equations:
        for key in (eq.parent, *eq.children):
            bounds.setdefault(key, [0.0, INF])
    tolerance = 0.5  # counts: a whole association; amounts: half a euro (finer moves only creep around cycles)

    def tighten(key: Key, low: float, high: float) -> bool:
        if integral:
            low = math.ceil(low - 1e-9) if low != -INF else low
            high = math.floor(high + 1e-9) if high != INF else high
        current = bounds[key]
        moved = False
        if low > current[0] + tolerance:
            current[0] = low
            moved = True
        if high < current[1] - tolerance:
            current[1] = high
            moved = True
        return moved

    pending = list(range(len(equations)))
    queued = set(pending)
    sweeps = 0
    while pending and sweeps < MAX_SWEEPS:
        sweeps += 1
        current, pending, queued = pending, [], set()
        for position in current:
            eq = equations[position]
            kids = [bounds[c] for c in eq.children]
            sum_low = sum(k[0] for k in kids) + eq.rest_lo
            sum_high = sum(k[1] for k in kids) + eq.rest_hi
            moved_keys = []
            if tighten(eq.parent, sum_low, sum_high):
                moved_keys.append(eq.parent)
            p_low, p_high = bounds[eq.parent]
            for child, k in zip(eq.children, kids, strict=True):
                others_high = sum_high - k[1] if k[1] != INF else _sum_without(kids, k, 1) + eq.rest_hi
                others_low = sum_low - k[0]
                low = p_low - others_high
                high = p_high - others_low if p_high != INF else INF
                if tighten(child, low, high):
                    moved_keys.append(child)
            for key in moved_keys:
                for other in by_key[key]:
                    if other not in queued:
                        queued.add(other)
                        pending.append(other)
    return bounds


def _sum_without(kids: list[list[float]], skip: list[float], side: int) -> float:
    total = 0.0
    skipped = False
    for k in kids:
        if k is skip and not skipped:
            skipped = True
            continue
        total += k[side]
    return total


def audit_counts(
    bounds: dict[Key, list[float]],
    equations: list[Equation],
    truth: dict[Key, int],
    protected: Iterable[Key],
    report: Report,
    measure: str = "associations",
) -> dict[Key, list[float]]:
    """Propagate, then report the protected (secret) cells whose interval is under ``COUNT_PROTECTION``."""
    propagate(bounds, equations, integral=True)
    protected = list(protected)
    report.checked[measure] = report.checked.get(measure, 0) + len(protected)
    for key in protected:
        low, high = bounds.get(key, [0, INF])
        value = truth.get(key, 0)
        if not low - 1e-9 <= value <= high + 1e-9:
            report.errors += 1
        if high - low < COUNT_PROTECTION:
            report.findings.append(Finding(measure, key, low, high, value, COUNT_PROTECTION))
            report.exact += high == low
    return bounds


def audit_amounts(
    bounds: dict[Key, list[float]],
    equations: list[Equation],
    truth: dict[Key, tuple[float, float]],
    report: Report,
    measure: str,
) -> dict[Key, list[float]]:
    """``truth``: {key: (total, largest giver's total)}; reports every cell with gifts whose total's interval is
    narrower than ±``AMOUNT_PROTECTION`` of its largest giver."""
    propagate(bounds, equations, integral=False)
    checked = 0
    for key, (total, top) in truth.items():
        if total <= 0:
            continue
        checked += 1
        low, high = bounds.get(key, [0.0, INF])
        if not low - 0.01 <= total <= high + 0.01:
            report.errors += 1
        protection = 2 * AMOUNT_PROTECTION * top
        if high - low < protection:
            report.findings.append(Finding(measure, key, low, high, total, protection))
            report.exact += high - low < 1
    report.checked[measure] = report.checked.get(measure, 0) + checked
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


def audit_publication(table: Published, truth_counts: dict[Key, int], truth_amounts: dict, relations) -> Report:
    """Every finding on a published table. ``truth_amounts``: {kind: {key: Amount}}; ``relations``: the refresh's
    relations plus the outsider's own (:func:`refresh.outsider_relations`)."""
    report = Report()
    equations = equations_for(relations, truth_counts)
    secret = [k for k, v in table.associations.items() if v is None]
    audit_counts(count_bounds(table), equations, truth_counts, secret, report)
    for kind, amounts in truth_amounts.items():
        totals = {k: a.total for k, a in amounts.items()}
        audit_amounts(
            amount_bounds(table, kind),
            equations_for(relations, totals),
            {k: (a.total, a.top) for k, a in amounts.items() if k in table.associations},
            report,
            kind,
        )
    return report
