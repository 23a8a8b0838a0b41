"""A database error answers a French 503 (JSON under /api/), wherever it happens in the request; the next request,
with the database back, answers normally. The real outage (PostgreSQL stopped and started) is test_outage.py."""

from __future__ import annotations

import contextlib

import pytest
from django.db import OperationalError, connection
from django.test import Client

from maillage.workspaces.models import User
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@contextlib.contextmanager
def database_fails(message: str = "could not connect to server: Connection refused"):
    """Every SQL statement fails as it does when the database is down (Django's own hook on the connection)."""

    def fail(execute, sql, params, many, context):
        raise OperationalError(message)

    with connection.execute_wrapper(fail):
        yield


def test_a_page_answers_a_french_503_then_recovers_by_itself():
    client = Client()
    with database_fails():
        response = client.get("/")
    body = response.content.decode()
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "Service momentanément indisponible" in body and "réessayez dans une minute" in body
    assert client.get("/").status_code == 200


def test_the_api_answers_a_json_503():
    with database_fails():
        response = Client(headers={"Authorization": "Bearer inconnu"}).get("/api/v1/organizations")
    assert response.status_code == 503
    assert response.json()["detail"].startswith("Service momentanément indisponible")


def test_a_failure_in_a_middleware_before_the_view_also_answers_503():
    """Loading the session and the current workspace (middlewares) fails before any view runs.

    Django's test client re-raises an exception that reached the 500 handler; a real server answers the response,
    which is what is checked here.
    """
    client = Client(raise_request_exception=False)
    client.force_login(make_user("camille@exemple.fr"))
    with database_fails():
        response = client.get("/espaces/")
    assert response.status_code == 503
    assert "Service momentanément indisponible" in response.content.decode()
    assert client.get("/espaces/").status_code == 200


def test_a_full_disk_says_so_and_nothing_is_written():
    client = Client()
    form = {"full_name": "Inès Dupont", "email": "ines@exemple.fr", "password": "un-long-secret-2026"}
    with database_fails("database or disk is full"):
        response = client.post("/compte/inscription/", form)
    assert response.status_code == 503
    assert "Espace disque plein" in response.content.decode()
    assert not User.objects.filter(email="ines@exemple.fr").exists()
    assert client.post("/compte/inscription/", form).status_code == 302


def test_other_errors_stay_500():
    """Only database errors become 503: a bug still answers the French 500 page."""

    def fail(execute, sql, params, many, context):
        if "organizations_organization" in sql:
            raise ZeroDivisionError
        return execute(sql, params, many, context)

    with connection.execute_wrapper(fail):
        response = Client(raise_request_exception=False).get("/")
    assert response.status_code == 500
    assert "Erreur interne" in response.content.decode()
