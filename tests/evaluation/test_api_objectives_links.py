"""Issue 25: the API's routes for objectives (list, declare, withdraw) and personal response links (list, send,
revoke), and the « formalisée » stage's invitation to state the objectives (page and API)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from maillage.alliances.actions import add_party
from maillage.alliances.lifecycle import Stage
from maillage.audit.models import AuditEvent
from maillage.evaluation.models import Objective, ResponseLink
from maillage.organizations.actions import create_organization
from tests.conftest import api_client_for, client_for, page_text
from tests.evaluation.test_evaluation_rules import open_2025

pytestmark = pytest.mark.django_db

OBJECTIVE = {
    "title": "Rompre l'isolement des aînés",
    "indicator": "Aînés visités",
    "unit": "personnes",
    "baseline": "0",
    "target": "120",
    "period_start": "2025-01-01",
    "period_end": "2025-12-31",
}


def test_objectives_through_the_api(alliance, parties, workspace_a, workspace_c, people, company_user):
    lead = api_client_for(people["owner"], workspace_a)
    company = api_client_for(company_user, workspace_c)
    base = f"/api/v1/evaluations/alliances/{alliance.pk}/objectives"
    common = lead.post(base, {**OBJECTIVE, "common_good": True}, content_type="application/json")
    assert common.status_code == 201, common.content
    assert common.json()["common_good"] and common.json()["owner"] == "Intérêt général"
    # The company is not the lead: it states its own objective, not the common-good one (a French 422).
    refused = company.post(base, {**OBJECTIVE, "common_good": True}, content_type="application/json")
    assert refused.status_code == 422 and "partie pilote" in refused.content.decode("unicode_escape")
    own = company.post(base, {**OBJECTIVE, "title": "Engager nos salariés"}, content_type="application/json")
    assert own.status_code == 201 and own.json()["party_id"] == parties[1].pk
    out_of_dates = lead.post(base, {**OBJECTIVE, "period_start": "2020-01-01"}, content_type="application/json")
    assert out_of_dates.status_code == 422
    listed = lead.get(base).json()
    assert [o["title"] for o in listed] == ["Rompre l'isolement des aînés", "Engager nos salariés"]
    # Withdrawn only by whoever stated it.
    theirs = f"{base}/{own.json()['id']}"
    assert lead.delete(theirs).status_code == 422
    assert company.delete(theirs).status_code == 204
    assert not Objective.objects.filter(pk=own.json()["id"]).exists()


def test_personal_links_through_the_api(alliance, workspace_a, people):
    foundation = create_organization(data={"kind": "foundation", "name": "Fondation du Confluent"})
    outside = add_party(
        alliance=alliance, workspace=workspace_a, user=people["owner"], organization=foundation, role="funder"
    )
    evaluation = open_2025(alliance, workspace_a, people["owner"])
    api = api_client_for(people["owner"], workspace_a)
    base = f"/api/v1/evaluations/{evaluation.pk}/links"
    sent = api.post(
        base, {"party_id": outside.pk, "email": "tresorier@fondation.test"}, content_type="application/json"
    )
    assert sent.status_code == 201, sent.content
    body = sent.json()
    assert body["state"] == "active" and body["organization"] == "Fondation du Confluent"
    assert "token" not in body  # the token goes by e-mail only
    assert AuditEvent.objects.filter(action="evaluation.link_created").count() == 1
    bad = api.post(base, {"party_id": outside.pk, "email": "pas-une-adresse"}, content_type="application/json")
    assert bad.status_code == 422 and "Adresse e-mail invalide" in bad.content.decode("unicode_escape")
    assert [link["id"] for link in api.get(base).json()] == [body["id"]]
    revoked = api.post(f"{base}/{body['id']}/revoke", {}, content_type="application/json")
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    assert ResponseLink.objects.get(pk=body["id"]).revoked_at is not None
    again = api.post(f"{base}/{body['id']}/revoke", {}, content_type="application/json")
    assert again.status_code == 422 and "déjà révoqué" in again.content.decode("unicode_escape")


def _move(alliance, workspace, user, *stages):
    from maillage.alliances.actions import move_alliance

    for stage in stages:
        move_alliance(alliance=alliance, workspace=workspace, user=user, to_stage=stage)


def test_the_formalised_stage_invites_the_parties_to_state_their_objectives(alliance, workspace_a, people):
    _move(alliance, workspace_a, people["owner"], Stage.FIRST_CONTACT, Stage.CO_CONSTRUCTION)
    api = api_client_for(people["owner"], workspace_a)
    moved = api.post(
        f"/api/v1/alliances/{alliance.pk}/transitions", {"to_stage": "formalised"}, content_type="application/json"
    )
    assert moved.status_code == 201, moved.content
    assert "déclarer ses objectifs" in moved.json()["next_steps"][0]
    page = client_for(people["owner"]).get(reverse("web:alliance_detail", args=[alliance.pk]))
    text = page_text(page)
    assert "L'alliance est formalisée : chaque partie déclare ses objectifs" in text
    assert reverse("web:evaluation_objectives", args=[alliance.pk]) in page.content.decode()
    assert "Aucun objectif n'est encore déclaré" in text
    # Not a blocking form: the alliance moves on without any objective.
    assert (
        api.post(
            f"/api/v1/alliances/{alliance.pk}/transitions", {"to_stage": "active"}, content_type="application/json"
        ).json()["next_steps"]
        == []
    )
