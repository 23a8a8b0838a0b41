"""The demo data set is built in steps, one per area, each idempotent: ``seed(ctx)``.

``ctx`` holds ``workspaces`` (name → Workspace), ``organizations`` (name → Organization), ``users``
(e-mail → User) and ``rng`` (a seeded random.Random). Areas append their step here.

Two steps live in this module, so that the demo looks lived in (issue 19): ``date_the_past`` spreads the demo
alliances' lifecycle over the two years before today (their stage changes were all made today by the actions), and
``national_slice`` writes a small national synthetic data set with the existing generator, so that the
observatory's map and figures are populated when ``maillage demo`` ends.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone

from maillage.alliances.models import Alliance, StageChange
from maillage.demo.generate import generate
from maillage.workspaces.models import Workspace

DEMO_STEPS: list[str] = [
    "maillage.demo.alliances.seed",
    "maillage.demo.steps.date_the_past",
    "maillage.demo.receipts.seed",
    "maillage.demo.evaluation.seed",
    "maillage.demo.matching.seed",
    "maillage.demo.steps.national_slice",
    "maillage.demo.observatory.seed",
]

# Part of the national data set (1.5 M associations × NATIONAL_SCALE ≈ 3,000 associations in every département),
# small enough for the first ``make demo`` to stay within 3 minutes on a 2-core machine.
NATIONAL_SCALE = 0.002
NATIONAL_SEED = 2026
# Alliances far enough along to have lived two years; the others one.
LONG_LIVED = {"active", "evaluation", "renewed", "closed"}


def _aware(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(10)))


def date_the_past(ctx: dict) -> None:
    """Date the demo alliances' history in the past: identified some months before they started, each stage change
    spread between then and a few weeks ago (a closed alliance ended a year ago). Idempotent: an alliance whose
    first stage change is older than yesterday is left alone."""

    today = timezone.localdate()
    workspaces = list(ctx["workspaces"].values())
    alliances = Alliance.objects.filter(created_by_workspace__in=workspaces).prefetch_related("stage_changes")
    for alliance in alliances:
        changes = sorted(alliance.stage_changes.all(), key=lambda c: (c.at, c.pk))
        if changes and changes[0].at.date() < today - timedelta(days=1):
            continue
        # Two years and two months for those far along, so that two yearly evaluations have ended and been
        # answered before today; one year for the others.
        starts_on = today - timedelta(days=790 if alliance.stage in LONG_LIVED else 365)
        if alliance.starts_on and alliance.starts_on < starts_on:
            starts_on = alliance.starts_on
        first = starts_on - timedelta(days=90)
        last = starts_on + timedelta(days=365) if alliance.stage == "closed" else today - timedelta(days=20)
        step = (last - first) / max(len(changes) - 1, 1)
        for index, change in enumerate(changes):
            StageChange.objects.filter(pk=change.pk).update(at=_aware(first + step * index))
        Alliance.objects.filter(pk=alliance.pk).update(
            starts_on=starts_on,
            ends_on=last if alliance.stage == "closed" else alliance.ends_on,
            created_at=_aware(first),
            stage_changed_at=_aware(last if changes else first),
        )


def national_slice(ctx: dict) -> None:
    """A small national synthetic data set from the existing generator (``maillage generate``), once."""

    if Workspace.objects.filter(name__startswith="Espace synthétique").exists():
        return
    generate(scale=NATIONAL_SCALE, seed=NATIONAL_SEED, departement=None)
