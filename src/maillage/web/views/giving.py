"""The giving side's pages: what a company, a commune or a foundation gave, the receipts issued to it, what its
gifts cost it once its tax reduction is deducted, and the impact reports of its alliances.

No business rule here: the reads are :func:`maillage.contributions.queries.given_by` and
:func:`maillage.receipts.queries.received_receipts`; the reduction is the receipts area's simulator
(:func:`maillage.receipts.simulation.simulate_company`).
"""

from __future__ import annotations

from decimal import Decimal

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from maillage.contributions.queries import given_by, is_giver_side
from maillage.core.roles import Role
from maillage.core.tenancy import get_visible_or_404, workspace_required
from maillage.evaluation.models import Evaluation, EvaluationStatus
from maillage.organizations.models import Kind as OrganizationKind
from maillage.receipts.pdf import pdf_filename, render_receipt_pdf
from maillage.receipts.queries import estimated_reduction, received_receipts
from maillage.web.forms.giving import TurnoverForm


@workspace_required(Role.VIEWER)
def giving_home(request):
    workspace = request.workspace
    organization = workspace.organization
    given = given_by(workspace)
    receipts = list(received_receipts(workspace)[:200])
    is_company = organization.kind == OrganizationKind.COMPANY
    form = TurnoverForm(request.GET or None)
    results = None
    if is_company and request.GET and form.is_valid():
        try:
            results = estimated_reduction(workspace, form.cleaned_data["turnover"])
        except ValueError as exc:
            form.add_error("turnover", f"Estimation impossible : {exc}")
    reports = list(
        Evaluation.objects.visible_to(workspace)
        .filter(status=EvaluationStatus.CLOSED)
        .select_related("alliance")
        .order_by("-period_end", "-id")[:50]
    )
    context = {
        "given": given,
        "receipts": receipts,
        "active_receipts_total": sum((r.amount for r in receipts if not r.is_cancelled), Decimal("0")),
        "is_company": is_company,
        "giver_side": is_giver_side(organization),
        "form": form,
        "results": results,
        "reduction_total": sum((r.reduction for r in results), Decimal("0")) if results else None,
        "reports": reports,
        "this_year": timezone.localdate().year,
    }
    return render(request, "web/giving/home.html", context)


@workspace_required(Role.VIEWER)
def giving_receipt(request, receipt_id: int):
    receipt = get_visible_or_404(received_receipts(request.workspace).select_related("replaced_by"), pk=receipt_id)
    return render(request, "web/giving/receipt.html", {"receipt": receipt})


@workspace_required(Role.VIEWER)
def giving_receipt_pdf(request, receipt_id: int):
    receipt = get_visible_or_404(received_receipts(request.workspace), pk=receipt_id)
    response = HttpResponse(render_receipt_pdf(receipt), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pdf_filename(receipt)}"'
    return response
