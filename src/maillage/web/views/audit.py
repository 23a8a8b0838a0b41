"""The audit journal of the workspace, for its owners: who did what, when, from where; filters; CSV export."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone

from maillage.audit.labels import FAMILIES, action_label, target_label
from maillage.core.roles import Role
from maillage.core.spreadsheets import csv_response
from maillage.core.tenancy import workspace_required
from maillage.workspaces import journal as queries

PAGE_SIZE = 50


def _filters(request, members):
    try:
        return queries.filters_from(request.GET, members), {}
    except ValidationError as exc:
        return queries.Filters(), exc.message_dict


@workspace_required(Role.OWNER)
def journal(request):
    members = queries.members_of(request.workspace)
    filters, errors = _filters(request, members)
    page = Paginator(queries.journal(request.workspace, filters, members), PAGE_SIZE).get_page(request.GET.get("page"))
    for event in page:
        event.label = action_label(event.action)  # type: ignore[attr-defined]  # attached for the template
        event.target_name = target_label(event.target_type)  # type: ignore[attr-defined]  # attached for the template
    querystring = request.GET.copy()
    querystring.pop("page", None)
    return render(
        request,
        "web/audit/journal.html",
        {
            "page": page,
            "filters": filters,
            "errors": errors,
            "families": FAMILIES.items(),
            "members": members,
            "querystring": querystring.urlencode(),
        },
        status=400 if errors else 200,
    )


@workspace_required(Role.OWNER)
def journal_export(request):
    members = queries.members_of(request.workspace)
    filters, errors = _filters(request, members)
    if errors:
        return journal(request)
    headers, rows = queries.export_journal(
        workspace=request.workspace, user=request.user, filters=filters, request=request
    )
    return csv_response(f"journal-audit-{timezone.localdate():%Y-%m-%d}", headers, rows)
