"""Reads of the receipts area from the donor's side: the receipts issued TO a workspace's organisation.

A receipt belongs to its issuer's workspace (``Receipt.objects.visible_to``); its donor sees it too when the gift
is a contribution given by the donor's own active party in an alliance it shares: that party is what makes the
alliance visible to the donor's workspace, so nothing outside it is ever read.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, QuerySet

from maillage.contributions.models import GIFT_KINDS, Contribution, Status
from maillage.receipts import simulation
from maillage.receipts.models import IndividualGift, Receipt, ReceiptQuerySet, gift_year_bounds

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from maillage.workspaces.models import Workspace

ZERO = Decimal("0")


# --- the issuer's side: what is still to receipt ------------------------------------------------------------


def has_active_receipt(gift_field: str = "contribution") -> Exists:
    """True for a gift (``contribution`` or ``individual_gift``) that has an active receipt, for ``annotate``."""
    return Exists(Receipt.objects.active().filter(**{gift_field: OuterRef("pk")}))


def pending_gifts(workspace: Workspace, year: int | None = None) -> QuerySet[Contribution]:
    """Gifts (contributions of a kind that gives a receipt) to the workspace's organisation without an active
    receipt; with ``year``: only those received in that gift year, ready to receipt. Oldest first."""
    qs = (
        Contribution.objects.visible_to(workspace)
        .filter(receiver__organization_id=workspace.organization_id, kind__in=list(GIFT_KINDS))
        .exclude(has_active_receipt())
    )
    if year is not None:
        qs = qs.filter(status=Status.RECEIVED, received_on__range=gift_year_bounds(year))
    return qs.order_by("received_on", "pk")


def pending_individual_gifts(workspace: Workspace | None, year: int | None = None) -> QuerySet[IndividualGift]:
    """Individual gifts without an active receipt (of the gift year ``year`` when given). Oldest first."""
    qs = IndividualGift.objects.visible_to(workspace).exclude(has_active_receipt("individual_gift"))
    if year is not None:
        qs = qs.filter(received_on__range=gift_year_bounds(year))
    return qs.select_related("donor").order_by("received_on", "pk")


def received_receipts(workspace: Workspace | None) -> ReceiptQuerySet:
    """Receipts whose gift was given by the workspace's active party in an alliance (cancelled ones included)."""
    if workspace is None:
        return Receipt.objects.none()
    return (
        Receipt.objects.filter(
            contribution__giver__workspace=workspace,
            contribution__giver__left_at__isnull=True,
        )
        .select_related("contribution__alliance", "replaces", "issuer_details")
        .order_by("-gift_date", "-year", "-number")
    )


def receipted_by_year(workspace: Workspace | None) -> dict[int, tuple[Decimal, Decimal]]:
    """{year of the gift: (amount of the active receipts, of which to organisations helping people in difficulty)}."""
    years: dict[int, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for amount, gift_date, data in (
        received_receipts(workspace).active().values_list("amount", "gift_date", "issuer_details__data")
    ):
        entry = years[gift_date.year]
        entry[0] += amount
        if (data or {}).get("helps_people_in_difficulty"):
            entry[1] += amount
    return {year: (total, difficulty) for year, (total, difficulty) in years.items()}


def estimated_reduction(workspace: Workspace | None, turnover: Decimal) -> list[simulation.YearResult]:
    """The donor company's reduction year by year (art. 238 bis) for the gifts its active receipts certify, from one
    turnover figure used for every year (the simulator's public function; missing years count no gift)."""
    by_year = receipted_by_year(workspace)
    if not by_year:
        return []
    years = [
        simulation.CompanyYear(year, turnover, *by_year.get(year, (ZERO, ZERO)))
        for year in range(min(by_year), max(by_year) + 1)
    ]
    return simulation.simulate_company(years)
