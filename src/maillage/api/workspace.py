from __future__ import annotations

from datetime import datetime

from ninja import Router, Schema

from maillage.workspaces.claims import pending_claim_of
from maillage.workspaces.models import Membership

router = Router(tags=["Espace"])


class MeOut(Schema):
    email: str
    full_name: str
    workspace_id: int
    workspace_name: str
    role: str


class MemberOut(Schema):
    id: int
    email: str
    full_name: str
    role: str


@router.get("/me", response=MeOut, summary="Qui suis-je, dans quel espace, avec quel rôle")
def me(request):
    return MeOut(
        email=request.user.email,
        full_name=request.user.full_name,
        workspace_id=request.workspace.pk,
        workspace_name=request.workspace.name,
        role=request.workspace_role,
    )


class WorkspaceOut(Schema):
    id: int
    name: str
    organization_id: int
    organization_name: str
    verified: bool
    verified_at: datetime | None
    claim_status: str
    claim_status_label: str
    contributes_to_observatory: bool


@router.get(
    "/workspace",
    response=WorkspaceOut,
    summary="Mon espace et sa vérification",
    description="verified : l'espace agit au nom de son organisation (reçus, habilitation, invitations d'alliance, "
    "observatoire). Sinon claim_status dit où en est le justificatif : none (aucun déposé), pending (en attente "
    "d'un opérateur), refused ou superseded (dernier justificatif refusé, ou autre espace vérifié).",
)
def workspace(request):
    ws = request.workspace
    claim = None if ws.verified else (pending_claim_of(ws) or ws.claims.first())
    if ws.verified:
        status, label = "approved", "Espace vérifié"
    elif claim is None:
        status, label = "none", "Aucun justificatif déposé"
    else:
        status, label = claim.status, claim.get_status_display()
    return WorkspaceOut(
        id=ws.pk,
        name=ws.name,
        organization_id=ws.organization_id,
        organization_name=ws.organization.name,
        verified=ws.verified,
        verified_at=ws.verified_at,
        claim_status=status,
        claim_status_label=label,
        contributes_to_observatory=ws.contributes_to_observatory,
    )


@router.get("/workspace/members", response=list[MemberOut], summary="Membres de l'espace")
def members(request):
    return [
        MemberOut(id=m.pk, email=m.user.email, full_name=m.user.full_name, role=m.role)
        for m in Membership.objects.visible_to(request.workspace).active().select_related("user")
    ]
