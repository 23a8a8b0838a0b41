from __future__ import annotations

import time

import pytest
from django.test import Client

from maillage.workspaces.models import User
from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def test_signup_logs_in_and_leads_to_workspaces():
    client = Client()
    response = client.post(
        "/compte/inscription/",
        {"full_name": "Inès Dupont", "email": "Ines@Exemple.fr", "password": "un-long-secret-2026"},
    )
    assert response.status_code == 302 and response["Location"] == "/espaces/"
    assert User.objects.get(email="ines@exemple.fr").full_name == "Inès Dupont"
    assert "Inès Dupont" in client.get("/").content.decode()


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
