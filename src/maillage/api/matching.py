"""API of the matching area: needs, offers, calls for projects, suggestions with reasons, alerts."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from maillage.api.alliances.common import paginate
from maillage.api.auth import require_role
from maillage.core.tenancy import get_visible_or_404
from maillage.matching import actions
from maillage.matching.models import AlertSubscription, AllianceOrigin
from maillage.matching.queries import ItemFilters, search_items
from maillage.matching.scoring import METHOD, METHOD_VERSION
from maillage.matching.suggestions import MODELS, Suggestion, suggestions_for
from maillage.organizations.models import Organization

router = Router(tags=["Rapprochement"])

KINDS = {"needs": "need", "offers": "offer", "calls": "call"}
KindPath = Literal["needs", "offers", "calls"]


class ItemOut(Schema):
    id: int
    type: str
    organization_id: int
    organization_name: str
    status: str
    title: str
    description: str
    kind: str
    causes: list[str]
    territory_level: str
    territory_code: str
    territory_name: str
    starts_on: date | None
    ends_on: date | None
    published_at: datetime | None
    skill_domain: str | None = None
    skill_domains: list[str] | None = None
    goods_type: str | None = None
    goods_types: list[str] | None = None
    hours: int | None = None
    hours_per_year: int | None = None
    amount: Decimal | None = None
    budget: Decimal | None = None
    deadline: date | None = None
    url: str | None = None


def item_out(item_type: str, item) -> ItemOut:
    extra = {f: getattr(item, f) for f in actions.data_fields(item_type) if f in ItemOut.model_fields}
    extra.update(
        id=item.pk,
        type=item_type,
        organization_id=item.organization_id,
        organization_name=item.organization.name,
        status=item.status,
        kind=item.kind,
        territory_name=item.territory_name,
        published_at=item.published_at,
    )
    return ItemOut(**extra)


class ItemPage(Schema):
    items: list[ItemOut]
    page: int
    page_size: int
    has_next: bool


class ItemIn(Schema):
    title: str = Field(..., max_length=200)
    description: str = Field("", max_length=2000)
    kind: str = Field("", max_length=10, description="skills, goods, funding ou partner (besoins et offres)")
    causes: list[str] = Field(default_factory=list, max_length=20)
    territory_level: str = Field("commune", max_length=12, description="commune, epci, departement, region, national")
    territory_code: str = Field("", max_length=9, description="vide : le territoire de votre organisation")
    starts_on: date | None = None
    ends_on: date | None = None
    skill_domain: str = Field("", max_length=20)
    skill_domains: list[str] = Field(default_factory=list, max_length=20)
    goods_type: str = Field("", max_length=20, description="pour un besoin de biens : locaux, stockage, informatique…")
    goods_types: list[str] = Field(default_factory=list, max_length=20)
    hours: int | None = None
    hours_per_year: int | None = None
    amount: Decimal | None = None
    budget: Decimal | None = None
    deadline: date | None = None
    url: str = Field("", max_length=200)
    publish: bool = False


class ItemPatch(Schema):
    title: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=2000)
    kind: str | None = Field(None, max_length=10)
    causes: list[str] | None = Field(None, max_length=20)
    territory_level: str | None = Field(None, max_length=12)
    territory_code: str | None = Field(None, max_length=9)
    starts_on: date | None = None
    ends_on: date | None = None
    skill_domain: str | None = Field(None, max_length=20)
    skill_domains: list[str] | None = Field(None, max_length=20)
    goods_type: str | None = Field(None, max_length=20)
    goods_types: list[str] | None = Field(None, max_length=20)
    hours: int | None = None
    hours_per_year: int | None = None
    amount: Decimal | None = None
    budget: Decimal | None = None
    deadline: date | None = None
    url: str | None = Field(None, max_length=200)


class StatusIn(Schema):
    status: Literal["draft", "published", "closed"]


class ReasonOut(Schema):
    signal: str
    points: int
    text: str


class SuggestionOut(Schema):
    source: str
    score: int
    organization_id: int
    organization_name: str
    organization_kind: str
    item_type: str | None
    item_id: int | None
    item_title: str | None
    reasons: list[ReasonOut]


class SuggestionsOut(Schema):
    method_version: str
    method: list[str]
    items: list[SuggestionOut]
    partners: list[SuggestionOut]
    known: list[SuggestionOut] = Field(default_factory=list, description="vos partenaires actuels, à part")
    network: list[SuggestionOut]


class StartIn(Schema):
    target: int
    item_type: Literal["need", "offer", "call"] | None = None
    item_id: int | None = None


class StartOut(Schema):
    alliance_id: int
    stage: str
    score: int
    reasons: list[ReasonOut]


class AlertIn(Schema):
    active: bool = True
    frequency: Literal["daily", "weekly"] = "weekly"
    min_score: int = Field(30, ge=0, le=100)


class AlertOut(Schema):
    active: bool
    frequency: str
    min_score: int
    last_sent_at: datetime | None


class OriginOut(Schema):
    alliance_id: int
    target_id: int
    item_type: str | None
    item_id: int | None
    score: int
    reasons: list[ReasonOut]
    method_version: str
    created_at: datetime


def suggestion_out(s: Suggestion) -> SuggestionOut:
    return SuggestionOut(
        source=s.source,
        score=s.score,
        organization_id=s.organization_id,
        organization_name=s.organization.name if s.organization else "",
        organization_kind=s.organization.kind if s.organization else "",
        item_type=s.item_type,
        item_id=s.item_id,
        item_title=getattr(s.item, "title", None),
        reasons=[ReasonOut(signal=r.signal, points=r.points, text=r.text) for r in s.match.reasons],
    )


@router.get("/suggestions", response=SuggestionsOut, summary="Suggestions de mon espace, avec leurs raisons")
def get_suggestions(request, limit: int = 20):
    if not 1 <= limit <= 50:
        raise HttpError(422, "limit : doit être compris entre 1 et 50.")
    result = suggestions_for(request.workspace.organization, workspaces=[request.workspace], limit=limit)
    return SuggestionsOut(
        method_version=METHOD_VERSION,
        method=[f"{name} : {text}" for name, text in METHOD],
        items=[suggestion_out(s) for s in result.items],
        partners=[suggestion_out(s) for s in result.partners],
        known=[suggestion_out(s) for s in result.known],
        network=[suggestion_out(s) for s in result.network],
    )


@router.post("/suggestions/start", response={201: StartOut}, summary="Démarrer une alliance depuis une suggestion")
def start_from_suggestion(request, payload: StartIn):
    require_role(request)
    target = get_visible_or_404(Organization.objects.all(), pk=payload.target)
    item = None
    if payload.item_type:
        if payload.item_id is None:
            raise HttpError(422, "item_id : obligatoire quand item_type est donné.")
        item = get_visible_or_404(MODELS[payload.item_type].objects.published(), pk=payload.item_id)
    alliance = actions.start_alliance(
        workspace=request.workspace, user=request.user, target=target, item_type=payload.item_type, item=item
    )
    origin = alliance.matching_origin
    return Status(
        201,
        StartOut(
            alliance_id=alliance.pk,
            stage=alliance.stage,
            score=origin.score,
            reasons=[ReasonOut(**r) for r in origin.reasons],
        ),
    )


@router.get("/origins", response=list[OriginOut], summary="Alliances de mon espace nées d'une suggestion")
def list_origins(request):
    rows = AllianceOrigin.objects.visible_to(request.workspace).order_by("-created_at")[:500]
    out = []
    for o in rows:
        item_type = "need" if o.need_id else "offer" if o.offer_id else "call" if o.call_id else None
        out.append(
            OriginOut(
                alliance_id=o.alliance_id,
                target_id=o.target_id,
                item_type=item_type,
                item_id=o.need_id or o.offer_id or o.call_id,
                score=o.score,
                reasons=[ReasonOut(**r) for r in o.reasons],
                method_version=o.method_version,
                created_at=o.created_at,
            )
        )
    return out


@router.get("/alerts", response=AlertOut, summary="Mon abonnement aux alertes")
def get_alerts(request):
    sub = AlertSubscription.objects.visible_to(request.workspace).first()
    if sub is None:
        return AlertOut(active=False, frequency="weekly", min_score=30, last_sent_at=None)
    return AlertOut(active=sub.active, frequency=sub.frequency, min_score=sub.min_score, last_sent_at=sub.last_sent_at)


@router.put("/alerts", response=AlertOut, summary="S'abonner ou se désabonner des alertes")
def put_alerts(request, payload: AlertIn):
    require_role(request)
    sub = actions.subscribe(workspace=request.workspace, user=request.user, **payload.dict())
    return AlertOut(active=sub.active, frequency=sub.frequency, min_score=sub.min_score, last_sent_at=sub.last_sent_at)


@router.get("/{kind}", response=ItemPage, summary="Chercher des besoins, offres ou appels à projets")
def list_items(
    request,
    kind: KindPath,
    q: str = "",
    cause: str = "",
    departement: str = "",
    region: str = "",
    item_kind: str = "",
    domain: str = "",
    goods: str = "",
    mine: bool = False,
    page: int = 1,
    page_size: int = 20,
):
    item_type = KINDS[kind]
    filters = ItemFilters.clean(
        q=q, kind=item_kind, cause=cause, departement=departement, region=region, domain=domain, goods=goods, mine=mine
    )
    rows, counters = paginate(search_items(request.workspace, item_type, filters), page, page_size, count=False)
    return ItemPage(items=[item_out(item_type, i) for i in rows], **counters)


@router.post("/{kind}", response={201: ItemOut}, summary="Publier un besoin, une offre ou un appel à projets")
def create_item(request, kind: KindPath, payload: ItemIn):
    require_role(request)
    data = payload.dict()
    publish = data.pop("publish")
    item = actions.create_item(
        workspace=request.workspace, user=request.user, item_type=KINDS[kind], data=data, publish=publish
    )
    return Status(201, item_out(KINDS[kind], item))


def _own_or_published(request, kind: str, item_id: int):
    qs = MODELS[KINDS[kind]].objects.readable_by(request.workspace).select_related("organization")
    return get_visible_or_404(qs, pk=item_id)


@router.get("/{kind}/{int:item_id}", response=ItemOut, summary="Un besoin, une offre ou un appel")
def get_item(request, kind: KindPath, item_id: int):
    return item_out(KINDS[kind], _own_or_published(request, kind, item_id))


@router.patch("/{kind}/{int:item_id}", response=ItemOut, summary="Modifier un de mes besoins, offres ou appels")
def patch_item(request, kind: KindPath, item_id: int, payload: ItemPatch):
    require_role(request)
    qs = MODELS[KINDS[kind]].objects.visible_to(request.workspace).select_related("organization")
    item = get_visible_or_404(qs, pk=item_id)
    data = payload.dict(exclude_unset=True)
    item = actions.update_item(workspace=request.workspace, user=request.user, item=item, data=data)
    return item_out(KINDS[kind], item)


@router.post("/{kind}/{int:item_id}/status", response=ItemOut, summary="Publier, dépublier ou clore")
def set_status(request, kind: KindPath, item_id: int, payload: StatusIn):
    require_role(request)
    qs = MODELS[KINDS[kind]].objects.visible_to(request.workspace).select_related("organization")
    item = get_visible_or_404(qs, pk=item_id)
    item = actions.set_item_status(workspace=request.workspace, user=request.user, item=item, status=payload.status)
    return item_out(KINDS[kind], item)
