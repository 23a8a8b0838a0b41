"""An alliance between the association of workspace A and a company with its own workspace C."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from maillage.alliances.actions import create_alliance
from maillage.core.roles import Role
from maillage.organizations.actions import create_organization
from maillage.workspaces.models import Membership, Workspace
from tests.conftest import make_user


@pytest.fixture
def company(db):
    return create_organization(data={"kind": "company", "name": "Imprimerie du Confluent", "commune": "69123"})


@pytest.fixture
def workspace_c(company):
    return Workspace.objects.create(name="Espace Imprimerie", organization=company, verified_at=timezone.now())


@pytest.fixture
def company_user(workspace_c):
    user = make_user("rse@imprimerie.test", "Léa Rse")
    Membership.objects.create(workspace=workspace_c, user=user, role=Role.OWNER)
    return user


@pytest.fixture
def alliance(workspace_a, workspace_c, company, people):
    alliance = create_alliance(
        workspace=workspace_a,
        user=people["owner"],
        name="Potagers d'entreprise",
        forms=["mecenat_competences", "innovation_sociale"],
        partners=[(company, "partner", "")],
        starts_on=date(2023, 3, 15),
    )
    party = alliance.parties.get(organization=company)
    party.workspace, party.joined_at = workspace_c, timezone.now()
    party.save()
    return alliance


@pytest.fixture
def parties(alliance, workspace_a, workspace_c):
    return (
        alliance.parties.get(workspace=workspace_a),
        alliance.parties.get(workspace=workspace_c),
    )
