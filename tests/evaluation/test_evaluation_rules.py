"""Evaluation rules: questionnaire as data, opening, answers and refusals, visibility, scores by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.http import Http404

from maillage.evaluation import actions
from maillage.evaluation.models import Audience, Evaluation, Question, Questionnaire
from maillage.evaluation.questionnaire import V1_QUESTIONS, V2_QUESTIONS, sync_questionnaires
from maillage.evaluation.report import cross_context, evaluations_for
from maillage.evaluation.scoring import mean, score_of

pytestmark = pytest.mark.django_db

ASSOCIATION_ANSWERS = {
    "perf_model": 5,
    "perf_resources": 4,
    "perf_capacity": 3,
    "innov_solution": 4,
    "innov_scale": 2,
    "trust_evolution": 5,
    "trust_collective": 5,
    "trust_volunteers": "12",
    "perf_comment": "Deux salariés en plus grâce aux prestations.",
    # Version 2 (carries version 1 over): agreement questions on innovation and trust, and the relationship.
    "innov_needs": 4,
    "trust_kept": 5,
    "rel_balance": 4,
    "rel_listened": 5,
    "rel_governance": 3,
    "rel_attribution": 3,
}
COMPANY_ANSWERS = {
    "perf_csr": 2,
    "perf_employees": 1,
    "perf_anchoring": 3,
    "innov_solution": 4,
    "innov_scale": 4,
    "trust_evolution": 3,
    "trust_collective": 4,
    "innov_needs": 2,
    "trust_kept": 3,
    "rel_balance": 2,
    "rel_listened": 3,
    "rel_governance": 1,
    "rel_attribution": 2,
}


def open_2025(alliance, workspace, user) -> Evaluation:
    return actions.open_evaluation(
        alliance=alliance,
        workspace=workspace,
        user=user,
        period_label="Année 2025",
        period_start=date(2025, 1, 1),
        period_end=date(2025, 12, 31),
    )


@pytest.fixture
def evaluation(alliance, workspace_a, people):
    return open_2025(alliance, workspace_a, people["owner"])


def messages_of(exc: ValidationError) -> dict:
    return exc.value.message_dict


def test_questionnaire_versions_are_seeded_once_with_a_variant_per_kind_of_party():
    questionnaire = Questionnaire.objects.get(code="impacts", version=1)
    assert questionnaire.questions.count() == len(V1_QUESTIONS) == 21
    sync_questionnaires()  # idempotent
    assert Questionnaire.objects.count() == 2 and Question.objects.count() == 21 + len(V2_QUESTIONS)
    # Version 2 carries every question of version 1 over, with its code; version 1's scales of another kind
    # than agreement are classified (by the migration), so they leave the scores.
    v2 = Questionnaire.objects.get(code="impacts", version=2)
    assert {q.code for q in questionnaire.questions.all()} < {q.code for q in v2.questions.all()}
    assert {q.code: q.scale_type for q in questionnaire.questions.all() if not q.is_scored and q.kind == "scale"} == {
        "innov_solution": "level",
        "innov_scale": "level",
        "trust_evolution": "change",
    }
    association = actions.questions_for(questionnaire, Audience.ASSOCIATION)
    company = actions.questions_for(questionnaire, Audience.COMPANY)
    public = actions.questions_for(questionnaire, Audience.PUBLIC)
    assert {q.code for q in association} >= {"perf_model", "innov_scale", "trust_evolution"}
    assert "perf_csr" not in {q.code for q in association}
    assert {q.code for q in company} & {"perf_csr", "perf_employees"} == {"perf_csr", "perf_employees"}
    assert "perf_policy" in {q.code for q in public}
    assert all(len(q.scale_labels) == 5 for q in association if q.kind == "scale")


def test_opening_asks_every_sharing_party_and_keeps_the_version(evaluation, parties):
    responses = {r.party_id: r for r in evaluation.responses.all()}
    assert set(responses) == {p.pk for p in parties}
    assert responses[parties[0].pk].audience == Audience.ASSOCIATION
    assert responses[parties[1].pk].audience == Audience.COMPANY
    assert all(r.questionnaire.version == 2 for r in responses.values())


def test_opening_refusals(alliance, evaluation, workspace_a, workspace_b, people):
    with pytest.raises(Http404):  # not a party: existence not disclosed
        open_2025(alliance, workspace_b, people["other_workspace"])
    with pytest.raises(ValidationError) as exc:
        open_2025(alliance, workspace_a, people["owner"])
    assert "existe déjà" in messages_of(exc)["period_start"][0]
    with pytest.raises(ValidationError) as exc:
        actions.open_evaluation(
            alliance=alliance,
            workspace=workspace_a,
            user=None,
            period_label="",
            period_start=date(2026, 1, 1),
            period_end=date(2025, 1, 1),
        )
    errors = messages_of(exc)
    assert "Nommez la période" in errors["period_label"][0]
    assert "précède son début" in errors["period_end"][0]


def test_answers_out_of_range_are_refused_in_french(evaluation, workspace_a, people):
    with pytest.raises(ValidationError) as exc:
        actions.save_answers(
            evaluation=evaluation,
            workspace=workspace_a,
            user=people["member"],
            answers={"perf_model": 7, "trust_volunteers": "-3", "innov_places": "beaucoup", "perf_csr": 3},
        )
    errors = messages_of(exc)
    assert (
        "hors de l'échelle" in errors["perf_model"][0]
        and "de 1 (pas du tout) à 5 (pleinement)" in errors["perf_model"][0]
    )
    assert "hors des limites admises" in errors["trust_volunteers"][0]
    assert "n'est pas un nombre" in errors["innov_places"][0]
    assert "perf_csr" in errors["answers"][0]  # a company question is not in the association's variant
    with pytest.raises(ValidationError) as exc:
        actions.save_answers(
            evaluation=evaluation, workspace=workspace_a, user=None, answers={"perf_comment": "x" * 1001}
        )
    assert "1000 caractères au plus" in messages_of(exc)["perf_comment"][0]


def test_sending_needs_every_scale(evaluation, workspace_a, people):
    response = actions.save_answers(
        evaluation=evaluation, workspace=workspace_a, user=people["member"], answers={"perf_model": 3}
    )
    assert response.submitted_at is None and response.answers.count() == 1
    with pytest.raises(ValidationError) as exc:
        actions.save_answers(
            evaluation=evaluation, workspace=workspace_a, user=people["member"], answers={"perf_model": 3}, submit=True
        )
    assert "Choisissez une note de 1 à 5" in messages_of(exc)["trust_evolution"][0]


def test_a_party_never_answers_for_another(evaluation, parties, workspace_a, workspace_b, people):
    with pytest.raises(ValidationError) as exc:
        actions.save_answers(
            evaluation=evaluation, workspace=workspace_a, user=people["member"], answers={}, party=parties[1]
        )
    assert "vous ne pouvez pas répondre au nom de « Imprimerie du Confluent »" in messages_of(exc)["party"][0]
    with pytest.raises(Http404):
        actions.save_answers(evaluation=evaluation, workspace=workspace_b, user=None, answers={})


def answer_both(evaluation, workspace_a, workspace_c, people, company_user):
    actions.save_answers(
        evaluation=evaluation, workspace=workspace_a, user=people["member"], answers=ASSOCIATION_ANSWERS, submit=True
    )
    actions.save_answers(
        evaluation=evaluation, workspace=workspace_c, user=company_user, answers=COMPANY_ANSWERS, submit=True
    )


def view_for(evaluation, workspace):
    return cross_context(get_eval(evaluation, workspace), workspace)["view"]


def get_eval(evaluation, workspace):
    return evaluations_for(workspace).get(pk=evaluation.pk)


def test_answers_stay_private_until_closed_unless_shared_early(
    evaluation, parties, workspace_a, workspace_c, people, company_user
):
    answer_both(evaluation, workspace_a, workspace_c, people, company_user)
    view = view_for(evaluation, workspace_a)
    states = {c.party_id: c.state for c in view.columns}
    assert states == {parties[0].pk: "own", parties[1].pk: "hidden"}
    company_cells = [row.cells[1] for i in view.impacts for row in i.rows]
    assert all(cell.hidden and cell.value is None for cell in company_cells)
    # Scores count only what A may see: its own answers.
    assert view.impacts[0].score == score_of(Decimal("4.00")) == 75

    actions.share_early(evaluation=evaluation, workspace=workspace_c, user=company_user)
    assert {c.party_id: c.state for c in view_for(evaluation, workspace_a).columns}[parties[1].pk] == "visible"
    actions.share_early(evaluation=evaluation, workspace=workspace_c, user=company_user, shared=False)
    assert {c.party_id: c.state for c in view_for(evaluation, workspace_a).columns}[parties[1].pk] == "hidden"

    with pytest.raises(ValidationError) as exc:  # only the opener closes
        actions.close_evaluation(evaluation=evaluation, workspace=workspace_c, user=company_user)
    assert "Seul l'espace qui a ouvert" in messages_of(exc)["evaluation"][0]
    actions.close_evaluation(evaluation=evaluation, workspace=workspace_a, user=people["owner"])
    assert {c.state for c in view_for(evaluation, workspace_c).columns} == {"own", "visible"}
    with pytest.raises(ValidationError):
        actions.save_answers(evaluation=evaluation, workspace=workspace_a, user=None, answers={})


def test_scores_and_divergences_computed_by_hand(evaluation, workspace_a, workspace_c, people, company_user):
    answer_both(evaluation, workspace_a, workspace_c, people, company_user)
    actions.close_evaluation(evaluation=evaluation, workspace=workspace_a, user=people["owner"])
    performance, innovation, trust, relationship = view_for(evaluation, workspace_a).impacts
    # Performance: association (5+4+3)/3 = 4.00, company (2+1+3)/3 = 2.00; mean 3.00 → (3−1)/4×100 = 50.
    assert list(performance.party_means.values()) == [Decimal("4.00"), Decimal("2.00")]
    assert performance.mean == Decimal("3.00") and performance.score == 50
    assert performance.spread == Decimal("2.00") and performance.diverges
    assert performance.coverage == "2 vues sur 2 parties" and performance.views.startswith("divergentes")
    # Innovation: only the agreement scale innov_needs is scored (the level of the solution and the likelihood to
    # scale are other kinds of scale): 4 and 2; mean 3.00 → 50; innov_scale 2 vs 4 and innov_needs 4 vs 2 diverge.
    assert innovation.mean == Decimal("3.00") and innovation.score == 50 and innovation.diverges
    assert [r.code for r in innovation.divergent_rows] == ["innov_scale", "innov_needs"]
    # Trust: collective + kept, (5+5)/2 = 5.00 and (4+3)/2 = 3.50; mean 4.25 → 81; trust_evolution (a change
    # around « stable », never averaged) 5 vs 3 diverges, and trust_kept 5 vs 3.
    assert trust.mean == Decimal("4.25") and trust.score == 81
    assert [r.code for r in trust.divergent_rows] == ["trust_evolution", "trust_kept"]
    # Relationship: (4+5+3)/3 = 4.00 and (2+3+1)/3 = 2.00 → 50; the share attributed (3 vs 2) is shown, not scored.
    assert relationship.score == 50 and relationship.diverges
    attribution = next(r for r in relationship.rows if r.code == "rel_attribution")
    assert not attribution.scored and [c.value for c in attribution.cells] == [3, 2]
    numbers = {row.code: [c.value for c in row.cells] for row in trust.rows}
    assert numbers["trust_volunteers"] == [Decimal("12.00"), None]


def test_mean_and_score_helpers():
    assert mean([]) is None and score_of(None) is None
    assert mean([1, 2]) == Decimal("1.50") and score_of(Decimal("1.50")) == 13  # 12.5 rounds half up
    assert score_of(Decimal("5")) == 100 and score_of(Decimal("1")) == 0


def test_history_across_periods(alliance, evaluation, workspace_a, workspace_c, people, company_user):
    answer_both(evaluation, workspace_a, workspace_c, people, company_user)
    actions.close_evaluation(evaluation=evaluation, workspace=workspace_a, user=people["owner"])
    later = actions.open_evaluation(
        alliance=alliance,
        workspace=workspace_a,
        user=people["owner"],
        period_label="Année 2026",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
    )
    context = cross_context(get_eval(later, workspace_a), workspace_a)
    assert [row["evaluation"].period_label for row in context["history"]] == ["Année 2025", "Année 2026"]
    assert context["history"][0]["scores"] == {"performance": 50, "innovation": 50, "trust": 81, "relationship": 50}
    assert context["history"][1]["scores"] == {
        "performance": None,
        "innovation": None,
        "trust": None,
        "relationship": None,
    }


def test_reminders_reach_parties_without_answer_once(
    evaluation, workspace_a, people, company_user, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):  # the e-mails leave after the commit
        reminded = actions.send_reminders(evaluation=evaluation, workspace=workspace_a, user=people["owner"])
    assert [p.organization.name for p in reminded] == ["Imprimerie du Confluent"]
    assert mail.outbox[0].to == ["rse@imprimerie.test"]
    assert "votre avis est attendu" in mail.outbox[0].subject
    assert actions.send_reminders(evaluation=evaluation, workspace=workspace_a, user=people["owner"]) == []
    with django_capture_on_commit_callbacks(execute=True):
        call_command("remind_evaluations", "--force", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert len(mail.outbox) == 3  # the command reminds both parties (A has not answered either)
