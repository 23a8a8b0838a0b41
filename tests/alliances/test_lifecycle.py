"""The alliance lifecycle: only the moves of the table, each logged with who, when and why."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from maillage.alliances import actions
from maillage.alliances.lifecycle import TERMINAL, TRANSITIONS, Stage, allowed_moves, is_allowed
from maillage.alliances.models import Alliance, StageChange
from maillage.organizations.models import Organization

pytestmark = pytest.mark.django_db


@pytest.fixture
def alliance(people, workspace_a):
    lyon = Organization.objects.get(territory_key="commune:69123")
    return actions.create_alliance(
        workspace=workspace_a,
        user=people["owner"],
        name="Alliance test",
        forms=["mecenat_financier"],
        partners=[(lyon, "funder", "")],
    )


def test_the_documented_path():
    assert allowed_moves(Stage.IDENTIFIED) == [Stage.FIRST_CONTACT, Stage.ABANDONED]
    assert set(allowed_moves(Stage.EVALUATION)) == {Stage.RENEWED, Stage.CLOSED, Stage.ABANDONED}
    assert allowed_moves(Stage.CLOSED) == [] and allowed_moves(Stage.ABANDONED) == []
    assert is_allowed(Stage.RENEWED, Stage.ACTIVE)
    assert not is_allowed(Stage.IDENTIFIED, Stage.ACTIVE)


def test_forbidden_move_says_which_moves_are_possible(alliance, people, workspace_a):
    with pytest.raises(ValidationError) as exc:
        actions.move_alliance(alliance=alliance, workspace=workspace_a, user=people["owner"], to_stage=Stage.ACTIVE)
    message = exc.value.message_dict["to_stage"][0]
    assert "Passage interdit de « Identifiée » à « Active »" in message and "premier contact" in message
    assert Alliance.objects.get(pk=alliance.pk).stage == Stage.IDENTIFIED


def test_abandon_needs_a_reason(alliance, people, workspace_a):
    with pytest.raises(ValidationError, match="pourquoi"):
        actions.move_alliance(alliance=alliance, workspace=workspace_a, user=people["owner"], to_stage=Stage.ABANDONED)
    actions.move_alliance(
        alliance=alliance, workspace=workspace_a, user=people["owner"], to_stage=Stage.ABANDONED, reason="Pas de budget"
    )
    alliance.refresh_from_db()
    assert alliance.stage == Stage.ABANDONED and alliance.abandon_reason == "Pas de budget"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(list(Stage)), min_size=1, max_size=12))
def test_random_walks_follow_the_table_and_log_every_move(alliance, people, workspace_a, wanted):
    alliance = Alliance.objects.get(pk=alliance.pk)
    StageChange.objects.filter(alliance=alliance).exclude(from_stage="").delete()
    Alliance.objects.filter(pk=alliance.pk).update(stage=Stage.IDENTIFIED)
    alliance.refresh_from_db()
    current, moves = Stage.IDENTIFIED, 0
    for to_stage in wanted:
        try:
            actions.move_alliance(
                alliance=alliance, workspace=workspace_a, user=people["member"], to_stage=to_stage, reason="r"
            )
        except ValidationError:
            assert not is_allowed(current, to_stage)
            continue
        assert is_allowed(current, to_stage)
        current, moves = to_stage, moves + 1
    assert Alliance.objects.get(pk=alliance.pk).stage == current
    log = list(StageChange.objects.filter(alliance=alliance).exclude(from_stage="").order_by("at", "id"))
    assert len(log) == moves
    assert all(change.by == people["member"] and change.by_workspace == workspace_a for change in log)
    for earlier, later in zip(log, log[1:], strict=False):
        assert earlier.to_stage == later.from_stage


def test_terminal_stages_have_no_exit():
    assert all(TRANSITIONS[stage] == () for stage in TERMINAL)
