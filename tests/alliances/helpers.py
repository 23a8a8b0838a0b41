"""Builders for the alliance tests: every row written through the domain actions."""

from __future__ import annotations

from datetime import date

from maillage.alliances import actions
from maillage.organizations.actions import create_organization


def make_company(name: str, siren: str | None = None):
    return create_organization(data={"kind": "company", "name": name, **({"siren": siren} if siren else {})})


def make_alliance(workspace, user, partners, name="Jardins et entreprises", forms=("mecenat_competences",), **extra):
    """An alliance of ``workspace``'s organisation with ``partners`` (organisations) as partners."""
    return actions.create_alliance(
        workspace=workspace,
        user=user,
        name=name,
        forms=list(forms),
        partners=[(org, "partner", "") for org in partners],
        **extra,
    )


def share_with(alliance, inviting_workspace, inviting_user, workspace, user):
    """Invite ``workspace``'s party and accept: both workspaces then share the alliance."""
    party = alliance.parties.get(organization=workspace.organization)
    invitation = actions.invite_party(alliance=alliance, workspace=inviting_workspace, user=inviting_user, party=party)
    actions.accept_party_invitation(invitation=invitation, workspace=workspace, user=user)
    return party


def walk_to(alliance, workspace, user, *stages):
    for stage in stages:
        alliance = actions.move_alliance(alliance=alliance, workspace=workspace, user=user, to_stage=stage)
    return alliance


def log(alliance, workspace, user, minutes, attendance=None, on=date(2026, 1, 15)):
    return actions.log_interaction(
        alliance=alliance,
        workspace=workspace,
        user=user,
        kind="meeting",
        occurred_on=on,
        duration_minutes=minutes,
        attendance=attendance,
    )


def screen(response) -> str:
    """The page as read on screen: entities decoded, non-breaking spaces (thousands separators) as spaces."""
    from tests.conftest import page_text

    return page_text(response).replace("\xa0", " ").replace("\u202f", " ")
