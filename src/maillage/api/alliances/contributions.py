"""Contributions of an alliance (list, record) and the contribution schemas the /contributions routes share."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.db.models import Prefetch
from ninja import Field, Schema, Status

from maillage.api.alliances.common import (
    AMOUNT_DOC,
    Amount,
    Id,
    Text,
    alliance_party,
    check_choice,
    clean_query,
    paginate,
    router,
    visible_alliance,
)
from maillage.api.auth import require_role
from maillage.contributions import actions
from maillage.contributions.models import Contribution, Kind, SkillsLine, ValuationMethod
from maillage.contributions.models import Status as ContributionStatus
from maillage.core.legal import LEGAL_MONTHLY_HOURS

METHODS_DOC = "Méthodes : " + ", ".join(ValuationMethod.values) + " (par défaut, la première admise par la nature)."


class PartyRef(Schema):
    party_id: int
    organization_id: int
    organization_name: str


class SkillsLineIn(Schema):
    employee_name: Text = Field(..., max_length=150, description="nom du salarié (liste nominative)")
    employee_role: Text = Field("", max_length=150)
    month: date = Field(description="un jour du mois concerné (ramené au 1er)")
    hours: Amount = Field(description="heures mises à disposition dans le mois")
    monthly_cost: Amount = Field(description="salaire + charges patronales du mois, en euros")
    monthly_hours: Amount = Field(LEGAL_MONTHLY_HOURS.value, description="heures travaillées dans le mois")


class SkillsLineOut(Schema):
    id: int
    employee_name: str
    employee_role: str
    month: date
    hours: Decimal
    monthly_cost: Decimal
    monthly_hours: Decimal
    value: Decimal = Field(description="valeur retenue : min(coût, 3 PSS) × heures / heures du mois")
    capped: bool = Field(description="vrai quand le coût mensuel a été plafonné à 3 fois le PSS")


class CounterpartIn(Schema):
    description: Text = Field(..., max_length=300)
    value: Amount


class CounterpartOut(Schema):
    id: int
    description: str
    value: Decimal


class ContributionIn(Schema):
    giver_party_id: Id = Field(description="la partie qui donne (identifiant de partie, voir /parties)")
    receiver_party_id: Id = Field(description="la partie qui reçoit")
    kind: Kind = Field(description="money, in_kind, skills, service ou volunteering")
    description: Text = Field(..., max_length=500)
    value: Amount | None = Field(
        None, description="montant (money, in_kind, service) ; calculé pour skills et volunteering"
    )
    valuation_method: Text = Field("", max_length=16, description=METHODS_DOC)
    status: ContributionStatus = ContributionStatus.PROMISED
    promised_on: date | None = None
    received_on: date | None = Field(None, description="obligatoire quand status vaut received")
    evidence: Text = Field("", max_length=2000, description="justificatifs")
    hours: Amount | None = Field(None, description="bénévolat : heures")
    hourly_rate: Amount | None = Field(None, description="bénévolat : taux horaire retenu (euros)")
    signed_timesheet: bool = Field(False, description="compétences : liste des jours signée par les deux parties")
    skills_lines: list[SkillsLineIn] = Field(default_factory=list, max_length=240)
    counterparts: list[CounterpartIn] = Field(default_factory=list, max_length=50)


class ContributionOut(Schema):
    id: int
    alliance_id: int
    alliance_name: str
    giver: PartyRef
    receiver: PartyRef
    kind: str
    kind_label: str
    status: str
    description: str
    value: Decimal = Field(description="valeur en euros, chaîne décimale")
    valuation_method: str
    valuation_method_label: str
    evidence: str
    promised_on: date | None
    received_on: date | None
    hours: Decimal | None
    hourly_rate: Decimal | None
    signed_timesheet: bool
    counterparts_value: Decimal
    counterparts_share: Decimal | None = Field(description="contreparties ÷ valeur (0.25 = 25 %)")
    is_gift: bool
    is_sponsoring: bool = Field(description="don dont les contreparties dépassent la part tolérée : parrainage")
    skills_lines: list[SkillsLineOut]
    counterparts: list[CounterpartOut]
    created_at: datetime


class ContributionPage(Schema):
    items: list[ContributionOut]
    page: int
    page_size: int
    total: int
    has_next: bool


def _party_ref(p) -> PartyRef:
    return PartyRef(party_id=p.pk, organization_id=p.organization_id, organization_name=p.organization.name)


def contribution_out(c: Contribution) -> ContributionOut:
    return ContributionOut(
        id=c.pk,
        alliance_id=c.alliance_id,
        alliance_name=c.alliance.name,
        giver=_party_ref(c.giver),
        receiver=_party_ref(c.receiver),
        kind=c.kind,
        kind_label=c.get_kind_display(),
        status=c.status,
        description=c.description,
        value=c.value,
        valuation_method=c.valuation_method,
        valuation_method_label=c.get_valuation_method_display(),
        evidence=c.evidence,
        promised_on=c.promised_on,
        received_on=c.received_on,
        hours=c.hours,
        hourly_rate=c.hourly_rate,
        signed_timesheet=c.signed_timesheet,
        counterparts_value=c.counterparts_value,
        counterparts_share=c.counterparts_share,
        is_gift=c.is_gift,
        is_sponsoring=c.is_sponsoring,
        skills_lines=[
            SkillsLineOut(
                id=s.pk,
                employee_name=s.employee_name,
                employee_role=s.employee_role,
                month=s.month,
                hours=s.hours,
                monthly_cost=s.monthly_cost,
                monthly_hours=s.monthly_hours,
                value=s.value,
                capped=s.capped,
            )
            for s in c.skills_lines.all()
        ],
        counterparts=[CounterpartOut(id=k.pk, description=k.description, value=k.value) for k in c.counterparts.all()],
        created_at=c.created_at,
    )


def with_details(queryset):
    """Contributions with what their output shows: a fixed number of queries whatever their number."""
    return queryset.select_related("alliance", "giver__organization", "receiver__organization").prefetch_related(
        Prefetch("skills_lines", queryset=SkillsLine.objects.order_by("month", "employee_name", "id")),
        "counterparts",
    )


def filter_contributions(queryset, kind: str, status: str):
    if kind := check_choice(clean_query(kind, 20), "kind", Kind):
        queryset = queryset.filter(kind=kind)
    if status := check_choice(clean_query(status, 10), "status", ContributionStatus):
        queryset = queryset.filter(status=status)
    return queryset


@router.get(
    "/{int:alliance_id}/contributions",
    response=ContributionPage,
    summary="Les contributions d'une alliance",
    description="Filtres : kind, status. Pagination : page, page_size (100 au plus). " + AMOUNT_DOC,
)
def list_alliance_contributions(
    request, alliance_id: int, kind: str = "", status: str = "", page: int = 1, page_size: int = 20
):
    alliance = visible_alliance(request, alliance_id)
    queryset = filter_contributions(Contribution.objects.filter(alliance=alliance), kind, status)
    rows, counters = paginate(with_details(queryset), page, page_size)
    return ContributionPage(items=[contribution_out(c) for c in rows], **counters)


@router.post(
    "/{int:alliance_id}/contributions",
    response={201: ContributionOut},
    summary="Enregistrer une contribution",
    description="D'une partie à une autre. money, in_kind, service : value obligatoire ; skills : skills_lines "
    "(valorisées au coût salarial plafonné à 3 PSS par salarié et par mois) ; volunteering : hours × hourly_rate. "
    + AMOUNT_DOC,
)
def record_contribution(request, alliance_id: int, payload: ContributionIn):
    alliance = visible_alliance(request, alliance_id)
    require_role(request)
    giver = alliance_party(alliance, payload.giver_party_id, "giver_party_id")
    receiver = alliance_party(alliance, payload.receiver_party_id, "receiver_party_id")
    contribution = actions.record_contribution(
        alliance=alliance,
        workspace=request.workspace,
        user=request.user,
        giver=giver,
        receiver=receiver,
        kind=payload.kind.value,
        description=payload.description,
        value=payload.value,
        valuation_method=payload.valuation_method,
        status=payload.status.value,
        promised_on=payload.promised_on,
        received_on=payload.received_on,
        evidence=payload.evidence,
        hours=payload.hours,
        hourly_rate=payload.hourly_rate,
        signed_timesheet=payload.signed_timesheet,
        skills_lines=[actions.SkillsInput(**line.dict()) for line in payload.skills_lines],
        counterparts=[actions.CounterpartInput(**c.dict()) for c in payload.counterparts],
    )
    return Status(201, contribution_out(with_details(Contribution.objects.all()).get(pk=contribution.pk)))
