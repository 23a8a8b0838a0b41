"""Alliances: list (paginated, filtered), retrieve, create, update; the lifecycle (transitions and their log)."""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import ValidationError
from ninja import Field, Schema, Status

from maillage.alliances import actions
from maillage.alliances.lifecycle import Stage, allowed_moves
from maillage.alliances.models import Alliance, Form, PartyRole, StageChange
from maillage.alliances.queries import (
    AllianceFilters,
    cold_after_days,
    filtered_alliances,
    is_cold,
    my_party,
    with_cold,
)
from maillage.api.alliances.common import (
    Id,
    Text,
    check_choice,
    clean_query,
    paginate,
    parties_prefetch,
    party_summary,
    router,
    visible_alliance,
)
from maillage.api.alliances.common import PartySummary as PartyOut
from maillage.api.auth import require_role
from maillage.evaluation.actions import OBJECTIVES_INVITATION
from maillage.organizations.models import Kind as OrganizationKind
from maillage.organizations.models import Organization

FORMS_DOC = "Codes des formes : " + ", ".join(Form.values) + "."
ROLES_DOC = "Rôles : " + ", ".join(PartyRole.values) + "."


class TerritoryOut(Schema):
    level: str
    code: str
    name: str
    departement: str | None = Field(description="code du département où se trouve le territoire")
    region: str | None = Field(description="code de la région où se trouve le territoire")


class StageOut(Schema):
    code: str
    label: str


class AllianceOut(Schema):
    id: int
    name: str
    stage: str
    stage_label: str
    forms: list[str]
    form_labels: list[str]
    territory: TerritoryOut | None
    starts_on: date | None
    ends_on: date | None
    last_interaction_on: date | None
    is_cold: bool = Field(description="sans échange depuis le délai réglé dans l'espace (60 jours par défaut)")
    parties: list[PartyOut]
    updated_at: datetime


class AllianceDetail(AllianceOut):
    purpose: str
    abandon_reason: str
    allowed_next_stages: list[StageOut] = Field(
        description="les étapes où MON espace peut faire passer l'alliance : vide quand il ne la pilote pas "
        "(le pilote décide ; les autres parties proposent, voir proposable_stages)"
    )
    you_lead: bool = Field(
        description="vrai quand mon espace décide de l'étape et de la description (pilote, décision 0016)"
    )
    lead_organizations: list[str] = Field(description="les organisations pilotes liées à un espace")
    proposable_stages: list[StageOut] = Field(
        description="les étapes que mon espace peut proposer au pilote (vide quand il pilote)"
    )
    stage_changed_at: datetime
    my_party_id: int | None
    created_at: datetime


class AlliancePage(Schema):
    items: list[AllianceOut]
    page: int
    page_size: int
    total: int
    has_next: bool


class PartnerIn(Schema):
    organization_id: Id = Field(description="identifiant de l'organisation dans l'annuaire")
    role: PartyRole = Field(PartyRole.PARTNER, description=ROLES_DOC)
    commitment: Text = Field("", max_length=3000, description="ce à quoi elle s'engage")


class AllianceIn(Schema):
    name: Text = Field(..., max_length=200)
    purpose: Text = Field("", max_length=5000)
    forms: list[Form] = Field(..., max_length=6, description=FORMS_DOC)
    own_role: PartyRole = Field(PartyRole.LEAD, description="rôle de mon organisation. " + ROLES_DOC)
    own_commitment: Text = Field("", max_length=3000)
    partners: list[PartnerIn] = Field(
        ..., max_length=50, description="les autres parties (mon organisation est ajoutée d'office)"
    )
    territory_level: Text = Field("", max_length=12, description="commune, epci, departement ou region")
    territory_code: Text = Field(
        "", max_length=9, description="code INSEE (commune, département, région) ou SIREN (EPCI)"
    )
    starts_on: date | None = None
    ends_on: date | None = None


class AlliancePatch(Schema):
    name: Text | None = Field(None, max_length=200)
    purpose: Text | None = Field(None, max_length=5000)
    forms: list[Form] | None = Field(None, max_length=6, description=FORMS_DOC)
    territory_level: Text | None = Field(None, max_length=12)
    territory_code: Text | None = Field(None, max_length=9)
    starts_on: date | None = None
    ends_on: date | None = None


class TransitionIn(Schema):
    to_stage: Text = Field(..., max_length=20, description="étape visée : " + ", ".join(Stage.values))
    reason: Text = Field("", max_length=2000, description="pourquoi (obligatoire pour abandoned)")


class StageChangeOut(Schema):
    id: int
    from_stage: str
    to_stage: str
    to_stage_label: str
    reason: str
    by: str | None = Field(description="nom de la personne")
    by_organization: str | None
    at: datetime
    next_steps: list[str] = Field(
        default_factory=list,
        description="ce que l'étape invite à faire (formalisée : déclarer les objectifs, "
        "POST /api/v1/evaluations/alliances/{id}/objectives)",
    )


def territory_out(a: Alliance) -> TerritoryOut | None:
    if not a.territory_level:
        return None
    return TerritoryOut(
        level=a.territory_level,
        code=a.territory_code,
        name=a.territory_name,
        departement=a.departement_id,
        region=a.region_id,
    )


def alliance_fields(a: Alliance) -> dict:
    return {
        "id": a.pk,
        "name": a.name,
        "stage": a.stage,
        "stage_label": a.get_stage_display(),
        "forms": list(a.forms),
        "form_labels": a.form_labels,
        "territory": territory_out(a),
        "starts_on": a.starts_on,
        "ends_on": a.ends_on,
        "last_interaction_on": a.last_interaction_on,
        "is_cold": bool(getattr(a, "is_cold", False)),
        "parties": [party_summary(p) for p in a.parties.all()],
        "updated_at": a.updated_at,
    }


def alliance_detail(a: Alliance, workspace) -> AllianceDetail:
    mine = my_party(a, workspace)
    fields = alliance_fields(a)
    fields["is_cold"] = is_cold(a, workspace)
    leads = actions.is_lead(a, workspace)
    moves = [StageOut(code=s, label=Stage(s).label) for s in allowed_moves(a.stage)]
    return AllianceDetail(
        **fields,
        purpose=a.purpose,
        abandon_reason=a.abandon_reason,
        allowed_next_stages=moves if leads else [],
        you_lead=leads,
        lead_organizations=[p.organization.name for p in actions.lead_parties(a)],
        proposable_stages=[] if leads or mine is None else moves,
        stage_changed_at=a.stage_changed_at,
        my_party_id=mine.pk if mine else None,
        created_at=a.created_at,
    )


def stage_change_out(c: StageChange) -> StageChangeOut:
    return StageChangeOut(
        id=c.pk,
        from_stage=c.from_stage,
        to_stage=c.to_stage,
        to_stage_label=c.get_to_stage_display(),
        reason=c.reason,
        by=str(c.by) if c.by_id else None,
        by_organization=c.by_workspace.organization.name if c.by_workspace is not None else None,
        at=c.at,
    )


def organizations_by_id(ids: list[int], field: str) -> dict[int, Organization]:
    """The directory entries named by id; an unknown id is a 422 on ``field`` that names it."""
    found = Organization.objects.in_bulk(ids)
    missing = [str(i) for i in ids if i not in found]
    if missing:
        raise ValidationError(
            {
                field: [
                    f"Organisation(s) introuvable(s) dans l'annuaire : n° {', '.join(missing)}. Cherchez-les avec /api/v1/organizations."
                ]
            }
        )
    return found


@router.get(
    "",
    response=AlliancePage,
    summary="Mes alliances",
    description="Les alliances dont mon organisation est partie active, des plus récemment modifiées aux plus "
    "anciennes. Filtres : stage, form, partner_kind (type d'une autre organisation partie), cause (d'une autre "
    "partie), departement, region (codes INSEE), q (dans le nom), cold=true (relations qui refroidissent). "
    "Pagination : page, page_size (100 au plus).",
)
def list_alliances(
    request,
    stage: str = "",
    form: str = "",
    partner_kind: str = "",
    cause: str = "",
    departement: str = "",
    region: str = "",
    q: str = "",
    cold: bool = False,
    page: int = 1,
    page_size: int = 20,
):
    filters = AllianceFilters(
        q=clean_query(q, 100),
        stage=check_choice(clean_query(stage, 20), "stage", Stage),
        form=check_choice(clean_query(form, 30), "form", Form),
        partner_kind=check_choice(clean_query(partner_kind, 20), "partner_kind", OrganizationKind),
        cause=clean_query(cause, 40),
        departement=clean_query(departement, 3).upper(),
        region=clean_query(region, 3),
        cold=cold,
    )
    days = cold_after_days(request.workspace)
    queryset = with_cold(filtered_alliances(request.workspace, filters, cold_days=days), days)
    rows, counters = paginate(queryset.prefetch_related(parties_prefetch()), page, page_size)
    return AlliancePage(items=[AllianceOut(**alliance_fields(a)) for a in rows], **counters)


@router.get("/{int:alliance_id}", response=AllianceDetail, summary="Une alliance")
def get_alliance(request, alliance_id: int):
    return alliance_detail(visible_alliance(request, alliance_id), request.workspace)


@router.post(
    "",
    response={201: AllianceDetail},
    summary="Créer une alliance",
    description="Mon organisation en est la première partie (own_role) ; partners nomme les autres, par leur "
    "identifiant dans l'annuaire. L'alliance naît à l'étape identified.",
)
def create_alliance(request, payload: AllianceIn):
    require_role(request)
    ids = [p.organization_id for p in payload.partners]
    organizations = organizations_by_id(ids, "partners")
    alliance = actions.create_alliance(
        workspace=request.workspace,
        user=request.user,
        name=payload.name,
        forms=[f.value for f in payload.forms],
        partners=[(organizations[p.organization_id], p.role.value, p.commitment) for p in payload.partners],
        own_role=payload.own_role.value,
        own_commitment=payload.own_commitment,
        purpose=payload.purpose,
        territory_level=payload.territory_level,
        territory_code=payload.territory_code,
        starts_on=payload.starts_on,
        ends_on=payload.ends_on,
    )
    return Status(201, alliance_detail(visible_alliance(request, alliance.pk), request.workspace))


@router.patch(
    "/{int:alliance_id}",
    response=AllianceDetail,
    summary="Modifier une alliance",
    description="Seuls les champs envoyés changent. L'étape ne change pas ici : voir /transitions.",
)
def update_alliance(request, alliance_id: int, payload: AlliancePatch):
    alliance = visible_alliance(request, alliance_id)
    require_role(request)
    changes = payload.dict(exclude_unset=True)
    if changes.get("forms") is not None:
        changes["forms"] = [Form(f).value for f in changes["forms"]]
    actions.update_alliance(alliance=alliance, workspace=request.workspace, user=request.user, **changes)
    return alliance_detail(visible_alliance(request, alliance_id), request.workspace)


@router.post(
    "/{int:alliance_id}/transitions",
    response={201: StageChangeOut},
    summary="Faire passer l'alliance à une autre étape",
    description="Seuls les passages du cycle de vie sont admis (allowed_next_stages de l'alliance) ; "
    "abandoned demande une raison. Chaque passage est journalisé.",
)
def move_alliance(request, alliance_id: int, payload: TransitionIn):
    alliance = visible_alliance(request, alliance_id)
    require_role(request)
    change = actions.record_stage_move(
        alliance=alliance,
        workspace=request.workspace,
        user=request.user,
        to_stage=payload.to_stage,
        reason=payload.reason,
    )
    out = stage_change_out(change)
    if change.to_stage == Stage.FORMALISED:  # issue 25: objectives are stated when the alliance is formalised
        out.next_steps = [OBJECTIVES_INVITATION]
    return Status(201, out)


@router.get("/{int:alliance_id}/transitions", response=list[StageChangeOut], summary="Le journal des étapes")
def list_transitions(request, alliance_id: int):
    alliance = visible_alliance(request, alliance_id)
    changes = StageChange.objects.filter(alliance=alliance).select_related("by", "by_workspace__organization")
    return [stage_change_out(c) for c in changes]
