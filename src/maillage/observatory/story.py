"""Coverage, weighted shares with their intervals, and the survival of alliances (issue 23).

Pure functions on the refresh's aggregates (:func:`maillage.observatory.duckdb_sql.run_aggregates`: ``directory``,
``strata``, ``survival``) and on the cells the refresh publishes; :func:`write` replaces the three tables in the
refresh's transaction. Methods and their disclosure reasoning: docs/observatory.md, "Coverage and uncertainty" and
"Survival and duration".
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from maillage.observatory.disclosure import perturb_count
from maillage.observatory.duckdb_sql import COUNT_NAMES, KEY_SHARES, STRATA_LEVELS
from maillage.observatory.models import Coverage, Estimate, Suppression, Survival

Z95 = 1.959964
# A weighted share is published for a territory whose published count of associations reaches this base.
MIN_WEIGHTED_BASE = 30
# A stratum (cause × band) of the platform with fewer associations is pooled with the rest of its band, then with
# the rest of the territory (its directory weight goes with it).
MIN_STRATUM = 5
# Survival: a (territory, cohort) is published from this many alliances; a share after k years only while this many
# alliances are still followed at k years; shares rounded to SURVIVAL_ROUNDING, the median to half a year.
MIN_SURVIVAL_ALLIANCES = 30
MIN_AT_RISK = 10
SURVIVAL_ROUNDING = 0.05
SURVIVAL_YEARS = (1, 3, 5)
DIRECTORY_SLOT = 60  # the directory count's offset on the key circle (disclosure.count_noise)


# -- Post-stratification --------------------------------------------------------------------------------------
@dataclass
class Stratum:
    population: int  # N_h: associations of the directory
    sample: int  # n_h: associations on the platform
    successes: int  # x_h: of them, with the figure (e.g. a company partner)


def collapse(strata: dict[tuple[str, str], Stratum]) -> list[Stratum]:
    """Strata (cause, band) with fewer than MIN_STRATUM associations on the platform are pooled with the rest of
    their band, and what is still too small with the rest of the territory."""
    kept: list[Stratum] = []
    rest_of_band: dict[str, Stratum] = defaultdict(lambda: Stratum(0, 0, 0))
    for (_cause, band), s in sorted(strata.items()):
        if s.sample >= MIN_STRATUM:
            kept.append(s)
        else:
            r = rest_of_band[band]
            r.population, r.sample, r.successes = (
                r.population + s.population,
                r.sample + s.sample,
                r.successes + s.successes,
            )
    rest = Stratum(0, 0, 0)
    for _band, r in sorted(rest_of_band.items()):
        if r.sample >= MIN_STRATUM:
            kept.append(r)
        else:
            rest.population, rest.sample, rest.successes = (
                rest.population + r.population,
                rest.sample + r.sample,
                rest.successes + r.successes,
            )
    if rest.sample > 0:
        kept.append(rest)
    # Strata with a directory population but nobody on the platform: their weight is spread over the others.
    return [s for s in kept if s.sample > 0]


def post_stratified(strata: Sequence[Stratum]) -> tuple[float, float] | None:
    """(p̂, standard error) of the post-stratified proportion p̂ = Σ W_h p̂_h, W_h = N_h / N, with
    Var = Σ W_h² (1 − n_h/N_h) p̂_h (1 − p̂_h) / (n_h − 1) (stratified sampling, Cochran 5.6)."""
    population = sum(s.population for s in strata)
    if population <= 0:
        return None
    estimate = variance = 0.0
    for s in strata:
        weight = s.population / population
        p = min(1.0, s.successes / s.sample)
        estimate += weight * p
        if s.sample > 1:
            fpc = max(0.0, 1 - s.sample / s.population) if s.population else 0.0
            variance += weight**2 * fpc * p * (1 - p) / (s.sample - 1)
    return estimate, math.sqrt(variance)


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson's score interval of an unweighted proportion (used when every stratum is all-or-nothing)."""
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def interval(strata: Sequence[Stratum]) -> tuple[float, float, float] | None:
    """(estimate, low, high) at 95 %, rounded to the whole percent (the interval outwards)."""
    result = post_stratified(strata)
    if result is None:
        return None
    estimate, se = result
    if se > 0:
        low, high = estimate - Z95 * se, estimate + Z95 * se
    else:  # every stratum at 0 % or 100 %: the normal interval collapses, Wilson's does not
        low, high = wilson(sum(s.successes for s in strata), sum(s.sample for s in strata))
        low, high = min(low, estimate), max(high, estimate)
    # Rounded to the whole percent, the interval outwards (it keeps at least its 95 %).
    return (
        round(estimate, 2),
        max(0.0, math.floor(round(low * 100, 6)) / 100),
        min(1.0, math.ceil(round(high * 100, 6)) / 100),
    )


# -- Kaplan–Meier ---------------------------------------------------------------------------------------------
def kaplan_meier(times: Iterable[tuple[int, int, int]]) -> list[tuple[int, int, float]]:
    """``times``: (time, ended 0/1, number). Returns (time, at risk, S(time)) at every time with an end, S being
    the probability of lasting beyond ``time`` (those censored at a time are at risk at it)."""
    events: dict[int, int] = defaultdict(int)
    exits: dict[int, int] = defaultdict(int)
    for time, ended, number in times:
        exits[time] += number
        if ended:
            events[time] += number
    at_risk = sum(exits.values())
    survival = 1.0
    curve = []
    for time in sorted(exits):
        if events.get(time):
            survival *= 1 - events[time] / at_risk
            curve.append((time, at_risk, survival))
        at_risk -= exits[time]
    return curve


def surviving(curve: list[tuple[int, int, float]], times: Sequence[tuple[int, int, int]], at: int) -> float | None:
    """S just before ``at`` (lasted at least ``at``), or None when fewer than MIN_AT_RISK are followed that long."""
    followed = sum(number for time, _ended, number in times if time >= at)
    if followed < MIN_AT_RISK:
        return None
    value = 1.0
    for time, _risk, s in curve:
        if time < at:
            value = s
    return value


def median(curve: list[tuple[int, int, float]]) -> int | None:
    """The smallest time at which S falls to 0.5 or below (None: not reached)."""
    return next((time for time, _risk, s in curve if s <= 0.5), None)


def _round(value: float | None, step: float) -> float | None:
    return None if value is None else round(round(value / step) * step, 4)


def survival_rows(rows: Sequence[tuple]) -> list[Survival]:
    """(region, dep, cohort, months, ended, alliances) → Survival rows for France, régions and départements."""
    groups: dict[tuple[str, str], dict[int, list[tuple[int, int, int]]]] = defaultdict(lambda: defaultdict(list))
    for region, dep, cohort, months, ended, alliances in rows:
        for key in (("france", "FR"), ("region", region), ("departement", dep)):
            if key[1] is None:
                continue
            groups[key][int(cohort)].append((int(months), int(ended), int(alliances)))
            groups[key][0].append((int(months), int(ended), int(alliances)))
    out = []
    for (level, code), cohorts in sorted(groups.items()):
        for cohort, times in sorted(cohorts.items()):
            if sum(n for _t, _e, n in times) < MIN_SURVIVAL_ALLIANCES:
                out.append(Survival(level=level, code=str(code), cohort=cohort, suppression=Suppression.SECRET))
                continue
            curve = kaplan_meier(times)
            after = {k: _round(surviving(curve, times, 12 * k), SURVIVAL_ROUNDING) for k in SURVIVAL_YEARS}
            middle = median(curve)
            out.append(
                Survival(
                    level=level,
                    code=str(code),
                    cohort=cohort,
                    after_1=after[1],
                    after_3=after[3],
                    after_5=after[5],
                    median_years=None if middle is None else _round(middle / 12, 0.5),
                )
            )
    return out


# -- Coverage and weighted shares ------------------------------------------------------------------------------
def _published_associations(cells: Iterable[tuple], columns: Sequence[str]) -> dict[tuple, int | None]:
    """(level, code, year) → the published associations of the "all causes, all bands" cell (None: secret)."""
    at = {
        name: columns.index(name) for name in ("level", "code", "year", "cause", "band", "suppression", "associations")
    }
    out = {}
    for row in cells:
        if row[at["cause"]] or row[at["band"]]:
            continue
        out[(row[at["level"]], str(row[at["code"]]), int(row[at["year"]]))] = (
            None if row[at["suppression"]] else row[at["associations"]]
        )
    return out


def coverage_rows(directory: dict[str, list[tuple]], published: dict[tuple, int | None]) -> list[Coverage]:
    """For the last published year, each territory with a cell: the directory's (perturbed) count of associations
    and the platform's published one."""
    if not published:
        return []
    last = max(year for _l, _c, year in published)
    out = []
    for level, rows in directory.items():
        totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for code, _cause, _band, n, key in rows:
            totals[str(code)][0] += int(n)
            totals[str(code)][1] += int(key)
        for code, (n, key) in sorted(totals.items()):
            if (level, code, last) not in published:
                continue
            out.append(
                Coverage(
                    level=level,
                    code=code,
                    year=last,
                    directory=perturb_count(n, key, slot=DIRECTORY_SLOT),
                    platform=published[(level, code, last)],
                )
            )
    return out


def estimate_rows(
    directory: dict[str, list[tuple]], strata: dict[str, list[tuple]], published: dict[tuple, int | None]
) -> list[Estimate]:
    """The key shares post-stratified on the directory by cause × band, from the perturbed stratum counts."""
    slots = {name: COUNT_NAMES.index(name) for name in ("associations", *KEY_SHARES)}
    out = []
    for level in STRATA_LEVELS:
        population: dict[str, dict[tuple[str, str], int]] = defaultdict(dict)
        for code, cause, band, n, key in directory.get(level, []):
            population[str(code)][(cause, band)] = perturb_count(int(n), int(key), slot=DIRECTORY_SLOT)
        cells: dict[tuple[str, int], dict[tuple[str, str], list[int]]] = defaultdict(dict)
        for code, year, cause, band, *values in strata.get(level, []):
            half = len(values) // 2
            counts, keys = values[:half], values[half:]
            names = ("associations", *KEY_SHARES)
            cells[(str(code), int(year))][(cause, band)] = [
                perturb_count(int(v or 0), int(k or 0), slot=slots[name])
                for name, v, k in zip(names, counts, keys, strict=True)
            ]
        for (code, year), by_stratum in sorted(cells.items()):
            base = published.get((level, code, year))
            secret = base is None or base < MIN_WEIGHTED_BASE
            for i, indicator in enumerate(KEY_SHARES, start=1):
                row = Estimate(level=level, code=code, year=year, indicator=indicator)
                if not secret:
                    groups = {
                        stratum: Stratum(
                            max(population[code].get(stratum, 0), values[0]), values[0], min(values[i], values[0])
                        )
                        for stratum, values in by_stratum.items()
                    }
                    # Directory strata nobody on the platform belongs to still weigh (pooled with their band).
                    for stratum, n in population[code].items():
                        groups.setdefault(stratum, Stratum(n, 0, 0))
                    result = interval(collapse(groups))
                    if result:
                        row.estimate, row.low, row.high = result
                out.append(row)
    return out


def publish(aggregates: dict, cells: Sequence[tuple], columns: Sequence[str]) -> dict[str, list]:
    """The three tables' rows from the refresh's aggregates and the cell rows it publishes."""
    published = _published_associations(cells, columns)
    directory = aggregates.get("directory", {})
    return {
        "coverage": coverage_rows(directory, published),
        "estimates": estimate_rows(directory, aggregates.get("strata", {}), published),
        "survival": survival_rows(aggregates.get("survival", [])),
    }


def write(tables: dict[str, list]) -> None:
    """Replace the three tables (inside the refresh's transaction)."""
    for model, name in ((Coverage, "coverage"), (Estimate, "estimates"), (Survival, "survival")):
        model.objects.all().delete()
        model.objects.bulk_create(tables.get(name, []), batch_size=5000)
