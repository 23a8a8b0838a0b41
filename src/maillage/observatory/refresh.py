"""Refresh: compute every indicator for every territory and year, apply disclosure control, rewrite the table.

Runs from the CLI (``maillage refresh_observatory``), from the staff page and every night (the
``refresh_observatory`` task, run by ``maillage worker``). The
aggregates are set-based SQL (:mod:`maillage.observatory.sql`) that DuckDB runs on a copy of the source rows, in
one snapshot (:mod:`maillage.observatory.engine`); the disclosure decisions are taken in Python on the aggregated
cells (a few hundred thousand at national scale), and the cells are written in one transaction.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from operator import itemgetter

from django.db import connection, transaction
from django.utils import timezone

from maillage.observatory import engine, sql
from maillage.observatory.bulk import write_rows
from maillage.observatory.disclosure import Amount, Relation, Table, decide, round_money
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
    *[name for name in sql.COUNT_NAMES if name != "minutes"],
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
    for query in sql.year_bounds_queries():
        value = fetch(query)[0][0]
        if value is not None:
            firsts.append(int(value))
    if not firsts:
        return []
    first = max(min(firsts), current - MAX_YEARS + 1)
    last = max(current, first)
    return list(range(first, last + 1))


def compute_aggregates(timings: dict[str, float] | None = None) -> dict[str, dict]:
    """Every aggregate, computed by DuckDB on a copy of the source rows (:mod:`.engine`)."""

    def compute(con) -> dict[str, dict]:
        def fetch(statement: str) -> list[tuple]:
            return con.execute(statement).fetchall()

        return sql.run_aggregates(con.execute, fetch, observed_years(fetch), timings)

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


def publish_rows(aggregates: dict[str, dict]) -> tuple[list[tuple], int]:
    """Decide what may be published; return the Cell rows (CELL_COLUMNS order) and how many are published."""
    figures_of = itemgetter(*[i for i, n in enumerate(sql.COUNT_NAMES) if n != "minutes"])
    minutes_slot = sql.COUNT_NAMES.index("minutes")
    counts: dict[tuple, tuple] = {}
    for level, rows in aggregates["counts"].items():
        for code, year, cause, band, *values in rows:
            counts[(level, str(code), int(year), cause, band)] = values
    table = Table(
        associations={k: int(v[0]) for k, v in counts.items()},
        amounts={kind: {} for kind in AMOUNT_FIELDS},
    )
    for level, rows in aggregates["amounts"].items():
        for code, year, cause, band, kind, givers, total, top in rows:
            key = (level, str(code), int(year), cause, band)
            if key in counts and kind in table.amounts:
                table.amounts[kind][key] = Amount(float(total or 0), int(givers), float(top or 0))
    network = {
        (level, str(code), int(year), "", ""): (companies, public)
        for level, rows in aggregates["network"].items()
        for code, year, companies, public in rows
    }
    relations = build_relations(set(counts), _hierarchy())
    primary, secondary, amount_secret = decide(table, relations)
    impacts = decide_impacts(aggregates.get("impacts", []), set(counts), primary | secondary, relations)
    no_impact = (None,) * (1 + len(IMPACT_FIELDS))
    names = _names()
    amounts = [(table.amounts[kind], amount_secret[kind]) for kind in AMOUNT_FIELDS]
    empty = (None,) * (len(CELL_COLUMNS) - 7)
    rows: list[tuple] = []
    published = 0
    for key, values in counts.items():
        level, code, year, cause, band = key
        name = names[level].get(code, code)
        if key in primary:
            rows.append((level, code, name, year, cause, band, Suppression.PRIMARY.value, *empty))
            continue
        if key in secondary:
            rows.append((level, code, name, year, cause, band, Suppression.SECONDARY.value, *empty))
            continue
        published += 1
        hours = round(int(values[minutes_slot] or 0) / 60)
        companies, public = network.get(key, (None, None))
        money = []
        for by_key, secret in amounts:
            if key in secret:
                money.append(None)
            else:
                amount = by_key.get(key)
                money.append(round_money(amount.total if amount else 0.0))
        rows.append(
            (level, code, name, year, cause, band, "", *[int(v or 0) for v in figures_of(values)], hours,
             companies, public, *money, *impacts.get(key, no_impact))
        )  # fmt: skip
    return rows, published


def refresh(*, progress: Callable[[str], None] | None = None) -> RefreshRun:
    """Recompute the whole observatory. The table is replaced in one transaction: readers see old or new."""
    say = progress or (lambda message: None)
    run = RefreshRun.objects.create()
    started = time.perf_counter()
    try:
        say("Calcul des agrégats…")
        aggregates = compute_aggregates()  # its own read-only transaction: one snapshot of the sources
        with transaction.atomic():
            say("Contrôle du secret statistique…")
            rows, published = publish_rows(aggregates)
            say(f"Écriture de {len(rows)} cases…")
            Cell.objects.all().delete()
            write_rows(Cell._meta.db_table, CELL_COLUMNS, rows)
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
        status=RefreshRun.Status.DONE, finished_at=timezone.now(), cells=len(rows), published=published, seconds=seconds
    )
    run.refresh_from_db()
    return run


def refresh_in_background() -> bool:
    """Queue a refresh for ``maillage worker`` (staff page). False when one is already queued or running."""
    from maillage.core.tasks import is_waiting_or_running
    from maillage.observatory.tasks import refresh_observatory

    if is_waiting_or_running(refresh_observatory):
        return False
    refresh_observatory.enqueue()
    return True
