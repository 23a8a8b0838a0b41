"""Reads of the evaluation area."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Prefetch
from django.utils import timezone

from maillage.alliances.actions import is_lead
from maillage.alliances.lifecycle import Stage
from maillage.alliances.models import Alliance, Party
from maillage.evaluation.models import Evaluation

# An alliance under way is evaluated every twelve months from its start (the demo's and the guide's rhythm).
EVALUATED_STAGES = (Stage.FORMALISED, Stage.ACTIVE, Stage.EVALUATION, Stage.RENEWED)


@dataclass(frozen=True)
class DuePeriod:
    alliance: Alliance
    start: date
    end: date
    number: int  # the alliance's 1st, 2nd… year

    @property
    def label(self) -> str:
        return f"Année {self.number} de l'alliance"


def _plus_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def last_ended_period(alliance: Alliance, today: date) -> DuePeriod | None:
    """The latest twelve-month period from the alliance's start that ended before today (cut at its end)."""
    if alliance.starts_on is None:
        return None
    number, start = 0, alliance.starts_on
    last = None
    while True:
        end = _plus_years(start, 1) - timedelta(days=1)
        if alliance.ends_on and end > alliance.ends_on:
            end = alliance.ends_on
        if end >= today or start > end:
            return last
        number += 1
        last = DuePeriod(alliance=alliance, start=start, end=end, number=number)
        if alliance.ends_on and end >= alliance.ends_on:
            return last
        start = end + timedelta(days=1)


def periods_to_send(workspace, *, today: date | None = None, limit: int = 10) -> list[DuePeriod]:
    """Evaluations « to send »: for each alliance under way that the workspace leads (decision 0016: the lead opens
    it, the others answer), its latest ended twelve-month period when no evaluation covers any part of it.
    Three queries whatever the number of alliances."""
    today = today or timezone.localdate()
    alliances = [
        a
        for a in Alliance.objects.visible_to(workspace)
        .filter(stage__in=EVALUATED_STAGES, starts_on__isnull=False, starts_on__lte=today - timedelta(days=365))
        .only("id", "name", "starts_on", "ends_on", "stage")
        .prefetch_related(Prefetch("parties", queryset=Party.objects.select_related("organization")))
        if is_lead(a, workspace)
    ]
    evaluated: dict[int, list[tuple[date, date]]] = {}
    for alliance_id, start, end in Evaluation.objects.filter(alliance__in=[a.pk for a in alliances]).values_list(
        "alliance_id", "period_start", "period_end"
    ):
        evaluated.setdefault(alliance_id, []).append((start, end))
    due = []
    for alliance in alliances:
        period = last_ended_period(alliance, today)
        if period is None:
            continue
        if any(start <= period.end and end >= period.start for start, end in evaluated.get(alliance.pk, [])):
            continue
        due.append(period)
    due.sort(key=lambda p: (p.end, p.alliance.name))
    return due[:limit]
