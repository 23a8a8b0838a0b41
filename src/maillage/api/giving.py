"""API of the giving side: what the workspace's organisation gave, the receipts issued to it, its estimated
reduction. No business rule here: the reads of :mod:`maillage.contributions.queries` and
:mod:`maillage.receipts.queries`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from maillage.contributions.queries import GivenRow, given_by
from maillage.core.tenancy import get_visible_or_404
from maillage.receipts.models import Receipt
from maillage.receipts.pdf import pdf_filename, render_receipt_pdf
from maillage.receipts.queries import estimated_reduction, received_receipts

CENT = Decimal("0.01")

router = Router(tags=["Dons donnés (entreprises, collectivités, fondations)"])


class GivenOut(Schema):
    alliance: int | None = None
    alliance_name: str = ""
    year: int | None = None
    money: Decimal
    in_kind: Decimal
    skills: Decimal
    skills_hours: Decimal
    volunteering: Decimal
    volunteering_hours: Decimal
    service: Decimal
    promised: Decimal
    total: Decimal = Field(..., description="donné et reçu par les partenaires, prestations exclues")


class GivingOut(Schema):
    total: GivenOut
    by_year: list[GivenOut]
    by_alliance_and_year: list[GivenOut]


class ReceivedReceiptOut(Schema):
    id: int
    reference: str
    issuer_name: str
    alliance: int
    amount: Decimal
    nature: str
    gift_date: date
    counterparts_value: Decimal
    cancelled: bool
    pdf_url: str


class ReductionYearOut(Schema):
    year: int
    gifts: Decimal
    ceiling: Decimal
    reduction: Decimal
    cost: Decimal
    carried_forward: Decimal


def _row(row: GivenRow, alliance: bool = False) -> GivenOut:
    values: dict[str, Any] = {
        name: Decimal(getattr(row, name)).quantize(CENT)  # SQLite's sums come back without their cents
        for name in (
            "money",
            "in_kind",
            "skills",
            "skills_hours",
            "volunteering",
            "volunteering_hours",
            "service",
            "promised",
            "total",
        )
    }
    if alliance:
        values.update(alliance=row.key, alliance_name=row.label)
    return GivenOut(year=row.year, **values)


@router.get("", response=GivingOut, summary="Ce que l'organisation de l'espace a donné, par année et par alliance")
def giving(request):
    given = given_by(request.workspace)
    return GivingOut(
        total=_row(given.total),
        by_year=[_row(r) for r in given.years],
        by_alliance_and_year=[_row(r, alliance=True) for r in given.rows],
    )


def _alliance_id(receipt: Receipt) -> int:
    """The alliance of a receipt received by a party: its gift is a contribution (never an individual's gift)."""
    assert receipt.contribution is not None  # received_receipts reads only receipts of contributions
    return receipt.contribution.alliance_id


@router.get("/receipts", response=list[ReceivedReceiptOut], summary="Reçus fiscaux émis à l'organisation de l'espace")
def receipts(request):
    return [
        ReceivedReceiptOut(
            id=r.pk,
            reference=r.reference,
            issuer_name=r.issuer_details.data.get("name", ""),
            alliance=_alliance_id(r),
            amount=r.amount,
            nature=r.nature,
            gift_date=r.gift_date,
            counterparts_value=r.counterparts_value,
            cancelled=r.is_cancelled,
            pdf_url=f"/api/v1/giving/receipts/{r.pk}/pdf",
        )
        for r in received_receipts(request.workspace)[:1000]
    ]


@router.get("/receipts/{receipt_id}/pdf", summary="Le PDF d'un reçu émis à l'organisation de l'espace")
def receipt_pdf(request, receipt_id: int):
    receipt = get_visible_or_404(received_receipts(request.workspace), pk=receipt_id)
    response = HttpResponse(render_receipt_pdf(receipt), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pdf_filename(receipt)}"'
    return response


class ReductionQuery(Schema):
    turnover: Decimal = Field(..., ge=0, le=Decimal("1e12"), description="chiffre d'affaires annuel HT (€)")


@router.get(
    "/reduction",
    response=list[ReductionYearOut],
    summary="Réduction d'impôt estimée (art. 238 bis) pour les dons que les reçus certifient",
)
def reduction(request, query: Query[ReductionQuery]):
    try:
        results = estimated_reduction(request.workspace, query.turnover)
    except ValueError as exc:
        raise HttpError(422, f"turnover : estimation impossible : {exc}") from None
    return [
        ReductionYearOut(
            year=r.year,
            gifts=r.gifts,
            ceiling=r.ceiling,
            reduction=r.reduction,
            cost=r.cost,
            carried_forward=r.carried_forward,
        )
        for r in results
    ]
