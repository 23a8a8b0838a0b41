"""Decision 0017: a party that left the alliance keeps its own answers for the periods that started before it left —
it sees them and reopens (corrects) them until the evaluation is closed — and nothing else."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from maillage.alliances.actions import leave_alliance
from maillage.evaluation import actions
from tests.conftest import api_client_for, client_for, page_text
from tests.evaluation.test_evaluation_rules import ASSOCIATION_ANSWERS, COMPANY_ANSWERS, open_2025

pytestmark = pytest.mark.django_db


@pytest.fixture
def left(alliance, parties, workspace_a, workspace_c, people, company_user):
    """The 2025 evaluation: A sent and shared its answers early, C (the company) sent its own, then left."""
    evaluation = open_2025(alliance, workspace_a, people["owner"])
    actions.save_answers(
        evaluation=evaluation, workspace=workspace_a, user=None, answers=ASSOCIATION_ANSWERS, submit=True
    )
    actions.share_early(evaluation=evaluation, workspace=workspace_a, user=None)
    actions.save_answers(evaluation=evaluation, workspace=workspace_c, user=None, answers=COMPANY_ANSWERS, submit=True)
    leave_alliance(alliance=alliance, workspace=workspace_c, user=company_user)
    return evaluation


def test_a_party_that_left_reopens_and_corrects_its_own_answers(left, parties, company_user, workspace_c):
    client = client_for(company_user)
    listing = page_text(client.get(reverse("web:evaluation_list")))
    assert "Alliances quittées : vos réponses" in listing and "Année 2025" in listing
    url = reverse("web:evaluation_answer", args=[left.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "a quitté l'alliance le" in page_text(page)
    assert "checked" in page.content.decode()  # its own answers, shown
    corrected = {**COMPANY_ANSWERS, "perf_csr": 5, "party": parties[1].pk, "action": "send"}
    answer = client.post(url, corrected)
    assert answer.status_code == 302 and answer["Location"] == reverse("web:evaluation_list")
    stored = left.responses.get(party=parties[1]).answers.get(question__code="perf_csr")
    assert stored.scale_value == 5
    # The API gives it the same: its own answers, corrected, and nothing of the other parties'.
    api = api_client_for(company_user, workspace_c)
    seen = api.get(f"/api/v1/evaluations/{left.pk}/answers").json()
    assert [r["party_id"] for r in seen] == [parties[1].pk] and seen[0]["answers"]["perf_csr"] == 5
    put = api.put(
        f"/api/v1/evaluations/{left.pk}/answers",
        {"answers": {**COMPANY_ANSWERS, "perf_csr": 4}, "submit": True},
        content_type="application/json",
    )
    assert put.status_code == 200 and put.json()["answers"]["perf_csr"] == 4


def test_a_party_that_left_sees_only_its_own_answers_and_not_the_alliance(left, company_user, workspace_c):
    client = client_for(company_user)
    for name in ("web:evaluation_detail", "web:evaluation_report"):
        assert client.get(reverse(name, args=[left.pk])).status_code == 404
    assert client.get(reverse("web:alliance_detail", args=[left.alliance_id])).status_code == 404
    api = api_client_for(company_user, workspace_c)
    for path in ("", "/scores", "/links"):
        assert api.get(f"/api/v1/evaluations/{left.pk}{path}").status_code == 404
    assert left.pk not in [e["id"] for e in api.get("/api/v1/evaluations").json()]


def test_once_closed_its_answers_stay_readable_but_frozen(left, parties, workspace_a, people, company_user):
    actions.close_evaluation(evaluation=left, workspace=workspace_a, user=people["owner"])
    client = client_for(company_user)
    url = reverse("web:evaluation_answer", args=[left.pk])
    page = page_text(client.get(url))
    assert "L'évaluation est clôturée" in page
    refused = client.post(url, {**COMPANY_ANSWERS, "perf_csr": 5, "party": parties[1].pk, "action": "send"})
    assert refused.status_code == 400 and "clôturée" in page_text(refused)
    assert left.responses.get(party=parties[1]).answers.get(question__code="perf_csr").scale_value == 2


def test_a_party_that_left_cannot_see_newer_evaluations(left, alliance, workspace_a, company_user, workspace_c):
    today = timezone.localdate()
    later = actions.open_evaluation(
        alliance=alliance,
        workspace=workspace_a,
        user=None,
        period_label="Après le départ",
        period_start=today,
        period_end=today + timedelta(days=30),
    )
    client = client_for(company_user)
    assert client.get(reverse("web:evaluation_answer", args=[later.pk])).status_code == 404
    assert "Après le départ" not in page_text(client.get(reverse("web:evaluation_list")))
    api = api_client_for(company_user, workspace_c)
    assert api.get(f"/api/v1/evaluations/{later.pk}/answers").status_code == 404
    put = api.put(
        f"/api/v1/evaluations/{later.pk}/answers", {"answers": COMPANY_ANSWERS}, content_type="application/json"
    )
    assert put.status_code == 404
