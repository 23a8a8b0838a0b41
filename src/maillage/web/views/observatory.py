"""Public pages of the observatory (no login), open data downloads, a workspace's position, the staff refresh."""

from __future__ import annotations

import csv
import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from maillage.core.roles import Role
from maillage.core.tenancy import workspace_required
from maillage.observatory import position, published, queries, svgmap
from maillage.observatory.indicators import BY_CODE, INDICATORS, MAP_INDICATORS, format_value, value_of
from maillage.observatory.models import Level, RefreshRun

# The key figures' names on the first screen (short: five cards on a phone); the tables below give the full labels.
SHORT_LABELS = {
    "associations": "Associations comptées",
    "kinds_per_association": "Types de partenaires par association",
    "local_authority": "Avec une collectivité",
    "company": "Avec une entreprise",
    "company_and_public": "Reliant entreprise et acteur public",
}
NETWORK_CODES = ["company_ties_per_association", "associations_per_company", "density_company", "density_public"]
TREND_CODES = ["kinds_per_association", "company", "local_authority", "company_and_public"]


def _rows(cell) -> list[dict]:
    rows = []
    for indicator in INDICATORS:
        value = value_of(cell, indicator) if cell and cell.is_published else None
        base = None
        if cell and cell.is_published and indicator.base and "*" not in indicator.base:
            base = getattr(cell, indicator.base)  # its unit is in the definition (associations, companies…)
        rows.append(
            {
                "indicator": indicator,
                "value": value,
                "text": format_value(value, indicator) if cell else "—",
                "base": base,
                "reference": format_value(indicator.reference, indicator) if indicator.reference is not None else "",
            }
        )
    return rows


BASE_NOUNS = {
    "associations": "associations",
    "companies_tied": "entreprises liées",
    "company": "associations liées à une entreprise",
    "new_alliances": "nouvelles alliances avec une entreprise",
}


def _base_text(count: int, indicator) -> str:
    """« 1 234 associations »: the base behind a share (what it is computed on)."""
    noun = BASE_NOUNS.get(indicator.base, "associations")
    return f"{count:,}".replace(",", "\u202f") + f" {noun}"


def _map(year: int, filters: queries.Filters, indicator, level_url, focus=None, highlight: str = "") -> dict:
    """The map of départements coloured by ``indicator`` (all of them, or the ``focus`` ones: a région's), with
    ``highlight`` outlined. Classes are national (the same colours on every page); the legend gives each class's
    range, how many of the map's départements it holds and the base behind them (issue 23)."""
    cells = queries.departement_slice(year, filters)
    values = {code: value_of(cell, indicator) for code, cell in cells.items() if cell.is_published}
    bases = {
        code: int(getattr(cell, indicator.base) or 0)
        for code, cell in cells.items()
        if cell.is_published and indicator.base and values.get(code) is not None
    }
    published = [v for v in values.values() if v is not None]
    bounds = svgmap.bins(published, key=lambda v: format_value(v, indicator))
    fills = svgmap.palette(len(bounds))
    members: list[list[str]] = [[] for _ in bounds]
    shapes = []
    secret_count = empty_count = 0
    for shape in svgmap.shapes():
        if focus is not None and shape.code not in focus:
            continue  # outside the view box: not drawn, so no link is focusable where nothing is seen
        cell = cells.get(shape.code)
        secret = cell is not None and not cell.is_published
        value = values.get(shape.code)
        text = (
            "secret statistique" if secret else format_value(value, indicator) if value is not None else "aucune donnée"
        )
        if value is not None and bounds:
            members[svgmap.class_of(value, bounds)].append(shape.code)
        elif secret:
            secret_count += 1
        else:
            empty_count += 1
        base = bases.get(shape.code)
        shapes.append(
            {
                "shape": shape,
                "fill": svgmap.colour(value, bounds, secret),
                "label": f"{shape.name} ({shape.code}) : {text}"
                + (" (territoire affiché)" if shape.code == highlight else ""),
                "text": text,
                "base": _base_text(base, indicator) if base is not None else "",
                "url": level_url(Level.DEPARTEMENT, shape.code),
                "current": shape.code == highlight,
            }
        )
    legend = []
    for (low, high), fill, codes in zip(svgmap.classes(published, bounds), fills, members, strict=True):
        low_text, high_text = format_value(low, indicator), format_value(high, indicator)
        legend.append(
            {
                "fill": fill,
                "label": high_text if low_text == high_text else f"{low_text} à {high_text}",
                "count": len(codes),
                "base": _base_text(sum(bases.get(c, 0) for c in codes), indicator),
            }
        )
    return {
        "shapes": shapes,
        "legend": legend,
        "secret_count": secret_count,
        "empty_count": empty_count,
        "secret_fill": svgmap.SECRET_FILL,
        "empty_fill": svgmap.EMPTY_FILL,
        "view_box": svgmap.view_box(focus),
        "national": focus is None,
        "inset": svgmap.inset_size(),
        "attribution": svgmap.ATTRIBUTION,
    }


def _figure_text(cell, indicator) -> str:
    if cell is None:
        return "aucune association"
    if not cell.is_published:
        return "secret"
    return format_value(value_of(cell, indicator), indicator)


def _comparison(level, code, year, filters, cell) -> dict:
    """The five key figures of the first screen, each beside the territories above it (issue 23: the département
    beside its région and France); France beside the published survey. ``columns`` and ``rows`` are the same
    figures as a table (below the first screen)."""
    columns = queries.comparison(level, code, year, filters) or [
        {"level": level, "code": code, "name": queries.territory_name(level, code), "cell": cell}
    ]
    rows, figures = [], []
    for code_ in queries.KEY_FIGURES:
        indicator = BY_CODE[code_]
        texts = [_figure_text(column["cell"], indicator) for column in columns]
        rows.append({"indicator": indicator, "texts": texts})
        beside = [{"name": column["name"], "text": text} for column, text in zip(columns[1:], texts[1:], strict=True)]
        if not beside and indicator.reference is not None:
            beside = [{"name": "Enquête 2016", "text": format_value(indicator.reference, indicator)}]
        figures.append(
            {
                "indicator": indicator,
                "label": SHORT_LABELS[code_],
                "text": texts[0],
                "beside": beside,
                "source": indicator.source,
            }
        )
    return {"columns": columns if len(columns) > 1 else [], "rows": rows, "figures": figures}


def _bars(trend, codes) -> list[dict]:
    """CSS bars of a few indicators over the years (values as % of the largest)."""
    charts = []
    for code in codes:
        indicator = BY_CODE[code]
        points = [(c.year, value_of(c, indicator) if c.is_published else None) for c in trend]
        top = max((v for _, v in points if v is not None), default=0) or 1
        charts.append(
            {
                "indicator": indicator,
                "points": [
                    {"year": y, "text": format_value(v, indicator), "width": round(100 * (v or 0) / top)}
                    for y, v in points
                ],
            }
        )
    return charts


def _scope(filters: queries.Filters) -> str:
    """The filters in words (« Toutes les causes · Tous les budgets »), under the title."""
    cause, band = dict(queries.CAUSE_CHOICES)[filters.cause], dict(queries.BAND_CHOICES)[filters.band]
    return f"{cause} · {band}"


def territory(request, level: str = Level.FRANCE, code: str = "FR"):
    try:
        name = queries.territory_name(level, code)
    except queries.NotFound as error:
        raise Http404("Territoire inconnu.") from error
    filters = queries.Filters.parse(request.GET)
    parent = queries.parent_of(level, code)
    years = queries.years()
    year = filters.year if filters.year in years else (years[-1] if years else None)
    trend = queries.trend(level, code, filters)
    cell = next((c for c in trend if c.year == year), None)
    map_indicator = BY_CODE.get(request.GET.get("indicateur", ""), BY_CODE["company"])
    if map_indicator not in MAP_INDICATORS:
        map_indicator = BY_CODE["company"]

    def level_url(lvl, cd):
        return reverse("web:observatory_territory", kwargs={"level": lvl, "code": cd})

    context: dict[str, Any] = {
        "level": level,
        "level_label": Level(level).label,
        "code": code,
        "name": name,
        "filters": filters,
        "scope": _scope(filters),
        "years": years,
        "year": year,
        "cell": cell,
        "rows": _rows(cell),
        "trend": trend,
        "charts": _bars(trend, TREND_CODES),
        "shift": _bars(trend, ["new_mecenat_only", "new_coconstruction"]),
        "comparison": _comparison(level, code, year, filters, cell) if year else None,
        "children": queries.children(level, code, year, filters) if year else [],
        "child_level": queries.CHILD_LEVEL.get(level),
        "epcis": queries.epcis_of(code, year) if year and level == Level.DEPARTEMENT else [],
        "parent": parent,
        "impacts": queries.impact_scores(level, code, year, cell) if year else None,
        "cause_choices": queries.CAUSE_CHOICES,
        "band_choices": queries.BAND_CHOICES,
        "map_indicators": MAP_INDICATORS,
        "map_indicator": map_indicator,
        "map": _map(year, filters, map_indicator, level_url, *queries.map_focus(level, code, parent)) if year else None,
        # Per-node figures first: they compare across territories; the densities fall as the territory grows.
        "density": [BY_CODE[c] for c in NETWORK_CODES],
        "last_run": RefreshRun.objects.filter(status=RefreshRun.Status.DONE).first(),
        "story": queries.story(level, code, year),  # coverage, intervals, survival (issue 23)
    }
    # Communes are listed only where something is published (issue 23): the secret ones are only counted.
    if context["child_level"] == Level.COMMUNE:
        published = [c for c in context["children"] if c.is_published]
        context["secret_children"] = len(context["children"]) - len(published)
        context["children"] = published
    base = reverse("web:observatory_home")
    for child in context["children"] + context["epcis"]:
        child.url = f"{base}{child.level}/{child.code}/"  # one reverse() for hundreds of links
    context["network"] = [
        {"indicator": i, "text": format_value(value_of(cell, i), i) if cell and cell.is_published else "secret"}
        for i in context["density"]
    ]
    return render(request, "web/observatory/territory.html", context)


def home(request):
    return territory(request)


def open_data(request):
    return render(
        request,
        "web/observatory/open_data.html",
        {
            "indicators": INDICATORS,
            "levels": Level.choices,
            "years": queries.years(),
            "rules": published.RULES,
            "story_tables": [
                {
                    "table": t,
                    "levels": [(v, label) for v, label in Level.choices if v in t.levels],
                    "dictionary": published.dictionary(t),
                }
                for t in published.STORY_TABLES.values()
            ],
        },
    )


def data_csv(request):
    query = published.ExportQuery.parse(request.GET)
    response = HttpResponse("".join(published.csv_lines(query)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{query.filename}.csv"'
    return response


def data_json(request):
    query = published.ExportQuery.parse(request.GET)
    return JsonResponse(published.as_json(query), json_dumps_params={"ensure_ascii": False})


def _story_table(table: str) -> published.StoryTable:
    if table not in published.STORY_TABLES:
        raise Http404(
            f"Fichier inconnu « {table} » : choisissez parmi {', '.join(published.STORY_TABLES)} "
            "(voir /observatoire/donnees/)."
        )
    return published.STORY_TABLES[table]


def _story_query(request, story_table: published.StoryTable) -> published.ExportQuery:
    query = published.ExportQuery.parse(request.GET)
    if query.level not in story_table.levels:
        query.level = Level.DEPARTEMENT  # weighted shares and survival: France, régions and départements only
    return query


def story_csv(request, table: str):
    """Coverage, weighted shares or survival (issue 23) as CSV: the API's story rows, every territory of a level."""
    story_table = _story_table(table)
    query = _story_query(request, story_table)
    response = HttpResponse(
        "".join(published.story_csv_lines(story_table, query)), content_type="text/csv; charset=utf-8"
    )
    suffix = f"-{query.year}" if query.year and story_table.by_year else ""
    response["Content-Disposition"] = f'attachment; filename="observatoire-{table}-{query.level}{suffix}.csv"'
    return response


def story_json(request, table: str):
    story_table = _story_table(table)
    return JsonResponse(
        published.story_json(story_table, _story_query(request, story_table)),
        json_dumps_params={"ensure_ascii": False},
    )


def definitions_csv(request):
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="observatoire-definitions.csv"'
    writer = csv.writer(response)
    for row in published.definition_rows():
        writer.writerow(row)
    return response


def definitions_json(request):
    return HttpResponse(
        json.dumps(published.definitions(), ensure_ascii=False), content_type="application/json; charset=utf-8"
    )


@workspace_required(Role.VIEWER)
def my_position(request):
    return render(request, "web/observatory/position.html", position.compare(request.workspace))


@login_required
@require_http_methods(["GET", "POST"])
def refresh_page(request):
    if not request.user.is_staff:
        raise PermissionDenied("Seule l'équipe d'administration peut actualiser l'observatoire.")
    cadence = queries.publication_cadence()
    if request.method == "POST":
        from maillage.observatory.snapshots import request_snapshot

        outcome = request_snapshot()  # the same rule as the CLI and the nightly job
        if outcome == "not_due":
            messages.error(
                request, "Rien n'a été publié : la raison et la date du prochain instantané sont ci-dessous."
            )
        elif outcome == "queued":
            messages.success(
                request, "Publication de l'instantané lancée en arrière-plan : rechargez cette page pour suivre."
            )
        else:
            messages.warning(request, "Une actualisation est déjà en cours : attendez qu'elle se termine.")
        return redirect("web:observatory_refresh")
    return render(request, "web/observatory/refresh.html", {"runs": RefreshRun.objects.all()[:10], "cadence": cadence})
