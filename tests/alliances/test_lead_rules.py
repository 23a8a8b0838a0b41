"""Decision 0016: the lead party's workspace decides the stage and the description of a shared alliance; the
other parties propose (the lead accepts or refuses, on the timeline) and still record what they give."""

from __future__ import annotations

import pytest
from django.utils import timezone

from maillage.alliances import actions
from maillage.alliances.lifecycle import Stage
from maillage.alliances.models import Alliance, Proposal, StageChange
from maillage.organizations.actions import create_organization
from maillage.workspaces.models import Membership, Workspace
from tests.conftest import api_client_for, client_for, make_user, page_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared(workspace_a, people):
    owner = people["owner"]
    company = create_organization(data={"kind": "company", "name": "Imprimerie Rhodanienne", "siren": "552100554"})
    company_ws = Workspace.objects.create(name="Imprimerie", organization=company, verified_at=timezone.now())
    boss = make_user("dirigeante@imprimerie.test")
    Membership.objects.create(workspace=company_ws, user=boss, role="owner")
    alliance = actions.create_alliance(
        workspace=workspace_a,
        user=owner,
        name="Jardins et imprimerie",
        forms=["mecenat_financier"],
        partners=[(company, "funder", "")],
    )
    party = alliance.parties.get(organization=company)
    actions.accept_party_invitation(
        invitation=actions.invite_party(alliance=alliance, workspace=workspace_a, user=owner, party=party),
        workspace=company_ws,
        user=boss,
    )
    return {"alliance": alliance, "company_ws": company_ws, "boss": boss, "company_party": party}


def test_a_party_that_does_not_lead_cannot_move_nor_edit(shared):
    alliance, client = shared["alliance"], client_for(shared["boss"])
    response = client.post(f"/alliances/{alliance.pk}/etape/", {"to_stage": "first_contact"}, follow=True)
    assert "Seule l'organisation pilote de l'alliance (Les Jardins de l'Essai) décide" in page_text(response)
    assert Alliance.objects.get(pk=alliance.pk).stage == Stage.IDENTIFIED
    api = api_client_for(shared["boss"], shared["company_ws"])
    patch = api.patch(f"/api/v1/alliances/{alliance.pk}", {"purpose": "Autre"}, content_type="application/json")
    assert patch.status_code == 403 and "pilote" in patch.json()["detail"]
    move = api.post(
        f"/api/v1/alliances/{alliance.pk}/transitions", {"to_stage": "first_contact"}, content_type="application/json"
    )
    assert move.status_code == 403
    detail = page_text(client.get(f"/alliances/{alliance.pk}/"))
    assert "Proposer au pilote" in detail and "Passer à « Premier contact »" not in detail


def test_a_stage_proposal_accepted_by_the_lead_moves_the_alliance(shared, people):
    alliance, client = shared["alliance"], client_for(shared["boss"])
    client.post(f"/alliances/{alliance.pk}/propositions/", {"to_stage": "first_contact", "reason": "RDV pris"})
    proposal = Proposal.objects.get(alliance=alliance)
    assert proposal.is_pending and proposal.to_stage == "first_contact"
    lead = client_for(people["owner"])
    assert "RDV pris" in page_text(lead.get(f"/alliances/{alliance.pk}/"))
    lead.post(f"/alliances/{alliance.pk}/propositions/{proposal.pk}/accepter/", {"answer": "Bien vu"})
    assert Alliance.objects.get(pk=alliance.pk).stage == Stage.FIRST_CONTACT
    change = StageChange.objects.filter(alliance=alliance).last()
    assert change.reason == "Proposé par Imprimerie Rhodanienne : RDV pris"
    timeline = page_text(client.get(f"/alliances/{alliance.pk}/chronologie/"))
    assert "Proposition au pilote" in timeline and "Acceptée" in timeline and "« Bien vu »" in timeline
    # Answered once only; and the proposer cannot answer its own proposal.
    again = client_for(shared["boss"]).post(f"/alliances/{alliance.pk}/propositions/{proposal.pk}/refuser/")
    assert again.status_code == 302
    assert Proposal.objects.get(pk=proposal.pk).status == "accepted"


def test_a_description_proposal_refused_through_the_api(shared, people, workspace_a):
    alliance = shared["alliance"]
    edit = client_for(shared["boss"]).post(
        f"/alliances/{alliance.pk}/modifier/",
        {"name": alliance.name, "purpose": "Imprimer les affiches des jardins", "forms": ["mecenat_financier"]},
    )
    assert edit.status_code == 302
    proposal = Proposal.objects.get(alliance=alliance)
    assert proposal.changes == {"purpose": "Imprimer les affiches des jardins"}
    assert Alliance.objects.get(pk=alliance.pk).purpose == ""
    lead = api_client_for(people["owner"], workspace_a)
    other = api_client_for(shared["boss"], shared["company_ws"])
    url = f"/api/v1/alliances/{alliance.pk}/proposals/{proposal.pk}/refuse"
    assert other.post(url, {"answer": "non"}, content_type="application/json").status_code == 403
    refused = lead.post(url, {"answer": "Le texte reste le nôtre"}, content_type="application/json")
    assert refused.status_code == 200 and refused.json()["status"] == "refused"
    listed = other.get(f"/api/v1/alliances/{alliance.pk}/proposals").json()
    assert listed[0]["answer"] == "Le texte reste le nôtre"
    created = other.post(
        f"/api/v1/alliances/{alliance.pk}/proposals",
        {"to_stage": "abandoned"},
        content_type="application/json",
    )
    assert created.status_code == 422 and "abandonner" in created.content.decode()


def test_the_other_parties_still_record_what_they_give(shared, workspace_a):
    alliance = shared["alliance"]
    own = alliance.parties.get(organization=workspace_a.organization)
    api = api_client_for(shared["boss"], shared["company_ws"])
    response = api.post(
        f"/api/v1/alliances/{alliance.pk}/contributions",
        {
            "giver_party_id": shared["company_party"].pk,
            "receiver_party_id": own.pk,
            "kind": "money",
            "description": "Don pour les affiches",
            "value": "1500",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content


def test_without_a_lead_bound_to_a_workspace_every_party_decides(workspace_a, people):
    lead = create_organization(data={"kind": "foundation", "name": "Fondation pilote sans compte"})
    alliance = actions.create_alliance(
        workspace=workspace_a,
        user=people["owner"],
        name="Projet de la commune",
        forms=["innovation_sociale"],
        partners=[(lead, "lead", "")],
        own_role="partner",
    )
    actions.move_alliance(alliance=alliance, workspace=workspace_a, user=people["owner"], to_stage="first_contact")
    assert Alliance.objects.get(pk=alliance.pk).stage == Stage.FIRST_CONTACT
