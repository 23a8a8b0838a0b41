"""Issue 19: the directory opens on the workspace's own partners and territory (not « Aast, Abainville… »), and
« lyon » shows the commune of Lyon first."""

from __future__ import annotations

import pytest

from tests.alliances.test_lead_rules import shared  # noqa: F401  (the fixture)
from tests.conftest import client_for, page_text

pytestmark = pytest.mark.django_db


def test_the_directory_opens_on_the_partners_and_the_territory(shared, people, workspace_a):  # noqa: F811
    organization = workspace_a.organization
    assert organization.departement_id == "69"
    response = client_for(people["owner"]).get("/annuaire/")
    page = page_text(response)
    assert "Vos partenaires" in page and "Imprimerie Rhodanienne" in page
    assert "Annuaire ouvert sur votre département (69)" in page
    results = [o.departement_id for o in response.context["result"].results]
    assert results and set(results) == {"69"}  # not Aast (64) nor Abainville (55)
    assert "Aast" not in page
    # Any search or filter, even « Tous », is the person's choice: all of France.
    everywhere = client_for(people["owner"]).get("/annuaire/", {"departement": ""})
    assert "Vos partenaires" not in page_text(everywhere)
    assert "Aast" in page_text(everywhere)


def test_a_search_shows_the_exact_name_first(people):
    response = client_for(people["owner"]).get("/annuaire/", {"q": "lyon"})
    assert response.context["result"].results[0].name == "Lyon"
