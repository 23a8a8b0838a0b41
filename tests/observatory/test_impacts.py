"""The three impacts' average scores on the public pages and in the open data, under the disclosure rules."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from django.utils import timezone

from maillage.alliances.models import Party
from maillage.demo.generate import generate
from maillage.evaluation.actions import audience_for, questions_for
from maillage.evaluation.models import Answer, Evaluation, EvaluationStatus, QuestionKind, Response
from maillage.evaluation.questionnaire import current_questionnaire
from maillage.evaluation.scoring import cross_view, responses_prefetch
from maillage.observatory.models import Cell
from maillage.observatory.refresh import refresh
from tests.conftest import page_text

pytestmark = pytest.mark.django_db

# Three communes of the Métropole de Lyon: 5 associations evaluated in A, 6 in B, 4 in C.
A, B, C = "69259", "69266", "69123"


def answer(evaluation, party, notes: dict[str, int]) -> None:
    audience = audience_for(party.organization)
    response = Response.objects.create(
        evaluation=evaluation,
        party=party,
        questionnaire=evaluation.questionnaire,
        audience=audience,
        submitted_at=timezone.now(),
    )
    Answer.objects.bulk_create(
        Answer(response=response, question=q, scale_value=notes.get(q.impact, 3))  # relationship: not published
        for q in questions_for(evaluation.questionnaire, audience)
        if q.kind == QuestionKind.SCALE
    )


def evaluate(commune: str, count: int, notes: list[dict[str, int]], year: int) -> list[Evaluation]:
    """Close one evaluation for each of ``count`` associations of the commune (an alliance with a non-association
    partner, so that it counts for that association only), answered by the association."""
    questionnaire = current_questionnaire()
    parties = (
        Party.objects.filter(organization__kind="association", organization__commune_id=commune, left_at=None)
        .select_related("organization", "alliance")
        .order_by("organization_id", "id")
    )
    chosen: dict[int, Party] = {}
    for party in parties:
        others = party.alliance.parties.exclude(pk=party.pk).values_list("organization__kind", flat=True)
        if party.organization_id not in chosen and "association" not in others:
            chosen[party.organization_id] = party
        if len(chosen) == count:
            break
    assert len(chosen) == count
    evaluations = []
    for party, party_notes in zip(chosen.values(), notes, strict=True):
        evaluation = Evaluation.objects.create(
            alliance=party.alliance,
            questionnaire=questionnaire,
            period_label=f"Année {year}",
            period_start=date(year, 1, 1),
            period_end=date(year, 1, 31),
            status=EvaluationStatus.CLOSED,
            opened_by_workspace_id=party.workspace_id,
            closed_at=timezone.now(),
        )
        answer(evaluation, party, party_notes)
        evaluations.append(evaluation)
    return evaluations


@pytest.fixture
def year(db):
    generate(scale=0.0008, seed=11, departement="69")
    year = timezone.localdate().year
    evaluate(A, 5, [{"performance": 2, "innovation": 3, "trust": 4}] * 5, year)
    performance = [5, 4, 4, 3, 5, 4]
    in_b = evaluate(B, 6, [{"performance": p, "innovation": 3, "trust": 4} for p in performance], year)
    evaluate(C, 4, [{"performance": 1, "innovation": 3, "trust": 4}] * 4, year)
    # The partner of B's first alliance answers too: each party weighs the same in that evaluation's scores.
    first = in_b[0]
    partner = first.alliance.parties.exclude(pk=first.responses.get().party_id).get()
    answer(first, partner, {"performance": 1, "innovation": 1, "trust": 1})
    view = cross_view(
        Evaluation.objects.prefetch_related(responses_prefetch()).get(pk=first.pk),
        None,
        questions=list(first.questionnaire.questions.all()),
    )
    # The evaluation app's own scores (mean of the parties' means, out of 100); the relationship is not published.
    assert view.scores() == {"performance": 50, "innovation": 25, "trust": 38, "relationship": 50}
    refresh()
    return year


def test_scores_are_published_from_five_associations(client, year):
    # B: performance (50 + 75 + 75 + 50 + 100 + 75) / 6 = 70.8; innovation (25 + 5 × 50) / 6 = 45.8;
    # trust (38 + 5 × 75) / 6 = 68.8.
    cell = Cell.objects.get(level="commune", code=B, year=year, cause="", band="")
    assert (cell.evaluated, cell.impact_performance, cell.impact_innovation, cell.impact_trust) == (6, 71, 46, 69)
    text = page_text(client.get(f"/observatoire/commune/{B}/", {"annee": year}))
    assert "base : 6 associations évaluées" in text
    assert "Impact : performance des organisations" in text and "71\u202f/\u202f100" in text
    assert "46\u202f/\u202f100" in text and "69\u202f/\u202f100" in text
    # The département: (5 × 25 + 425 + 4 × 0) / 15 = 36.7; (5 × 50 + 275 + 4 × 50) / 15 = 48.3;
    # (5 × 75 + 413 + 4 × 75) / 15 = 72.5.
    dep = Cell.objects.get(level="departement", code="69", year=year, cause="", band="")
    assert (dep.evaluated, dep.impact_performance, dep.impact_innovation, dep.impact_trust) == (15, 37, 48, 73)
    assert "37\u202f/\u202f100" in page_text(client.get("/observatoire/departement/69/", {"annee": year}))


def test_under_five_associations_the_scores_are_secret_and_protected(client, year):
    # C has 4 evaluated associations: secret. A (5) is hidden too, otherwise C = département − A − B.
    for code in (C, A):
        cell = Cell.objects.get(level="commune", code=code, year=year, cause="", band="")
        assert cell.is_published and cell.associations >= 5  # the other figures stay published
        assert (cell.evaluated, cell.impact_performance, cell.impact_innovation, cell.impact_trust) == (None,) * 4
        text = page_text(client.get(f"/observatoire/commune/{code}/", {"annee": year}))
        assert "Secret statistique : moins de 5 associations de ce territoire ont une évaluation clôturée" in text
        assert "/\u202f100" not in text
    # A territory without closed evaluations says so, with no figure.
    quiet = Cell.objects.filter(level="commune", year=year, cause="", band="", evaluated=0, suppression="").first()
    assert quiet is not None
    text = page_text(client.get(f"/observatoire/commune/{quiet.code}/", {"annee": year}))
    assert "Aucune évaluation clôturée" in text and "/\u202f100" not in text


def test_scores_in_open_data_and_api(client, year):
    body = client.get(f"/api/v1/observatory/territories/commune/{B}").json()
    row = next(c for c in body["cells"] if c["year"] == year)
    assert (row["evaluated"], row["impact_performance"], row["impact_innovation"], row["impact_trust"]) == (
        6,
        71,
        46,
        69,
    )
    secret = client.get(f"/api/v1/observatory/territories/commune/{C}").json()
    assert next(c for c in secret["cells"] if c["year"] == year)["impact_performance"] is None
    response = client.get("/observatoire/donnees/cases.csv", {"niveau": "commune", "annee": year, "code": B})
    (line,) = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert (line["evaluated"], line["impact_performance"], line["impact_trust"]) == ("6", "71", "69")
    definitions = client.get("/api/v1/observatory/indicators").json()
    impact = next(i for i in definitions["indicators"] if i["code"] == "impact_innovation")
    assert impact["unit"] == "score" and "5 associations évaluées" in impact["definition"]
    assert any("scores d'impact" in rule for rule in definitions["rules"])
