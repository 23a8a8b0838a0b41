"""The demo looks lived in (issue 19): a dated history over two years, evaluations after each alliance started,
and a national synthetic slice so that the observatory shows figures in every département."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from maillage.alliances.models import Alliance, StageChange
from maillage.demo.seed import seed_demo
from maillage.evaluation.models import Evaluation, Objective
from maillage.observatory.models import Cell

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_past_and_a_national_observatory():
    seed_demo()
    today = timezone.localdate()
    demo = Alliance.objects.filter(created_by_workspace__name="Les Jardins Partagés du Rhône")
    changes = StageChange.objects.filter(alliance__in=demo)
    # Stage changes spread over two years, none today.
    assert changes.count() >= 10 and not changes.filter(at__date=today).exists()
    assert changes.order_by("at").first().at.date() <= today - timedelta(days=700)
    closed = demo.get(stage="closed")
    assert closed.ends_on and closed.ends_on < today - timedelta(days=300)
    # Every evaluation of a demo alliance starts after the alliance did, ends before its end, was closed in the past.
    evaluations = list(Evaluation.objects.filter(alliance__in=demo).select_related("alliance", "questionnaire"))
    assert len(evaluations) >= 4 and {e.questionnaire.version for e in evaluations} == {1, 2}
    for e in evaluations:
        assert e.period_start >= e.alliance.starts_on
        assert e.alliance.ends_on is None or e.period_end <= e.alliance.ends_on
        assert e.closed_at.date() < today
    assert Objective.objects.filter(alliance__in=demo, party__isnull=True).exists()
    # The national slice: figures in every département of the observatory.
    assert Cell.objects.filter(level="departement").values("code").distinct().count() >= 90
    seed_demo()  # idempotent
    assert StageChange.objects.filter(alliance__in=demo).count() == changes.count()
    assert Evaluation.objects.filter(alliance__in=demo).count() == len(evaluations)
