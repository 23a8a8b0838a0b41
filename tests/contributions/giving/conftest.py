"""The giving side's world: a company with its own verified workspace gives to workspace A, which issues receipts."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from maillage.alliances.actions import accept_party_invitation, invite_party
from maillage.contributions.models import Kind, Status
from maillage.organizations.actions import create_organization
from maillage.receipts.actions import issue_receipt
from maillage.workspaces.models import Membership, Workspace
from tests.conftest import make_user
from tests.receipts.factories import gift, make_alliance, make_eligible


@pytest.fixture
def giving(workspace_a, people):
    """Imprimerie Rhodanienne (a company with its own verified workspace) gives to A, which issues receipts."""
    owner = people["owner"]
    company = create_organization(
        data={"kind": "company", "name": "Imprimerie Rhodanienne", "siren": "552100554", "commune": "69123"}
    )
    company_ws = Workspace.objects.create(name="Imprimerie", organization=company, verified_at=timezone.now())
    boss = make_user("dirigeante@imprimerie.test")
    Membership.objects.create(workspace=company_ws, user=boss, role="owner")
    make_eligible(workspace_a, owner)
    alliance = make_alliance(workspace_a, owner, company=company)
    party = alliance.parties.get(organization=company)
    accept_party_invitation(
        invitation=invite_party(alliance=alliance, workspace=workspace_a, user=owner, party=party),
        workspace=company_ws,
        user=boss,
    )
    money = gift(alliance, workspace_a, owner, value="5000.00", received_on=date(2025, 3, 1))
    skills = gift(alliance, workspace_a, owner, kind=Kind.SKILLS, received_on=date(2025, 5, 31))
    gift(alliance, workspace_a, owner, value="1200.00", received_on=date(2024, 9, 1))
    gift(alliance, workspace_a, owner, value="800.00", status=Status.PROMISED)
    receipts = [
        issue_receipt(workspace=workspace_a, user=owner, contribution=money, payment_method="virement"),
        issue_receipt(workspace=workspace_a, user=owner, contribution=skills),
    ]
    return {"company_ws": company_ws, "boss": boss, "alliance": alliance, "receipts": receipts, "skills": skills}
