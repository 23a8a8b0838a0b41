"""Fixtures of the exchange tests: workspace A's organisation, two partners with identifiers, an alliance."""

from __future__ import annotations

import pytest

from maillage.alliances.actions import create_alliance
from maillage.core.roles import Role
from maillage.organizations.actions import create_organization
from maillage.workspaces.models import Membership
from tests.conftest import client_for, make_user

COMPANY_SIREN = "732829320"


@pytest.fixture
def owner(workspace_a):
    user = make_user("owner@exchange.test")
    Membership.objects.create(workspace=workspace_a, user=user, role=Role.OWNER)
    return user


@pytest.fixture
def company(db):
    return create_organization(
        data={"kind": "company", "name": "Menuiserie du Lac", "siren": COMPANY_SIREN, "commune": "74010"}
    )


@pytest.fixture
def foundation(db):
    return create_organization(data={"kind": "foundation", "name": "Fondation des Rives", "commune": "69123"})


@pytest.fixture
def alliance(workspace_a, owner, company, foundation):
    return create_alliance(
        workspace=workspace_a,
        user=owner,
        name="Potager solidaire",
        forms=["mecenat_financier"],
        partners=[(company, "funder", ""), (foundation, "partner", "")],
    )


@pytest.fixture
def client(owner):
    """The owner of workspace A, logged in."""
    return client_for(owner)
