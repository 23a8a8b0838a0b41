"""API (JSON, French errors), the ``suggestions`` CLI and the ``matching_digest`` alerts."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from maillage.matching.actions import subscribe
from maillage.matching.models import AlertSubscription
from maillage.matching.scoring import METHOD_VERSION
from tests.conftest import api_client_for
from tests.matching.conftest import publish

pytestmark = pytest.mark.django_db


def test_api_publish_search_suggest_and_start(land):
    ws_a, user_a = land["ws"][land["assoc"]]
    api_a = api_client_for(user_a, ws_a)
    response = api_a.post(
        "/api/v1/matching/needs",
        {
            "title": "Comptabilité",
            "kind": "skills",
            "skill_domain": "comptabilite",
            "causes": ["environnement"],
            "publish": True,
        },  # fmt: skip
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    need = response.json()
    assert need["territory_name"] == "Villeurbanne" and need["status"] == "published"

    ws_c, user_c = land["ws"][land["near"]]
    api_c = api_client_for(user_c, ws_c)
    found = api_c.get("/api/v1/matching/needs", {"q": "comptabilite", "departement": "69"}).json()
    assert [i["id"] for i in found["items"]] == [need["id"]]
    suggestions = api_c.get("/api/v1/matching/suggestions").json()
    top = suggestions["items"][0]
    assert top["item_id"] == need["id"] and top["score"] == sum(r["points"] for r in top["reasons"])
    assert any(r["signal"] == "territory" for r in top["reasons"])
    assert len(suggestions["method"]) == 9

    started = api_c.post(
        "/api/v1/matching/suggestions/start",
        {"target": land["assoc"].pk, "item_type": "need", "item_id": need["id"]},
        content_type="application/json",
    )
    assert started.status_code == 201 and started.json()["stage"] == "first_contact"
    origins = api_c.get("/api/v1/matching/origins").json()
    assert origins[0]["item_id"] == need["id"] and origins[0]["method_version"] == METHOD_VERSION
    assert api_a.get("/api/v1/matching/origins").json() == []  # the origin is the acting workspace's record
    again = api_c.post(
        "/api/v1/matching/suggestions/start",
        {"target": land["assoc"].pk, "item_type": "need", "item_id": need["id"]},
        content_type="application/json",
    )
    assert again.status_code == 422 and "déjà en cours" in again.json()["detail"]


def test_api_errors_are_french_and_never_500(land):
    ws_a, user_a = land["ws"][land["assoc"]]
    api = api_client_for(user_a, ws_a)
    bad = api.post(
        "/api/v1/matching/needs", {"title": "", "kind": "x", "causes": ["nope"]}, content_type="application/json"
    )
    assert bad.status_code == 422
    fields = {e["field"] for e in bad.json()["errors"]}
    assert {"title", "kind", "causes"} <= fields
    assert api.get("/api/v1/matching/unknown").status_code == 422
    assert api.get("/api/v1/matching/needs", {"page": 0}).status_code == 422
    assert api.get("/api/v1/matching/needs/999999").status_code == 404
    assert api.post("/api/v1/matching/needs", "{", content_type="application/json").status_code == 400
    start = api.post("/api/v1/matching/suggestions/start", {"target": 99999999}, content_type="application/json")
    assert start.status_code == 404
    money = api.post(
        "/api/v1/matching/needs",
        {"title": "Fonds", "kind": "funding", "causes": ["environnement"], "amount": "-5"},
        content_type="application/json",
    )
    assert money.status_code == 422 and "positif" in money.json()["detail"]


def test_cli_prints_suggestions_with_reasons_by_id_or_siren(land):
    ws_a, user_a = land["ws"][land["assoc"]]
    publish(ws_a, user_a, "need", title="Comptabilité du jardin")
    out = io.StringIO()
    call_command("suggestions", land["near"].siren, stdout=out, method=True)
    text = out.getvalue()
    assert "Comptabilité du jardin" in text and "Jardins Solidaires" in text
    assert "Même intercommunalité" in text and "Méthode du score" in text
    out = io.StringIO()
    call_command("suggestions", str(land["assoc"].pk), stdout=out)
    assert "Suggestions pour Jardins Solidaires" in out.getvalue()
    with pytest.raises(CommandError, match="Aucune organisation"):
        call_command("suggestions", "999999999")
    with pytest.raises(CommandError, match="ni un identifiant ni un SIREN"):
        call_command("suggestions", "abc")


def test_digest_sends_new_matching_items_once(land, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    ws_c, user_c = land["ws"][land["near"]]
    publish(ws_c, user_c, "offer", title="Comptabilité")
    sub = subscribe(workspace=ws_c, user=user_c, active=True, frequency="daily", min_score=30)
    AlertSubscription.objects.filter(pk=sub.pk).update(created_at=timezone.now() - timedelta(days=2))
    ws_a, user_a = land["ws"][land["assoc"]]
    publish(ws_a, user_a, "need", title="Bilan comptable annuel")
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):  # the e-mails leave after the commit
        call_command("matching_digest", stdout=out)
    assert "Alertes envoyées : 1" in out.getvalue()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert "Bilan comptable annuel" in message.body and message.to == [user_c.email]
    with django_capture_on_commit_callbacks(execute=True):  # the e-mails leave after the commit
        call_command("matching_digest", stdout=io.StringIO())  # not due yet
    assert len(mail.outbox) == 1
    with django_capture_on_commit_callbacks(execute=True):  # the e-mails leave after the commit
        call_command("matching_digest", force=True, stdout=io.StringIO())  # due, but nothing new
    assert len(mail.outbox) == 1
    # A draft never reaches another workspace's digest.
    draft = publish(ws_a, user_a, "need", title="Brouillon comptable")
    draft.status = "draft"
    draft.save()
    with django_capture_on_commit_callbacks(execute=True):  # the e-mails leave after the commit
        call_command("matching_digest", force=True, stdout=io.StringIO())
    assert len(mail.outbox) == 1
