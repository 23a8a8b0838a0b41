from __future__ import annotations

import re

import pytest
from django.core import mail
from django.utils import timezone

from maillage.workspaces.models import Membership, User, Workspace
from tests.conftest import client_for, make_user, page_text

pytestmark = pytest.mark.django_db


def test_create_workspace_for_an_organisation(org_a):
    user = make_user("fondatrice@exemple.fr")
    User.objects.filter(pk=user.pk).update(email_verified_at=timezone.now())  # claims need a proved address
    client = client_for(user)
    response = client.post("/espaces/nouveau/", {"name": "Jardins", "organization": org_a.pk})
    assert response.status_code == 302
    workspace = Workspace.objects.get(name="Jardins")
    assert Membership.objects.get(workspace=workspace, user=user).role == "owner"
    assert not workspace.verified  # the first workspace of an organisation waits for an operator
    assert "Jardins" in client.get("/").content.decode()


def test_create_workspace_without_organisation_says_what_to_do():
    client = client_for(make_user("x@exemple.fr"))
    response = client.post("/espaces/nouveau/", {"name": "Jardins"})
    assert "Choisissez l'organisation" in page_text(response)


def test_invite_accept_and_switch(people, workspace_a, workspace_b, django_capture_on_commit_callbacks):
    admin = client_for(people["admin"])
    with django_capture_on_commit_callbacks(execute=True):  # the e-mail leaves after the commit
        response = admin.post("/espace/membres/inviter/", {"email": "Nouvelle@Exemple.fr", "role": "viewer"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["nouvelle@exemple.fr"]
    link = re.search(r"http://testserver(/invitations/\S+/)", mail.outbox[0].body).group(1)

    newcomer = make_user("nouvelle@exemple.fr")
    Membership.objects.create(workspace=workspace_b, user=newcomer, role="member")
    client = client_for(newcomer)
    assert client.post(link).status_code == 302
    assert Membership.objects.get(workspace=workspace_a, user=newcomer).role == "viewer"
    assert client.post(link).status_code == 200  # already used: explained, not an error page
    # The newcomer belongs to two workspaces and switches between them.
    client.post(f"/espaces/{workspace_b.pk}/basculer/")
    assert "Espace B" in client.get("/").content.decode()
    client.post(f"/espaces/{workspace_a.pk}/basculer/")
    assert "Espace A" in client.get("/").content.decode()


def test_invitation_for_another_address_is_refused(people, workspace_a, django_capture_on_commit_callbacks):
    admin = client_for(people["admin"])
    with django_capture_on_commit_callbacks(execute=True):
        admin.post("/espace/membres/inviter/", {"email": "quelqu-un@exemple.fr", "role": "member"})
    link = re.search(r"http://testserver(/invitations/\S+/)", mail.outbox[0].body).group(1)
    intruder = client_for(make_user("intrus@exemple.fr"))
    response = intruder.post(link, follow=True)
    assert "adressée à quelqu-un@exemple.fr" in response.content.decode()
    assert not Membership.objects.filter(user__email="intrus@exemple.fr", workspace=workspace_a).exists()


def test_admin_cannot_make_an_owner_and_last_owner_stays(people, workspace_a):
    admin = client_for(people["admin"])
    viewer_membership = Membership.objects.get(user=people["viewer"], workspace=workspace_a)
    response = admin.post(f"/espace/membres/{viewer_membership.pk}/role/", {"role": "owner"}, follow=True)
    assert "Seul un propriétaire" in response.content.decode()
    owner_membership = Membership.objects.get(user=people["owner"], workspace=workspace_a)
    response = client_for(people["owner"]).post(
        f"/espace/membres/{owner_membership.pk}/role/", {"role": "member"}, follow=True
    )
    assert "au moins un propriétaire" in response.content.decode()


def test_revoked_member_loses_access(people, workspace_a):
    member = people["member"]
    membership = Membership.objects.get(user=member, workspace=workspace_a)
    client_for(people["admin"]).post(f"/espace/membres/{membership.pk}/retirer/")
    response = client_for(member).get("/espace/membres/")
    assert response.status_code == 302 and response["Location"] == "/espaces/"


def test_api_token_is_shown_once_and_works(people, workspace_a):
    client = client_for(people["viewer"])
    body = client.post("/espace/jetons/", {"name": "Tableur"}).content.decode()
    raw = re.search(r"(mlg_[A-Za-z0-9_\-]+)", body).group(1)
    from django.test import Client

    api = Client(headers={"Authorization": f"Bearer {raw}"})
    assert api.get("/api/v1/me").json()["role"] == "viewer"
    assert raw not in client.get("/espace/jetons/").content.decode()
