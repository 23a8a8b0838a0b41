"""Issue 25: named funders are linked to the directory by a picker on the year page (the directory's organisation
search), and a named public funder becomes an alliance in one click (page and API), counted in the alliances
pillar and journaled."""

from __future__ import annotations

import pytest
from django.urls import reverse

from maillage.alliances.models import Alliance
from maillage.audit.models import AuditEvent
from maillage.diagnostic.analysis import diagnose
from maillage.diagnostic.models import Funder
from maillage.organizations.models import Organization
from tests.conftest import api_client_for, client_for, page_text
from tests.diagnostic.test_sized_cases import owner, put_year

pytestmark = pytest.mark.django_db


def year_post(**funder_fields) -> dict:
    data = {"public_subsidies": "40000", "fees": "6000", "volunteers": "12", "volunteer_hours": "900"}
    data.update(funder_fields)
    return data


def test_the_year_page_links_a_funder_picked_in_the_directory(workspace_a):
    user = owner(workspace_a)
    client = client_for(user)
    metropole = Organization.objects.get(territory_key="epci:200046977")
    # The picker is the directory's own search, asked for a funder row: a radio per organisation, and « absent ».
    options = client.get(reverse("web:organization_options"), {"q": "Métropole de Lyon", "field": "funder_org_0"})
    html = options.content.decode()
    assert f'name="funder_org_0" id="funder_org_0-{metropole.pk}" value="{metropole.pk}"' in html
    assert 'value="none"' in html
    # A name typed differently from the directory's (never matched by the exact-name rule) is linked by the pick.
    url = reverse("web:diagnostic_year", args=[2025])
    posted = year_post(
        funder_name_0="La Métropole",
        funder_source_0="public_subsidies",
        funder_amount_0="30000",
        funder_org_0=str(metropole.pk),
    )
    assert client.post(url, posted).status_code == 302
    funder = Funder.objects.get(resource_year__workspace=workspace_a)
    assert funder.organization_id == metropole.pk
    page = client.get(url).content.decode()
    assert f'value="{metropole.pk}" checked' in page  # the link is shown, and can be undone
    # « Absent de l'annuaire » unlinks it, even when the typed name is exactly the directory's.
    posted.update(funder_name_0=metropole.name, funder_org_0="none")
    assert client.post(url, posted).status_code == 302
    assert Funder.objects.get(resource_year__workspace=workspace_a).organization_id is None
    # A funder picked with its name left blank takes the directory's name.
    posted.update(funder_name_0="", funder_org_0=str(metropole.pk))
    assert client.post(url, posted).status_code == 302
    assert Funder.objects.get(resource_year__workspace=workspace_a).name == metropole.name


def test_a_public_funder_becomes_an_alliance_in_one_click(workspace_a):
    user = owner(workspace_a)
    client = client_for(user)
    commune = Organization.objects.get(territory_key="commune:69266")
    response = put_year(
        workspace_a,
        user,
        2025,
        {
            "resources": {"public_subsidies": "3000", "fees": "3000"},
            "human": {"volunteers": 12, "volunteer_hours": "900"},
            "funders": [
                {"name": "Mairie", "source": "public_subsidies", "amount": "3000", "organization_id": commune.pk}
            ],
        },
    )
    assert response.status_code == 200, response.content
    funder_id = response.json()["funders"][0]["id"]
    page = page_text(client.get(reverse("web:diagnostic") + "?annee=2025"))
    assert "Vos financeurs sont des alliés" in page and f"Créer une alliance avec {commune.name}" in page
    created = client.post(reverse("web:diagnostic_funder_alliance", args=[funder_id]))
    alliance = Alliance.objects.visible_to(workspace_a).get()
    assert created.status_code == 302 and created["Location"] == reverse("web:alliance_detail", args=[alliance.pk])
    assert alliance.parties.filter(organization=commune, role="funder").exists()
    assert alliance.forms == ["cooperation_economique"]
    assert AuditEvent.objects.filter(action="alliance.created_from_funder", workspace=workspace_a).count() == 1
    d = diagnose(workspace_a, 2025)
    assert d.funder_alliances == [(d.record.funders.get(), alliance)]
    pillar = next(p for p in d.pillars if p.get("code") == "alliances")
    assert pillar["present"] and ("Alliances en cours dans Maillage", "1") in pillar["facts"]
    page = page_text(client.get(reverse("web:diagnostic") + "?annee=2025"))
    assert "partie à votre alliance" in page and f"« {alliance.name} »" in page
    assert f"Créer une alliance avec {commune.name}" not in page
    # A second click (or the API) finds the same alliance: nothing is created twice.
    api = api_client_for(user, workspace_a)
    again = api.post(f"/api/v1/diagnostic/funders/{funder_id}/alliance", {}, content_type="application/json")
    assert again.status_code == 200 and again.json() == {
        "alliance_id": alliance.pk,
        "name": alliance.name,
        "stage": "identified",
        "created": False,
    }
    assert Alliance.objects.visible_to(workspace_a).count() == 1


def test_a_funder_not_in_the_directory_is_refused_with_the_way_to_link_it(workspace_a):
    user = owner(workspace_a)
    response = put_year(
        workspace_a,
        user,
        2025,
        {
            "resources": {"gifts": "2000"},
            "funders": [{"name": "Un donateur", "source": "gifts", "amount": "2000", "organization_id": 0}],
        },
    )
    funder_id = response.json()["funders"][0]["id"]
    refused = api_client_for(user, workspace_a).post(
        f"/api/v1/diagnostic/funders/{funder_id}/alliance", {}, content_type="application/json"
    )
    assert refused.status_code == 422 and "n'est pas relié à l'annuaire" in refused.json()["detail"]
    assert not Alliance.objects.visible_to(workspace_a).exists()
