"""API of the receipts area: eligibility, receipts (list, issue, cancel, PDF), simulation, declaration.

No business rule here: the handlers call :mod:`maillage.receipts` actions and pure functions.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils import timezone
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from maillage.api.auth import require_role
from maillage.contributions.models import Contribution
from maillage.core.roles import Role
from maillage.core.tenancy import get_visible_or_404
from maillage.receipts import actions, archive, simulation, summary
from maillage.receipts.declaration import declaration_for
from maillage.receipts.models import Donor, IndividualGift, Receipt
from maillage.receipts.pdf import pdf_filename, render_cancellation_pdf, render_receipt_pdf

router = Router(tags=["Reçus fiscaux"])


class EligibilityIn(Schema):
    status: str = Field(..., max_length=20, description="interet_general, utilite_publique, fondation, culte, autre")
    art_200: bool = True
    art_238_bis: bool = True
    art_978: bool = False
    evidence_kind: str = Field(..., max_length=10, description="rescrit, decret ou auto")
    evidence_reference: str = Field("", max_length=200)
    evidence_date: date | None = None
    helps_people_in_difficulty: bool = False
    purpose: str = Field(..., max_length=500)
    fiscal_year_closing: str = Field("31/12", max_length=5, description="clôture de l'exercice, JJ/MM")
    address: str = Field(..., max_length=300)
    signatory_name: str = Field(..., max_length=150)
    signatory_role: str = Field(..., max_length=150)


class EligibilityOut(EligibilityIn):
    organization: int
    has_signature_image: bool
    updated_at: datetime


def eligibility_out(e) -> EligibilityOut:
    return EligibilityOut(
        organization=e.organization_id,
        has_signature_image=bool(e.signature_image),
        updated_at=e.updated_at,
        **{name: getattr(e, name) for name in EligibilityIn.model_fields},
    )


class ReceiptOut(Schema):
    id: int
    reference: str
    year: int
    number: int
    form: str
    nature: str
    donor_name: str
    donor_siren: str
    amount: Decimal
    counterparts_value: Decimal
    gift_date: date
    issued_at: datetime
    retain_until: date
    contribution: int | None
    individual_gift: int | None
    summary_year: int | None = Field(None, description="reçu récapitulatif annuel : l'année de ses dons")
    summary_gifts: list[int] = Field([], description="reçu récapitulatif annuel : les dons qu'il couvre")
    replaces: int | None
    cancelled_at: datetime | None
    cancel_reason: str
    pdf_url: str


def receipt_out(r: Receipt) -> ReceiptOut:
    return ReceiptOut(
        id=r.pk,
        reference=r.reference,
        year=r.year,
        number=r.number,
        form=r.form,
        nature=r.nature,
        donor_name=r.donor_name,
        donor_siren=r.donor_siren,
        amount=r.amount,
        counterparts_value=r.counterparts_value,
        gift_date=r.gift_date,
        issued_at=r.issued_at,
        retain_until=r.retain_until,
        contribution=r.contribution_id,
        individual_gift=r.individual_gift_id,
        summary_year=r.summary_year,
        summary_gifts=[line.gift_id for line in r.lines.all()] if r.summary_year else [],
        replaces=r.replaces_id,
        cancelled_at=r.cancelled_at,
        cancel_reason=r.cancel_reason,
        pdf_url=f"/api/v1/receipts/{r.pk}/pdf",
    )


class ReceiptPage(Schema):
    items: list[ReceiptOut]
    page: int
    page_size: int
    has_next: bool


class IssueIn(Schema):
    contribution: int | None = None
    individual_gift: int | None = None
    legal_form: str = Field("", max_length=100, description="forme juridique du donateur (SAS, SARL…)")
    payment_method: str = Field(
        "",
        max_length=10,
        description="especes, cheque ou virement : obligatoire pour un don en numéraire (à défaut, celui retenu au "
        "dernier reçu de l'entreprise)",
    )
    street: str = Field("", max_length=200, description="adresse de l'entreprise (numéro, voie), retenue pour la suite")
    gift_form: str = Field(
        "", max_length=20, description="acte_authentique, seing_prive, don_manuel ou autre (par défaut selon la nature)"
    )


class CancelIn(Schema):
    reason: str = Field(..., max_length=500)
    correct: bool = Field(False, description="émettre aussitôt un reçu rectificatif sous un nouveau numéro")


class CancelOut(Schema):
    cancelled: ReceiptOut
    replacement: ReceiptOut | None


@router.get("/eligibility", response={200: EligibilityOut}, summary="Habilitation de l'association à émettre des reçus")
def get_eligibility(request):
    eligibility = actions.eligibility_for(request.workspace)
    if eligibility is None:
        raise HttpError(404, actions.NO_ELIGIBILITY)
    return eligibility_out(eligibility)


@router.put("/eligibility", response={200: EligibilityOut}, summary="Déclarer ou mettre à jour l'habilitation")
def put_eligibility(request, payload: EligibilityIn):
    require_role(request, Role.ADMIN)
    eligibility = actions.declare_eligibility(
        workspace=request.workspace, user=request.user, data=payload.dict(), request=request
    )
    return eligibility_out(eligibility)


@router.get("", response=ReceiptPage, summary="Reçus émis par l'association")
def list_receipts(request, year: int | None = None, page: int = 1, page_size: int = 50):
    if not 1 <= page <= 100000 or not 1 <= page_size <= 200:
        raise HttpError(422, "page : au moins 1 ; page_size : entre 1 et 200.")
    queryset = Receipt.objects.visible_to(request.workspace)
    if year is not None:
        queryset = queryset.filter(year=year)
    start = (page - 1) * page_size
    rows = list(queryset.order_by("-year", "-number")[start : start + page_size + 1])
    return ReceiptPage(
        items=[receipt_out(r) for r in rows[:page_size]], page=page, page_size=page_size, has_next=len(rows) > page_size
    )


@router.post("", response={201: ReceiptOut}, summary="Émettre un reçu pour un don reçu")
def issue(request, payload: IssueIn):
    require_role(request, Role.MEMBER)
    if (payload.contribution is None) == (payload.individual_gift is None):
        raise HttpError(
            422, "Indiquez soit contribution (don d'une entreprise), soit individual_gift (don d'un particulier)."
        )
    contribution = gift = None
    if payload.contribution is not None:
        contribution = get_visible_or_404(Contribution.objects.visible_to(request.workspace), pk=payload.contribution)
    else:
        gift = get_visible_or_404(IndividualGift.objects.visible_to(request.workspace), pk=payload.individual_gift)
    receipt = actions.issue_receipt(
        workspace=request.workspace,
        user=request.user,
        contribution=contribution,
        individual_gift=gift,
        legal_form=payload.legal_form,
        street=payload.street,
        gift_form=payload.gift_form,
        payment_method=payload.payment_method,
        request=request,
    )
    return Status(201, receipt_out(receipt))


class CompanyYearIn(Schema):
    year: int = Field(..., ge=2019, le=2100, description="année de clôture de l'exercice")
    turnover: Decimal = Field(..., ge=0, le=Decimal("1e12"), description="chiffre d'affaires HT de l'exercice")
    gifts: Decimal = Field(..., ge=0, le=Decimal("1e11"))
    gifts_difficulty: Decimal = Field(Decimal("0"), ge=0, le=Decimal("1e11"))
    closing: date | None = Field(None, description="date de clôture de l'exercice (31 décembre par défaut)")


class DatedGiftIn(Schema):
    gift_date: date
    amount: Decimal = Field(..., ge=0, le=Decimal("1e11"))
    difficulty: bool = Field(False, description="organisme d'aide aux personnes en difficulté (art. 200, 1 ter)")


class IndividualYearIn(Schema):
    year: int = Field(..., ge=2019, le=2100)
    taxable_income: Decimal = Field(..., ge=0, le=Decimal("1e11"))
    gifts: Decimal = Field(Decimal("0"), ge=0, le=Decimal("1e11"), description="dons non datés de l'année")
    gifts_difficulty: Decimal = Field(Decimal("0"), ge=0, le=Decimal("1e11"))
    dated_gifts: list[DatedGiftIn] = Field(default_factory=list, max_length=500)


class OpeningIn(Schema):
    year: int = Field(..., ge=2000, le=2100, description="année d'origine de l'excédent")
    amount: Decimal = Field(..., ge=0, le=Decimal("1e11"))


class SimulationIn(Schema):
    donor: str = Field(
        ..., pattern="^(company|individual)$", description="company (art. 238 bis) ou individual (art. 200)"
    )
    company_years: list[CompanyYearIn] = Field(default_factory=list, max_length=30)
    individual_years: list[IndividualYearIn] = Field(default_factory=list, max_length=30)
    opening: list[OpeningIn] = Field(
        default_factory=list, max_length=30, description="excédents reportés à l'ouverture, par année d'origine"
    )


class RateOut(Schema):
    rate: Decimal
    base: Decimal
    reduction: Decimal


class OriginOut(Schema):
    year: int
    amount: Decimal


class YearOut(Schema):
    year: int
    closing: date | None = None
    gifts: Decimal
    ceiling: Decimal
    retained_current: Decimal
    retained_carried: Decimal
    reduction: Decimal
    cost: Decimal
    carried_forward: Decimal
    expired: Decimal
    by_rate: list[RateOut]
    used_by_origin: list[OriginOut]
    expired_by_origin: list[OriginOut]
    remaining_by_origin: list[OriginOut]


def _year_out(r) -> YearOut:
    def origins(values: dict) -> list[OriginOut]:
        return [OriginOut(year=y, amount=a) for y, a in values.items()]

    return YearOut(
        year=r.year,
        closing=r.closing,
        gifts=r.gifts,
        ceiling=r.ceiling,
        retained_current=r.retained_current,
        retained_carried=r.retained_carried,
        reduction=r.reduction,
        cost=r.cost,
        carried_forward=r.carried_forward,
        expired=r.expired,
        by_rate=[RateOut(rate=Decimal(k), base=v["base"], reduction=v["reduction"]) for k, v in r.by_rate.items()],
        used_by_origin=origins(r.used_by_origin),
        expired_by_origin=origins(r.expired_by_origin),
        remaining_by_origin=origins(r.remaining_by_origin),
    )


@router.post("/simulation", response=list[YearOut], summary="Simuler la réduction d'impôt du donateur, année par année")
def simulate(request, payload: SimulationIn):
    opening: dict[int, Decimal] = {}
    for line in payload.opening:
        opening[line.year] = opening.get(line.year, Decimal("0")) + line.amount
    try:
        if payload.donor == "company":
            if not payload.company_years:
                raise HttpError(422, "company_years : indiquez au moins une année (chiffre d'affaires HT et dons).")
            results = simulation.simulate_company(
                [simulation.CompanyYear(**y.dict()) for y in payload.company_years], opening
            )
        else:
            if not payload.individual_years:
                raise HttpError(422, "individual_years : indiquez au moins une année (revenu imposable et dons).")
            years = [
                simulation.IndividualYear(
                    year=y.year,
                    taxable_income=y.taxable_income,
                    gifts=y.gifts,
                    gifts_difficulty=y.gifts_difficulty,
                    dated=tuple(simulation.DatedGift(g.gift_date, g.amount, g.difficulty) for g in y.dated_gifts),
                )
                for y in payload.individual_years
            ]
            results = simulation.simulate_individual(years, opening)
    except ValueError as exc:
        raise ValidationError({"years": [str(exc)]}) from exc
    return [_year_out(r) for r in results]


class DeclarationLineOut(Schema):
    form: str
    nature: str
    nature_label: str
    count: int
    amount: Decimal


class DeclarationOut(Schema):
    gift_year: int
    start: date | None = None
    end: date | None = None
    deadline: date
    article: str
    count: int
    amount: Decimal
    lines: list[DeclarationLineOut]
    reminder: str


@router.get("/declaration", response=DeclarationOut, summary="Déclaration annuelle des dons (art. 222 bis du CGI)")
def declaration(request, year: int | None = None):
    today = timezone.localdate()
    if year is not None and not 2000 <= year <= today.year:
        raise HttpError(422, f"year : année entre 2000 et {today.year}.")
    result = declaration_for(request.workspace, today, year)
    return DeclarationOut(
        gift_year=result.gift_year,
        start=result.start,
        end=result.end,
        deadline=result.deadline,
        article="CGI art. 222 bis",
        count=result.count,
        amount=result.amount,
        lines=[
            DeclarationLineOut(**{k: getattr(line, k) for k in DeclarationLineOut.model_fields})
            for line in result.lines
        ],
        reminder=result.reminder(today),
    )


class SummaryIn(Schema):
    donor: int = Field(..., description="le donateur particulier (id)")
    year: int = Field(..., description="l'année civile des dons")


@router.post("/summary", response={201: ReceiptOut}, summary="Émettre le reçu récapitulatif annuel d'un donateur")
def issue_summary(request, payload: SummaryIn):
    require_role(request, Role.MEMBER)
    donor = get_visible_or_404(Donor.objects.visible_to(request.workspace), pk=payload.donor)
    receipt = summary.issue_summary_receipt(
        workspace=request.workspace,
        user=request.user,
        donor=donor,
        year=summary.year_of(payload.year),
        request=request,
    )
    return Status(201, receipt_out(receipt))


@router.get("/zip", summary="ZIP des reçus (PDF) des dons d'une année, avec les avis d'annulation")
def year_zip(request, year: int | None = None):
    year = summary.year_of(timezone.localdate().year - 1 if year is None else year)
    count = archive.year_receipts(request.workspace, year).count()
    if count > archive.ONLINE_LIMIT:
        raise HttpError(
            422,
            f"{count} reçus pour {year}, au-delà de {archive.ONLINE_LIMIT} par l'API : utilisez maillage receipts_zip.",
        )
    response = HttpResponse(archive.year_zip_bytes(request.workspace, year), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="recus-{year}.zip"'
    return response


# Routes with a path parameter last, so that /simulation and /declaration are not taken for an id.
@router.get("/{receipt_id}", response=ReceiptOut, summary="Un reçu")
def get_receipt(request, receipt_id: int):
    return receipt_out(get_visible_or_404(Receipt.objects.visible_to(request.workspace), pk=receipt_id))


@router.get("/{receipt_id}/pdf", summary="Le reçu en PDF (ou l'avis d'annulation s'il est annulé)")
def receipt_pdf(request, receipt_id: int):
    receipt = get_visible_or_404(
        Receipt.objects.visible_to(request.workspace).select_related("replaces", "replaced_by", "issuer_details"),
        pk=receipt_id,
    )
    cancellation = receipt.is_cancelled and request.GET.get("original") != "1"
    data = render_cancellation_pdf(receipt) if cancellation else render_receipt_pdf(receipt)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pdf_filename(receipt, cancellation)}"'
    return response


@router.post("/{receipt_id}/cancel", response=CancelOut, summary="Annuler un reçu (motif obligatoire), et le rectifier")
def cancel(request, receipt_id: int, payload: CancelIn):
    require_role(request, Role.MEMBER)
    receipt = get_visible_or_404(Receipt.objects.visible_to(request.workspace), pk=receipt_id)
    if payload.correct:
        replacement = actions.correct_receipt(
            receipt=receipt, workspace=request.workspace, user=request.user, reason=payload.reason, request=request
        )
        receipt.refresh_from_db()
        return CancelOut(cancelled=receipt_out(receipt), replacement=receipt_out(replacement))
    receipt = actions.cancel_receipt(
        receipt=receipt, workspace=request.workspace, user=request.user, reason=payload.reason, request=request
    )
    return CancelOut(cancelled=receipt_out(receipt), replacement=None)
