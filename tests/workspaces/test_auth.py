from __future__ import annotations

import time

import pytest
from django.test import Client

from maillage.audit.models import AuditEvent
from maillage.workspaces.models import User
from tests.conftest import PASSWORD, make_user, page_text

pytestmark = pytest.mark.django_db


def test_signup_logs_in_and_leads_to_workspaces():
    client = Client()
    response = client.post(
        "/compte/inscription/",
        {"full_name": "Inès Dupont", "email": "Ines@Exemple.fr", "password": "un-long-secret-2026"},
    )
    assert response.status_code == 302 and response["Location"] == "/espaces/"
    user = User.objects.get(email="ines@exemple.fr")
    assert user.full_name == "Inès Dupont"
    assert "Inès Dupont" in client.get("/").content.decode()
    # Logged in, but the address is not proved yet: every page says what to do.
    assert user.email_verified_at is None
    page = page_text(client.get("/espaces/"))
    assert "Confirmez votre adresse e-mail." in page and "Renvoyer le lien" in page


def test_signup_refuses_weak_password_and_known_email_in_french():
    make_user("deja@exemple.fr")
    response = Client().post("/compte/inscription/", {"full_name": "X", "email": "deja@exemple.fr", "password": "123"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Un compte existe déjà avec cette adresse" in body
    assert "Ce mot de passe est trop court" in body


def test_login_and_logout():
    make_user("camille@exemple.fr")
    client = Client()
    response = client.post("/compte/connexion/", {"username": "camille@exemple.fr", "password": PASSWORD})
    assert response.status_code == 302
    assert client.post("/compte/deconnexion/").status_code == 302
    assert client.get("/espaces/").status_code == 302


def test_wrong_password_message_in_french():
    make_user("camille@exemple.fr")
    response = Client().post("/compte/connexion/", {"username": "camille@exemple.fr", "password": "faux"})
    assert "Adresse e-mail ou mot de passe incorrect" in response.content.decode()


def test_five_failures_lock_the_username_from_that_address_for_fifteen_minutes(settings):
    make_user("cible@exemple.fr")
    client = Client()
    for _ in range(5):
        client.post("/compte/connexion/", {"username": "cible@exemple.fr", "password": "mauvais"})
    locked = client.post("/compte/connexion/", {"username": "cible@exemple.fr", "password": PASSWORD})
    assert locked.status_code == 429
    assert "15 minutes" in locked.content.decode()
    # Another address is not locked out: the lock is on username + IP, never permanent.
    other = Client(REMOTE_ADDR="10.9.9.9").post(
        "/compte/connexion/", {"username": "cible@exemple.fr", "password": PASSWORD}
    )
    assert other.status_code == 302
    assert settings.AXES_COOLOFF_TIME == 0.25


def test_idle_session_expires_after_thirty_minutes(monkeypatch):
    user = make_user("idle@exemple.fr")
    client = Client()
    client.force_login(user)
    assert client.get("/espaces/").status_code == 200
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 31 * 60)
    assert client.get("/espaces/").status_code == 302


def test_session_lasts_twelve_hours_at_most(settings):
    assert settings.SESSION_COOKIE_AGE == 12 * 3600


def test_signup_refuses_an_address_that_differs_only_by_case():
    make_user("admin@a.test")
    response = Client().post(
        "/compte/inscription/", {"full_name": "Autre", "email": "Admin@A.test", "password": "un-long-secret-2026"}
    )
    assert response.status_code == 200
    assert "Un compte existe déjà avec cette adresse" in page_text(response)
    assert User.objects.filter(email__iexact="admin@a.test").count() == 1


def test_signup_refuses_a_name_on_two_lines():
    response = Client().post(
        "/compte/inscription/",
        {"full_name": "Inès\r\nBcc: x@y.z", "email": "ines@exemple.fr", "password": "un-long-secret-2026"},
    )
    assert response.status_code == 200
    assert "doit tenir sur une seule ligne" in page_text(response)
    assert not User.objects.filter(email="ines@exemple.fr").exists()


def test_login_is_case_insensitive_on_the_address_not_on_the_password():
    make_user("admin@a.test")
    client = Client()
    response = client.post("/compte/connexion/", {"username": " Admin@A.test ", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/compte/").status_code == 200
    refused = Client().post("/compte/connexion/", {"username": "admin@a.test", "password": PASSWORD.upper()})
    assert "Adresse e-mail ou mot de passe incorrect" in page_text(refused)


def test_axes_counts_failures_on_the_address_in_lower_case():
    """Changing the case of the address does not buy five more tries."""
    make_user("cible@exemple.fr")
    client = Client()
    for username in [
        "cible@exemple.fr",
        "Cible@exemple.fr",
        "CIBLE@EXEMPLE.FR",
        "cible@Exemple.fr",
        "ciBle@exemple.fr",
    ]:
        client.post("/compte/connexion/", {"username": username, "password": "mauvais"})
    locked = client.post("/compte/connexion/", {"username": "CiBlE@ExEmPlE.fr", "password": PASSWORD})
    assert locked.status_code == 429


def test_logins_failures_and_logouts_are_journaled():
    user = make_user("camille@exemple.fr")
    client = Client(REMOTE_ADDR="192.0.2.7", HTTP_USER_AGENT="Navigateur de test")
    client.post("/compte/connexion/", {"username": "Camille@exemple.fr", "password": "faux"})
    client.post("/compte/connexion/", {"username": "inconnu@exemple.fr", "password": "faux"})
    client.post("/compte/connexion/", {"username": "camille@exemple.fr", "password": PASSWORD})
    client.post("/compte/deconnexion/")
    events = list(AuditEvent.objects.order_by("id").values_list("action", "actor_id", "workspace_id", "ip_address"))
    assert events == [
        ("auth.login_failed", user.pk, None, "192.0.2.7"),
        ("auth.login_failed", None, None, "192.0.2.7"),
        ("auth.login", user.pk, None, "192.0.2.7"),
        ("auth.logout", user.pk, None, "192.0.2.7"),
    ]
    failed = AuditEvent.objects.filter(action="auth.login_failed").order_by("id")
    assert [e.details["email"] for e in failed] == ["camille@exemple.fr", "inconnu@exemple.fr"]
    assert failed[0].user_agent == "Navigateur de test"
    assert "faux" not in str([e.details for e in AuditEvent.objects.all()])
