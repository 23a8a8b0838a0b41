"""Observatory actions: a workspace's consent to be counted (anonymous, aggregated) in the public observatory."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction

from maillage.audit.actions import record_event
from maillage.core.roles import Role, role_at_least
from maillage.workspaces.claims import require_verified
from maillage.workspaces.models import Membership


@transaction.atomic
def set_observatory_consent(*, workspace, user, contributes: bool, request=None) -> bool:
    """Give or withdraw the consent; journaled (``observatory.consent_changed``) when it changes. Returns whether
    it changed. Admins decide; only a verified workspace may be counted (decision 0008), withdrawing is always
    allowed."""
    membership = Membership.objects.active().filter(user=user, workspace=workspace).first()
    if not role_at_least(membership.role if membership else None, Role.ADMIN):
        raise PermissionDenied("Seuls les administrateurs de l'espace décident de contribuer à l'observatoire.")
    if contributes:
        require_verified(workspace, "contribuer à l'observatoire public au nom de l'organisation")
    if workspace.contributes_to_observatory == contributes:
        return False
    workspace.contributes_to_observatory = contributes
    workspace.save(update_fields=["contributes_to_observatory"])
    record_event(
        action="observatory.consent_changed",
        actor=user,
        workspace=workspace,
        details={"contributes": contributes},
        request=request,
    )
    return True
