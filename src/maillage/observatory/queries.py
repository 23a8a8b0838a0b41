"""Reads of the published tables, for pages and API: a fixed number of queries per call."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from maillage.observatory.indicators import IMPACT_INDICATORS, IMPACT_METHOD, format_value, value_of
from maillage.observatory.models import Cell, Level, RefreshRun
from maillage.organizations.causes import CAUSE_LABELS
from maillage.organizations.models import BudgetBand
from maillage.territories.models import Commune, Departement, Epci, Region

MIN_YEAR, MAX_YEAR = 1900, 2200  # filters outside these are ignored (never an overflow in the database)
CAUSE_CHOICES = [("", "Toutes les causes"), *CAUSE_LABELS.items(), ("none", "Cause non renseignée")]
BAND_CHOICES = [("", "Tous les budgets"), *BudgetBand.choices, ("unknown", "Budget non renseigné")]
CHILD_LEVEL: dict[str, str] = {
    Level.FRANCE: Level.REGION,
    Level.REGION: Level.DEPARTEMENT,
    Level.DEPARTEMENT: Level.COMMUNE,
    Level.EPCI: Level.COMMUNE,
}


class NotFound(Exception):
    pass


@dataclass
class Filters:
    year: int | None
    cause: str
    band: str

    @classmethod
    def parse(cls, data) -> Filters:
        """Filters from a query string; anything unknown falls back to the default (never an error page)."""
        try:
            year = int(data.get("annee") or data.get("year") or 0) or None
        except (TypeError, ValueError):
            year = None
        if year is not None and not MIN_YEAR <= year <= MAX_YEAR:
            year = None  # 9223372036854775807 overflows SQLite's integers: out of range is "every year"
        cause = data.get("cause") or ""
        band = data.get("budget") or data.get("band") or ""
        if cause not in dict(CAUSE_CHOICES):
            cause = ""
        if band not in dict(BAND_CHOICES):
            band = ""
        if cause and band:
            band = ""  # the tables cross a territory with a cause or with a band, not both
        return cls(year, cause, band)


def years() -> list[int]:
    return sorted(set(Cell.objects.filter(level=Level.FRANCE).values_list("year", flat=True)))


TERRITORY_MODELS: dict[str, type[Region] | type[Departement] | type[Epci] | type[Commune]] = {
    Level.REGION: Region,
    Level.DEPARTEMENT: Departement,
    Level.EPCI: Epci,
    Level.COMMUNE: Commune,
}


def territory_name(level: str, code: str) -> str:
    """The name of a territory of the reference data; NotFound for an unknown one."""
    if level == Level.FRANCE:
        if code != "FR":
            raise NotFound
        return "France"
    if level not in TERRITORY_MODELS:
        raise NotFound
    name = territory_names(level, [code]).get(code)
    if name is None:
        raise NotFound
    return name


def parent_of(level: str, code: str) -> tuple[str, str] | None:
    if level == Level.REGION:
        return (Level.FRANCE, "FR")
    if level == Level.DEPARTEMENT:
        region = Departement.objects.filter(code=code).values_list("region_id", flat=True).first()
        return (Level.REGION, region) if region else None
    if level == Level.COMMUNE:
        dep = Commune.objects.filter(code=code).values_list("departement_id", flat=True).first()
        return (Level.DEPARTEMENT, dep) if dep else None
    if level == Level.EPCI:
        return (Level.FRANCE, "FR")
    return None


KEY_FIGURES = ["associations", "kinds_per_association", "local_authority", "company", "company_and_public"]


def comparison(level: str, code: str, year: int, filters: Filters) -> list[dict]:
    """The territory beside the territories above it (a commune: its département, région and France; a
    département: its région and France), same year and filters; one query for the cells."""
    chain = [(level, code)]
    current = (level, code)
    while current[0] != Level.FRANCE:
        current = parent_of(*current) or (Level.FRANCE, "FR")
        chain.append(current)
    if len(chain) == 1:
        return []
    wanted = Cell.objects.none()
    for lvl, cd in chain:
        wanted = wanted | Cell.objects.filter(level=lvl, code=cd, year=year, cause=filters.cause, band=filters.band)
    cells = {(c.level, c.code): c for c in wanted}
    out = []
    for lvl, cd in chain:
        try:
            name = territory_name(lvl, cd)
        except NotFound:
            continue
        out.append({"level": lvl, "code": cd, "name": name, "cell": cells.get((lvl, cd))})
    return out


def trend(level: str, code: str, filters: Filters) -> list[Cell]:
    return list(Cell.objects.filter(level=level, code=code, cause=filters.cause, band=filters.band).order_by("year"))


def children(level: str, code: str, year: int, filters: Filters) -> list[Cell]:
    """The published cells of the territory's parts (communes are shown for all causes and bands only)."""
    child = CHILD_LEVEL.get(level)
    if child is None:
        return []
    cause, band = (filters.cause, filters.band) if child != Level.COMMUNE else ("", "")
    qs = Cell.objects.filter(level=child, year=year, cause=cause, band=band)
    if level == Level.REGION:
        qs = qs.filter(code__in=Departement.objects.filter(region_id=code).values("code"))
    elif level == Level.DEPARTEMENT:
        qs = qs.filter(code__in=Commune.objects.filter(departement_id=code).values("code"))
    elif level == Level.EPCI:
        qs = qs.filter(code__in=Commune.objects.filter(epci_id=code).values("code"))
    return list(qs.order_by("name"))


def epcis_of(code: str, year: int) -> list[Cell]:
    """EPCI cells with at least one commune in the département."""
    members = Commune.objects.filter(departement_id=code, epci__isnull=False).values("epci_id")
    return list(Cell.objects.filter(level=Level.EPCI, year=year, cause="", band="", code__in=members).order_by("name"))


def departement_slice(year: int, filters: Filters) -> dict[str, Cell]:
    qs = Cell.objects.filter(level=Level.DEPARTEMENT, year=year, cause=filters.cause, band=filters.band)
    return {c.code: c for c in qs}


def breakdown(level: str, code: str, year: int, by: str) -> list[Cell]:
    """Cells of one territory and year by cause (``by="cause"``) or by budget band."""
    qs = Cell.objects.filter(level=level, code=code, year=year)
    qs = qs.exclude(cause="").filter(band="") if by == "cause" else qs.exclude(band="").filter(cause="")
    return list(qs)


def impact_scores(level: str, code: str, year: int, cell: Cell | None = None) -> dict | None:
    """The three impacts' average scores of a territory and year (computed by the refresh, see
    :mod:`maillage.observatory.impacts`), from its "all causes, all bands" cell (``cell`` when the caller has
    it, else one query). None when the cell is missing or secret.

    ``status``: "published" (at least 5 associations evaluated), "secret" (fewer, or hidden to protect another
    cell) or "none" (no closed evaluation)."""
    if cell is None or (cell.cause, cell.band) != ("", ""):
        cell = Cell.objects.filter(level=level, code=code, year=year, cause="", band="").first()
    if cell is None or not cell.is_published:
        return None
    status = "none" if cell.evaluated == 0 else "secret" if cell.evaluated is None else "published"
    rows = []
    for indicator in IMPACT_INDICATORS:
        value = value_of(cell, indicator)
        rows.append({"indicator": indicator, "value": value, "text": format_value(value, indicator)})
    return {"status": status, "evaluated": cell.evaluated, "rows": rows, "method": IMPACT_METHOD}


WEEKDAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]


def publication_cadence(today: date | None = None) -> dict:
    """Whether a snapshot may be published now, and when the next one is due (decision 0013: one snapshot a week,
    on ``OBSERVATORY_SNAPSHOT_WEEKDAY``, so that a single write cannot be isolated between two snapshots).

    Allowed: when nothing was ever published, or on the cadence's day when no snapshot was published that day yet
    (the nightly job failed or has not run). Otherwise ``reason`` says why, in French, for the staff page."""
    weekday = int(getattr(settings, "OBSERVATORY_SNAPSHOT_WEEKDAY", 0))
    today = today or timezone.localdate()
    last = RefreshRun.objects.filter(status=RefreshRun.Status.DONE, finished_at__isnull=False).first()
    if last is None:
        return {"allowed": True, "reason": "", "next": today, "last": None}
    published_today = timezone.localdate(last.finished_at) == today
    if weekday < 0:
        days = 1 if published_today else 0
        rule = "chaque nuit"
    else:
        days = (weekday - today.weekday()) % 7 or (7 if published_today else 0)
        rule = f"une fois par semaine, le {WEEKDAYS[weekday]}"
    upcoming = today + timedelta(days=days)
    if days == 0:
        return {"allowed": True, "reason": "", "next": upcoming, "last": last}
    on_the_day = weekday < 0 or today.weekday() == weekday
    why = (
        "Un instantané a déjà été publié aujourd'hui"
        if on_the_day and published_today
        else "Ce n'est pas le jour de publication"
    )
    reason = (
        f"Publication hors calendrier refusée. {why} : l'observatoire publie {rule}, à date fixe, pour qu'aucune "
        "écriture (un don, une association ajoutée) ne puisse être isolée en comparant deux instantanés "
        f"rapprochés. Prochaine publication : {WEEKDAYS[upcoming.weekday()]} {upcoming:%d/%m/%Y}, par la tâche "
        "de nuit (3 h) de « maillage worker », ou depuis cette page ce jour-là si elle a échoué."
    )
    return {"allowed": False, "reason": reason, "next": upcoming, "last": last}


def map_focus(level: str, code: str, parent: tuple[str, str] | None = None) -> tuple[set[str] | None, str]:
    """The départements a territory's map shows, and the one it outlines: France, every département; a région,
    its départements; a département or a commune, its région's départements with its own (``parent`` for a
    commune, as :func:`parent_of` gives it) outlined; an EPCI, the régions of its communes. One query;
    ``(None, "")`` for the whole map."""
    if level == Level.FRANCE:
        return None, ""
    highlight = ""
    if level == Level.REGION:
        regions: Any = [code]
    elif level == Level.DEPARTEMENT:
        highlight = code
        regions = Departement.objects.filter(code=code).values("region_id")
    elif level == Level.COMMUNE:
        highlight = parent[1] if parent else ""
        regions = Commune.objects.filter(code=code).values("region_id")
    else:
        regions = Commune.objects.filter(epci_id=code).values("region_id")
    codes = set(Departement.objects.filter(region_id__in=regions).values_list("code", flat=True))
    return (codes or None), highlight


def story(level: str, code: str, year: int | None) -> dict:
    """Coverage, the key shares weighted to the directory with their 95 % intervals (``year``), and the survival of
    alliances by start cohort of a territory (issue 23; computed by the refresh, :mod:`maillage.observatory.story`).
    Three queries."""
    from maillage.observatory.indicators import BY_CODE
    from maillage.observatory.models import Coverage, Estimate, Survival

    coverage = Coverage.objects.filter(level=level, code=code).first()
    estimates: list[dict[str, Any]] = []
    if year is not None:
        for row in Estimate.objects.filter(level=level, code=code, year=year):
            indicator = BY_CODE[row.indicator]
            estimates.append(
                {
                    "indicator": indicator,
                    "estimate": row.estimate,
                    "low": row.low,
                    "high": row.high,
                    "text": format_value(row.estimate, indicator),
                    "interval": ""
                    if row.estimate is None
                    else f"{format_value(row.low, indicator)} – {format_value(row.high, indicator)}",
                }
            )
        order = [i.code for i in BY_CODE.values()]
        estimates.sort(key=lambda e: order.index(e["indicator"].code))
    survival = list(Survival.objects.filter(level=level, code=code).order_by("cohort"))
    pooled = next((s for s in survival if s.cohort == 0), None)
    return {
        "coverage": coverage,
        "estimates": estimates,
        "survival": [s for s in survival if s.cohort],
        "survival_all": pooled,
    }


def coverage_row(coverage) -> dict:
    """A :class:`Coverage` row as the API and the open data publish it (``secret``: the platform's count is)."""
    return {
        "year": coverage.year,
        "directory": coverage.directory,
        "platform": coverage.platform,
        "share": None if coverage.share is None else round(coverage.share, 3),
        "secret": coverage.platform is None,
    }


def weighted_row(estimate) -> dict:
    """An :class:`Estimate` row as the API and the open data publish it (``secret``: not published, base < 30)."""
    return {
        "year": estimate.year,
        "indicator": estimate.indicator,
        "estimate": estimate.estimate,
        "low": estimate.low,
        "high": estimate.high,
        "secret": estimate.estimate is None,
    }


def survival_row(survival) -> dict:
    """A :class:`Survival` row as the API and the open data publish it (``cohort`` None: every cohort together)."""
    return {
        "cohort": survival.cohort or None,
        "secret": bool(survival.suppression),
        "after_1": survival.after_1,
        "after_3": survival.after_3,
        "after_5": survival.after_5,
        "median_years": survival.median_years,
    }


def story_json(level: str, code: str) -> dict:
    """The same figures for the API and open data: coverage, every year's weighted shares, survival."""
    from maillage.observatory.models import Coverage, Estimate, Survival

    coverage = Coverage.objects.filter(level=level, code=code).first()
    return {
        "coverage": None if coverage is None else coverage_row(coverage),
        "weighted": [
            weighted_row(e) for e in Estimate.objects.filter(level=level, code=code).order_by("year", "indicator")
        ],
        "survival": [survival_row(s) for s in Survival.objects.filter(level=level, code=code).order_by("cohort")],
    }


def territory_names(level: str, codes: Iterable[str] | None = None) -> dict[str, str]:
    """{code: name} of a level's territories (``codes`` only, when given): one query."""
    if level == Level.FRANCE:
        return {"FR": "France"}
    if level not in TERRITORY_MODELS:
        return {}
    key = "siren" if level == Level.EPCI else "code"
    qs = TERRITORY_MODELS[level].objects.all()
    if codes is not None:
        qs = qs.filter(**{f"{key}__in": list(codes)})
    return {str(code): name for code, name in qs.values_list(key, "name")}
