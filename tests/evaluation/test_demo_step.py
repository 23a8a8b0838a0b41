"""The demo step of the evaluation area: nothing without alliances; closed, diverging evaluations otherwise."""

from __future__ import annotations

from datetime import date

import pytest

from maillage.alliances.models import Alliance
from maillage.demo.evaluation import ASSOCIATION, seed
from maillage.diagnostic.analysis import diagnose
from maillage.diagnostic.models import ResourceYear
from maillage.evaluation.models import Evaluation
from maillage.evaluation.report import cross_context, evaluations_for, report_context

pytestmark = pytest.mark.django_db


def test_does_nothing_without_alliances(workspace_a):
    seed({"workspaces": {ASSOCIATION: workspace_a}})
    assert not Evaluation.objects.exists() and not ResourceYear.objects.exists()


def test_closed_evaluations_with_diverging_views_and_diagnostic(alliance, workspace_a, workspace_c):
    ctx = {"workspaces": {ASSOCIATION: workspace_a, "Imprimerie": workspace_c}}
    seed(ctx)
    assert not Evaluation.objects.exists()  # an alliance only identified is not evaluated
    Alliance.objects.filter(pk=alliance.pk).update(stage="active")
    seed(ctx)
    seed(ctx)  # idempotent
    evaluations = list(evaluations_for(workspace_a).order_by("period_end"))
    # Twelve-month periods from the alliance's start (15/03/2023), never before it; version 2 carries version 1 over.
    assert [(e.period_label, e.period_start) for e in evaluations] == [
        ("Première année", date(2023, 3, 15)),
        ("Deuxième année", date(2024, 3, 14)),
    ]
    assert [e.questionnaire.version for e in evaluations] == [1, 2]
    assert all(e.is_closed and e.period_start >= alliance.starts_on for e in evaluations)
    report = report_context(evaluations[1], workspace_a)
    assert [line.objective.indicator for line in report["objectives"]] == [
        "Habitants bénéficiaires des jardins",
        "Valeur des contributions de l'alliance",
    ]
    assert any(row.gap == "1\xa0200 contre 340" for i in report["view"].impacts for row in i.rows)
    view = cross_context(evaluations[0], workspace_a)["view"]
    assert {c.state for c in view.columns} == {"own", "visible"}
    assert view.divergence_count >= 2
    assert [r.year for r in ResourceYear.objects.visible_to(workspace_a).order_by("year")] == [
        2022,
        2023,
        2024,
        2025,
        2026,
    ]
    titles = [a.title for a in diagnose(workspace_a, 2022).alerts]
    assert "Un seul financeur porte plus de la moitié du budget" in titles
