"""Accounts through their pages: proof of the address, invitation squatting, password reset and change, change of
address, the journal of account and membership events, one-line names, e-mails after the commit."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.test import Client

from maillage.audit.models import AuditEvent
from maillage.core.roles import Role
from maillage.workspaces import actions
from maillage.workspaces.models import ApiToken, Invitation, Membership, User
from tests.conftest import PASSWORD, client_for, make_user, page_text

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "une-nouvelle-phrase-2026"


@pytest.fixture
def after_commit(django_capture_on_commit_callbacks):
    """Run the block and then what it left for after the commit (the e-mails), as a real request does."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def later(monkeypatch):
    """Move the clock of the actions forward by some minutes (the journal itself is never rewritten)."""
    from django.utils import timezone

    real_now, shift = timezone.now, [timedelta()]
    monkeypatch.setattr(timezone, "now", lambda: real_now() + shift[0])

    def advance(minutes: int) -> None:
        shift[0] += timedelta(minutes=minutes)

    return advance


def link(message, prefix: str) -> str:
    """The path of the first link of ``message`` under ``prefix``."""
    found = re.search(rf"http://testserver({re.escape(prefix)}\S+)", message.body)
    assert found, message.body
    return found.group(1)


def sign_up(after_commit, email: str, name: str = "Inès Dupont") -> Client:
    client = Client()
    with after_commit():
        response = client.post(
            "/compte/inscription/", {"full_name": name, "email": email, "password": "un-long-secret-2026"}
        )
    assert response.status_code == 302, page_text(response)
    return client


def mails_to(address: str) -> list:
    return [m for m in mail.outbox if m.to == [address]]


# --- Proof of the address ---------------------------------------------------------------------------------------


def test_signup_sends_a_proof_link_that_proves_the_address_on_confirmation(after_commit):
    client = sign_up(after_commit, "Ines@Exemple.fr")
    user = User.objects.get(email="ines@exemple.fr")
    assert user.email_verified_at is None
    [message] = mail.outbox
    assert message.to == ["ines@exemple.fr"] and message.subject == "Confirmez votre adresse e-mail sur Maillage"
    assert "valable 3 jours" in message.body
    url = link(message, "/compte/verification/")

    # Opening the link proves nothing by itself (a mail scanner opens links): one button to press.
    page = client.get(url)
    assert page.status_code == 200 and "Confirmer mon adresse" in page_text(page)
    user.refresh_from_db()
    assert user.email_verified_at is None

    response = client.post(url, follow=True)
    assert "votre adresse est confirmée" in page_text(response)
    assert "Confirmez votre adresse e-mail." not in page_text(response)  # the banner is gone
    user.refresh_from_db()
    assert user.email_verified
    assert list(AuditEvent.objects.filter(actor_id=user.pk).order_by("id").values_list("action", flat=True)) == [
        "auth.signed_up",
        "auth.email_verification_sent",
        "auth.login",
        "auth.email_verified",
    ]
    # Used once: the link now only says the address is already proved.
    assert client.post(url).status_code == 302


def test_proof_link_opened_without_being_logged_in_asks_to_log_in(after_commit):
    sign_up(after_commit, "ines@exemple.fr")
    url = link(mail.outbox[0], "/compte/verification/")
    response = Client().get(url)
    assert response.status_code == 302 and response["Location"].startswith("/compte/connexion/?next=")


def test_expired_tampered_and_foreign_proof_links_are_refused_in_french(after_commit, monkeypatch):
    client = sign_up(after_commit, "ines@exemple.fr")
    url = link(mail.outbox[0], "/compte/verification/")

    tampered = client.post(url[:-3] + "xx/")
    assert tampered.status_code == 400
    assert "Ce lien est incomplet ou a été modifié" in page_text(tampered)

    other = client_for(make_user("autre@exemple.fr", verified=False))
    foreign = other.post(url)
    assert foreign.status_code == 400 and "un autre compte" in page_text(foreign)

    later = time.time() + 3 * 24 * 3600 + 60
    monkeypatch.setattr(time, "time", lambda: later)
    client = Client()
    client.force_login(User.objects.get(email="ines@exemple.fr"))
    expired = client.post(url)
    assert expired.status_code == 400
    assert "Ce lien a expiré : il est valable 3 jours" in page_text(expired)
    assert not User.objects.get(email="ines@exemple.fr").email_verified


def test_resend_the_proof_link_at_most_once_a_minute(after_commit, later):
    client = sign_up(after_commit, "ines@exemple.fr")
    page = page_text(client.get("/compte/verification/"))
    assert "Renvoyer le lien" in page and "ines@exemple.fr" in page
    with after_commit():
        response = client.post("/compte/verification/", follow=True)
    assert "vient de partir, il y a moins d'une minute" in page_text(response)
    assert len(mail.outbox) == 1
    # A minute later, a second link leaves; the first one still works (the state of the address is unchanged).
    later(2)
    with after_commit():
        response = client.post("/compte/verification/", follow=True)
    assert "Un nouveau lien est parti à ines@exemple.fr" in page_text(response)
    assert len(mail.outbox) == 2
    assert client.post(link(mail.outbox[0], "/compte/verification/")).status_code == 302
    assert User.objects.get(email="ines@exemple.fr").email_verified


def test_resend_stops_after_five_an_hour(after_commit, later):
    user = make_user("ines@exemple.fr", verified=False)
    client = client_for(user)
    for _ in range(5):
        with after_commit():
            client.post("/compte/verification/")
        later(2)
    assert len(mail.outbox) == 5
    with after_commit():
        response = client.post("/compte/verification/", follow=True)
    assert "5 e-mails de ce type sont partis dans l'heure" in page_text(response)
    assert len(mail.outbox) == 5


# --- Invitation squatting -----------------------------------------------------------------------------------------


def test_signing_up_with_an_invited_address_joins_nothing_before_the_proof(people, workspace_a, after_commit):
    """The attack of issue 16: an invited address taken at sign-up by someone who does not own it."""
    with after_commit():
        client_for(people["owner"]).post("/espace/membres/inviter/", {"email": "tresorier@a.test", "role": "admin"})
    invitation_url = link(mails_to("tresorier@a.test")[0], "/invitations/")

    squatter = sign_up(after_commit, "Tresorier@A.test", name="Pas le trésorier")
    # Not even shown…
    listing = page_text(squatter.get("/espaces/"))
    assert "Invitations en attente" not in listing and "Espace A" not in listing
    # …and refused when the link is known (page and action alike).
    page = page_text(squatter.get(invitation_url))
    assert "confirmez d'abord votre adresse e-mail" in page and "Accepter l'invitation" not in page
    refused = squatter.post(invitation_url, follow=True)
    assert "Pour rejoindre « Espace A », confirmez d'abord votre adresse e-mail" in page_text(refused)
    assert not Membership.objects.filter(workspace=workspace_a, user__email="tresorier@a.test").exists()
    assert Invitation.objects.get(email="tresorier@a.test").accepted_at is None

    # The real owner of the mailbox proves the address (the link only reaches that mailbox): then it works.
    proof_url = link(mails_to("tresorier@a.test")[-1], "/compte/verification/")
    squatter.post(proof_url)
    listing = page_text(squatter.get("/espaces/"))
    assert "Invitations en attente" in listing and "Rejoindre « Espace A »" in listing
    assert squatter.post(invitation_url).status_code == 302
    assert Membership.objects.get(workspace=workspace_a, user__email="tresorier@a.test").role == Role.ADMIN


def test_an_unproved_account_sends_no_invitation(workspace_a, after_commit):
    owner = make_user("fondatrice@a.test", verified=False)
    Membership.objects.create(workspace=workspace_a, user=owner, role=Role.OWNER)
    with after_commit():
        response = client_for(owner).post("/espace/membres/inviter/", {"email": "x@a.test", "role": "member"})
    assert response.status_code == 400
    assert "Pour inviter quelqu'un, confirmez d'abord votre adresse e-mail" in page_text(response)
    assert not Invitation.objects.exists() and mail.outbox == []


def test_the_unproved_account_of_the_access_matrix(people, workspace_a):
    """What an account that only signed up gets on the routes of invitations and accounts."""
    invitation = Invitation.objects.create(
        workspace=workspace_a,
        email="new@a.test",
        role="member",
        invited_by=people["owner"],
        expires_at="2099-01-01T00:00:00Z",
    )
    client = client_for(make_user("new@a.test", verified=False))
    expected = {
        ("get", "/espaces/"): 200,
        ("get", f"/invitations/{invitation.token}/"): 200,
        ("post", f"/invitations/{invitation.token}/"): 200,
        ("get", "/compte/"): 200,
        ("get", "/compte/verification/"): 200,
        ("get", "/compte/verification/pas-un-lien/"): 400,
        ("post", "/compte/verification/pas-un-lien/"): 400,
        ("get", "/compte/mot-de-passe/"): 200,
        ("get", "/espace/membres/"): 302,  # no workspace
        ("post", f"/espace/invitations/{invitation.pk}/annuler/"): 302,  # no workspace: sent to choose one
    }
    got = {key: getattr(client, key[0])(key[1]).status_code for key in expected}
    assert got == expected
    assert not Membership.objects.filter(user__email="new@a.test").exists()
    assert Invitation.objects.get(pk=invitation.pk).cancelled_at is None


# --- Password reset and change -----------------------------------------------------------------------------------


def test_password_reset_end_to_end_and_old_sessions_out(after_commit):
    user = make_user("camille@exemple.fr")
    elsewhere = client_for(user)  # a session open on another device
    assert elsewhere.get("/compte/").status_code == 200

    client = Client()
    login_page = page_text(client.get("/compte/connexion/"))
    assert "Mot de passe oublié ?" in login_page
    with after_commit():
        response = client.post("/compte/mot-de-passe/oublie/", {"email": "Camille@Exemple.fr"})
    assert response.status_code == 302 and response["Location"] == "/compte/mot-de-passe/oublie/envoye/"
    [message] = mail.outbox
    assert message.to == ["camille@exemple.fr"]
    assert message.subject == "Choisissez un nouveau mot de passe Maillage"
    assert "Bonjour Camille" in message.body and "valable 3 jours" in message.body
    url = link(message, "/compte/mot-de-passe/nouveau/")

    form_page = client.get(url, follow=True)
    assert "Choisir un nouveau mot de passe" in page_text(form_page)
    set_password_url = form_page.redirect_chain[-1][0]
    with after_commit():
        done = client.post(set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302 and done["Location"] == "/compte/mot-de-passe/change/"
    assert "Mot de passe changé" in page_text(client.get(done["Location"]))
    assert mail.outbox[-1].subject == "Votre mot de passe Maillage a changé"

    # The other device is logged out; the old password no longer works, the new one does.
    assert elsewhere.get("/compte/").status_code == 302
    assert (
        Client().post("/compte/connexion/", {"username": "camille@exemple.fr", "password": PASSWORD}).status_code == 200
    )
    assert (
        Client().post("/compte/connexion/", {"username": "camille@exemple.fr", "password": NEW_PASSWORD}).status_code
        == 302
    )
    # The link served once.
    used = client.get(url)
    assert used.status_code == 400 and "Lien de réinitialisation refusé" in page_text(used)
    actions_of_user = set(AuditEvent.objects.filter(actor_id=user.pk).values_list("action", flat=True))
    assert {"auth.password_reset_requested", "auth.password_reset"} <= actions_of_user


def test_password_reset_for_an_unknown_address_says_the_same_and_sends_nothing(after_commit):
    with after_commit():
        response = Client().post("/compte/mot-de-passe/oublie/", {"email": "personne@exemple.fr"}, follow=True)
    assert "Si un compte existe avec cette adresse" in page_text(response)
    assert mail.outbox == []


def test_password_reset_link_tampered_is_refused_in_french(after_commit):
    make_user("camille@exemple.fr")
    with after_commit():
        Client().post("/compte/mot-de-passe/oublie/", {"email": "camille@exemple.fr"})
    url = link(mail.outbox[0], "/compte/mot-de-passe/nouveau/")
    response = Client().get(url[:-3] + "zz/")
    assert response.status_code == 400
    assert "Ce lien ne vaut plus" in page_text(response)


def test_password_reset_proves_the_address_it_was_sent_to(after_commit):
    make_user("camille@exemple.fr", verified=False)
    client = Client()
    with after_commit():
        client.post("/compte/mot-de-passe/oublie/", {"email": "camille@exemple.fr"})
    set_url = client.get(link(mail.outbox[0], "/compte/mot-de-passe/nouveau/"), follow=True).redirect_chain[-1][0]
    client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert User.objects.get(email="camille@exemple.fr").email_verified


def test_password_reset_mails_at_most_five_an_hour(after_commit, later):
    make_user("camille@exemple.fr")
    for _ in range(7):
        with after_commit():
            Client().post("/compte/mot-de-passe/oublie/", {"email": "camille@exemple.fr"})
        later(2)
    assert len(mail.outbox) == 5


def test_password_change_keeps_this_session_and_ends_the_others(after_commit):
    user = make_user("camille@exemple.fr")
    here, elsewhere = client_for(user), client_for(user)
    wrong = here.post(
        "/compte/mot-de-passe/",
        {"old_password": "pas-le-bon", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert wrong.status_code == 200 and "Votre ancien mot de passe est incorrect" in page_text(wrong)
    with after_commit():
        response = here.post(
            "/compte/mot-de-passe/",
            {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
            follow=True,
        )
    assert "vos autres sessions sont fermées" in page_text(response)
    assert here.get("/compte/").status_code == 200
    assert elsewhere.get("/compte/").status_code == 302
    assert mail.outbox[-1].to == ["camille@exemple.fr"]
    assert AuditEvent.objects.filter(action="auth.password_changed", actor_id=user.pk).count() == 1


# --- Change of address ---------------------------------------------------------------------------------------------


def test_change_of_address_takes_effect_when_the_new_address_proves_it(after_commit):
    user = make_user("camille@exemple.fr")
    make_user("pris@exemple.fr")
    client = client_for(user)
    account = page_text(client.get("/compte/"))
    assert "Mon compte" in account and "camille@exemple.fr" in account and "Adresse confirmée" in account

    wrong = client.post("/compte/adresse/", {"new_email": "nouvelle@exemple.fr", "password": "faux"})
    assert wrong.status_code == 400 and "Mot de passe incorrect" in page_text(wrong)
    taken = client.post("/compte/adresse/", {"new_email": "Pris@Exemple.fr", "password": PASSWORD})
    assert taken.status_code == 400 and "Un compte existe déjà avec cette adresse" in page_text(taken)
    assert mail.outbox == []

    with after_commit():
        response = client.post(
            "/compte/adresse/", {"new_email": "Nouvelle@Exemple.fr", "password": PASSWORD}, follow=True
        )
    assert "Un lien est parti à nouvelle@exemple.fr" in page_text(response)
    [message] = mail.outbox
    assert message.to == ["nouvelle@exemple.fr"]
    user.refresh_from_db()
    assert user.email == "camille@exemple.fr"  # nothing changes before the link is opened
    url = link(message, "/compte/adresse/")
    assert "nouvelle@exemple.fr" in page_text(client.get(url))

    with after_commit():
        done = client.post(url, follow=True)
    assert "Votre adresse est désormais nouvelle@exemple.fr" in page_text(done)
    user.refresh_from_db()
    assert user.email == "nouvelle@exemple.fr" and user.email_verified
    told = mails_to("camille@exemple.fr")
    assert len(told) == 1 and "nouvelle@exemple.fr" in told[0].body
    assert (
        Client().post("/compte/connexion/", {"username": "Nouvelle@exemple.fr", "password": PASSWORD}).status_code
        == 302
    )

    # Replayed, the link is refused: the state of the address it was made for is gone.
    replay = client.post(url)
    assert replay.status_code == 400 and "Ce lien ne vaut plus" in page_text(replay)
    actions_of_user = list(
        AuditEvent.objects.filter(actor_id=user.pk, action__startswith="auth.email_change")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions_of_user == ["auth.email_change_refused", "auth.email_change_requested", "auth.email_changed"]
    assert AuditEvent.objects.get(action="auth.email_changed").details == {
        "old_email": "camille@exemple.fr",
        "new_email": "nouvelle@exemple.fr",
    }


def test_links_cannot_be_replayed_once_the_address_changed(after_commit, later):
    client = sign_up(after_commit, "ines@exemple.fr")
    proof_url = link(mail.outbox[0], "/compte/verification/")
    user = User.objects.get(email="ines@exemple.fr")
    # The proof link is bound to the address it was sent to: the account now shows another one, still unproved.
    User.objects.filter(pk=user.pk).update(email="ines.d@exemple.fr")
    replay = client.post(proof_url)
    assert replay.status_code == 400 and "Ce lien ne vaut plus" in page_text(replay)
    assert not User.objects.get(pk=user.pk).email_verified

    # Two changes asked in turn: once the second is confirmed, the link of the first is dead.
    secret = {"password": "un-long-secret-2026"}
    with after_commit():
        client.post("/compte/adresse/", {"new_email": "b@exemple.fr", **secret})
    later(2)
    with after_commit():
        client.post("/compte/adresse/", {"new_email": "c@exemple.fr", **secret})
    first, second = link(mails_to("b@exemple.fr")[0], "/compte/adresse/"), link(mails_to("c@exemple.fr")[0], "/")
    assert client.post(second).status_code == 302
    replay = client.post(first)
    assert replay.status_code == 400 and "Ce lien ne vaut plus" in page_text(replay)
    assert User.objects.get(pk=user.pk).email == "c@exemple.fr"


def test_an_address_taken_meanwhile_is_refused_at_confirmation(after_commit):
    user = make_user("camille@exemple.fr")
    client = client_for(user)
    with after_commit():
        client.post("/compte/adresse/", {"new_email": "convoitee@exemple.fr", "password": PASSWORD})
    make_user("convoitee@exemple.fr")
    response = client.post(link(mail.outbox[0], "/compte/adresse/"))
    assert response.status_code == 400 and "devenue celle d'un autre compte" in page_text(response)
    assert User.objects.get(pk=user.pk).email == "camille@exemple.fr"


def test_change_of_name_refuses_line_breaks():
    user = make_user("camille@exemple.fr")
    client = client_for(user)
    response = client.post("/compte/nom/", {"full_name": "Camille\nMartin"})
    assert response.status_code == 400 and "doit tenir sur une seule ligne" in page_text(response)
    assert client.post("/compte/nom/", {"full_name": "Camille Martin"}).status_code == 302
    assert User.objects.get(pk=user.pk).full_name == "Camille Martin"


# --- Workspace actions: journal, one-line names, e-mails after the commit ------------------------------------------


def test_membership_changes_are_journaled_with_their_workspace(people, workspace_a, after_commit):
    owner = client_for(people["owner"])
    with after_commit():
        owner.post("/espace/membres/inviter/", {"email": "invitee@a.test", "role": "member"})
        owner.post("/espace/membres/inviter/", {"email": "annulee@a.test", "role": "viewer"})
    cancelled = Invitation.objects.get(email="annulee@a.test")
    members_page = page_text(owner.get("/espace/membres/"))
    assert "Annuler l'invitation de annulee@a.test" in members_page
    owner.post(f"/espace/invitations/{cancelled.pk}/annuler/")
    assert Invitation.objects.get(pk=cancelled.pk).cancelled_at is not None
    again = owner.post(f"/espace/invitations/{cancelled.pk}/annuler/", follow=True)
    assert "n'est plus en attente" in page_text(again)

    invitee = make_user("invitee@a.test")
    client_for(invitee).post(link(mails_to("invitee@a.test")[0], "/invitations/"))
    viewer = Membership.objects.get(workspace=workspace_a, user=people["viewer"])
    owner.post(f"/espace/membres/{viewer.pk}/role/", {"role": "member"})
    member = Membership.objects.get(workspace=workspace_a, user=people["member"])
    viewer_client = client_for(people["viewer"])
    body = page_text(viewer_client.post("/espace/jetons/", {"name": "Tableur"}))
    token = ApiToken.objects.get(user=people["viewer"], name="Tableur")
    assert token.prefix in body
    viewer_client.post(f"/espace/jetons/{token.pk}/revoquer/")
    client_for(people["member"]).post("/espace/jetons/", {"name": "Autre"})
    owner.post(f"/espace/membres/{member.pk}/retirer/")

    events = AuditEvent.objects.exclude(action__startswith="auth.").order_by("id")
    assert [(e.action, e.actor_id, e.workspace_id) for e in events] == [
        ("invitation.sent", people["owner"].pk, workspace_a.pk),
        ("invitation.sent", people["owner"].pk, workspace_a.pk),
        ("invitation.cancelled", people["owner"].pk, workspace_a.pk),
        ("invitation.accepted", invitee.pk, workspace_a.pk),
        ("membership.role_changed", people["owner"].pk, workspace_a.pk),
        ("api_token.created", people["viewer"].pk, workspace_a.pk),
        ("api_token.revoked", people["viewer"].pk, workspace_a.pk),
        ("api_token.created", people["member"].pk, workspace_a.pk),
        ("membership.revoked", people["owner"].pk, workspace_a.pk),
    ]
    assert all(e.organization_id == workspace_a.organization_id for e in events)
    assert events[4].details == {"email": "viewer@a.test", "from": "viewer", "to": "member"}
    assert events[8].details["api_tokens_revoked"] == 1
    assert events[0].details == {"email": "invitee@a.test", "role": "member"}


def test_names_with_line_breaks_are_refused_at_the_action(people, workspace_a, org_a):
    client = client_for(people["viewer"])
    response = client.post("/espace/jetons/", {"name": "Jeton\r\nBcc: x@y.z"})
    assert response.status_code == 200 and "doit tenir sur une seule ligne" in page_text(response)
    assert not ApiToken.objects.filter(user=people["viewer"]).exists()
    with pytest.raises(actions.ValidationError) as refused:
        actions.create_workspace(user=people["owner"], name="Espace\nBcc: x@y.z", organization=org_a)
    assert "doit tenir sur une seule ligne" in str(refused.value)


def test_invitation_e_mail_leaves_only_after_the_commit(people, workspace_a, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        actions.invite(
            workspace=workspace_a,
            inviter=people["owner"],
            email="x@a.test",
            role="member",
            accept_url_builder=lambda token: f"http://testserver/invitations/{token}/",
        )
        raise RuntimeError("rolled back after the invitation")
    assert callbacks == [] and mail.outbox == []
    assert not Invitation.objects.exists() and not AuditEvent.objects.filter(action="invitation.sent").exists()
