"""Coverage, weighted shares and the survival of alliances (issue 23): the methods against hand-computed examples,
and the refresh's figures against a straightforward computation on a generated département."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date

import pytest
from django.core.management import call_command

from maillage.alliances.models import Party
from maillage.demo.generate import generate
from maillage.observatory import story
from maillage.observatory.disclosure import COUNT_NOISE
from maillage.observatory.models import Cell, Coverage, Estimate, Survival
from maillage.organizations.models import Organization

pytestmark = pytest.mark.django_db


def test_kaplan_meier_by_hand():
    """Ten alliances end at 6 months, ten are still in progress at 12 (censored), ten end at 18, ten at 24, ten
    are in progress at 30. At risk: 50, then 30 at 18 months, 20 at 24. S(6) = 40/50 = 0.8, S(18) = 0.8 × 20/30 =
    0.533…, S(24) = 0.533… × 10/20 = 0.266…; the median is 24 months."""
    times = [(6, 1, 10), (12, 0, 10), (18, 1, 10), (24, 1, 10), (30, 0, 10)]
    curve = story.kaplan_meier(times)
    assert [(t, r) for t, r, _s in curve] == [(6, 50), (18, 30), (24, 20)]
    assert [round(s, 4) for _t, _r, s in curve] == [0.8, 0.5333, 0.2667]
    assert story.median(curve) == 24
    assert story.surviving(curve, times, 12) == pytest.approx(0.8)  # lasted at least a year: 0.8 (40 at risk)
    assert story.surviving(curve, times, 24) == pytest.approx(0.5333, abs=1e-4)  # 20 followed ≥ 24 months
    assert story.surviving(curve, times, 36) is None  # nobody followed 3 years: not published
    # Censoring matters: dropping the censored ones as if they had ended would give S(6) = 30/40 … not KM.
    assert story.median(story.kaplan_meier([(6, 1, 10), (30, 0, 30)])) is None  # never falls to one half


def test_post_stratified_proportion_by_hand():
    """Two strata: 800 small associations in the directory (50 on the platform, 10 with a company partner) and 200
    larger ones (50, 30). Unweighted: 40 %; weighted: 0.8 × 0.2 + 0.2 × 0.6 = 28 %, with
    Var = 0.64 × (1 − 50/800) × 0.16/49 + 0.04 × (1 − 50/200) × 0.24/49."""
    strata = [story.Stratum(800, 50, 10), story.Stratum(200, 50, 30)]
    estimate, se = story.post_stratified(strata)
    variance = 0.64 * (1 - 50 / 800) * 0.16 / 49 + 0.04 * (1 - 50 / 200) * 0.24 / 49
    assert estimate == pytest.approx(0.28) and se == pytest.approx(math.sqrt(variance))
    low, high = story.interval(strata)[1:]
    assert (
        low == math.floor((0.28 - 1.959964 * se) * 100) / 100 and high == math.ceil((0.28 + 1.959964 * se) * 100) / 100
    )
    # All-or-nothing strata: the normal interval would be [p, p]; Wilson's is not.
    assert story.interval([story.Stratum(100, 40, 0)])[1:] == (0.0, 0.09)
    # A stratum too small on the platform is pooled with its band, then with the rest.
    pooled = story.collapse(
        {
            ("sport", "lt_10k"): story.Stratum(500, 20, 4),
            ("culture", "lt_10k"): story.Stratum(300, 2, 1),
            ("culture", "gt_500k"): story.Stratum(10, 0, 0),
        }
    )
    assert sorted((s.population, s.sample) for s in pooled) == [(310, 2), (500, 20)]


def months(start: date, end: date) -> int:
    return math.floor((end - start).days / 30.4375)


def test_refresh_publishes_coverage_and_survival_of_a_departement(client):
    generate(scale=0.0004, seed=4, departement="23")
    call_command("refresh_observatory")
    last = Cell.objects.order_by("-year").values_list("year", flat=True).first()
    dep = Cell.objects.get(level="departement", code="23", year=last, cause="", band="")
    coverage = Coverage.objects.get(level="departement", code="23")
    in_directory = Organization.objects.filter(kind="association", departement_id="23").count()
    assert abs(coverage.directory - in_directory) <= COUNT_NOISE and coverage.platform == dep.associations
    # A secret cell's coverage is secret too (its directory count times its coverage would give the hidden count).
    for row in Coverage.objects.filter(level="commune"):
        cell = Cell.objects.get(level="commune", code=row.code, year=last, cause="", band="")
        assert (row.platform is None) == (not cell.is_published)
    # Weighted shares: a base under 30 is never weighted (secret).
    for estimate in Estimate.objects.filter(level="departement", code="23"):
        base = Cell.objects.get(level="departement", code="23", year=estimate.year, cause="", band="").associations
        if base is None or base < story.MIN_WEIGHTED_BASE:
            assert estimate.estimate is None
        else:
            assert estimate.low <= estimate.estimate <= estimate.high
    # Survival against a straightforward computation: every alliance of each counted association (its own party),
    # its months from start to end (or to today, still in progress).
    today = date.today()
    times: dict[int, list] = defaultdict(list)
    counted = set(Organization.objects.filter(workspaces__contributes_to_observatory=True).values_list("id", flat=True))
    seen = set()
    for party in Party.objects.filter(organization_id__in=counted, left_at=None).select_related("alliance"):
        alliance = party.alliance
        if (party.organization_id, alliance.id) in seen or alliance.stage in ("identified", "abandoned"):
            continue
        seen.add((party.organization_id, alliance.id))
        start = alliance.starts_on
        ended = alliance.ends_on is not None and alliance.ends_on <= today
        end = alliance.ends_on if ended else today
        times[start.year].append((months(start, end), int(ended), 1))
        times[0].append((months(start, end), int(ended), 1))
    for row in Survival.objects.filter(level="departement", code="23"):
        reference = times[row.cohort]
        if len(reference) < story.MIN_SURVIVAL_ALLIANCES:
            assert row.suppression == "secret" and row.after_1 is None
            continue
        curve = story.kaplan_meier(reference)
        expected = story.surviving(curve, reference, 12)
        assert row.after_1 == (None if expected is None else round(round(expected / 0.05) * 0.05, 4)), row
    pooled = Survival.objects.get(level="departement", code="23", cohort=0)
    assert pooled.median_years is not None
    page = client.get("/observatoire/departement/23/").content.decode()
    assert "Durée des alliances" in page and "Couverture" in page
