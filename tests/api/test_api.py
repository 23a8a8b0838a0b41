from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from maillage.organizations.models import Organization
from tests.conftest import api_client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def member_api(people, workspace_a):
    return api_client_for(people["member"], workspace_a)


def test_openapi_schema_is_published():
    from django.test import Client

    schema = Client().get("/api/v1/openapi.json").json()
    assert schema["info"]["title"] == "API Maillage"
    assert "/api/v1/organizations" in schema["paths"]


def test_search_and_read(member_api):
    page = member_api.get("/api/v1/organizations", {"q": "ajaccio", "kind": "commune"}).json()
    assert [o["name"] for o in page["items"]] == ["Ajaccio"]
    ajaccio = member_api.get(f"/api/v1/organizations/{page['items'][0]['id']}").json()
    assert ajaccio["commune"] == "2A004" and ajaccio["is_reference"] is True


def test_create_with_french_errors_naming_the_field(member_api):
    response = member_api.post(
        "/api/v1/organizations",
        {"kind": "company", "name": "Boulangerie", "siren": "123456789", "commune": "00000"},
        content_type="application/json",
    )
    assert response.status_code == 422
    body = response.json()
    fields = {e["field"] for e in body["errors"]}
    assert fields == {"siren", "commune"}
    assert "clé de contrôle" in body["detail"]
    assert not Organization.objects.filter(name="Boulangerie").exists()


def test_schema_errors_are_in_french(member_api):
    response = member_api.post(
        "/api/v1/organizations", {"kind": "vaisseau", "name": "N" * 300}, content_type="application/json"
    )
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "kind : valeur non autorisée" in detail and "name : trop long (200 caractères au plus)" in detail


def test_missing_field(member_api):
    response = member_api.post("/api/v1/organizations", {"kind": "company"}, content_type="application/json")
    assert response.status_code == 422 and "name : champ obligatoire absent" in response.json()["detail"]


def test_malformed_json_is_a_400_with_a_french_message(member_api):
    response = member_api.post("/api/v1/organizations", "{kind: company", content_type="application/json")
    assert response.status_code == 400
    assert "JSON valide" in response.json()["detail"]


def test_duplicate_is_a_409_pointing_to_the_existing_entry(member_api, org_a):
    response = member_api.post(
        "/api/v1/organizations",
        {"kind": "association", "name": "Copie", "rna": org_a.rna},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert response.json()["existing"]["id"] == org_a.pk


def test_unknown_objects_are_404_in_json(member_api):
    response = member_api.get("/api/v1/organizations/987654321")
    assert response.status_code == 404 and response.json() == {"detail": "Objet introuvable."}
    assert member_api.get("/api/v1/territories/communes/99999").status_code == 404


def test_bad_query_parameters(member_api):
    assert member_api.get("/api/v1/organizations", {"page": "abc"}).status_code == 422
    assert member_api.get("/api/v1/organizations", {"page": "0"}).status_code == 422
    assert member_api.get("/api/v1/organizations", {"kind": "vaisseau"}).status_code == 422


def test_revoked_token_is_refused(people, workspace_a):
    from maillage.workspaces.models import ApiToken

    client = api_client_for(people["viewer"], workspace_a)
    assert client.get("/api/v1/me").status_code == 200
    ApiToken.objects.update(revoked_at="2026-01-01T00:00:00Z")
    assert client.get("/api/v1/me").status_code == 401


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=300),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=10,
)
payloads = st.fixed_dictionaries(
    {},
    optional={
        "kind": st.sampled_from(["association", "company", "commune", "foundation", "", "x"]) | json_values,
        "name": st.text(max_size=250) | json_values,
        "siren": st.text(alphabet="0123456789 W", max_size=12) | json_values,
        "siret": st.text(alphabet="0123456789", max_size=15),
        "rna": st.text(alphabet="W0123456789AB", max_size=11),
        "naf": st.sampled_from(["88.99B", "8899B", "00.00Z", ""]) | st.text(max_size=8),
        "commune": st.sampled_from(["69123", "2A004", "97411", "00000", ""]) | st.text(max_size=6),
        "causes": st.lists(st.sampled_from(["sport", "culture", "inconnue"]), max_size=3) | json_values,
        "website": st.sampled_from(["https://exemple.fr", "ftp://x", "pas une url"]),
    },
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(payload=payloads | json_values)
def test_generated_payloads_never_cause_a_server_error(member_api, payload):
    response = member_api.post("/api/v1/organizations", json.dumps(payload), content_type="application/json")
    assert response.status_code in {201, 400, 409, 422}, response.content
    assert "detail" in response.json() or response.status_code == 201


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(
    params=st.dictionaries(
        st.sampled_from(["q", "kind", "region", "departement", "epci", "commune", "cause", "page", "page_size"]),
        st.text(max_size=40),
        max_size=5,
    )
)
def test_generated_searches_never_cause_a_server_error(member_api, params):
    response = member_api.get("/api/v1/organizations", params)
    assert response.status_code in {200, 422}, response.content
