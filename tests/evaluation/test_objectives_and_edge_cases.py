"""Evaluation by objectives and its edge cases: nobody, one party, contradictory views, a party that left, numeric
divergence, periods outside the alliance, « ne sait pas », objectives and their results, declared vs measured."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from maillage.alliances.actions import leave_alliance
from maillage.alliances.models import Alliance
from maillage.evaluation import actions
from maillage.evaluation.models import Evaluation, Questionnaire
from maillage.evaluation.report import report_context
from tests.conftest import client_for, page_text
from tests.evaluation.test_evaluation_rules import (
    ASSOCIATION_ANSWERS,
    COMPANY_ANSWERS,
    get_eval,
    messages_of,
    open_2025,
    view_for,
)

pytestmark = pytest.mark.django_db

ALL_ONES = {code: 1 for code, value in COMPANY_ANSWERS.items() if isinstance(value, int)}
ALL_FIVES = {code: 5 for code, value in ASSOCIATION_ANSWERS.items() if isinstance(value, int)}


@pytest.fixture
def evaluation(alliance, workspace_a, people):
    return open_2025(alliance, workspace_a, people["owner"])


def send(evaluation, workspace, answers):
    return actions.save_answers(evaluation=evaluation, workspace=workspace, user=None, answers=answers, submit=True)


def close(evaluation, workspace_a, people):
    actions.close_evaluation(evaluation=evaluation, workspace=workspace_a, user=people["owner"])


def report_text(evaluation, people) -> str:
    return page_text(client_for(people["viewer"]).get(reverse("web:evaluation_report", args=[evaluation.pk])))


def test_nobody_answered_no_score_and_no_view(evaluation, workspace_a, people):
    impacts = view_for(evaluation, workspace_a).impacts
    assert all(i.score is None and i.answered == 0 and i.views == "aucune vue" for i in impacts)
    assert impacts[0].coverage == "0 vue sur 2 parties"
    text = report_text(evaluation, people)
    assert "aucune vue" in text and "convergentes" not in text


def test_one_party_alone_is_one_view_never_convergent(evaluation, workspace_a, people):
    send(evaluation, workspace_a, ASSOCIATION_ANSWERS)
    close(evaluation, workspace_a, people)
    performance = view_for(evaluation, workspace_a).impacts[0]
    assert performance.score == 75 and performance.coverage == "1 vue sur 2 parties"
    assert performance.views == "une seule vue"
    text = report_text(evaluation, people)
    assert "une seule vue" in text and "convergentes" not in text and "1 vue sur 2 parties" in text


def test_contradictory_views_are_flagged(evaluation, workspace_a, workspace_c, people):
    send(evaluation, workspace_a, ALL_FIVES)
    send(evaluation, workspace_c, ALL_ONES)
    close(evaluation, workspace_a, people)
    impacts = view_for(evaluation, workspace_a).impacts
    assert all(i.diverges and i.spread == Decimal("4.00") for i in impacts)
    assert all(i.views == "divergentes (écart 4.00)" and i.coverage == "2 vues sur 2 parties" for i in impacts)
    assert "vues divergentes" in page_text(
        client_for(people["viewer"]).get(reverse("web:evaluation_detail", args=[evaluation.pk]))
    )


def test_numeric_divergence_between_parties(evaluation, workspace_a, workspace_c, people):
    send(evaluation, workspace_a, {**ASSOCIATION_ANSWERS, "trust_beneficiaries": "1200"})
    send(evaluation, workspace_c, {**COMPANY_ANSWERS, "trust_beneficiaries": "15"})
    close(evaluation, workspace_a, people)
    trust = view_for(evaluation, workspace_a).impacts[2]
    row = next(r for r in trust.rows if r.code == "trust_beneficiaries")
    assert row.diverges and row.gap == "1\xa0200 contre 15"
    assert "⚠ 1\xa0200 contre 15" in report_text(evaluation, people)
    # Close figures (a factor below 2) are not flagged.
    later = actions.open_evaluation(
        alliance=evaluation.alliance,
        workspace=workspace_a,
        user=None,
        period_label="2024",
        period_start=date(2024, 1, 1),
        period_end=date(2024, 12, 31),
    )
    send(later, workspace_a, {**ASSOCIATION_ANSWERS, "trust_beneficiaries": "120"})
    send(later, workspace_c, {**COMPANY_ANSWERS, "trust_beneficiaries": "100"})
    close(later, workspace_a, people)
    row = next(r for r in view_for(later, workspace_a).impacts[2].rows if r.code == "trust_beneficiaries")
    assert not row.diverges and row.gap == ""


def test_not_known_counts_in_coverage_never_in_a_mean(evaluation, workspace_a, workspace_c, people):
    with pytest.raises(ValidationError) as exc:  # anything else than a note or « nsp » is refused in French
        actions.save_answers(
            evaluation=evaluation, workspace=workspace_a, user=None, answers={"perf_model": "peut-être"}
        )
    assert "ou « nsp » (ne sait pas / non applicable)" in messages_of(exc)["perf_model"][0]
    send(evaluation, workspace_a, {**ASSOCIATION_ANSWERS, "perf_capacity": "nsp", "trust_volunteers": "nsp"})
    send(evaluation, workspace_c, COMPANY_ANSWERS)
    close(evaluation, workspace_a, people)
    performance = view_for(evaluation, workspace_a).impacts[0]
    # Association (5+4)/2 = 4.50 without the « ne sait pas »; company 2.00; mean 3.25 → 56.25 → 56.
    assert list(performance.party_means.values()) == [Decimal("4.50"), Decimal("2.00")]
    assert performance.score == 56 and performance.coverage == "2 vues sur 2 parties, dont 1 « ne sait pas »"
    cell = next(r for r in performance.rows if r.code == "perf_capacity").cells[0]
    assert cell.not_known and cell.label == "Ne sait pas / non applicable"


def test_not_known_from_the_answer_page(evaluation, parties, people):
    client = client_for(people["member"])
    url = reverse("web:evaluation_answer", args=[evaluation.pk])
    assert "Ne sait pas / non applicable" in page_text(client.get(url))
    posted = {**ASSOCIATION_ANSWERS, "innov_solution": "nsp", "trust_citizens__nsp": "on", "party": parties[0].pk}
    assert client.post(url, {**posted, "action": "send"}).status_code == 302
    response = evaluation.responses.get(party=parties[0])
    answers = {a.question.code: a for a in response.answers.all()}
    assert answers["innov_solution"].not_known and answers["trust_citizens"].not_known
    assert "checked" in client.get(url).content.decode().split('name="trust_citizens__nsp"')[1][:40]


def test_a_party_that_left_counts_for_the_periods_it_took_part_in(
    alliance, evaluation, parties, workspace_a, workspace_c, people, company_user
):
    send(evaluation, workspace_a, ASSOCIATION_ANSWERS)
    send(evaluation, workspace_c, COMPANY_ANSWERS)
    leave_alliance(alliance=alliance, workspace=workspace_c, user=company_user)
    close(evaluation, workspace_a, people)
    view = view_for(evaluation, workspace_a)
    assert view.impacts[0].coverage == "2 vues sur 2 parties" and view.impacts[0].score == 50
    left = next(c for c in view.columns if c.party_id == parties[1].pk)
    assert left.left_on == timezone.localdate()
    context = report_context(get_eval(evaluation, workspace_a), workspace_a)
    assert parties[1] in context["parties"]
    assert "a quitté l'alliance le" in report_text(evaluation, people)
    # A period that starts once it has left does not ask it, nor count it.
    today = timezone.localdate()
    later = actions.open_evaluation(
        alliance=alliance,
        workspace=workspace_a,
        user=None,
        period_label="Après le départ",
        period_start=today,
        period_end=today + timedelta(days=30),
    )
    assert [r.party_id for r in later.responses.all()] == [parties[0].pk]
    assert [c.party_id for c in view_for(later, workspace_a).columns] == [parties[0].pk]


def test_periods_outside_the_alliance_are_refused(alliance, workspace_a, people):
    def open_(start, end):
        with pytest.raises(ValidationError) as exc:
            actions.open_evaluation(
                alliance=alliance,
                workspace=workspace_a,
                user=None,
                period_label="Hors période",
                period_start=start,
                period_end=end,
            )
        return messages_of(exc)

    # The alliance started on 15/03/2023: a 2022 evaluation is refused, saying when it may start.
    assert "a commencé le 15/03/2023" in open_(date(2022, 1, 1), date(2022, 12, 31))["period_start"][0]
    future = timezone.localdate() + timedelta(days=10)
    assert "dans le futur" in open_(future, future + timedelta(days=30))["period_start"][0]
    Alliance.objects.filter(pk=alliance.pk).update(ends_on=date(2025, 6, 30))
    alliance.refresh_from_db()
    assert "prend fin le 30/06/2025" in open_(date(2025, 1, 1), date(2025, 12, 31))["period_end"][0]
    # From the page: a French message, no 500.
    page = client_for(people["member"]).post(
        reverse("web:evaluation_open"),
        {"alliance": alliance.pk, "period_label": "2022", "period_start": "2022-01-01", "period_end": "2022-12-31"},
    )
    assert page.status_code == 400 and "a commencé le 15/03/2023" in page_text(page)
    assert not Evaluation.objects.exists()


def declare(alliance, workspace, **overrides):
    data = {
        "common_good": True,
        "title": "Rompre l'isolement des aînés",
        "indicator": "Aînés visités",
        "unit": "personnes",
        "baseline": "100",
        "target": "300",
        "period_start": date(2025, 1, 1),
        "period_end": date(2026, 12, 31),
        "measure": "",
    }
    data.update(overrides)
    return actions.declare_objective(alliance=alliance, workspace=workspace, user=None, **data)


def test_objectives_are_declared_by_each_party_and_the_common_good_by_the_lead(alliance, workspace_a, workspace_c):
    common = declare(alliance, workspace_a)
    assert common.is_common_good
    with pytest.raises(ValidationError) as exc:
        declare(alliance, workspace_c)  # the company is not the lead
    assert "partie pilote (« Les Jardins de l'Essai »)" in messages_of(exc)["common_good"][0]
    own = declare(alliance, workspace_c, common_good=False, title="Engager nos salariés", unit="salariés")
    assert own.party.workspace == workspace_c
    with pytest.raises(ValidationError) as exc:
        declare(
            alliance,
            workspace_a,
            title="",
            unit="",
            baseline="beaucoup",
            target="300",
            period_start=date(2020, 1, 1),
            measure="inconnu",
        )
    errors = messages_of(exc)
    assert set(errors) == {"title", "unit", "baseline", "measure", "period_start"}
    assert "a commencé le 15/03/2023" in errors["period_start"][0]
    with pytest.raises(ValidationError) as exc:
        declare(alliance, workspace_a, target="100")
    assert "égale à la valeur de départ" in messages_of(exc)["target"][0]


def test_results_against_objectives_with_divergence_and_measure(alliance, evaluation, workspace_a, workspace_c, people):
    common = declare(alliance, workspace_a)
    money = declare(
        alliance,
        workspace_a,
        common_good=False,
        title="Diversifier nos ressources",
        indicator="Valeur des contributions",
        unit="€",
        baseline="0",
        target="10000",
        measure="total_value",
    )
    key = f"objective_{common.pk}"
    send(evaluation, workspace_a, {**ASSOCIATION_ANSWERS, key: "250", f"objective_{money.pk}": "8000"})
    with pytest.raises(ValidationError) as exc:  # the company does not report on A's own objective
        send(evaluation, workspace_c, {**COMPANY_ANSWERS, f"objective_{money.pk}": "1"})
    assert f"objective_{money.pk}" in messages_of(exc)["answers"][0]
    send(evaluation, workspace_c, {**COMPANY_ANSWERS, key: "110"})
    close(evaluation, workspace_a, people)
    lines = {
        line.objective.pk: line for line in report_context(get_eval(evaluation, workspace_a), workspace_a)["objectives"]
    }
    # Progress = (result − baseline) ÷ (target − baseline): (250 − 100) ÷ 200 = 75 %, (110 − 100) ÷ 200 = 5 %.
    assert [(r.party, r.value, r.progress) for r in lines[common.pk].results] == [
        ("Les Jardins de l'Essai", Decimal("250.00"), Decimal("75")),
        ("Imprimerie du Confluent", Decimal("110.00"), Decimal("5")),
    ]
    assert lines[common.pk].flags == ["Les parties rapportent 250 et 110 personnes : accordez-vous sur le chiffre."]
    # Tied to the measured value of the contributions: nothing recorded in 2025, so 8 000 € reported is flagged.
    assert (
        lines[money.pk].measured == Decimal("0") and "8\xa0000 € rapportés contre 0 mesurés" in lines[money.pk].flags[0]
    )
    text = report_text(evaluation, people)
    assert "Rompre l'isolement des aînés" in text and "75 % du chemin" in text and "accordez-vous" in text


def test_declared_figures_are_reconciled_with_measured_ones(evaluation, workspace_a, workspace_c, people):
    send(evaluation, workspace_a, ASSOCIATION_ANSWERS)
    send(evaluation, workspace_c, {**COMPANY_ANSWERS, "rel_value": "50000", "rel_hours": "0"})
    close(evaluation, workspace_a, people)
    flags = report_context(get_eval(evaluation, workspace_a), workspace_a)["flags"]
    assert [(f.party, f.what) for f in flags] == [("Imprimerie du Confluent", "Valeur apportée")]
    assert "rien d'enregistré dans Maillage" in flags[0].message
    assert "Chiffres déclarés et chiffres mesurés" in report_text(evaluation, people)


def test_an_evaluation_keeps_its_version_when_a_new_one_is_published(alliance, workspace_a, workspace_c, people):
    v1 = Questionnaire.objects.get(code="impacts", version=1)
    old = Evaluation.objects.create(
        alliance=alliance,
        questionnaire=v1,
        period_label="2024",
        period_start=date(2024, 1, 1),
        period_end=date(2024, 12, 31),
        opened_by_workspace=workspace_a,
    )
    v1_answers = {
        k: v for k, v in ASSOCIATION_ANSWERS.items() if not k.startswith(("rel_", "innov_needs", "trust_kept"))
    }
    response = send(old, workspace_a, v1_answers)
    assert response.questionnaire == v1
    with pytest.raises(ValidationError) as exc:  # a question of version 2 is not in version 1
        send(old, workspace_a, {**v1_answers, "rel_balance": 3})
    assert "version 1" in messages_of(exc)["answers"][0]
    new = open_2025(alliance, workspace_a, people["owner"])
    send(new, workspace_a, ASSOCIATION_ANSWERS)
    close(old, workspace_a, people)
    close(new, workspace_a, people)
    history = report_context(get_eval(new, workspace_a), workspace_a)["history"]
    # The questions carried over keep their code: performance compares across versions (4.00 → 75 both times).
    assert [(row["evaluation"].questionnaire.version, row["scores"]["performance"]) for row in history] == [
        (1, 75),
        (2, 75),
    ]
    assert "relationship" not in history[0]["scores"] and history[1]["scores"]["relationship"] == 75
