"""Evaluation pages and API: answering, refusals in French, 404 across workspaces, report and PDF, query counts."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.urls import reverse

from maillage.alliances.actions import create_alliance
from maillage.evaluation import actions
from maillage.evaluation.models import Evaluation
from tests.conftest import api_client_for, client_for, page_text
from tests.evaluation.test_evaluation_rules import ASSOCIATION_ANSWERS, COMPANY_ANSWERS, open_2025

pytestmark = pytest.mark.django_db


@pytest.fixture
def evaluation(alliance, workspace_a, people):
    return open_2025(alliance, workspace_a, people["owner"])


def test_open_from_the_page(alliance, people):
    client = client_for(people["member"])
    page = client.get(reverse("web:evaluation_list"))
    assert page.status_code == 200 and "Ouvrir une évaluation" in page_text(page)
    response = client.post(
        reverse("web:evaluation_open"),
        {
            "alliance": alliance.pk,
            "period_label": "Fin du projet",
            "period_start": "2025-01-01",
            "period_end": "2024-01-01",
        },
    )
    assert response.status_code == 400
    assert "La fin de la période précède son début" in page_text(response)
    response = client.post(
        reverse("web:evaluation_open"),
        {
            "alliance": alliance.pk,
            "period_label": "Fin du projet",
            "period_start": "2025-01-01",
            "period_end": "2025-06-30",
        },
    )
    evaluation = Evaluation.objects.get(period_label="Fin du projet")
    assert response.status_code == 302 and response["Location"] == reverse(
        "web:evaluation_detail", args=[evaluation.pk]
    )


def test_answer_page_refusals_and_success(evaluation, parties, people):
    client = client_for(people["member"])
    url = reverse("web:evaluation_answer", args=[evaluation.pk])
    page = client.get(url)
    assert page.status_code == 200
    text = page_text(page)
    assert "1 – Pas du tout" in text and "Variante : association".lower() in text.lower()
    assert "stratégie RSE" not in text  # the company's variant is not asked to the association
    bad = client.post(url, {**ASSOCIATION_ANSWERS, "perf_model": "9", "party": parties[0].pk, "action": "send"})
    assert bad.status_code == 400 and "« 9 » est hors de l'échelle" in page_text(bad)
    other = client.post(url, {**ASSOCIATION_ANSWERS, "party": parties[1].pk, "action": "send"})
    assert other.status_code == 400
    assert "vous ne pouvez pas répondre au nom de « Imprimerie du Confluent »" in page_text(other)
    assert client_for(people["viewer"]).post(url, {**ASSOCIATION_ANSWERS, "action": "send"}).status_code == 403
    ok = client.post(url, {**ASSOCIATION_ANSWERS, "party": parties[0].pk, "action": "send"})
    assert ok.status_code == 302
    response = evaluation.responses.get(party=parties[0])
    assert response.submitted_at is not None and response.answers.get(question__code="perf_model").scale_value == 5


def test_other_workspace_gets_404_everywhere(evaluation, people):
    client = client_for(people["other_workspace"])
    for name in ("evaluation_detail", "evaluation_answer", "evaluation_report", "evaluation_report_pdf"):
        assert client.get(reverse(f"web:{name}", args=[evaluation.pk])).status_code == 404
    for name in ("evaluation_share", "evaluation_close", "evaluation_remind"):
        assert client.post(reverse(f"web:{name}", args=[evaluation.pk])).status_code == 404
    assert "Potagers" not in page_text(client.get(reverse("web:evaluation_list")))


def answered_and_closed(evaluation, workspace_a, workspace_c, people, company_user):
    actions.save_answers(
        evaluation=evaluation, workspace=workspace_a, user=None, answers=ASSOCIATION_ANSWERS, submit=True
    )
    actions.save_answers(evaluation=evaluation, workspace=workspace_c, user=None, answers=COMPANY_ANSWERS, submit=True)
    actions.close_evaluation(evaluation=evaluation, workspace=workspace_a, user=people["owner"])


def test_cross_view_report_and_pdf(evaluation, workspace_a, workspace_c, people, company_user):
    answered_and_closed(evaluation, workspace_a, workspace_c, people, company_user)
    client = client_for(people["viewer"])
    detail = page_text(client.get(reverse("web:evaluation_detail", args=[evaluation.pk])))
    assert "Imprimerie du Confluent" in detail and "Les Jardins de l'Essai" in detail
    assert "score 50/100" in detail and "vues divergentes" in detail and "⚠ 2 points" in detail
    assert "(moyenne − 1) ÷ 4 × 100" in detail
    report = client.get(reverse("web:evaluation_report", args=[evaluation.pk]))
    assert report.status_code == 200 and "<svg" in report.content.decode()
    assert "Indicateurs mesurés" in page_text(report)
    pdf = client.get(reverse("web:evaluation_report_pdf", args=[evaluation.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    from pypdf import PdfReader

    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Bilan de partenariat" in text and "Potagers d'entreprise" in text
    assert "Performance des organisations" in text and "Imprimerie du Confluent" in text


def test_api_answers_visibility_and_refusals(evaluation, parties, workspace_a, workspace_c, people, company_user):
    a = api_client_for(people["member"], workspace_a)
    c = api_client_for(company_user, workspace_c)
    url = f"/api/v1/evaluations/{evaluation.pk}/answers"
    bad = a.put(url, {"answers": {"perf_model": 0}}, content_type="application/json")
    assert bad.status_code == 422 and "hors de l'échelle" in bad.json()["detail"]
    other = a.put(url, {"answers": {}, "party_id": parties[1].pk}, content_type="application/json")
    assert other.status_code == 422 and other.json()["errors"][0]["field"] == "party"
    assert c.put(url, {"answers": COMPANY_ANSWERS, "submit": True}, content_type="application/json").status_code == 200
    assert [r["organization"] for r in a.get(url).json()] == ["Les Jardins de l'Essai"]
    assert (
        c.post(
            f"/api/v1/evaluations/{evaluation.pk}/share", {"shared": True}, content_type="application/json"
        ).status_code
        == 200
    )
    assert len(a.get(url).json()) == 2
    scores = a.get(f"/api/v1/evaluations/{evaluation.pk}/scores").json()
    # A has sent nothing: only the shared company answers count, performance (2+1+3)/3 = 2.00 → 25.
    assert scores["impacts"][0]["score"] == 25 and scores["impacts"][0]["party_means"] == {
        "Imprimerie du Confluent": "2.00"
    }
    assert scores["impacts"][0]["views"] == "une seule vue"
    assert scores["impacts"][0]["coverage"] == "1 vue sur 2 parties"
    assert scores["objectives"] == [] and scores["flags"] == []
    outsider = api_client_for(people["other_workspace"], people["other_workspace"].memberships.first().workspace)
    assert outsider.get(url).status_code == 404
    assert (
        outsider.post(
            "/api/v1/evaluations",
            {
                "alliance_id": evaluation.alliance_id,
                "period_label": "x",
                "period_start": "2024-01-01",
                "period_end": "2024-12-31",
            },
            content_type="application/json",
        ).status_code
        == 404
    )


def _evaluations(n, workspace, user, org_factory):
    for i in range(n):
        alliance = create_alliance(
            workspace=workspace,
            user=user,
            name=f"Alliance {i}",
            forms=["mecenat_financier"],
            partners=[(org_factory(i), "partner", "")],
        )
        actions.open_evaluation(
            alliance=alliance,
            workspace=workspace,
            user=user,
            period_label="2025",
            period_start=date(2025, 1, 1),
            period_end=date(2025, 12, 31),
        )


@pytest.mark.parametrize("size", [1, 6])
def test_list_page_costs_a_fixed_number_of_queries(size, workspace_a, people, django_assert_max_num_queries):
    from maillage.organizations.actions import create_organization

    _evaluations(
        size,
        workspace_a,
        people["owner"],
        lambda i: create_organization(data={"kind": "company", "name": f"Entreprise {i}"}),
    )
    client = client_for(people["viewer"])
    with django_assert_max_num_queries(12):
        page = client.get(reverse("web:evaluation_list"))
    assert page_text(page).count("Alliance ") >= size


@pytest.mark.parametrize("extra", [0, 4])
def test_detail_costs_a_fixed_number_of_queries(
    extra, alliance, evaluation, workspace_a, people, django_assert_max_num_queries
):
    for month in range(4, 4 + extra):  # after the alliance's start (15/03/2023)
        actions.open_evaluation(
            alliance=alliance,
            workspace=workspace_a,
            user=None,
            period_label=f"Mois {month}",
            period_start=date(2023, month, 1),
            period_end=date(2023, month, 28),
        )
    client = client_for(people["viewer"])
    with django_assert_max_num_queries(22):
        assert client.get(reverse("web:evaluation_detail", args=[evaluation.pk])).status_code == 200
    with django_assert_max_num_queries(30):
        assert client.get(reverse("web:evaluation_report", args=[evaluation.pk])).status_code == 200


def test_no_published_questionnaire_is_said_in_french_not_a_500(monkeypatch, alliance, workspace_a, people):
    # An installation where no version of the questionnaire exists (none shipped, rows removed): the API and the
    # page that opens an evaluation say so instead of failing on None (issue 20, found by mypy).
    from maillage.evaluation import questionnaire

    monkeypatch.setattr(questionnaire, "VERSIONS", {})
    monkeypatch.setattr(questionnaire, "CODE", "aucun")  # the shipped rows are protected by their questions
    response = api_client_for(people["member"], workspace_a).get("/api/v1/evaluations/questionnaires/current")
    assert response.status_code == 422, response.content
    assert "Aucun questionnaire d'évaluation n'est publié" in response.json()["detail"]
    page = client_for(people["member"]).post(
        reverse("web:evaluation_open"),
        {"alliance": alliance.pk, "period_label": "2025", "period_start": "2025-01-01", "period_end": "2025-12-31"},
    )
    assert page.status_code == 400 and "Aucun questionnaire d'évaluation n'est publié" in page_text(page)
    assert not Evaluation.objects.exists()
