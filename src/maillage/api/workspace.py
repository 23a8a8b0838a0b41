from __future__ import annotations

from ninja import Router, Schema

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


@router.get("/workspace/members", response=list[MemberOut], summary="Membres de l'espace")
def members(request):
    return [
        MemberOut(id=m.pk, email=m.user.email, full_name=m.user.full_name, role=m.role)
        for m in Membership.objects.active().filter(workspace=request.workspace).select_related("user")
    ]
