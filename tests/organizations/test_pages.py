from __future__ import annotations

import pytest

from maillage.organizations.models import Organization
from tests.conftest import client_for, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    return client_for(make_user("annuaire@exemple.fr"))


def test_search_page_finds_real_public_bodies(client):
    body = client.get("/annuaire/", {"q": "villeurbanne"}).content.decode()
    assert "Villeurbanne" in body and "Commune" in body


def test_htmx_search_returns_only_results(client):
    response = client.get("/annuaire/", {"q": "ajaccio"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "Ajaccio" in body and "<html" not in body


def test_add_an_organisation_with_validated_identifiers(client):
    response = client.post(
        "/annuaire/nouvelle/",
        {
            "kind": "company",
            "name": "Menuiserie du Lac",
            "siret": "73282932000074",
            "naf": "16.23Z",
            "commune": "74010",
            "causes": ["environnement"],
            "workforce_band": "micro",
        },
    )
    assert response.status_code == 302
    org = Organization.objects.get(name="Menuiserie du Lac")
    assert (org.siren, org.departement_id, org.epci_id) == ("732829320", "74", org.commune.epci_id)
    assert "Menuiserie du Lac" in client.get(response["Location"]).content.decode()


def test_invalid_identifiers_get_french_messages_naming_the_field(client):
    response = client.post(
        "/annuaire/nouvelle/",
        {"kind": "association", "name": "X", "siren": "123456789", "rna": "12", "naf": "99.99Z", "commune": "99999"},
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "clé de contrôle fausse" in body
    assert "W suivi de 9 caractères" in body
    assert "nomenclature NAF" in body
    assert "code officiel géographique" in body
    assert not Organization.objects.filter(name="X").exists()


def test_duplicate_siren_or_rna_links_to_the_existing_entry(client, org_a):
    response = client.post("/annuaire/nouvelle/", {"kind": "association", "name": "Copie", "rna": org_a.rna})
    body = response.content.decode()
    assert f"/annuaire/{org_a.pk}/" in body and "existe déjà" in body
    response = client.post("/annuaire/nouvelle/", {"kind": "company", "name": "Copie", "siren": "216901231"})
    lyon = Organization.objects.get(territory_key="commune:69123")
    assert f"/annuaire/{lyon.pk}/" in response.content.decode()


def test_public_bodies_cannot_be_added_by_hand(client):
    response = client.post("/annuaire/nouvelle/", {"kind": "commune", "name": "Ville nouvelle"})
    assert response.status_code == 400


def test_oversized_fields_are_refused(client):
    response = client.post("/annuaire/nouvelle/", {"kind": "company", "name": "N" * 500})
    assert response.status_code == 400
    assert "200 caractères" in response.content.decode()


def test_organisation_page_shows_its_place(client):
    lyon = Organization.objects.get(territory_key="commune:69123")
    body = client.get(f"/annuaire/{lyon.pk}/").content.decode()
    assert "216901231" in body and "Métropole de Lyon" in body and "Auvergne-Rhône-Alpes" in body
    assert client.get("/annuaire/999999999/").status_code == 404


def test_commune_autocomplete(client):
    body = client.get("/referentiel/communes/", {"q": "villeurb"}).content.decode()
    assert "69266" in body
    assert "69100" in client.get("/referentiel/communes/", {"q": "69266"}).content.decode()


def test_query_count_of_the_directory_page_is_fixed(client, django_assert_max_num_queries):
    for size in ("5", "50"):
        with django_assert_max_num_queries(14):
            client.get("/annuaire/", {"q": "saint", "page": "1"})
    # The page costs the same for page 1 and page 40.
    with django_assert_max_num_queries(14):
        client.get("/annuaire/", {"q": "saint", "page": "40"})
