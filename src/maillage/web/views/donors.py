"""Pages of the receipts area about individual donors: the list (search), a donor's history (gifts, receipts, totals
per year) with the button that issues the yearly summary receipt, and the ZIP of a year's receipts.

No business rule here: :mod:`maillage.receipts.summary`, :mod:`maillage.receipts.archive` decide.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from maillage.core.roles import Role, role_at_least
from maillage.core.tenancy import get_visible_or_404, workspace_required
from maillage.receipts import actions, archive, summary
from maillage.receipts.models import Donor, Receipt
from maillage.web.views.workspaces import verified_required


@workspace_required(Role.VIEWER)
def donors_list(request):
    query = (request.GET.get("q") or "").strip()[:100]
    donors = Donor.objects.visible_to(request.workspace).annotate(
        gift_count=Count("gifts"), gift_total=Sum("gifts__amount")
    )
    if query:
        donors = donors.filter(Q(full_name__icontains=query) | Q(email__icontains=query) | Q(city__icontains=query))
    page = Paginator(donors.order_by("full_name", "pk"), 50).get_page(request.GET.get("page"))
    return render(request, "web/receipts/donors.html", {"donors": page, "query": query})


def donor_receipts(workspace, donor: Donor):
    """The receipts that cover the donor's gifts: single ones and yearly summaries (cancelled ones included)."""
    return (
        Receipt.objects.visible_to(workspace)
        .filter(Q(individual_gift__donor=donor) | Q(lines__gift__donor=donor))
        .distinct()
        .order_by("-year", "-number")
    )


@workspace_required(Role.VIEWER)
def donor_detail(request, donor_id: int):
    donor = get_visible_or_404(Donor.objects.visible_to(request.workspace), pk=donor_id)
    gifts = list(donor.gifts.order_by("-received_on", "-pk"))
    receipts = list(donor_receipts(request.workspace, donor))
    covered = {}
    for receipt in receipts:
        if receipt.is_cancelled:
            continue
        if receipt.individual_gift_id:
            covered[receipt.individual_gift_id] = receipt
        for line in receipt.lines.all() if receipt.summary_year else ():
            covered[line.gift_id] = receipt
    years: dict[int, dict] = defaultdict(lambda: {"count": 0, "total": Decimal("0"), "pending": 0})
    for gift in gifts:
        entry = years[gift.received_on.year]
        entry["count"] += 1
        entry["total"] += gift.amount
        entry["pending"] += gift.pk not in covered
    today = timezone.localdate()
    rows = [
        {"year": y, **years[y], "can_summarise": years[y]["pending"] == years[y]["count"]}
        for y in sorted(years, reverse=True)
    ]
    return render(
        request,
        "web/receipts/donor.html",
        {
            "donor": donor,
            "gifts": [(g, covered.get(g.pk)) for g in gifts],
            "receipts": receipts,
            "years": rows,
            "can_write": role_at_least(request.workspace_role, Role.MEMBER),
            "this_year": today.year,
        },
    )


@workspace_required(Role.MEMBER)
@verified_required(actions.ISSUE)
@require_POST
def donor_summary_receipt(request, donor_id: int, year: int):
    donor = get_visible_or_404(Donor.objects.visible_to(request.workspace), pk=donor_id)
    try:
        receipt = summary.issue_summary_receipt(
            workspace=request.workspace, user=request.user, donor=donor, year=summary.year_of(year), request=request
        )
    except ValidationError as exc:
        messages.error(request, f"Reçu annuel {year} non émis : " + " ".join(exc.messages))
        return redirect("web:donor_detail", donor.pk)
    messages.success(request, f"Reçu annuel {year} n° {receipt.reference} émis ({receipt.lines.count()} dons).")
    return redirect("web:receipt_detail", receipt.pk)


@workspace_required(Role.VIEWER)
def receipts_zip(request):
    try:
        year = summary.year_of(request.GET.get("year") or request.GET.get("annee"))
    except ValidationError as exc:
        messages.error(request, "ZIP non produit : " + " ".join(exc.messages))
        return redirect("web:receipts_home")
    count = archive.year_receipts(request.workspace, year).count()
    if count == 0:
        messages.error(request, f"ZIP non produit : aucun reçu pour les dons de {year}.")
        return redirect("web:receipts_home")
    if count > archive.ONLINE_LIMIT:
        messages.error(
            request,
            f"ZIP non produit : {count} reçus pour {year}, au-delà de {archive.ONLINE_LIMIT} par la page. Demandez-le en "
            f"ligne de commande : maillage receipts_zip --workspace {request.workspace.pk} --year {year} "
            f"--output recus-{year}.zip",
        )
        return redirect("web:receipts_home")
    response = HttpResponse(archive.year_zip_bytes(request.workspace, year), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="recus-{year}.zip"'
    return response
