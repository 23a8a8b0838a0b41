"""API of the diagnostic area: the association's yearly figures and the diagnostic (no business rule here)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from maillage.api.auth import require_role
from maillage.core.tenancy import get_visible_or_404
from maillage.diagnostic import actions
from maillage.diagnostic.analysis import diagnose
from maillage.diagnostic.models import ResourceYear, Source

router = Router(tags=["Diagnostic"])


class FunderIO(Schema):
    name: str = Field(..., max_length=200)
    source: str = Field(..., max_length=20)
    amount: Decimal
    organization_id: int | None = Field(
        None,
        description="le financeur dans l'annuaire (tout organisme public y est) ; 0 : absent de l'annuaire ; "
        "absent : relié si son nom y figure exactement une fois",
    )
    id: int | None = Field(None, description="identifiant du financeur (en lecture ; ignoré à l'écriture)")


class YearOut(Schema):
    year: int
    closes_on: date | None
    accounts: dict[str, Decimal | None]
    resources: dict[str, Decimal]
    total: Decimal
    human: dict[str, Decimal]
    funders: list[FunderIO]
    notes: str


class YearIn(Schema):
    resources: dict[str, Decimal | str | None] = Field(default_factory=dict, description="source → montant (€)")
    human: dict[str, Decimal | str | None] = Field(default_factory=dict)
    funders: list[FunderIO] = Field(default_factory=list, max_length=10)
    notes: str = Field("", max_length=2000)
    accounts: dict[str, Decimal | str | None] = Field(
        default_factory=dict, description="expenses, reserves, cash, volunteer_value (€), chacun facultatif"
    )
    closes_on: date | None = Field(None, description="date de clôture de l'exercice (vide : 31 décembre)")


class AlertOut(Schema):
    level: str
    title: str
    text: str
    todo: str


class DiagnosticOut(Schema):
    year: int | None
    total: Decimal
    shares: dict[str, Decimal | None]
    public_share: Decimal | None
    private_share: Decimal | None
    largest_funder: str | None
    largest_funder_share: Decimal | None
    funders_hhi: int | None
    sources_hhi: int | None
    alliances_financial_share: Decimal | None
    alliances: dict[str, Decimal]
    pillars: dict[str, bool]
    trend: list[dict]
    alerts: list[AlertOut]
    size: str
    period: list[date] | None
    expenses: Decimal | None
    result: Decimal | None
    reserves: Decimal | None
    cash: Decimal | None
    months_of_cash: Decimal | None
    reserves_months: Decimal | None
    volunteering_value: Decimal
    volunteering_share: Decimal | None
    public_funders: list[str]
    readings: list[str]
    checks: list[str]


HUMAN = ["employees_fte", "volunteers", "volunteer_hours", "skills_received_hours", "skills_received_value"]


def year_out(r: ResourceYear) -> dict:
    return {
        "year": r.year,
        "closes_on": r.closes_on,
        "accounts": {a: getattr(r, a) for a in actions.ACCOUNTS},
        "resources": {s: r.amount(s) for s in Source.values},
        "total": r.total,
        "human": {h: Decimal(getattr(r, h)) for h in HUMAN},
        "funders": [
            {
                "id": f.pk,
                "name": f.name,
                "source": f.source,
                "amount": f.amount,
                "organization_id": f.organization_id,
            }
            for f in r.funders.all()
        ],
        "notes": r.notes,
    }


@router.get("/years", response=list[YearOut], summary="Mes années saisies")
def list_years(request):
    return [year_out(r) for r in ResourceYear.objects.visible_to(request.workspace).prefetch_related("funders")]


@router.get("/years/{int:year}", response=YearOut, summary="Une année")
def get_year(request, year: int):
    return year_out(
        get_visible_or_404(ResourceYear.objects.visible_to(request.workspace).prefetch_related("funders"), year=year)
    )


@router.put("/years/{int:year}", response=YearOut, summary="Saisir ou remplacer une année")
def put_year(request, year: int, payload: YearIn):
    require_role(request)
    record = actions.save_resource_year(
        workspace=request.workspace,
        user=request.user,
        year=year,
        resources=payload.resources,
        human=payload.human,
        funders=[(f.name, f.source, f.amount, f.organization_id) for f in payload.funders],
        notes=payload.notes,
        accounts=payload.accounts,
        closes_on=payload.closes_on,
    )
    return year_out(ResourceYear.objects.prefetch_related("funders").get(pk=record.pk))


@router.get("", response=DiagnosticOut, summary="Le diagnostic du modèle économique")
def get_diagnostic(request, year: int | None = None):
    if year is not None and not 1990 <= year <= 2100:
        raise HttpError(422, "year : année hors de la plage admise (1990–2100).")
    d = diagnose(request.workspace, year)
    a = d.alliances
    return {
        "year": d.year,
        "total": d.total,
        "shares": {s["source"]: s["share"] for s in d.shares},
        "public_share": d.public_share,
        "private_share": d.private_share,
        "largest_funder": d.largest_funder.name if d.largest_funder else None,
        "largest_funder_share": d.largest_funder_share,
        "funders_hhi": d.funders_hhi,
        "sources_hhi": d.sources_hhi,
        "alliances_financial_share": d.alliances_financial_share,
        "alliances": {
            "money": a.money,
            "services": a.services,
            "skills_value": a.skills_value,
            "skills_hours": a.skills_hours,
            "volunteering_hours": a.volunteering_hours,
            "in_kind": a.in_kind,
        },
        "pillars": {p["code"]: p["present"] for p in d.pillars},
        "trend": [{k: (str(v) if isinstance(v, Decimal) else v) for k, v in row.items()} for row in d.trend],
        "alerts": [{"level": x.level, "title": x.title, "text": x.text, "todo": x.todo} for x in d.alerts],
        "size": d.size,
        "period": list(d.period) if d.period else None,
        "expenses": d.expenses,
        "result": d.result,
        "reserves": d.reserves,
        "cash": d.cash,
        "months_of_cash": d.months_of_cash,
        "reserves_months": d.reserves_months,
        "volunteering_value": d.volunteering_value,
        "volunteering_share": d.volunteering_share,
        "public_funders": [f.name for f in d.public_funders],
        "readings": d.readings,
        "checks": d.checks,
    }


class FunderAllianceOut(Schema):
    alliance_id: int
    name: str
    stage: str
    created: bool = Field(..., description="false : le financeur était déjà partie à cette alliance en cours")


@router.post(
    "/funders/{int:funder_id}/alliance",
    response={200: FunderAllianceOut, 201: FunderAllianceOut},
    summary="Faire d'un financeur de l'annuaire une alliance (ou retrouver celle dont il est partie)",
)
def ally_with_funder(request, funder_id: int):
    require_role(request)
    funder = get_visible_or_404(
        actions.funders_of(request.workspace).select_related("organization", "resource_year"), pk=funder_id
    )
    alliance, created = actions.ally_with_funder(
        funder=funder, workspace=request.workspace, user=request.user, request=request
    )
    out = {"alliance_id": alliance.pk, "name": alliance.name, "stage": alliance.stage, "created": created}
    return Status(201 if created else 200, out)
