"""A workspace's own position against its territory and sector (its own alliances, live; the others, published)."""

from __future__ import annotations

from maillage.alliances.models import Alliance, Party
from maillage.observatory.indicators import BY_CODE, format_value, value_of
from maillage.observatory.models import Cell, Level
from maillage.organizations.causes import CAUSE_LABELS
from maillage.organizations.models import BudgetBand, Kind

KIND_GROUPS = {
    "local_authority": {Kind.COMMUNE, Kind.EPCI, Kind.DEPARTEMENT, Kind.REGION},
    "association_foundation": {Kind.ASSOCIATION, Kind.FOUNDATION},
    "school": {Kind.SCHOOL},
    "company": {Kind.COMPANY},
    "insertion": {Kind.SIAE},
    "research": {Kind.RESEARCH_LAB},
}
COMPARED = ["kinds_per_association", *KIND_GROUPS, "company_and_public"]


def own_figures(workspace) -> dict[str, float]:
    """The workspace's own alliances in progress: which kinds of partners (2 queries)."""
    organization = workspace.organization
    alliances = Alliance.objects.visible_to(workspace).exclude(stage__in=["identified", "abandoned"])
    kinds = set(
        Party.objects.filter(alliance__in=alliances, left_at__isnull=True)
        .exclude(organization=organization)
        .values_list("organization__kind", flat=True)
    )
    figures = {group: 1.0 if kinds & members else 0.0 for group, members in KIND_GROUPS.items()}
    figures["kinds_per_association"] = sum(figures.values())
    public = kinds & (KIND_GROUPS["local_authority"] | {Kind.STATE_SERVICE})
    figures["company_and_public"] = 1.0 if public and Kind.COMPANY in kinds else 0.0
    return figures


def compare(workspace) -> dict:
    organization = workspace.organization
    mine = own_figures(workspace)
    causes = list(organization.causes.order_by("position").values_list("code", flat=True)[:1])
    cause = causes[0] if causes else ""
    dep = organization.departement_id
    year = Cell.objects.filter(level=Level.FRANCE).order_by("-year").values_list("year", flat=True).first()
    wanted = {"france": (Level.FRANCE, "FR", "", "")}
    if dep:
        wanted["territory"] = (Level.DEPARTEMENT, dep, "", "")
    if cause:
        wanted["sector"] = (Level.FRANCE, "FR", cause, "")
    if organization.budget_band:
        wanted["band"] = (Level.FRANCE, "FR", "", organization.budget_band)
    cells = {}
    if year:
        from django.db.models import Q

        condition = Q()
        for level, code, c, b in wanted.values():
            condition |= Q(level=level, code=code, cause=c, band=b)
        found = {(x.level, x.code, x.cause, x.band): x for x in Cell.objects.filter(condition, year=year)}
        cells = {name: found.get(key) for name, key in wanted.items()}
    rows = []
    for code in COMPARED:
        indicator = BY_CODE[code]
        row = {"indicator": indicator, "mine": _own_text(code, mine[code])}
        for name in ("territory", "sector", "band", "france"):
            cell = cells.get(name)
            row[name] = format_value(value_of(cell, indicator), indicator) if cell and cell.is_published else "—"
        rows.append(row)
    return {
        "organization": organization,
        "is_association": organization.kind == Kind.ASSOCIATION,
        "contributes": workspace.contributes_to_observatory,
        "year": year,
        "rows": rows,
        "cause_label": CAUSE_LABELS.get(cause, ""),
        "band_label": BudgetBand(organization.budget_band).label if organization.budget_band else "",
        "departement": dep,
    }


def _own_text(code: str, value: float) -> str:
    if code == "kinds_per_association":
        return f"{int(value)}"
    return "oui" if value else "non"
