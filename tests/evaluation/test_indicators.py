"""Measured indicators of an alliance, checked against a hand-computed example."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from maillage.alliances.actions import log_interaction
from maillage.contributions.actions import SkillsInput, record_contribution
from maillage.diagnostic.actions import save_resource_year
from maillage.evaluation.measured_indicators import measure, months_between

pytestmark = pytest.mark.django_db


@pytest.fixture
def activity(alliance, parties, workspace_a, people):
    """2025 activity of the alliance (A = association, C = company), plus rows outside the period."""
    a, c = parties
    user = people["owner"]

    def give(**kwargs):
        return record_contribution(alliance=alliance, workspace=workspace_a, user=user, **kwargs)

    give(
        giver=c,
        receiver=a,
        kind="money",
        description="Don 2025",
        value="1000",
        status="received",
        received_on=date(2025, 2, 1),
    )
    give(
        giver=c,
        receiver=a,
        kind="money",
        description="Don 2024",
        value="9999",
        status="received",
        received_on=date(2024, 12, 31),
    )  # outside the period
    give(
        giver=c,
        receiver=a,
        kind="in_kind",
        description="Papier",
        value="500",
        valuation_method="cost_price",
        promised_on=date(2025, 6, 1),
    )
    give(
        giver=c,
        receiver=a,
        kind="skills",
        description="Graphisme",
        status="received",
        received_on=date(2025, 4, 30),
        skills_lines=[
            SkillsInput("Jean Dupont", date(2025, 3, 1), Decimal("10"), Decimal("3000")),
            SkillsInput(" jean dupont ", date(2025, 4, 1), Decimal("5"), Decimal("3000")),
            SkillsInput("Marie Curie", date(2025, 4, 1), Decimal("8"), Decimal("3000")),
        ],
    )
    give(
        giver=a,
        receiver=c,
        kind="volunteering",
        description="Animation",
        hours="12",
        hourly_rate="12",
        status="received",
        received_on=date(2025, 9, 1),
    )
    log_interaction(
        alliance=alliance,
        workspace=workspace_a,
        user=user,
        kind="meeting",
        occurred_on=date(2025, 1, 10),
        duration_minutes=90,
        attendance={a.pk: 2, c.pk: 3},
    )
    log_interaction(
        alliance=alliance,
        workspace=workspace_a,
        user=user,
        kind="call",
        occurred_on=date(2025, 5, 5),
        duration_minutes=60,
        attendance={a.pk: 1},
    )
    log_interaction(
        alliance=alliance,
        workspace=workspace_a,
        user=user,
        kind="meeting",
        occurred_on=date(2024, 6, 1),
        duration_minutes=600,
        attendance={a.pk: 9},
    )  # outside
    return a, c


def test_indicators_by_hand(alliance, activity, workspace_a, people):
    a, c = activity
    save_resource_year(
        workspace=workspace_a, user=None, year=2025, resources={"public_subsidies": "15000", "sales": "5000"}
    )
    result = measure(
        alliance, date(2025, 1, 1), date(2025, 12, 31), association_party=a, association_workspace=workspace_a
    )
    by_kind = {line.kind: line for line in result.by_kind}
    assert set(by_kind) == {"money", "in_kind", "skills", "volunteering"}
    assert by_kind["money"].received == Decimal("1000.00") and by_kind["money"].count == 1
    assert by_kind["in_kind"].promised == Decimal("500.00") and by_kind["in_kind"].received == 0
    # Skills: 3000 € a month (under 3 PSS), 23 h over 151.67 h: 197.80 + 98.90 + 158.24 = 454.94 €.
    assert by_kind["skills"].received == Decimal("454.94")
    assert result.skills_hours == Decimal("23.00")
    assert result.skills_people == 2  # "Jean Dupont" and " jean dupont " are one person
    assert result.volunteering_hours == Decimal("12.00") and result.volunteers == 1
    assert by_kind["volunteering"].received == Decimal("144.00")
    assert result.total_value == Decimal("1000") + Decimal("500") + Decimal("454.94") + Decimal("144")
    assert result.interactions == 2 and result.interaction_minutes == 150
    times = {p.party_id: p for p in result.time_by_party}
    assert times[a.pk].minutes == 2 * 90 + 60 and times[a.pk].hours == Decimal("4.0")
    assert times[c.pk].minutes == 3 * 90 and times[c.pk].hours == Decimal("4.5")
    assert result.invested_hours == Decimal("8.5")
    assert result.attendance_people == 2 + 3
    assert result.people_engaged == 2 + 5 + 1
    assert result.relationship_months == 33  # 15/03/2023 → 31/12/2025
    # 1000 € of money received in 2025 out of 20,000 € of resources.
    assert result.association_share == Decimal("5.0")


def test_share_asks_for_the_missing_year(alliance, activity, workspace_a):
    a, _ = activity
    result = measure(
        alliance, date(2025, 1, 1), date(2025, 12, 31), association_party=a, association_workspace=workspace_a
    )
    assert result.association_share is None
    assert "Saisissez vos ressources de 2025 dans le diagnostic" in result.association_share_note
    assert measure(alliance, date(2025, 1, 1), date(2025, 12, 31)).association_share_note == ""


def test_months_between():
    assert months_between(date(2023, 3, 15), date(2025, 12, 31)) == 33
    assert months_between(date(2025, 1, 31), date(2025, 2, 28)) == 0
    assert months_between(date(2025, 1, 1), date(2025, 1, 1)) == 0
