"""Refresh: compute every indicator for every territory and year, apply disclosure control, rewrite the table.

Runs from the CLI (``maillage refresh_observatory``), from the staff page and every night (the
``refresh_observatory`` task, run by ``maillage worker``). The
aggregates are set-based SQL (:mod:`maillage.observatory.duckdb_sql`) that DuckDB runs on a copy of the source rows, in
one snapshot (:mod:`maillage.observatory.engine`); the disclosure decisions are taken in Python on the aggregated
cells (a few hundred thousand at national scale), and the cells are written in one transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from maillage.observatory import duckdb_sql, engine, story
from maillage.observatory.audit import Published, audit_publication
from maillage.observatory.audit import Report as AuditReport
from maillage.observatory.bulk_copy import write_rows
from maillage.observatory.disclosure import (
    Amount,
    Relation,
    amount_is_publishable,
    count_is_publishable,
    perturb_amount,
    perturb_count,
)
from maillage.observatory.impacts import IMPACT_FIELDS, decide_impacts
from maillage.observatory.indicators import AMOUNT_FIELDS
from maillage.observatory.models import Cell, RefreshRun, Suppression
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


def build_relations(keys: set[tuple], hierarchy: dict[str, dict[str, str]]) -> list[Relation]:
    """Every additive relation among the computed cells: territories into their parts, causes, bands."""
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


def protect_by_audit(published: Published, truth_counts, truth_amounts, relations) -> AuditReport:
    """Audit the table; while the auditor finds a narrowed value, hide a published neighbour of it (the smallest
    published other term of each relation it is in, else the parent) and audit again."""
    by_key: dict = defaultdict(list)
    for relation in relations:
        for term in (relation.parent, *relation.children):
            by_key[term].append(relation)

    def neighbours(key, published_of):
        chosen = []
        for relation in by_key.get(key, ()):
            kids = [c for c in relation.children if c != key and published_of(c)]
            if kids:
                chosen.append(min(kids, key=lambda c: (published_of(c), str(c))))
            elif relation.parent != key and published_of(relation.parent):
                chosen.append(relation.parent)
        return chosen

    count_of = published.associations.get
    report = audit_publication(published, truth_counts, truth_amounts, relations)
    rounds = 0
    while not report.ok and rounds < MAX_AUDIT_ROUNDS:
        rounds += 1
        for finding in report.findings:
            if finding.measure == "associations":
                for key in neighbours(finding.key, count_of):
                    published.associations[key] = None
                continue
            amounts = published.amounts[finding.measure]
            if amounts.get(finding.key) is not None:
                amounts[finding.key] = None
                continue
            for key in neighbours(finding.key, lambda k, a=amounts: a.get(k) if count_of(k) is not None else None):
                amounts[key] = None
        report = audit_publication(published, truth_counts, truth_amounts, relations)
    report.checked["rounds"] = rounds
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
    fields = ["level", "code", "year", "cause", "band", "suppression", "associations", *AMOUNT_FIELDS]
    for level, code, year, cause, band, suppression, associations, *money in Cell.objects.values_list(*fields):
        key = (level, code, year, cause, band)
        table.associations[key] = None if suppression else associations
        for kind, value in zip(AMOUNT_FIELDS, money, strict=True):
            table.amounts[kind][key] = None if suppression else value
    return table


def audit_current(progress: Callable[[str], None] | None = None) -> AuditReport:
    """``maillage audit_disclosure``: the auditor on the table now published, against the data now in the database
    (right after a refresh: the same data; later, an outsider who knows every change since)."""
    say = progress or (lambda message: None)
    say("Calcul des agrégats (valeurs vraies)…")
    counts, amounts, _ = truth_of(compute_aggregates())
    say("Lecture des cases publiées et propagation des intervalles…")
    published = published_table()
    truth_counts = {k: int(v[0]) for k, v in counts.items()}
    keys = set(published.associations)
    hierarchy = _hierarchy()
    relations = build_relations(keys, hierarchy) + outsider_relations(keys, hierarchy)
    return audit_publication(published, truth_counts, amounts, relations)


def publish_rows(aggregates: dict[str, dict]) -> tuple[list[tuple], int, AuditReport]:
    """Perturb, audit and decide what may be published (decision 0013); return the Cell rows (CELL_COLUMNS order),
    how many are published, and the auditor's report. Raises :class:`DisclosureRefused` when the auditor still
    finds a narrowed value after hiding."""
    names_ = duckdb_sql.COUNT_NAMES
    n_counts = len(names_)
    counts, amounts, gift_keys = truth_of(aggregates)
    truth_counts = {k: int(v[0]) for k, v in counts.items()}
    network = {
        (level, str(code), int(year), "", ""): (companies, public)
        for level, rows in aggregates["network"].items()
        for code, year, companies, public in rows
    }
    hierarchy = _hierarchy()
    relations = build_relations(set(counts), hierarchy)
    # 1. Perturbation: every figure moves by its cell key's noise; a cell under the threshold once perturbed is secret.
    perturbed: dict[tuple[Any, ...], dict[str, Any]] = {}
    for key, values in counts.items():
        figures: dict[str, Any] = {  # the perturbed counts; the tied ones may be None (no network)
            name: perturb_count(values[i], values[n_counts + i], slot=i)
            for i, name in enumerate(names_) if name != "minutes"
        }  # fmt: skip
        for name, cap in CAPPED_BY.items():
            figures[name] = min(figures[name], figures[cap])
        figures["kinds_sum"] = min(figures["kinds_sum"], 6 * figures["associations"])
        minutes_slot = names_.index("minutes")
        hours = round(int(values[minutes_slot] or 0) / 60)
        figures["hours"] = perturb_count(hours, values[n_counts + minutes_slot], slot=minutes_slot)
        companies, public = network.get(key, (None, None))
        assoc_key = values[n_counts]
        figures["companies_tied"] = None if companies is None else perturb_count(companies, assoc_key, slot=40)
        figures["public_tied"] = None if public is None else perturb_count(public, assoc_key, slot=41)
        perturbed[key] = figures
    published = Published(
        associations={
            k: (f["associations"] if count_is_publishable(f["associations"]) else None) for k, f in perturbed.items()
        },
        amounts={kind: {} for kind in AMOUNT_FIELDS},
    )
    for slot, kind in enumerate(AMOUNT_FIELDS):
        for key in counts:
            amount = amounts[kind].get(key)
            if not amount_is_publishable(amount):
                published.amounts[kind][key] = None
            elif amount is None:
                published.amounts[kind][key] = 0
            else:
                published.amounts[kind][key] = perturb_amount(amount, gift_keys[kind][key], slot=50 + slot)
    # 2. The auditor: hide what an outsider could narrow; refuse if that does not converge.
    audit_relations = relations + outsider_relations(set(counts), hierarchy)
    report = protect_by_audit(published, truth_counts, amounts, audit_relations)
    if not report.ok:
        raise DisclosureRefused(report)
    secret = {k for k, v in published.associations.items() if v is None}
    impacts = decide_impacts(aggregates.get("impacts", []), set(counts), secret, relations)
    no_impact = (None,) * (1 + len(IMPACT_FIELDS))
    names = _names()
    figure_names = [name for name in names_ if name != "minutes"]
    empty = (None,) * (len(CELL_COLUMNS) - 7)
    rows: list[tuple] = []
    for key, figures in perturbed.items():
        level, code, year, cause, band = key
        name = names[level].get(code, code)
        if key in secret:
            rows.append((level, code, name, year, cause, band, Suppression.SECRET.value, *empty))
            continue
        money = [published.amounts[kind].get(key) for kind in AMOUNT_FIELDS]
        rows.append(
            (level, code, name, year, cause, band, "", *[figures[n] for n in figure_names], figures["hours"],
             figures["companies_tied"], figures["public_tied"], *money, *impacts.get(key, no_impact))
        )  # fmt: skip
    return rows, len(counts) - len(secret), report


def refresh(*, progress: Callable[[str], None] | None = None) -> RefreshRun:
    """Recompute the whole observatory. The table is replaced in one transaction: readers see old or new."""
    say = progress or (lambda message: None)
    run = RefreshRun.objects.create()
    started = time.perf_counter()
    try:
        say("Calcul des agrégats…")
        aggregates = compute_aggregates()  # its own read-only transaction: one snapshot of the sources
        say("Secret statistique : perturbation des cases et audit…")
        try:
            rows, published, report = publish_rows(aggregates)
        except DisclosureRefused as refused:
            RefreshRun.objects.filter(pk=run.pk).update(audit=refused.report.as_dict())
            raise
        tables = story.publish(aggregates, rows, CELL_COLUMNS)  # coverage, weighted shares, survival (issue 23)
        with transaction.atomic():
            say(f"Écriture de {len(rows)} cases…")
            Cell.objects.all().delete()
            write_rows(Cell._meta.db_table, CELL_COLUMNS, rows)
            story.write(tables)
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


def snapshot_due(today=None) -> bool:
    """The fixed cadence: a snapshot on ``OBSERVATORY_SNAPSHOT_WEEKDAY`` (0 = Monday; -1: every day), or when no
    refresh ever succeeded."""
    weekday = int(getattr(settings, "OBSERVATORY_SNAPSHOT_WEEKDAY", 0))
    today = today or timezone.localdate()
    if weekday < 0 or today.weekday() == weekday:
        return True
    return not RefreshRun.objects.filter(status=RefreshRun.Status.DONE).exists()


def refresh_in_background() -> bool:
    """Queue a refresh for ``maillage worker`` (staff page). False when one is already queued or running."""
    from maillage.core.tasks import is_waiting_or_running
    from maillage.observatory.tasks import refresh_observatory

    if is_waiting_or_running(refresh_observatory):
        return False
    refresh_observatory.enqueue()
    return True
