"""Corrections with history (decision 0016) of exchanges, agreements and the organisations a workspace added: only
the workspace that recorded it corrects it; every change is kept (who, when, before, after, why) and shown."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from maillage.alliances import actions
from maillage.alliances.models import Agreement, Alliance, Attendance, Interaction
from maillage.alliances.totals import drift
from maillage.organizations.models import Organization
from tests.alliances.test_lead_rules import shared  # noqa: F401  (the fixture)
from tests.conftest import api_client_for, client_for, page_text

pytestmark = pytest.mark.django_db


def _interaction(shared, owner, workspace_a, **extra):  # noqa: F811
    alliance = shared["alliance"]
    own = alliance.parties.get(organization=workspace_a.organization)
    return actions.log_interaction(
        alliance=alliance,
        workspace=workspace_a,
        user=owner,
        kind="meeting",
        occurred_on=date(2025, 3, 4),
        duration_minutes=60,
        subject="Premier rendez-vous",
        attendance={own.pk: 2, shared["company_party"].pk: 1},
        **extra,
    )


def test_an_exchange_is_corrected_by_its_author_with_history_and_time_moved(shared, people, workspace_a):  # noqa: F811
    owner, alliance = people["owner"], shared["alliance"]
    interaction = _interaction(shared, owner, workspace_a)
    client = client_for(owner)
    url = f"/alliances/{alliance.pk}/echanges/{interaction.pk}/corriger/"
    assert url in client.get(f"/alliances/{alliance.pk}/").content.decode()
    response = client.post(
        url,
        {
            "kind": "meeting",
            "occurred_on": "2025-03-05",
            "duration_minutes": "90",
            "subject": "Premier rendez-vous",
            "notes": "",
            "reason": "Mauvaise date",
        },
    )
    assert response.status_code == 302, page_text(response)
    corrected = Interaction.objects.get(pk=interaction.pk)
    assert corrected.duration_minutes == 90 and corrected.occurred_on == date(2025, 3, 5)
    assert sorted(Attendance.objects.filter(interaction=interaction).values_list("minutes", flat=True)) == [90, 180]
    assert not drift()  # each party's kept time moved by the difference
    assert Alliance.objects.get(pk=alliance.pk).last_interaction_on == date(2025, 3, 5)
    page = page_text(client.get(url))
    assert "Historique des corrections" in page and "04/03/2025" in page and "05/03/2025" in page
    assert "Mauvaise date" in page and "Durée (minutes)" in page
    # The company sees the history but does not correct what A noted: 403 in the API, no form on the page.
    boss = client_for(shared["boss"])
    other = page_text(boss.get(url))
    assert "Mauvaise date" in other and "Enregistrer la correction" not in other
    api = api_client_for(shared["boss"], shared["company_ws"])
    patch_url = f"/api/v1/alliances/{alliance.pk}/interactions/{interaction.pk}"
    refused = api.patch(patch_url, {"duration_minutes": 10}, content_type="application/json")
    assert refused.status_code == 403 and "Seul l'espace" in refused.json()["detail"]
    history = api.get(patch_url + "/corrections").json()
    assert history[0]["reason"] == "Mauvaise date"
    assert ["Date", "04/03/2025", "05/03/2025"] in history[0]["changes"]


def test_an_exchange_correction_through_the_api(shared, people, workspace_a):  # noqa: F811
    owner, alliance = people["owner"], shared["alliance"]
    interaction = _interaction(shared, owner, workspace_a)
    api = api_client_for(owner, workspace_a)
    url = f"/api/v1/alliances/{alliance.pk}/interactions/{interaction.pk}"
    fixed = api.patch(url, {"subject": "Rendez-vous", "reason": "Coquille"}, content_type="application/json")
    assert fixed.status_code == 200 and fixed.json()["subject"] == "Rendez-vous"
    nothing = api.patch(url, {"subject": "Rendez-vous"}, content_type="application/json")
    assert nothing.status_code == 422 and "Rien n'a changé" in str(nothing.json())
    bad = api.patch(url, {"duration_minutes": 10**7}, content_type="application/json")
    assert bad.status_code == 422 and "invraisemblable" in str(bad.json())
    assert not drift()


def test_an_agreement_is_corrected_by_its_author_with_history(shared, people, workspace_a):  # noqa: F811
    owner, alliance = people["owner"], shared["alliance"]
    agreement = actions.record_agreement(
        alliance=alliance,
        workspace=workspace_a,
        user=owner,
        kind="mecenat",
        title="Convention 2025",
        signed_on=date(2025, 1, 15),
        amount=5000,
        renewal_on=date(2026, 1, 15),
    )
    Agreement.objects.filter(pk=agreement.pk).update(reminder_sent_on=date(2025, 12, 16))
    client = client_for(owner)
    url = f"/alliances/{alliance.pk}/accords/{agreement.pk}/corriger/"
    form = {
        "kind": "mecenat",
        "title": "Convention 2025",
        "signed_on": "2025-01-15",
        "duration_months": "",
        "amount": "6500",
        "renewal_on": (timezone.localdate() + timedelta(days=300)).isoformat(),
        "reason": "Avenant signé",
    }
    response = client.post(url, form)
    assert response.status_code == 302, page_text(response)
    corrected = Agreement.objects.get(pk=agreement.pk)
    assert corrected.amount == 6500 and corrected.reminder_sent_on is None  # the new renewal will be reminded
    page = page_text(client.get(url))
    assert "5\u00a0000,00\u00a0€" in page and "6\u00a0500,00\u00a0€" in page and "Avenant signé" in page
    bad = client.post(url, {**form, "renewal_on": "2024-01-01"})
    assert bad.status_code == 400 and "précède la signature" in page_text(bad)
    api = api_client_for(shared["boss"], shared["company_ws"])
    api_url = f"/api/v1/alliances/{alliance.pk}/agreements/{agreement.pk}"
    assert api.patch(api_url, {"title": "X"}, content_type="application/json").status_code == 403
    assert api.get(api_url + "/corrections").json()[0]["reason"] == "Avenant signé"
    mine = api_client_for(owner, workspace_a).patch(api_url, {"amount": "7000.00"}, content_type="application/json")
    assert mine.status_code == 200 and mine.json()["amount"] == "7000.00"


def test_another_workspace_gets_404_on_an_alliance_record(shared, people, workspace_a, workspace_b):  # noqa: F811
    owner, alliance = people["owner"], shared["alliance"]
    interaction = _interaction(shared, owner, workspace_a)
    stranger = client_for(people["other_workspace"])
    assert stranger.get(f"/alliances/{alliance.pk}/echanges/{interaction.pk}/corriger/").status_code == 404
    api = api_client_for(people["other_workspace"], workspace_b)
    url = f"/api/v1/alliances/{alliance.pk}/interactions/{interaction.pk}"
    assert api.patch(url, {"subject": "x"}, content_type="application/json").status_code == 404
    assert api.get(url + "/corrections").status_code == 404
    mine = api_client_for(owner, workspace_a)
    missing = f"/api/v1/alliances/{alliance.pk}/interactions/999999"
    assert mine.patch(missing, {"subject": "x"}, content_type="application/json").status_code == 404


def test_only_the_workspace_that_added_an_organisation_corrects_it(shared, people, workspace_a):  # noqa: F811
    owner = people["owner"]
    client = client_for(owner)
    response = client.post("/annuaire/nouvelle/", {"kind": "company", "name": "Boulangerie Dupnt", "commune": "69123"})
    assert response.status_code == 302, page_text(response)
    organization = Organization.objects.get(name="Boulangerie Dupnt")
    assert organization.created_by_workspace_id == workspace_a.pk
    detail = page_text(client.get(f"/annuaire/{organization.pk}/"))
    assert "Corriger la fiche" in detail
    fixed = client.post(
        f"/annuaire/{organization.pk}/corriger/",
        {"name": "Boulangerie Dupont", "commune": "69123", "reason": "Faute de frappe"},
    )
    assert fixed.status_code == 302, page_text(fixed)
    page = page_text(client.get(f"/annuaire/{organization.pk}/"))
    assert "Historique des corrections" in page and "Boulangerie Dupnt" in page and "Faute de frappe" in page
    found = client.get("/annuaire/", {"q": "dupont"})
    assert "Boulangerie Dupont" in page_text(found)  # the search index follows the new name
    # The company's workspace did not add it: no link, redirected with a message, 403 in the API.
    boss = client_for(shared["boss"])
    assert "Corriger la fiche" not in page_text(boss.get(f"/annuaire/{organization.pk}/"))
    refused = boss.post(f"/annuaire/{organization.pk}/corriger/", {"name": "Pirate"}, follow=True)
    assert "Seul l'espace qui a ajouté cette organisation" in page_text(refused)
    api = api_client_for(shared["boss"], shared["company_ws"])
    assert (
        api.patch(
            f"/api/v1/organizations/{organization.pk}", {"name": "Pirate"}, content_type="application/json"
        ).status_code
        == 403
    )
    # Nor does anyone correct a reference body (a commune of the official geography).
    commune = Organization.objects.filter(kind="commune").first()
    if commune is not None:
        mine = api_client_for(owner, workspace_a)
        url = f"/api/v1/organizations/{commune.pk}"
        assert mine.patch(url, {"name": "X"}, content_type="application/json").status_code == 403
    mine = api_client_for(owner, workspace_a)
    ok = mine.patch(
        f"/api/v1/organizations/{organization.pk}", {"siren": "12", "reason": "x"}, content_type="application/json"
    )
    assert ok.status_code == 422 and "siren" in str(ok.json())
    history = mine.get(f"/api/v1/organizations/{organization.pk}/corrections").json()
    assert ["Nom", "Boulangerie Dupnt", "Boulangerie Dupont"] in history[0]["changes"]
