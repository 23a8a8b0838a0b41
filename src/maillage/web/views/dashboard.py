"""The workspace dashboard: time invested beside resources obtained, per alliance and per partner kind; forms mix.

Every table is also a CSV and an XLSX download (``dashboard_export``), built from the same reads.
"""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from maillage.alliances import queries
from maillage.alliances.lifecycle import Stage
from maillage.audit.actions import record_event
from maillage.contributions import overview
from maillage.contributions.queries import given_by, is_giver_side
from maillage.core.roles import Role
from maillage.core.spreadsheets import csv_response, xlsx_response
from maillage.core.tenancy import workspace_required

RESOURCE_HEADERS = [label for _key, _kind, label in overview.RESOURCE_KINDS]


def _resources(row) -> list:
    return [row.money, row.in_kind, row.skills, row.service, row.volunteering, row.resources, row.promised]


def _table(name: str, workspace) -> tuple[str, list[str], list[list]]:
    """(title, French headers, rows) of one dashboard table, every row included."""
    if name == "alliances":
        headers = ["Alliance", "Étape", "Heures investies", *RESOURCE_HEADERS, "Total obtenu (€)", "Promis (€)"]
        rows = [[row.label, row.stage_label, row.hours, *_resources(row)] for row in overview.alliance_table(workspace)]
        return "Par alliance", headers, rows
    if name == "refroidissement":
        days = queries.cold_after_days(workspace)
        headers = ["Alliance", "Étape", "Dernier échange"]
        rows = [
            [a["name"], Stage(a["stage"]).label, a["last_interaction_on"] or "aucun"]
            for a in queries.cold_list(workspace, days=days)
        ]
        return "Relations qui refroidissent", headers, rows
    data = overview.dashboard(workspace)
    if name == "types-partenaires":
        headers = [
            "Type de partenaire",
            "Alliances",
            "Heures investies",
            *RESOURCE_HEADERS,
            "Total obtenu (€)",
            "Promis (€)",
        ]
        rows = [[row.label, row.alliances, row.hours, *_resources(row)] for row in data.kind_rows]
        return "Par type de partenaire", headers, rows
    if name == "formes":
        headers = ["Forme", "Alliances", "Part des alliances (%)"]
        return "Formes", headers, [[f["label"], f["count"], f["share"]] for f in data.forms]
    raise Http404("Tableau inconnu.")


EXPORTS = {
    "alliances": "Par alliance",
    "types-partenaires": "Par type de partenaire",
    "formes": "Formes",
    "refroidissement": "Relations qui refroidissent",
}


@workspace_required(Role.VIEWER)
def dashboard(request):
    data = overview.dashboard(request.workspace)
    # A company, a commune or a foundation mostly gives: its first figures are what it gave (decision 0016).
    given = given_by(request.workspace) if is_giver_side(request.workspace.organization) else None
    return render(request, "web/dashboard/dashboard.html", {"data": data, "exports": EXPORTS, "given": given})


@workspace_required(Role.VIEWER)
def dashboard_export(request, table: str, fmt: str):
    if table not in EXPORTS or fmt not in {"csv", "xlsx"}:
        raise Http404("Export inconnu : tableau ou format (csv, xlsx).")
    title, headers, rows = _table(table, request.workspace)
    name = f"maillage-{table}-{timezone.localdate():%Y-%m-%d}"
    record_event(
        action="export.downloaded",
        actor=request.user,
        workspace=request.workspace,
        details={"table": f"tableau-de-bord-{table}", "format": fmt, "rows": len(rows)},
        request=request,
    )
    if fmt == "csv":
        return csv_response(name, headers, rows)
    return xlsx_response(name, headers, rows, title=title)
