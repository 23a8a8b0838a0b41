"""Refresh: compute every indicator for every territory and year, apply disclosure control, rewrite the table.

Runs from the CLI (``maillage refresh_observatory``), from the staff page and every night (the
``refresh_observatory`` task, run by ``maillage worker``), when a snapshot is due (:mod:`.snapshots`). The
aggregates are set-based SQL (:mod:`maillage.observatory.duckdb_sql`) that DuckDB runs on a copy of the source rows, in
one snapshot (:mod:`maillage.observatory.engine`); the disclosure decisions are taken in Python on the aggregated
cells (a few hundred thousand at national scale), and the cells are written in one transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import math
import time
import zlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, timedelta
from typing import Any

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from maillage.observatory import duckdb_sql, engine, story
from maillage.observatory.audit import Auditor, Bounds, Published, SubCounts, System, Tables, auditor_of, tables_of
from maillage.observatory.audit import Report as AuditReport
from maillage.observatory.bulk_copy import write_rows
from maillage.observatory.disclosure import Amount, Relation, perturb_amounts, perturb_counts
from maillage.observatory.impacts import IMPACT_FIELDS, decide_impacts
from maillage.observatory.indicators import AMOUNT_FIELDS, MIN_ASSOCIATIONS, MIN_CONTRIBUTORS
from maillage.observatory.models import AuditTrail, Cell, RefreshRun, Suppression
from maillage.territories.models import Commune, Departement, Epci, Region

MAX_YEARS = 10
CELL_COLUMNS = [
    "level",
    "code",
    "name",
    "year",
    "cause",
    "band",
    "suppression",
    *[name for name in duckdb_sql.COUNT_NAMES if name != "minutes"],
    "hours",
    "companies_tied",
    "public_tied",
    *AMOUNT_FIELDS,
    "evaluated",
    *IMPACT_FIELDS,
]


def observed_years(fetch: Callable[[str], list[tuple]]) -> list[int]:
    current = timezone.localdate().year
    firsts = []
    for query in duckdb_sql.year_bounds_queries():
        value = fetch(query)[0][0]
        if value is not None:
            firsts.append(int(value))
    if not firsts:
        return []
    first = max(min(firsts), current - MAX_YEARS + 1)
    last = max(current, first)
    return list(range(first, last + 1))


def aggregate_options() -> dict:
    """The record keys' secret salt and the minimum age of a counted workspace (decision 0013).

    The salt is derived from ``OBSERVATORY_KEY_SECRET``, else from ``SECRET_KEY``: it must stay the same from one
    refresh to the next (a new salt draws new noise for every cell, which an outsider could average)."""
    secret = getattr(settings, "OBSERVATORY_KEY_SECRET", "") or settings.SECRET_KEY
    salt = hmac.new(secret.encode(), b"maillage-observatory-record-keys", hashlib.sha256).hexdigest()[:32]
    days = int(getattr(settings, "OBSERVATORY_MIN_AGE_DAYS", 30))
    cutoff = timezone.now() - timedelta(days=days)
    if settings.USE_TZ:
        cutoff = cutoff.astimezone(UTC).replace(tzinfo=None)  # stored UTC wall time
    return {"salt": salt, "verified_before": cutoff}


def compute_aggregates(timings: dict[str, float] | None = None) -> dict[str, dict]:
    """Every aggregate, computed by DuckDB on a copy of the source rows (:mod:`.engine`)."""
    options = aggregate_options()

    def compute(con) -> dict[str, dict]:
        def fetch(statement: str) -> list[tuple]:
            return con.execute(statement).fetchall()

        return duckdb_sql.run_aggregates(con.execute, fetch, observed_years(fetch), timings, **options)

    return engine.run(compute, timings)


def _hierarchy() -> dict[str, dict[str, str]]:
    return {
        "region_of_dep": dict(Departement.objects.values_list("code", "region_id")),
        "dep_of_commune": dict(Commune.objects.values_list("code", "departement_id")),
        "epci_of_commune": dict(Commune.objects.exclude(epci=None).values_list("code", "epci_id")),
    }


def build_relations(
    keys: set[tuple], hierarchy: dict[str, dict[str, str]], *, causes_exclusive: bool | None = None
) -> list[Relation]:
    """Every additive relation among the computed cells: territories into their parts, causes, bands. The causes
    add up to "all causes" only when each association counts under one cause
    (``duckdb_sql.ONE_CAUSE_PER_ASSOCIATION``); otherwise no cause relation is written."""
    if causes_exclusive is None:
        causes_exclusive = duckdb_sql.ONE_CAUSE_PER_ASSOCIATION
    children: dict[tuple, list[tuple]] = defaultdict(list)
    parents: set[tuple] = set()
    for key in keys:
        level, code, year, cause, band = key
        parent = None
        if level == "region":
            parent = ("france", "FR", year, cause, band)
        elif level == "departement":
            region = hierarchy["region_of_dep"].get(code)
            parent = ("region", region, year, cause, band) if region else None
        elif level == "commune":
            dep = hierarchy["dep_of_commune"].get(code)
            if dep:
                children[("departement", dep, year, cause, band)].append(key)
            epci = hierarchy["epci_of_commune"].get(code)
            if epci:
                children[("epci", epci, year, cause, band)].append(key)
        if parent:
            children[parent].append(key)
        # Causes and bands partition the cell "all causes, all bands" of the same territory and year.
        if cause and not band:
            if causes_exclusive:
                children[(level, code, year, "", "")].append(("cause",) + key)
        elif band and not cause:
            children[(level, code, year, "", "")].append(("band",) + key)
        if not cause and not band:
            parents.add(key)
    relations = []
    for parent in sorted(parents):  # sorted: the same data always give the same secret cells
        kids = children.get(parent, [])
        by_geo = [k for k in kids if k[0] not in ("cause", "band")]
        if by_geo or parent[0] != "commune":
            relations.append(Relation(parent, by_geo))
        for family in ("cause", "band"):
            members = [k[1:] for k in kids if k[0] == family]
            if members:
                relations.append(Relation(parent, members))
    # Breakdown cells also add up across territories (région = Σ départements, France = Σ régions).
    for parent, kids in sorted(children.items()):
        if parent in parents:
            continue
        geo = [k for k in kids if k[0] not in ("cause", "band")]
        if geo and parent in keys:
            relations.append(Relation(parent, geo))
    return relations


def _names() -> dict[str, dict[str, str]]:
    return {
        "france": {"FR": "France"},
        "region": dict(Region.objects.values_list("code", "name")),
        "departement": dict(Departement.objects.values_list("code", "name")),
        "epci": dict(Epci.objects.values_list("siren", "name")),
        "commune": dict(Commune.objects.values_list("code", "name")),
    }


# Count figures whose published value may not exceed another's (a share never above 100 %).
CAPPED_BY = {
    **dict.fromkeys(("local_authority", "association_foundation", "school", "company", "insertion", "research", "public", "company_and_public"), "associations"),
    **dict.fromkeys(("form_mecenat", "form_responsible", "form_cooperation", "form_innovation"), "company"),
    "new_mecenat_only": "new_alliances",
    "new_coconstruction": "new_alliances",
}  # fmt: skip
# The sub-counts the auditor checks with the associations (decision 0013): every count column that is a sum over
# the cell's associations (so a territory's is the sum of its parts', a cell's the sum of its causes' and bands').
# Not here: ``hours`` (rounded per cell: not an exact sum), ``companies_tied``/``public_tied`` (distinct partners:
# one partner of two communes counts once in their département), and the shares and survival of :mod:`.story`.
AUDITED_SUBS = [name for name in duckdb_sql.COUNT_NAMES if name not in ("associations", "minutes")]
KINDS_OF_PARTNER = ["local_authority", "association_foundation", "school", "company", "insertion", "research"]
SUBCOUNTS = SubCounts(
    caps=[*CAPPED_BY.items(), ("company_and_public", "company"), ("company_and_public", "public")],
    sums={"kinds_sum": KINDS_OF_PARTNER},
    published_caps={**{sub: (cap, 1) for sub, cap in CAPPED_BY.items()}, "kinds_sum": ("associations", 6)},
)
MAX_AUDIT_ROUNDS = 25


class DisclosureRefused(Exception):
    """The auditor still finds a hidden value an outsider can narrow: nothing is published."""

    def __init__(self, report):
        self.report = report
        super().__init__(
            f"Publication refusée : l'audit du secret statistique trouve {len(report.findings)} valeur(s) "
            "protégée(s) qu'un tiers pourrait resserrer (rapport joint à l'actualisation)."
        )


def outsider_relations(keys: set[tuple], hierarchy: dict[str, dict[str, str]]) -> list[Relation]:
    """Relations an outsider writes that the refresh does not list: a département is the sum of the EPCIs lying
    wholly inside it plus its communes in no EPCI (all causes and bands, per year)."""
    deps_of_epci: dict[str, set[str]] = defaultdict(set)
    for commune, epci in hierarchy["epci_of_commune"].items():
        dep = hierarchy["dep_of_commune"].get(commune)
        if dep:
            deps_of_epci[epci].add(dep)
    inside: dict[str, list[str]] = defaultdict(list)
    crossing: set[str] = set()
    for epci, deps in deps_of_epci.items():
        if len(deps) == 1:
            inside[next(iter(deps))].append(epci)
        else:
            crossing |= deps
    loose: dict[str, list[str]] = defaultdict(list)
    for commune, dep in hierarchy["dep_of_commune"].items():
        if commune not in hierarchy["epci_of_commune"]:
            loose[dep].append(commune)
    relations = []
    for level, code, year, cause, band in sorted(keys):
        if level != "departement" or cause or band or code in crossing:
            continue
        parts = [("epci", e, year, "", "") for e in inside.get(code, [])]
        parts += [("commune", c, year, "", "") for c in loose.get(code, [])]
        parts = [p for p in parts if p in keys]
        if parts:
            relations.append(Relation((level, code, year, cause, band), parts))
    return relations


def _hide_neighbours(system: System, values: np.ndarray, position: int) -> list[int]:
    """For each relation the cell is a term of, the smallest published other child (the parent when none is)."""
    chosen = []
    for equation in system.equations_of(position):
        kids = system.children_of(equation)
        kids = kids[(kids != position) & ~np.isnan(values[kids])]
        if len(kids):
            smallest = values[kids].min()
            ties = kids[values[kids] == smallest]
            chosen.append(int(min(ties, key=lambda k: str(system.keys[k]))))
        else:
            parent = int(system.parent[equation])
            if parent != position and not np.isnan(values[parent]):
                chosen.append(parent)
    return chosen


def protect_tables(auditor: Auditor, table: Tables, prior: Bounds | None = None) -> tuple[AuditReport, Bounds]:
    """Audit the table; while the auditor finds a narrowed value, hide a published neighbour of it (the smallest
    published other term of each relation it is in, else the parent) and audit again. Modifies ``table``."""
    system = auditor.system
    report, bounds = auditor.audit(table, prior)
    rounds = 0
    while not report.ok and rounds < MAX_AUDIT_ROUNDS:
        rounds += 1
        for finding in report.findings:
            position = system.index[finding.key]
            if finding.measure in auditor.layers and not np.isnan(table.counts[position]):
                table.counts[position] = np.nan  # a published cell's sub-count read too closely: the cell goes secret
                continue
            if finding.measure in auditor.layers:  # a secret cell's count or sub-count: hide a neighbour
                table.counts[system_positions(_hide_neighbours(system, table.counts, position))] = np.nan
                continue
            amounts = table.amounts[finding.measure]
            if not np.isnan(amounts[position]) and not np.isnan(table.counts[position]):
                amounts[position] = np.nan
                continue
            visible = np.where(np.isnan(table.counts), np.nan, amounts)
            amounts[system_positions(_hide_neighbours(system, visible, position))] = np.nan
        report, bounds = auditor.audit(table, prior)
    report.checked["rounds"] = rounds
    return report, bounds


def system_positions(positions: list[int]) -> np.ndarray:
    return np.asarray(positions, dtype=np.int64)


def protect_by_audit(
    published: Published, truth_counts, truth_amounts, relations, truth_subs=None, subcounts: SubCounts | None = None
) -> AuditReport:
    """:func:`protect_tables` on a table of dicts (modified in place: hidden figures become None)."""
    auditor = auditor_of(published, truth_counts, truth_amounts, relations, truth_subs, subcounts)
    table = tables_of(auditor.system, published, truth_amounts)
    report, _ = protect_tables(auditor, table)
    keys = auditor.system.keys
    for key in published.associations:
        if np.isnan(table.counts[auditor.system.index[key]]):
            published.associations[key] = None
            for by_key in published.subs.values():
                by_key[key] = None
    for kind, amounts in published.amounts.items():
        hidden = np.isnan(table.amounts[kind])
        for position in np.flatnonzero(hidden):
            if keys[position] in amounts:
                amounts[keys[position]] = None
    return report


def truth_of(aggregates: dict[str, dict]):
    """(counts {key: count columns then key columns}, amounts {kind: {key: Amount}}, gift keys {kind: {key: int}})."""
    counts: dict[tuple, tuple] = {}
    for level, rows in aggregates["counts"].items():
        for code, year, cause, band, *values in rows:
            counts[(level, str(code), int(year), cause, band)] = values
    amounts: dict[str, dict[tuple, Amount]] = {kind: {} for kind in AMOUNT_FIELDS}
    gift_keys: dict[str, dict[tuple, int]] = {kind: {} for kind in AMOUNT_FIELDS}
    for level, rows in aggregates["amounts"].items():
        for code, year, cause, band, kind, givers, total, top, gkey in rows:
            key = (level, str(code), int(year), cause, band)
            if key in counts and kind in amounts:
                amounts[kind][key] = Amount(float(total or 0), int(givers), float(top or 0))
                gift_keys[kind][key] = int(gkey or 0)
    return counts, amounts, gift_keys


def published_table() -> Published:
    """The published cell table as an outsider downloads it."""
    table = Published(associations={}, amounts={kind: {} for kind in AMOUNT_FIELDS})
    table.subs = {sub: {} for sub in AUDITED_SUBS}
    fields = ["level", "code", "year", "cause", "band", "suppression", "associations", *AMOUNT_FIELDS, *AUDITED_SUBS]
    for level, code, year, cause, band, suppression, associations, *figures in Cell.objects.values_list(*fields):
        key = (level, code, year, cause, band)
        table.associations[key] = None if suppression else associations
        for kind, value in zip(AMOUNT_FIELDS, figures, strict=False):
            table.amounts[kind][key] = None if suppression else value
        for sub, value in zip(AUDITED_SUBS, figures[len(AMOUNT_FIELDS) :], strict=True):
            table.subs[sub][key] = None if suppression else value
    return table


# --- What the auditor keeps of each snapshot (AuditTrail): the truth behind it and an outsider's intervals ------


@dataclass
class Trail:
    keys: list[tuple]
    counts: np.ndarray
    totals: dict[str, np.ndarray]
    tops: dict[str, np.ndarray]
    bounds: Bounds
    subs: dict[str, np.ndarray] = field(default_factory=dict)  # the sub-counts' truth (absent from older trails)

    def dump(self) -> bytes:
        arrays: dict[str, Any] = {
            "keys": np.frombuffer("\x1e".join("\x1f".join(map(str, k)) for k in self.keys).encode(), np.uint8)
        }
        arrays["counts"] = self.counts
        for kind in AMOUNT_FIELDS:
            arrays[f"total_{kind}"] = self.totals[kind]
            arrays[f"top_{kind}"] = self.tops[kind]
        for sub, values in self.subs.items():
            arrays[f"sub_{sub}"] = values
        for measure, (low, high) in self.bounds.items():
            arrays[f"low_{measure}"] = low
            arrays[f"high_{measure}"] = high
        buffer = io.BytesIO()
        np.savez(buffer, allow_pickle=False, **arrays)
        return zlib.compress(buffer.getvalue(), 1)

    @classmethod
    def load(cls, data: bytes | memoryview) -> Trail:
        arrays = np.load(io.BytesIO(zlib.decompress(bytes(data))), allow_pickle=False)
        text = arrays["keys"].tobytes().decode()
        keys = []
        for record in text.split("\x1e") if text else []:
            level, code, year, cause, band = record.split("\x1f")
            keys.append((level, code, int(year), cause, band))
        bounds = {
            name[4:]: (arrays[name], arrays["high_" + name[4:]]) for name in arrays.files if name.startswith("low_")
        }
        return cls(
            keys,
            arrays["counts"],
            {kind: arrays[f"total_{kind}"] for kind in AMOUNT_FIELDS},
            {kind: arrays[f"top_{kind}"] for kind in AMOUNT_FIELDS},
            bounds,
            {name[4:]: arrays[name] for name in arrays.files if name.startswith("sub_")},
        )

    def truth(self, measure: str) -> np.ndarray | None:
        return measure_truth(measure, self.counts, self.totals, self.subs)


def measure_truth(
    measure: str, counts: np.ndarray, totals: dict[str, np.ndarray], subs: dict[str, np.ndarray]
) -> np.ndarray | None:
    """The true values of an audited measure: the associations, a kind of gift, a sub-count, or a complement
    ``cap-sub`` (how many of the cap have not the sub)."""
    if measure == "associations":
        return counts
    if measure in totals:
        return totals[measure]
    if measure in subs:
        return subs[measure]
    cap, _, sub = measure.partition("-")
    if sub and sub in subs and (cap == "associations" or cap in subs):
        return (counts if cap == "associations" else subs[cap]) - subs[sub]
    return None


def prior_bounds(
    system: System,
    counts: np.ndarray,
    totals: dict[str, np.ndarray],
    before: Trail | None,
    subs: dict[str, np.ndarray] | None = None,
) -> Bounds:
    """The previous snapshot's intervals, moved by each cell's true change (the outsider who knows every change
    between two refreshes, the worst case): what a new table is intersected with before propagating."""
    if before is None:
        return {}
    where = np.full(len(before.keys), -1, dtype=np.int64)
    for i, key in enumerate(before.keys):
        where[i] = system.index.get(key, -1)
    found = where >= 0
    mine = where[found]
    out: Bounds = {}
    for measure, (low, high) in before.bounds.items():
        now = measure_truth(measure, counts, totals, subs or {})
        then = before.truth(measure)
        if now is None or then is None:
            continue
        delta = now[mine] - then[found]
        new_low = np.zeros(system.size)
        new_high = np.full(system.size, math.inf)
        new_low[mine] = low[found] + delta
        new_high[mine] = high[found] + delta
        out[measure] = (new_low, new_high)
    for kind, top in before.tops.items():  # the previous largest giver per cell (NaN: the cell is new)
        previous_top = np.full(system.size, np.nan)
        previous_top[mine] = top[found]
        out[f"top_{kind}"] = (previous_top, previous_top)
    return out


def last_trails(count: int = 2) -> list[Trail]:
    """The latest published snapshots' trails, newest first."""
    rows = AuditTrail.objects.filter(run__status=RefreshRun.Status.DONE).order_by("-run_id")[:count]
    return [Trail.load(data) for data in rows.values_list("data", flat=True)]


def audit_current(progress: Callable[[str], None] | None = None) -> AuditReport:
    """``maillage audit_disclosure``: the auditor on the table now published, against the truth behind it (kept by
    the refresh that published it) and, across snapshots, the previous published snapshot. A table published
    without a trail is audited against the data now in the database."""
    say = progress or (lambda message: None)
    say("Lecture des cases publiées…")
    published = published_table()
    keys = set(published.associations)
    hierarchy = _hierarchy()
    relations = build_relations(keys, hierarchy) + outsider_relations(keys, hierarchy)
    trails = last_trails(2)
    system = System(published.associations, relations)
    subs: dict[str, np.ndarray] = {}
    if trails and set(AUDITED_SUBS) <= set(trails[0].subs):
        say("Valeurs vraies de l'instantané publié (trace d'audit)…")
        now = trails[0]
        index = [system.index.get(k, -1) for k in now.keys]
        counts = np.zeros(system.size)
        totals = {kind: np.zeros(system.size) for kind in AMOUNT_FIELDS}
        tops = {kind: np.zeros(system.size) for kind in AMOUNT_FIELDS}
        for i, position in enumerate(index):
            if position < 0:
                continue
            counts[position] = now.counts[i]
            for kind in AMOUNT_FIELDS:
                totals[kind][position] = now.totals[kind][i]
                tops[kind][position] = now.tops[kind][i]
        found = np.asarray(index) >= 0
        for sub in AUDITED_SUBS:
            subs[sub] = np.zeros(system.size)
            subs[sub][np.asarray(index)[found]] = now.subs[sub][found]
        prior = prior_bounds(system, counts, totals, trails[1] if len(trails) > 1 else None, subs)
    else:
        say("Calcul des agrégats (valeurs vraies)…")
        truth_counts, truth_amounts, _ = truth_of(compute_aggregates())
        counts = system.vector({k: int(v[0]) for k, v in truth_counts.items()})
        for sub in AUDITED_SUBS:
            column = duckdb_sql.COUNT_NAMES.index(sub)
            subs[sub] = system.vector({k: int(v[column] or 0) for k, v in truth_counts.items()})
        totals = {kind: system.vector({k: a.total for k, a in truth_amounts[kind].items()}) for kind in AMOUNT_FIELDS}
        tops = {kind: system.vector({k: a.top for k, a in truth_amounts[kind].items()}) for kind in AMOUNT_FIELDS}
        prior = {}
    say("Propagation des intervalles…")
    auditor = Auditor(system, counts, {kind: (totals[kind], tops[kind]) for kind in AMOUNT_FIELDS}, subs, SUBCOUNTS)
    report, _ = auditor.audit(tables_of(system, published, AMOUNT_FIELDS), prior)
    report.checked["snapshots"] = 1 + bool(prior)
    return report


def _column(values: np.ndarray) -> list:
    """Floats (NaN: no figure) as the ints or None a cell row holds."""
    missing = np.isnan(values)
    out = np.where(missing, 0, values).astype(np.int64).astype(object)
    out[missing] = None
    return out.tolist()


def publish_rows(
    aggregates: dict[str, dict], before: Trail | None = None
) -> tuple[list[tuple], int, AuditReport, Trail]:
    """Perturb, audit and decide what may be published (decision 0013); return the Cell rows (CELL_COLUMNS order),
    how many are published, the auditor's report and the trail to keep. ``before``: the previous published
    snapshot's trail, audited against across snapshots. Raises :class:`DisclosureRefused` when the auditor still
    finds a narrowed value after hiding. Every step is an operation on arrays over the cells (one per figure)."""
    names_ = duckdb_sql.COUNT_NAMES
    n_counts = len(names_)
    keys: list[tuple] = []
    matrix: list = []
    for level, level_rows in aggregates["counts"].items():
        for code, year, cause, band, *values in level_rows:
            keys.append((level, str(code), int(year), cause, band))
            matrix.append(values)
    size = len(keys)
    table_values = np.asarray(matrix, dtype=np.float64).reshape(size, 2 * n_counts)
    hierarchy = _hierarchy()
    key_set = set(keys)
    relations = build_relations(key_set, hierarchy)
    system = System(keys, relations + outsider_relations(key_set, hierarchy))
    index = system.index
    totals = {kind: np.zeros(system.size) for kind in AMOUNT_FIELDS}
    tops = {kind: np.zeros(system.size) for kind in AMOUNT_FIELDS}
    givers = {kind: np.zeros(system.size) for kind in AMOUNT_FIELDS}
    gift_keys = {kind: np.zeros(system.size) for kind in AMOUNT_FIELDS}
    for level, level_rows in aggregates["amounts"].items():
        for code, year, cause, band, kind, n_givers, total, top, gkey in level_rows:
            position = index.get((level, str(code), int(year), cause, band))
            if position is not None and position < size and kind in totals:
                totals[kind][position] = float(total or 0)
                tops[kind][position] = float(top or 0)
                givers[kind][position] = n_givers
                gift_keys[kind][position] = int(gkey or 0)
    companies = np.full(system.size, np.nan)
    public = np.full(system.size, np.nan)
    for level, level_rows in aggregates["network"].items():
        for code, year, n_companies, n_public in level_rows:
            position = index.get((level, str(code), int(year), "", ""))
            if position is not None:
                companies[position] = np.nan if n_companies is None else n_companies
                public[position] = np.nan if n_public is None else n_public
    # 1. Perturbation: every figure moves by its cell key's noise; a cell under the threshold once perturbed is secret.
    figures: dict[str, np.ndarray] = {
        name: perturb_counts(table_values[:, i], table_values[:, n_counts + i], slot=i)
        for i, name in enumerate(names_) if name != "minutes"
    }  # fmt: skip
    for name, cap in CAPPED_BY.items():
        figures[name] = np.fmin(figures[name], figures[cap])
    # Both, never more than either (published above "company" it told that company's truth was at least 1).
    figures["company_and_public"] = np.fmin(
        figures["company_and_public"], np.fmin(figures["company"], figures["public"])
    )
    figures["kinds_sum"] = np.fmin(figures["kinds_sum"], 6 * figures["associations"])
    minutes_slot = names_.index("minutes")
    hours = np.round(np.nan_to_num(table_values[:, minutes_slot]) / 60)
    figures["hours"] = perturb_counts(hours, table_values[:, n_counts + minutes_slot], slot=minutes_slot)
    assoc_key = table_values[:, n_counts]
    figures["companies_tied"] = perturb_counts(companies[:size], assoc_key, slot=40)
    figures["public_tied"] = perturb_counts(public[:size], assoc_key, slot=41)
    extra = system.size - size  # cells only the relations name (none in practice): listed nowhere
    shown_counts = np.where(figures["associations"] >= MIN_ASSOCIATIONS, figures["associations"], np.nan)
    table = Tables(
        listed=np.r_[np.ones(size, dtype=bool), np.zeros(extra, dtype=bool)],
        counts=np.r_[shown_counts, np.full(extra, np.nan)],
        amounts={},
        subs={sub: np.r_[figures[sub], np.full(extra, np.nan)] for sub in AUDITED_SUBS},
    )
    for slot, kind in enumerate(AMOUNT_FIELDS):
        amounts = perturb_amounts(totals[kind], tops[kind], gift_keys[kind], slot=50 + slot)
        table.amounts[kind] = np.where((totals[kind] > 0) & (givers[kind] < MIN_CONTRIBUTORS), np.nan, amounts)
    # 2. The auditor, on this table and across the previous snapshot: hide what an outsider could narrow; refuse if
    # that does not converge.
    truth_counts = np.r_[np.nan_to_num(table_values[:, 0]), np.zeros(extra)]
    truth_subs = {
        sub: np.r_[np.nan_to_num(table_values[:, names_.index(sub)]), np.zeros(extra)] for sub in AUDITED_SUBS
    }
    amounts_truth = {kind: (totals[kind], tops[kind]) for kind in AMOUNT_FIELDS}
    auditor = Auditor(system, truth_counts, amounts_truth, truth_subs, SUBCOUNTS)
    prior = prior_bounds(system, truth_counts, totals, before, truth_subs)
    report, bounds = protect_tables(auditor, table, prior)
    report.checked["snapshots"] = 1 + bool(prior)
    if not report.ok and prior:
        # Known limit (decision 0013 addendum): when hiding cannot settle what the previous snapshot narrows (a large
        # batch of changes), the table is published on its own audit; the findings across snapshots are reported.
        across = len(report.findings)
        report, bounds = protect_tables(auditor, table)
        report.checked["snapshots"] = 1
        report.checked["across_findings"] = across
    if not report.ok:
        raise DisclosureRefused(report)
    secret_mask = np.isnan(table.counts[:size])
    secret = {keys[i] for i in np.flatnonzero(secret_mask)}
    impacts = decide_impacts(aggregates.get("impacts", []), key_set, secret, relations)
    no_impact = (None,) * (1 + len(IMPACT_FIELDS))
    names = _names()
    figure_names = [name for name in names_ if name != "minutes"]
    columns = [
        *[figures[n] for n in figure_names],
        figures["hours"],
        figures["companies_tied"],
        figures["public_tied"],
        *[table.amounts[kind][:size] for kind in AMOUNT_FIELDS],
    ]
    values = list(zip(*[_column(np.where(secret_mask, np.nan, c)) for c in columns], strict=True)) if size else []
    empty = (None,) * (len(CELL_COLUMNS) - 7)
    secret_label = Suppression.SECRET.value
    rows: list[tuple] = []
    for key, is_secret, figures_of in zip(keys, secret_mask.tolist(), values, strict=True):
        level, code, year, cause, band = key
        name = names[level].get(code, code)
        if is_secret:
            rows.append((level, code, name, year, cause, band, secret_label, *empty))
        else:
            rows.append((level, code, name, year, cause, band, "", *figures_of, *impacts.get(key, no_impact)))
    trail = Trail(keys, truth_counts[:size], {k: v[:size] for k, v in totals.items()},
                  {k: v[:size] for k, v in tops.items()}, {m: (lo[:size], hi[:size]) for m, (lo, hi) in bounds.items()},
                  {k: v[:size] for k, v in truth_subs.items()})  # fmt: skip
    return rows, size - len(secret), report, trail


def refresh(*, progress: Callable[[str], None] | None = None, trigger: str = "", forced: bool = False) -> RefreshRun:
    """Recompute the whole observatory. The table is replaced in one transaction: readers see old or new.

    Whatever the cadence: publishing goes through :func:`maillage.observatory.snapshots.publish_snapshot`, which
    checks it (``trigger`` and ``forced`` are recorded on the run)."""
    say = progress or (lambda message: None)
    run = RefreshRun.objects.create(trigger=trigger, forced=forced)
    started = time.perf_counter()
    try:
        say("Calcul des agrégats…")
        aggregates = compute_aggregates()  # its own read-only transaction: one snapshot of the sources
        say("Secret statistique : perturbation des cases et audit…")
        try:
            trails = last_trails(1)
            rows, published, report, trail = publish_rows(aggregates, trails[0] if trails else None)
        except DisclosureRefused as refused:
            RefreshRun.objects.filter(pk=run.pk).update(audit=refused.report.as_dict())
            raise
        tables = story.publish(aggregates, rows, CELL_COLUMNS)  # coverage, weighted shares, survival (issue 23)
        with transaction.atomic():
            say(f"Écriture de {len(rows)} cases…")
            Cell.objects.all().delete()
            write_rows(Cell._meta.db_table, CELL_COLUMNS, rows)
            story.write(tables)
            AuditTrail.objects.create(run=run, data=trail.dump())
            # Two snapshots kept: the one published, and the one before (``maillage audit_disclosure`` audits both).
            stale = AuditTrail.objects.order_by("-run_id").values_list("pk", flat=True)[2:]
            AuditTrail.objects.filter(pk__in=list(stale)).delete()
            if connection.vendor == "postgresql":  # stale statistics make the pages' plans scan a whole level
                with connection.cursor() as cursor:
                    cursor.execute(f'ANALYZE "{Cell._meta.db_table}"')
    except Exception as error:
        RefreshRun.objects.filter(pk=run.pk).update(
            status=RefreshRun.Status.FAILED, finished_at=timezone.now(), error=str(error)[:2000]
        )
        raise
    seconds = time.perf_counter() - started
    RefreshRun.objects.filter(pk=run.pk).update(
        status=RefreshRun.Status.DONE,
        finished_at=timezone.now(),
        cells=len(rows),
        published=published,
        seconds=seconds,
        audit=report.as_dict(),
    )
    run.refresh_from_db()
    return run
