"""Observatory actions: a workspace's consent to be counted (anonymous, aggregated) in the public observatory."""

from __future__ import annotations

from django.db import transaction

from maillage.audit.actions import record_event


@transaction.atomic
def set_observatory_consent(*, workspace, user, contributes: bool, request=None) -> bool:
    """Give or withdraw the consent; journaled (``observatory.consent_changed``) when it changes. Returns whether
    it changed."""
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
