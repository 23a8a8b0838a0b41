"""Sharing an alliance between the parties' workspaces, private notes, leaving, and contribution rules."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from maillage.alliances import actions
from maillage.alliances.models import Alliance, AllianceNote, Attendance
from maillage.contributions.actions import CounterpartInput, SkillsInput, record_contribution
from maillage.contributions.models import Contribution
from maillage.organizations.models import Organization

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared(people, workspace_a, workspace_b, org_b):
    """An alliance of A with B's organisation and the commune of Lyon; B accepted the invitation."""
    owner = people["owner"]
    lyon = Organization.objects.get(territory_key="commune:69123")
    alliance = actions.create_alliance(
        workspace=workspace_a,
        user=owner,
        name="Partage",
        forms=["mecenat_competences", "innovation_sociale"],
        partners=[(org_b, "partner", "Prêter des salariés"), (lyon, "funder", "")],
        territory_level="commune",
        territory_code="69381",
    )
    party_b = alliance.parties.get(organization=org_b)
    invitation = actions.invite_party(alliance=alliance, workspace=workspace_a, user=owner, party=party_b)
    actions.accept_party_invitation(invitation=invitation, workspace=workspace_b, user=people["other_workspace"])
    return alliance


def test_territory_is_resolved_from_the_reference_data(shared):
    assert (shared.territory_name, shared.departement_id, shared.region_id) == ("Lyon 1er Arrondissement", "69", "84")


def test_both_parties_see_the_alliance_and_others_do_not(shared, workspace_a, workspace_b):
    assert list(Alliance.objects.visible_to(workspace_a)) == [shared]
    assert list(Alliance.objects.visible_to(workspace_b)) == [shared]
    assert not Alliance.objects.visible_to(None).exists()


def test_private_notes_stay_in_their_workspace(shared, people, workspace_a, workspace_b):
    actions.add_alliance_note(alliance=shared, workspace=workspace_a, user=people["owner"], text="Note de A")
    actions.add_alliance_note(alliance=shared, workspace=workspace_b, user=people["other_workspace"], text="Note de B")
    assert list(AllianceNote.objects.filter(alliance=shared, workspace=workspace_b).values_list("text", flat=True)) == [
        "Note de B"
    ]


def test_a_party_that_leaves_loses_access_and_history_stays(shared, people, workspace_a, workspace_b):
    actions.leave_alliance(alliance=shared, workspace=workspace_b, user=people["other_workspace"])
    assert not Alliance.objects.visible_to(workspace_b).exists()
    with pytest.raises(Http404):
        actions.log_interaction(
            alliance=shared,
            workspace=workspace_b,
            user=people["other_workspace"],
            kind="call",
            occurred_on=date(2026, 1, 5),
            duration_minutes=10,
        )
    assert shared.parties.filter(left_at__isnull=False).count() == 1
    with pytest.raises(ValidationError, match="dernière organisation"):
        actions.leave_alliance(alliance=shared, workspace=workspace_a, user=people["owner"])


def test_time_invested_counts_people_times_duration(shared, people, workspace_a):
    parties = {p.organization_id: p for p in shared.parties.all()}
    own = parties[workspace_a.organization_id]
    other = [p for p in parties.values() if p.pk != own.pk][0]
    actions.log_interaction(
        alliance=shared,
        workspace=workspace_a,
        user=people["member"],
        kind="meeting",
        occurred_on=date(2026, 3, 2),
        duration_minutes=90,
        attendance={own.pk: 2, other.pk: 1},
    )
    assert dict(Attendance.objects.values_list("party_id", "minutes")) == {own.pk: 180, other.pk: 90}
    assert Alliance.objects.get(pk=shared.pk).last_interaction_on == date(2026, 3, 2)


def test_interaction_refusals(shared, people, workspace_a):
    with pytest.raises(ValidationError) as exc:
        actions.log_interaction(
            alliance=shared,
            workspace=workspace_a,
            user=people["member"],
            kind="dance",
            occurred_on=None,
            duration_minutes=-5,
            attendance={999999: 1},
        )
    assert set(exc.value.message_dict) == {"kind", "occurred_on", "duration_minutes", "attendance"}


def test_contribution_rules(shared, people, workspace_a, workspace_b):
    parties = list(shared.parties.all())
    own, other = parties[0], parties[1]
    kwargs = {"alliance": shared, "workspace": workspace_a, "user": people["member"]}
    with pytest.raises(ValidationError) as exc:
        record_contribution(**kwargs, giver=own, receiver=own, kind="money", description="x", value="-3")
    assert "receiver" in exc.value.message_dict and "value" in exc.value.message_dict
    with pytest.raises(ValidationError, match="1 milliard"):
        record_contribution(**kwargs, giver=other, receiver=own, kind="money", description="x", value="5000000000")
    with pytest.raises(ValidationError, match="futur"):
        record_contribution(
            **kwargs,
            giver=other,
            receiver=own,
            kind="money",
            description="x",
            value="10",
            status="received",
            received_on=timezone.localdate() + timedelta(days=3),
        )
    with pytest.raises(ValidationError, match="valorisation"):
        record_contribution(
            **kwargs,
            giver=other,
            receiver=own,
            kind="money",
            description="x",
            value="10",
            valuation_method="cost_price",
        )
    stranger_alliance = actions.create_alliance(
        workspace=workspace_b,
        user=people["other_workspace"],
        name="Autre",
        forms=["mecenat_nature"],
        partners=[(Organization.objects.get(territory_key="commune:69266"), "partner", "")],
    )
    foreign_party = stranger_alliance.parties.first()
    with pytest.raises(ValidationError, match="n'est pas partie"):
        record_contribution(**kwargs, giver=foreign_party, receiver=own, kind="money", description="x", value="10")
    assert not Contribution.objects.exists()


def test_skills_gift_is_valued_line_by_line(shared, people, workspace_b):
    parties = {p.organization_id: p for p in shared.parties.all()}
    giver = parties[workspace_b.organization_id]
    receiver = parties[shared.created_by_workspace.organization_id]
    contribution = record_contribution(
        alliance=shared,
        workspace=workspace_b,
        user=people["other_workspace"],
        giver=giver,
        receiver=receiver,
        kind="skills",
        description="Comptabilité",
        status="received",
        received_on=date(2025, 7, 31),
        skills_lines=[
            SkillsInput("Alice", date(2025, 7, 15), Decimal("35"), Decimal("4000")),
            SkillsInput("Bruno", date(2025, 7, 1), Decimal("151.67"), Decimal("20000")),
        ],
        counterparts=[CounterpartInput("Invitation au gala", Decimal("100"))],
    )
    # Alice: 4,000 × 35 / 151.67 = 923.06; Bruno: capped at 3 × 3,925 = 11,775 full month.
    assert [line.value for line in contribution.skills_lines.order_by("employee_name")] == [
        Decimal("923.06"),
        Decimal("11775.00"),
    ]
    assert contribution.value == Decimal("12698.06") and contribution.hours == Decimal("186.67")
    assert contribution.counterparts_value == Decimal("100") and not contribution.is_sponsoring
    with pytest.raises(ValidationError, match="nom du salarié"):
        record_contribution(
            alliance=shared,
            workspace=workspace_b,
            user=people["other_workspace"],
            giver=giver,
            receiver=receiver,
            kind="skills",
            description="x",
            skills_lines=[SkillsInput("", date(2025, 7, 1), Decimal("1"), Decimal("1"))],
        )
