"""The privacy pages and API as their users meet them: another workspace never finds A's people, bad input gets a
French message, a user deletes their own account (sole owners hand over first), the legal pages are linked from
every page and from the sign-up form, and the purge is among the daily jobs."""

from __future__ import annotations

import pytest
from django.test import Client

from maillage.audit.models import AuditEvent
from maillage.jobs.schedule import SCHEDULE
from maillage.organizations.actions import add_contact
from maillage.organizations.models import Contact
from maillage.workspaces.models import Membership, User
from tests.conftest import PASSWORD, api_client_for, client_for, page_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def contact(workspace_a, org_b):
    return add_contact(workspace=workspace_a, organization=org_b, name="Odile Martinet", email="odile@ex.test")


def test_another_workspace_never_finds_nor_erases_a_person_of_a(people, workspace_b, contact):
    outsider = api_client_for(people["other_workspace"], workspace_b)
    assert outsider.get("/api/v1/privacy/people", {"q": "Martinet"}).json() == []
    erased = outsider.post("/api/v1/privacy/erase", {"q": "Martinet", "confirm": True}, content_type="application/json")
    assert erased.status_code == 200 and erased.json()["erased"] == {}
    assert Contact.objects.filter(pk=contact.pk).exists()
    page = client_for(people["other_workspace"]).get("/espace/donnees-personnelles/", {"q": "Martinet"})
    assert "Odile" not in page_text(page) and "Rien dans les données de l'espace" in page_text(page)
    own = client_for(people["admin"]).get("/espace/donnees-personnelles/", {"q": "Martinet"})
    assert "Odile Martinet" in page_text(own)


def test_members_below_admin_are_refused_and_nothing_is_erased(people, workspace_a, contact):
    member = api_client_for(people["member"], workspace_a)
    response = member.post("/api/v1/privacy/erase", {"q": "Martinet", "confirm": True}, content_type="application/json")
    assert response.status_code == 403
    assert Contact.objects.filter(pk=contact.pk).exists()


@pytest.mark.parametrize("q", ["", "ab", "x" * 201, "Odile\nMartinet"])
def test_a_bad_search_gets_a_french_message(people, workspace_a, q):
    api = api_client_for(people["admin"], workspace_a)
    response = api.get("/api/v1/privacy/people", {"q": q})
    assert response.status_code == 422 and "q" in response.json()["detail"]
    page = client_for(people["admin"]).get("/espace/donnees-personnelles/", {"q": q})
    assert page.status_code == 400 and 'aria-invalid="true"' in page.content.decode()


def test_the_erase_page_needs_the_confirmation(people, contact):
    client = client_for(people["admin"])
    client.post("/espace/donnees-personnelles/effacer/", {"q": "Martinet"})
    assert Contact.objects.filter(pk=contact.pk).exists()
    response = client.post("/espace/donnees-personnelles/effacer/", {"q": "Martinet", "confirm": "oui"}, follow=True)
    assert not Contact.objects.filter(pk=contact.pk).exists()
    assert "Données effacées ou anonymisées : 1 ligne(s)" in page_text(response)
    event = AuditEvent.objects.get(action="privacy.erased")
    assert "Martinet" not in str(event.details) and event.details["erased"]["contacts"] == 1


def test_a_sole_owner_hands_over_before_deleting_the_account(people, workspace_a):
    owner = people["owner"]
    client = client_for(owner)
    refused = client.post("/compte/supprimer/", {"password": PASSWORD})
    assert refused.status_code == 400 and "seul propriétaire de « Espace A »" in page_text(refused)
    wrong = client.post("/compte/supprimer/", {"password": "pas le bon"})
    assert wrong.status_code == 400 and "Mot de passe incorrect" in page_text(wrong)
    Membership.objects.filter(workspace=workspace_a, user=people["admin"]).update(role="owner")
    done = client.post("/compte/supprimer/", {"password": PASSWORD})
    assert done.status_code == 302
    owner.refresh_from_db()
    assert owner.full_name == "Compte supprimé" and not owner.is_active and "owner@a.test" not in owner.email
    login = Client().post("/compte/connexion/", {"username": "owner@a.test", "password": PASSWORD})
    assert login.status_code == 200  # the form again: no such account
    assert not Membership.objects.active().filter(user=owner).exists()
    assert User.objects.filter(email="owner@a.test").count() == 0
    # The journal keeps the facts, not the address.
    assert AuditEvent.objects.filter(action="auth.account_deleted", actor_id=owner.pk).exists()
    assert not AuditEvent.objects.filter(actor_label__icontains="owner@a.test").exists()
    assert client_for(people["admin"]).get("/espace/membres/").status_code == 200  # the workspace goes on


def test_legal_pages_are_linked_from_every_page_and_from_the_sign_up_form(client, settings):
    settings.MAILLAGE_OPERATOR = {
        **settings.MAILLAGE_OPERATOR,
        "name": "Association Exploitante",
        "host": "Hébergeur X",
    }
    signup = page_text(client.get("/compte/inscription/"))
    for url in ("/mentions-legales/", "/confidentialite/", "/cookies/"):
        assert f'href="{url}"' in signup
    legal = page_text(client.get("/mentions-legales/"))
    assert "Association Exploitante" in legal and "Hébergeur X" in legal
    cookies = page_text(client.get("/cookies/"))
    assert "strictement nécessaires" in cookies and settings.SESSION_COOKIE_NAME in cookies
    policy = page_text(client.get("/confidentialite/"))
    assert "LPF art. L. 102 B" in policy and "3 ans" in policy


def test_the_purge_is_a_daily_job():
    assert "purge_personal_data" in {job.name for job in SCHEDULE}
