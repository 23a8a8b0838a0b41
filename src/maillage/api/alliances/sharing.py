"""Sharing an alliance: its parties, invitations of a party's workspace, answers to them, leaving."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import Http404
from ninja import Field, Schema, Status

from maillage.alliances import actions
from maillage.alliances.models import Party, PartyInvitation, PartyRole
from maillage.api.alliances.common import (
    MAX_ID,
    Id,
    MessageOut,
    PartySummary,
    Text,
    alliance_party,
    party_summary,
    router,
    visible_alliance,
)
from maillage.api.alliances.core import ROLES_DOC, organizations_by_id
from maillage.api.auth import require_role
from maillage.core.roles import Role, role_at_least
from maillage.core.tenancy import get_visible_or_404
from maillage.workspaces.claims import require_verified


class PartyOut(PartySummary):
    commitment: str
    joined_at: datetime | None
    invitation_pending: bool


class PartyIn(Schema):
    organization_id: Id = Field(description="identifiant de l'organisation dans l'annuaire")
    role: PartyRole = Field(PartyRole.PARTNER, description=ROLES_DOC)
    commitment: Text = Field("", max_length=3000)


class InvitationIn(Schema):
    email: Text = Field("", max_length=254, description="adresse à prévenir en plus des administrateurs de l'espace")


class InvitationOut(Schema):
    id: int
    alliance_id: int
    alliance_name: str
    party_id: int
    organization_name: str = Field(description="l'organisation invitée")
    invited_by_organization: str
    email: str
    status: str = Field(description="pending, accepted ou declined")
    created_at: datetime


def party_out(p: Party, pending: bool) -> PartyOut:
    return PartyOut(
        **party_summary(p).dict(), commitment=p.commitment, joined_at=p.joined_at, invitation_pending=pending
    )


def invitation_out(i: PartyInvitation) -> InvitationOut:
    status = "accepted" if i.accepted_at else "declined" if i.declined_at else "pending"
    return InvitationOut(
        id=i.pk,
        alliance_id=i.party.alliance_id,
        alliance_name=i.party.alliance.name,
        party_id=i.party_id,
        organization_name=i.party.organization.name,
        invited_by_organization=i.invited_by_workspace.organization.name,
        email=i.email,
        status=status,
        created_at=i.created_at,
    )


def require_admin(request, what: str) -> None:
    """Answering an invitation or leaving commits the whole workspace: its admins and owners decide."""
    if not role_at_least(getattr(request, "workspace_role", None), Role.ADMIN):
        raise PermissionDenied(f"Seuls les administrateurs et propriétaires de l'espace peuvent {what}.")


def _invitation_of_mine(request, invitation_id: int) -> PartyInvitation:
    """An invitation addressed to my organisation (answered or not), or 404; 403 for an unverified workspace."""
    require_verified(request.workspace, actions.ANSWER_INVITATIONS)
    if not 1 <= invitation_id <= MAX_ID:
        raise Http404("Invitation introuvable.")
    queryset = PartyInvitation.objects.filter(party__organization_id=request.workspace.organization_id)
    related = ("party__alliance", "party__organization", "invited_by_workspace__organization")
    return get_visible_or_404(queryset.select_related(*related), pk=invitation_id)


@router.get("/{int:alliance_id}/parties", response=list[PartyOut], summary="Les parties d'une alliance")
def list_parties(request, alliance_id: int):
    alliance = visible_alliance(request, alliance_id)
    pending = PartyInvitation.objects.filter(party=OuterRef("pk"), accepted_at__isnull=True, declined_at__isnull=True)
    parties = Party.objects.filter(alliance=alliance).select_related("organization").annotate(pending=Exists(pending))
    return [party_out(p, p.pending) for p in parties]


@router.post(
    "/{int:alliance_id}/parties",
    response={201: PartyOut},
    summary="Ajouter une partie",
    description="Une organisation de l'annuaire rejoint l'alliance ; son espace la voit une fois invité et l'invitation acceptée.",
)
def add_party(request, alliance_id: int, payload: PartyIn):
    alliance = visible_alliance(request, alliance_id)
    require_role(request)
    organization = organizations_by_id([payload.organization_id], "organization_id")[payload.organization_id]
    party = actions.add_party(
        alliance=alliance,
        workspace=request.workspace,
        user=request.user,
        organization=organization,
        role=payload.role.value,
        commitment=payload.commitment,
    )
    return Status(201, party_out(party, pending=False))


@router.post(
    "/{int:alliance_id}/parties/{int:party_id}/invitations",
    response={201: InvitationOut},
    summary="Inviter l'espace d'une partie à partager l'alliance",
    description="Les administrateurs des espaces de cette organisation sont prévenus par e-mail ; ils acceptent "
    "avec /alliances/invitations/{id}/accept.",
)
def invite_party(request, alliance_id: int, party_id: int, payload: InvitationIn):
    alliance = visible_alliance(request, alliance_id)
    party = alliance_party(alliance, party_id)
    require_role(request)
    invitation = actions.invite_party(
        alliance=alliance,
        workspace=request.workspace,
        user=request.user,
        party=party,
        email=payload.email.strip(),
        request=request,
    )
    return Status(201, invitation_out(_invitation_of_any(invitation.pk)))


def _invitation_of_any(pk: int) -> PartyInvitation:
    related = ("party__alliance", "party__organization", "invited_by_workspace__organization")
    return PartyInvitation.objects.select_related(*related).get(pk=pk)


@router.get(
    "/invitations",
    response=list[InvitationOut],
    summary="Les invitations reçues par mon organisation",
    description="Invitations en attente de réponse, adressées à l'organisation de mon espace.",
)
def list_invitations(request):
    require_verified(request.workspace, actions.ANSWER_INVITATIONS)
    return [invitation_out(i) for i in actions.pending_invitations_for(request.workspace)]


@router.post(
    "/invitations/{int:invitation_id}/accept",
    response=InvitationOut,
    summary="Accepter une invitation",
    description="Mon espace rejoint l'alliance : ses membres la voient et y travaillent. Réservé aux "
    "administrateurs et propriétaires de l'espace.",
)
def accept_invitation(request, invitation_id: int):
    invitation = _invitation_of_mine(request, invitation_id)
    require_admin(request, "accepter une invitation")
    actions.accept_party_invitation(
        invitation=invitation, workspace=request.workspace, user=request.user, request=request
    )
    return invitation_out(_invitation_of_any(invitation.pk))


@router.post(
    "/invitations/{int:invitation_id}/decline",
    response=InvitationOut,
    summary="Décliner une invitation",
    description="Réservé aux administrateurs et propriétaires de l'espace.",
)
def decline_invitation(request, invitation_id: int):
    invitation = _invitation_of_mine(request, invitation_id)
    require_admin(request, "décliner une invitation")
    actions.decline_party_invitation(
        invitation=invitation, workspace=request.workspace, user=request.user, request=request
    )
    return invitation_out(_invitation_of_any(invitation.pk))


@router.post(
    "/{int:alliance_id}/leave",
    response=MessageOut,
    summary="Quitter l'alliance",
    description="Mon organisation cesse d'être partie : mon espace ne voit plus l'alliance ; son histoire reste "
    "aux autres parties. Réservé aux administrateurs et propriétaires de l'espace.",
)
def leave_alliance(request, alliance_id: int):
    alliance = visible_alliance(request, alliance_id)
    require_admin(request, "quitter une alliance")
    actions.leave_alliance(alliance=alliance, workspace=request.workspace, user=request.user)
    return MessageOut(detail=f"Votre organisation a quitté l'alliance « {alliance.name} » ; son histoire reste.")
