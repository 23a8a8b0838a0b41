"""Proposals to the lead party (decision 0016): the lead's workspace decides the stage and the description of a
shared alliance (PATCH and /transitions answer 403 to the others); the other parties propose, the lead accepts
or refuses. No business rule here: :mod:`maillage.alliances.actions` (the rule in :mod:`maillage.alliances.lead`).
"""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema, Status

from maillage.alliances import actions
from maillage.alliances.models import Form, Proposal
from maillage.api.alliances.common import Text, router, visible_alliance
from maillage.api.alliances.core import AlliancePatch
from maillage.api.auth import require_role
from maillage.core.tenancy import get_visible_or_404


class ProposalIn(Schema):
    to_stage: Text = Field("", max_length=20, description="étape proposée ; vide pour proposer une description")
    changes: AlliancePatch | None = Field(None, description="nouvelle description proposée (seuls les champs envoyés)")
    reason: Text = Field("", max_length=2000, description="pourquoi (obligatoire pour proposer abandoned)")


class AnswerIn(Schema):
    answer: Text = Field("", max_length=2000)


class ProposalOut(Schema):
    id: int
    kind: str
    to_stage: str
    changes: dict
    reason: str
    by_organization: str | None
    created_at: datetime
    status: str
    status_label: str
    answer: str
    decided_at: datetime | None


def proposal_out(p: Proposal) -> ProposalOut:
    return ProposalOut(
        id=p.pk,
        kind=p.kind,
        to_stage=p.to_stage,
        changes=p.changes,
        reason=p.reason,
        by_organization=p.by_workspace.organization.name if p.by_workspace else None,
        created_at=p.created_at,
        status=p.status,
        status_label=p.get_status_display(),
        answer=p.answer,
        decided_at=p.decided_at,
    )


def _proposal(alliance, proposal_id: int) -> Proposal:
    proposal = get_visible_or_404(
        Proposal.objects.filter(alliance=alliance).select_related("by_workspace__organization"), pk=proposal_id
    )
    proposal.alliance = alliance
    return proposal


@router.get("/{int:alliance_id}/proposals", response=list[ProposalOut], summary="Les propositions faites au pilote")
def list_proposals(request, alliance_id: int):
    alliance = visible_alliance(request, alliance_id)
    return [
        proposal_out(p)
        for p in Proposal.objects.filter(alliance=alliance).select_related("by_workspace__organization")[:200]
    ]


@router.post(
    "/{int:alliance_id}/proposals",
    response={201: ProposalOut},
    summary="Proposer au pilote une étape ou une description",
    description="Pour une partie qui ne pilote pas l'alliance (le pilote change directement : 422).",
)
def create_proposal(request, alliance_id: int, payload: ProposalIn):
    alliance = visible_alliance(request, alliance_id)
    require_role(request)
    changes = payload.changes.dict(exclude_unset=True) if payload.changes else None
    if changes and changes.get("forms") is not None:
        changes["forms"] = [Form(f).value for f in changes["forms"]]
    proposal = actions.propose_change(
        alliance=alliance,
        workspace=request.workspace,
        user=request.user,
        to_stage=payload.to_stage,
        changes=changes,
        reason=payload.reason,
    )
    return Status(201, proposal_out(proposal))


@router.post(
    "/{int:alliance_id}/proposals/{int:proposal_id}/accept",
    response=ProposalOut,
    summary="Accepter une proposition (pilote) : le changement est fait",
)
def accept_proposal(request, alliance_id: int, proposal_id: int, payload: AnswerIn):
    alliance = visible_alliance(request, alliance_id)
    require_role(request)
    proposal = actions.accept_proposal(
        proposal=_proposal(alliance, proposal_id), workspace=request.workspace, user=request.user, answer=payload.answer
    )
    return proposal_out(proposal)


@router.post(
    "/{int:alliance_id}/proposals/{int:proposal_id}/refuse",
    response=ProposalOut,
    summary="Refuser une proposition (pilote)",
)
def refuse_proposal(request, alliance_id: int, proposal_id: int, payload: AnswerIn):
    alliance = visible_alliance(request, alliance_id)
    require_role(request)
    proposal = actions.refuse_proposal(
        proposal=_proposal(alliance, proposal_id), workspace=request.workspace, user=request.user, answer=payload.answer
    )
    return proposal_out(proposal)


class HandOverIn(Schema):
    party_id: int = Field(..., description="la partie qui pilotera (elle partage l'alliance : elle a un espace)")
    reason: Text = Field("", max_length=2000)


class HandOverOut(Schema):
    detail: str
    lead_party_id: int
    lead_organization: str


@router.post(
    "/{int:alliance_id}/lead",
    response=HandOverOut,
    summary="Transmettre le rôle de pilote à une autre partie",
    description="Réservé au pilote (403 sinon), par un administrateur ou propriétaire de son espace ; la nouvelle "
    "pilote partage l'alliance. Mon organisation devient partenaire ; le passage est journalisé.",
)
def hand_over_lead(request, alliance_id: int, payload: HandOverIn):
    from maillage.api.alliances.sharing import require_admin

    alliance = visible_alliance(request, alliance_id)
    require_admin(request, "transmettre le rôle de pilote")
    party = actions.hand_over_lead(
        alliance=alliance,
        workspace=request.workspace,
        user=request.user,
        party_id=payload.party_id,
        reason=payload.reason,
    )
    return HandOverOut(
        detail=f"{party.organization} pilote désormais l'alliance « {alliance.name} ».",
        lead_party_id=party.pk,
        lead_organization=str(party.organization),
    )
