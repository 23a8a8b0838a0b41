"""Sharing: parties, invitations and their answers, leaving; 404 for every outsider on every sub-object."""

from __future__ import annotations

import pytest
from django.core import mail
from django.utils import timezone

from maillage.alliances.actions import leave_alliance
from maillage.alliances.models import AllianceNote, Party, PartyInvitation
from maillage.contributions.actions import record_contribution
from maillage.organizations.actions import create_organization
from tests.alliances.api.conftest import detail, party, post
from tests.conftest import api_client_for

pytestmark = pytest.mark.django_db

URL = "/api/v1/alliances"


def test_list_and_add_parties(member_api, alliance, org_b):
    parties = member_api.get(f"{URL}/{alliance.pk}/parties").json()
    assert [p["role"] for p in parties] == ["lead", "partner", "funder"]
    assert parties[1]["commitment"] == "Animer les ateliers" and parties[1]["invitation_pending"] is False
    commune = create_organization(data={"kind": "association", "name": "Les Amis du Parc", "commune": "69123"})
    response = post(member_api, f"{URL}/{alliance.pk}/parties", {"organization_id": commune.pk, "role": "evaluator"})
    assert response.status_code == 201, response.content
    assert response.json()["organization_name"] == "Les Amis du Parc" and response.json()["role_label"] == "Évaluateur"
    again = post(member_api, f"{URL}/{alliance.pk}/parties", {"organization_id": org_b.pk})
    assert again.status_code == 422
    assert detail(again) == "organization : Amicale des Bords de Saône est déjà partie à cette alliance."
    unknown = post(member_api, f"{URL}/{alliance.pk}/parties", {"organization_id": 99999})
    assert unknown.status_code == 422 and "organization_id : Organisation(s) introuvable(s)" in detail(unknown)


def test_invite_accept_and_see(
    member_api, b_api, alliance, org_b, people, workspace_b, django_capture_on_commit_callbacks
):
    b_party = party(alliance, org_b)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):  # the e-mail leaves after the commit
        response = post(
            member_api, f"{URL}/{alliance.pk}/parties/{b_party.pk}/invitations", {"email": "presidence@b.test"}
        )
    assert response.status_code == 201, response.content
    invitation = response.json()
    assert invitation["status"] == "pending" and invitation["organization_name"] == "Amicale des Bords de Saône"
    assert sorted(mail.outbox[0].to) == ["member@b.test", "presidence@b.test"]
    assert member_api.get(f"{URL}/{alliance.pk}/parties").json()[1]["invitation_pending"] is True
    again = post(member_api, f"{URL}/{alliance.pk}/parties/{b_party.pk}/invitations", {})
    assert again.status_code == 422 and "Une invitation attend déjà la réponse" in detail(again)

    assert b_api.get(f"{URL}/{alliance.pk}").status_code == 404  # not before accepting
    received = b_api.get(f"{URL}/invitations").json()
    assert [(i["id"], i["alliance_name"], i["invited_by_organization"]) for i in received] == [
        (invitation["id"], "Jardins partagés de Vaise", "Les Jardins de l'Essai")
    ]
    assert member_api.get(f"{URL}/invitations").json() == []  # A receives nothing
    assert post(member_api, f"{URL}/invitations/{invitation['id']}/accept", {}).status_code == 404
    response = post(b_api, f"{URL}/invitations/{invitation['id']}/accept", {})
    assert response.status_code == 200 and response.json()["status"] == "accepted"
    assert b_api.get(f"{URL}/{alliance.pk}").json()["my_party_id"] == b_party.pk
    twice = post(b_api, f"{URL}/invitations/{invitation['id']}/accept", {})
    assert twice.status_code == 422 and detail(twice) == "Cette invitation a déjà reçu une réponse."
    already = post(member_api, f"{URL}/{alliance.pk}/parties/{b_party.pk}/invitations", {})
    assert already.status_code == 422 and "partage déjà cette alliance" in detail(already)


def test_decline(member_api, b_api, alliance, org_b):
    b_party = party(alliance, org_b)
    invitation = post(member_api, f"{URL}/{alliance.pk}/parties/{b_party.pk}/invitations", {}).json()
    response = post(b_api, f"{URL}/invitations/{invitation['id']}/decline", {})
    assert response.status_code == 200 and response.json()["status"] == "declined"
    assert b_api.get(f"{URL}/{alliance.pk}").status_code == 404
    assert b_api.get(f"{URL}/invitations").json() == []


def test_invitation_refusals(member_api, alliance, org_b, company):
    response = post(
        member_api, f"{URL}/{alliance.pk}/parties/{party(alliance, org_b).pk}/invitations", {"email": "pas-une-adresse"}
    )
    assert (
        response.status_code == 422
        and detail(response) == "email : « pas-une-adresse » n'est pas une adresse e-mail valide."
    )
    assert not PartyInvitation.objects.exists()
    assert post(member_api, f"{URL}/{alliance.pk}/parties/999999/invitations", {}).status_code == 404


@pytest.mark.parametrize("role", ["viewer", "member"])
def test_only_admins_answer_an_invitation(member_api, people, alliance, org_b, workspace_b, role):
    from maillage.workspaces.models import Membership
    from tests.conftest import make_user

    reader = make_user(f"{role}-2@b.test")
    Membership.objects.create(workspace=workspace_b, user=reader, role=role)
    invitation = post(member_api, f"{URL}/{alliance.pk}/parties/{party(alliance, org_b).pk}/invitations", {}).json()
    client = api_client_for(reader, workspace_b)
    assert client.get(f"{URL}/invitations").status_code == 200
    response = post(client, f"{URL}/invitations/{invitation['id']}/accept", {})
    assert response.status_code == 403
    assert detail(response) == "Seuls les administrateurs et propriétaires de l'espace peuvent accepter une invitation."
    assert post(client, f"{URL}/invitations/{invitation['id']}/decline", {}).status_code == 403
    assert PartyInvitation.objects.get().is_pending


def test_leave(member_api, admin_api, b_api, shared, org_b):
    response = post(b_api, f"{URL}/{shared.pk}/leave", {})
    assert response.status_code == 200 and "a quitté l'alliance" in detail(response)
    assert b_api.get(f"{URL}/{shared.pk}").status_code == 404
    parties = member_api.get(f"{URL}/{shared.pk}/parties").json()
    assert parties[1]["left_at"] is not None and parties[1]["shared"] is False  # the history stays
    refused = post(member_api, f"{URL}/{shared.pk}/leave", {})
    assert refused.status_code == 403
    assert detail(refused) == "Seuls les administrateurs et propriétaires de l'espace peuvent quitter une alliance."
    last = post(admin_api, f"{URL}/{shared.pk}/leave", {})
    assert last.status_code == 422 and "Vous êtes la dernière organisation à partager cette alliance" in detail(last)


def sub_routes(alliance, parties, contribution, invitation):
    """Every route under one alliance (and its contributions), with a body that would be valid for a member."""
    a, b = parties
    base = f"{URL}/{alliance.pk}"
    return [
        ("get", base, None),
        ("patch", base, {"name": "Prise"}),
        ("get", f"{base}/transitions", None),
        ("post", f"{base}/transitions", {"to_stage": "first_contact"}),
        ("get", f"{base}/parties", None),
        ("post", f"{base}/parties", {"organization_id": a.organization_id}),
        ("post", f"{base}/parties/{b.pk}/invitations", {}),
        ("post", f"{base}/leave", {}),
        ("get", f"{base}/interactions", None),
        ("post", f"{base}/interactions", {"kind": "call", "occurred_on": "2026-01-05", "duration_minutes": 30}),
        ("get", f"{base}/agreements", None),
        ("post", f"{base}/agreements", {"kind": "mecenat", "title": "Convention", "signed_on": "2026-01-05"}),
        ("post", f"{base}/agreements/signed", {}),
        ("get", f"{base}/notes", None),
        ("post", f"{base}/notes", {"text": "Intrusion"}),
        ("get", f"{base}/contributions", None),
        (
            "post",
            f"{base}/contributions",
            {"giver_party_id": b.pk, "receiver_party_id": a.pk, "kind": "money", "description": "Don", "value": 10},
        ),
        ("get", f"/api/v1/contributions/{contribution.pk}", None),
        ("post", f"/api/v1/contributions/{contribution.pk}/received", {"received_on": "2026-01-05"}),
        ("post", f"/api/v1/contributions/{contribution.pk}/counterparts", {"description": "Logo", "value": 1}),
        ("post", f"{URL}/invitations/{invitation.pk}/accept", {}),
        ("post", f"{URL}/invitations/{invitation.pk}/decline", {}),
    ]


def assert_all_404(client, routes):
    for method, path, body in routes:
        response = (
            client.get(path) if body is None else getattr(client, method)(path, body, content_type="application/json")
        )
        assert response.status_code == 404, (method, path, response.status_code, response.content)
        assert detail(response) == "Objet introuvable."


@pytest.fixture
def contribution(shared, people, workspace_a, org_a, org_b, company):
    return record_contribution(
        alliance=shared,
        workspace=workspace_a,
        user=people["owner"],
        giver=party(shared, company),
        receiver=party(shared, org_a),
        kind="money",
        description="Don pour les bacs",
        value="1500",
    )


@pytest.fixture
def a_invitation(shared, people, workspace_a, company):
    """An invitation addressed to the company (neither A nor B may answer it)."""
    from maillage.alliances.actions import invite_party

    return invite_party(alliance=shared, workspace=workspace_a, user=people["owner"], party=party(shared, company))


def test_a_workspace_never_invited_gets_404_everywhere(shared, contribution, a_invitation, org_a, company):
    from maillage.core.roles import Role
    from maillage.workspaces.models import Membership, Workspace
    from tests.conftest import make_user

    outsider_org = create_organization(data={"kind": "association", "name": "Curieux", "commune": "69123"})
    # Verified: an unverified one is refused (403) on every invitation before any lookup (decision 0008).
    workspace = Workspace.objects.create(name="Espace C", organization=outsider_org, verified_at=timezone.now())
    user = make_user("owner@c.test")
    Membership.objects.create(workspace=workspace, user=user, role=Role.OWNER)
    client = api_client_for(user, workspace)
    routes = sub_routes(shared, (party(shared, org_a), party(shared, company)), contribution, a_invitation)
    assert_all_404(client, routes)
    assert client.get(URL).json()["total"] == 0
    assert client.get("/api/v1/contributions").json()["total"] == 0


def test_a_party_that_left_gets_404_everywhere(
    b_api, shared, contribution, a_invitation, people, workspace_b, org_a, company
):
    AllianceNote.objects.create(alliance=shared, workspace=workspace_b, text="Notre note")
    leave_alliance(alliance=shared, workspace=workspace_b, user=people["other_workspace"])
    routes = sub_routes(shared, (party(shared, org_a), party(shared, company)), contribution, a_invitation)
    assert_all_404(b_api, routes)
    assert b_api.get(URL).json()["total"] == 0
    assert b_api.get("/api/v1/contributions").json()["total"] == 0
    assert Party.objects.get(alliance=shared, workspace=workspace_b).left_at is not None
