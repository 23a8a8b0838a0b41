"""Decision 0016, continued: the API says who leads (a non-lead gets no stage to move to, only stages to propose),
the lead's admins are e-mailed when a proposal arrives (after the commit), and the lead hands its role over."""

from __future__ import annotations

import pytest
from django.core import mail

from maillage.alliances.models import Alliance, Party
from maillage.audit.models import AuditEvent
from tests.alliances.test_lead_rules import shared  # noqa: F401  (the fixture)
from tests.conftest import api_client_for, client_for, page_text

pytestmark = pytest.mark.django_db


def test_the_api_detail_says_who_leads_and_what_each_side_may_do(shared, people, workspace_a):  # noqa: F811
    alliance = shared["alliance"]
    lead = api_client_for(people["owner"], workspace_a).get(f"/api/v1/alliances/{alliance.pk}").json()
    assert lead["you_lead"] is True and lead["lead_organizations"] == ["Les Jardins de l'Essai"]
    assert "first_contact" in [s["code"] for s in lead["allowed_next_stages"]] and lead["proposable_stages"] == []
    other = api_client_for(shared["boss"], shared["company_ws"]).get(f"/api/v1/alliances/{alliance.pk}").json()
    assert other["you_lead"] is False and other["allowed_next_stages"] == []
    assert "first_contact" in [s["code"] for s in other["proposable_stages"]]


def test_a_proposal_e_mails_the_lead_s_admins_after_the_commit(
    shared,  # noqa: F811
    people,
    django_capture_on_commit_callbacks,
):
    alliance = shared["alliance"]
    api = api_client_for(shared["boss"], shared["company_ws"])
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            f"/api/v1/alliances/{alliance.pk}/proposals",
            {"to_stage": "first_contact", "reason": "Rendez-vous pris le 12"},
            content_type="application/json",
        )
    assert response.status_code == 201, response.content
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert set(message.to) == {people["owner"].email, people["admin"].email}  # not the member nor the viewer
    assert "Imprimerie Rhodanienne propose" in message.subject and "Premier contact" in message.body
    assert "Rendez-vous pris le 12" in message.body
    # A refused proposal (bad stage) is rolled back: nothing is sent.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        bad = api.post(
            f"/api/v1/alliances/{alliance.pk}/proposals", {"to_stage": "closed"}, content_type="application/json"
        )
    assert bad.status_code == 422 and mail.outbox == []


def test_the_lead_hands_its_role_over_on_the_page_and_the_new_lead_decides(shared, people, workspace_a):  # noqa: F811
    alliance, owner = shared["alliance"], people["owner"]
    client = client_for(owner)
    page = page_text(client.get(f"/alliances/{alliance.pk}/"))
    assert "Transmettre le rôle de pilote" in page
    # A member does not hand it over (admins and owners only); the company cannot (it does not lead).
    assert client_for(people["member"]).post(f"/alliances/{alliance.pk}/pilote/", {"party": 1}).status_code == 403
    boss_api = api_client_for(shared["boss"], shared["company_ws"])
    own_party = alliance.parties.get(organization=workspace_a.organization)
    refused = boss_api.post(
        f"/api/v1/alliances/{alliance.pk}/lead", {"party_id": own_party.pk}, content_type="application/json"
    )
    assert refused.status_code == 403 and "pilote" in refused.json()["detail"]
    response = client.post(
        f"/alliances/{alliance.pk}/pilote/",
        {"party": shared["company_party"].pk, "reason": "L'entreprise porte le projet"},
        follow=True,
    )
    assert "Imprimerie Rhodanienne pilote désormais l'alliance" in page_text(response)
    roles = dict(Party.objects.filter(alliance=alliance).values_list("organization__name", "role"))
    assert roles == {"Les Jardins de l'Essai": "partner", "Imprimerie Rhodanienne": "lead"}
    event = AuditEvent.objects.get(action="sharing.lead_handed_over")
    assert event.details["to"] == "Imprimerie Rhodanienne" and event.details["reason"] == "L'entreprise porte le projet"
    # The new lead moves the stage; the former lead now proposes.
    moved = boss_api.post(
        f"/api/v1/alliances/{alliance.pk}/transitions", {"to_stage": "first_contact"}, content_type="application/json"
    )
    assert moved.status_code == 201, moved.content
    assert Alliance.objects.get(pk=alliance.pk).stage == "first_contact"
    former = api_client_for(owner, workspace_a).get(f"/api/v1/alliances/{alliance.pk}").json()
    assert former["you_lead"] is False and former["allowed_next_stages"] == []


def test_the_role_goes_only_to_an_active_party_sharing_the_alliance(shared, people, workspace_a):  # noqa: F811
    alliance, owner = shared["alliance"], people["owner"]
    api = api_client_for(owner, workspace_a)
    url = f"/api/v1/alliances/{alliance.pk}/lead"
    own = alliance.parties.get(organization=workspace_a.organization)
    assert api.post(url, {"party_id": own.pk}, content_type="application/json").status_code == 422
    assert api.post(url, {"party_id": 999999}, content_type="application/json").status_code == 422
    from maillage.alliances import actions
    from maillage.organizations.actions import create_organization

    mairie = create_organization(data={"kind": "company", "name": "Sans compte"})
    party = actions.add_party(alliance=alliance, workspace=workspace_a, user=owner, organization=mairie, role="partner")
    response = api.post(url, {"party_id": party.pk}, content_type="application/json")
    assert response.status_code == 422 and "invitez-la d'abord" in str(response.json())
    ok = api.post(url, {"party_id": shared["company_party"].pk, "reason": "x"}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["lead_organization"] == "Imprimerie Rhodanienne"
