"""Passwords are hashed with Argon2id at the measured cost; PBKDF2 hashes made before are rewritten at login."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import make_password
from django.test import Client

from maillage import settings as project_settings
from maillage.workspaces.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def project_hashers(settings):
    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS  # the suite uses MD5 elsewhere, for speed


def test_a_new_password_is_hashed_with_argon2id_19_mib_2_passes_1_lane(project_hashers):
    Client().post(
        "/compte/inscription/",
        {"full_name": "Inès Dupont", "email": "ines@exemple.fr", "password": "un-long-secret-2026"},
    )
    assert User.objects.get(email="ines@exemple.fr").password.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")


def test_an_old_pbkdf2_hash_still_logs_in_and_is_rewritten_in_argon2id(project_hashers):
    user = User.objects.create_user("camille@exemple.fr", full_name="Camille")
    user.password = make_password("un-long-secret-2026", hasher="pbkdf2_sha256")
    user.save(update_fields=["password"])
    response = Client().post(
        "/compte/connexion/", {"username": "camille@exemple.fr", "password": "un-long-secret-2026"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert user.check_password("un-long-secret-2026")
