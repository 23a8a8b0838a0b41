"""Fixtures of the alliance API tests: A's alliance with a company and B's association, shared with B on demand."""

from __future__ import annotations

import json

import pytest

from maillage.alliances.actions import accept_party_invitation, create_alliance, invite_party
from maillage.organizations.actions import create_organization
from tests.conftest import api_client_for


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def company(db):
    return create_organization(data={"kind": "company", "name": "Boulangerie Dupain", "commune": "69123"})


@pytest.fixture
def alliance(people, workspace_a, org_b, company):
    """A's alliance (A lead, B's association partner, a company funder), not yet shared with B."""
    return create_alliance(
        workspace=workspace_a,
        user=people["owner"],
        name="Jardins partagés de Vaise",
        forms=["mecenat_financier", "innovation_sociale"],
        partners=[(org_b, "partner", "Animer les ateliers"), (company, "funder", "Financer les bacs")],
        purpose="Des jardins au pied des immeubles",
        territory_level="commune",
        territory_code="69123",
    )


def party(alliance, organization):
    return alliance.parties.get(organization=organization)


@pytest.fixture
def shared(alliance, people, workspace_a, workspace_b, org_b):
    """The alliance once B's workspace accepted A's invitation."""
    invitation = invite_party(
        alliance=alliance, workspace=workspace_a, user=people["owner"], party=party(alliance, org_b)
    )
    accept_party_invitation(invitation=invitation, workspace=workspace_b, user=people["other_workspace"])
    return alliance


@pytest.fixture
def member_api(people, workspace_a):
    return api_client_for(people["member"], workspace_a)


@pytest.fixture
def admin_api(people, workspace_a):
    return api_client_for(people["admin"], workspace_a)


@pytest.fixture
def viewer_api(people, workspace_a):
    return api_client_for(people["viewer"], workspace_a)


@pytest.fixture
def b_api(people, workspace_b):
    return api_client_for(people["other_workspace"], workspace_b)


def post(client, path, body):
    return client.post(path, json.dumps(body), content_type="application/json")


def patch(client, path, body):
    return client.patch(path, json.dumps(body), content_type="application/json")


def detail(response) -> str:
    return response.json()["detail"]
