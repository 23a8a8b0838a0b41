"""Reads that span alliances and their contributions: the dashboard (time invested beside resources obtained), an
alliance's timeline and latest contributions, what a workspace shares with one organisation.

They live here, above ``alliances``, because they read contributions: ``alliances`` knows nothing of them
(docs/architecture.md, the layers checked by import-linter). Same rules as every ``queries.py``: each read takes the
acting workspace and costs a fixed number of queries whatever the number of rows.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.db.models import Count, F, Prefetch, Q, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from maillage.alliances.lifecycle import Stage
from maillage.alliances.models import (
    Agreement,
    Attendance,
    Form,
    Interaction,
    Party,
    Proposal,
    StageChange,
)
from maillage.alliances.queries import cold_after_days, cold_list, cold_q, visible_alliances, with_cold
from maillage.contributions.models import Contribution, Kind, ReceivedSum, Status
from maillage.organizations.models import Contact
from maillage.organizations.models import Kind as OrganizationKind

if TYPE_CHECKING:
    from django.db.models import Model, QuerySet

    from maillage.alliances.models import Alliance
    from maillage.organizations.models import Organization
    from maillage.workspaces.models import Workspace

DASHBOARD_TOP = 50
ZERO = Decimal("0")


@dataclass
class Event:
    on: date
    order: tuple[int, int]
    kind: str  # stage | interaction | agreement | contribution
    obj: object


TIMELINE_PAGE = 150
TIMELINE_MAX_SKIP = 100_000  # events of one day already shown: far beyond any real day, bounds what a URL reads


@dataclass(frozen=True)
class Older:
    """Where the previous page of a timeline starts: the events up to ``until``, less the ``skip`` first events
    of that day (already shown, when one day holds more than a page)."""

    until: date
    skip: int = 0

    @property
    def querystring(self) -> str:
        return f"jusqu_au={self.until:%Y-%m-%d}" + (f"&passer={self.skip}" if self.skip else "")


def _use_parties(row: Model, parties: dict[int, Party], *fields: str) -> None:
    """Point the party foreign keys of ``row`` at the already loaded parties (one not among them loads on use)."""
    for name in fields:
        party = parties.get(getattr(row, f"{name}_id"))
        if party is not None:
            setattr(row, name, party)


def latest_contributions(alliance: Alliance, limit: int = 10) -> list[Contribution]:
    """The alliance's latest contributions, giver and receiver taken from ``alliance.parties`` (see ``timeline``)."""
    parties = {party.pk: party for party in alliance.parties.all()}
    contributions = list(Contribution.objects.filter(alliance=alliance).order_by("-created_at", "-id")[:limit])
    for contribution in contributions:
        _use_parties(contribution, parties, "giver", "receiver")
    return contributions


def timeline(
    alliance: Alliance,
    workspace: Workspace | None,
    *,
    until: date | None = None,
    skip: int = 0,
    limit: int = TIMELINE_PAGE,
) -> tuple[list[Event], Older | None]:
    """The alliance's story in date order, one page of the most recent events up to ``until`` (inclusive).

    Returns the events (oldest first) and where the previous page starts (``None`` when there is none). Each
    source is read newest first and cut at ``skip + limit`` rows, so a page costs seven queries and that many rows
    whatever the alliance's length. A page does not split a day: the oldest day of a full page moves to the next
    one, unless the page holds that day alone; the next page then goes on within the same day (``skip``: how many
    of the events of ``until``'s day are already shown). Contacts present at an interaction are shown only to
    the workspace that entered them.

    The parties named by an event (present at an interaction, giving, receiving) are taken from
    ``alliance.parties``, which the pages load with their organisation (``get_alliance``), rather than joined
    again on every row: the joins cost PostgreSQL a hash of the whole party table, and the rows a model each.
    """
    skip = min(max(skip, 0), TIMELINE_MAX_SKIP) if until else 0  # ``skip`` counts events of ``until``'s day
    reach = skip + limit  # the events to read, newest first: those already shown, then this page
    parties = {party.pk: party for party in alliance.parties.all()}
    events: list[Event] = []

    def page_rows(rows: QuerySet[Any], on: str) -> QuerySet[Any]:
        """Rows of one source up to ``until`` and, once more than a page is read, none older than its last day.

        An event older than the reach-th newest event already read cannot make the page: reading the sources
        with the most rows first spares the others' rows (and their models) that would be thrown away.
        """
        if until:
            rows = rows.filter(**{f"{on}__lte": until})
        if len(events) > reach:
            rows = rows.filter(**{f"{on}__gte": sorted((e.on for e in events), reverse=True)[reach - 1]})
        return rows

    contributions = Contribution.objects.filter(alliance=alliance).annotate(
        on=Coalesce("received_on", "promised_on", TruncDate("created_at"))
    )
    for contribution in page_rows(contributions, "on").order_by("-on", "-id")[: reach + 1]:
        _use_parties(contribution, parties, "giver", "receiver")
        events.append(Event(contribution.on, (3, contribution.pk), "contribution", contribution))
    interactions = (
        Interaction.objects.filter(alliance=alliance)
        .select_related("workspace__organization")
        .prefetch_related(
            Prefetch("attendances", queryset=Attendance.objects.all(), to_attr="attendance_list"),
            Prefetch("contacts", queryset=Contact.objects.visible_to(workspace), to_attr="own_contacts"),
        )
    )
    for interaction in page_rows(interactions, "occurred_on").order_by("-occurred_on", "-id")[: reach + 1]:
        for attendance in interaction.attendance_list:
            _use_parties(attendance, parties, "party")
        events.append(Event(interaction.occurred_on, (1, interaction.pk), "interaction", interaction))
    agreements = Agreement.objects.filter(alliance=alliance)
    for agreement in page_rows(agreements, "signed_on").order_by("-signed_on", "-id")[: reach + 1]:
        events.append(Event(agreement.signed_on, (2, agreement.pk), "agreement", agreement))
    stages = StageChange.objects.filter(alliance=alliance).select_related("by", "by_workspace__organization")
    for change in page_rows(stages, "at__date").order_by("-at", "-id")[: reach + 1]:
        events.append(Event(timezone.localtime(change.at).date(), (0, change.at.timestamp()), "stage", change))
    # Proposals to the lead and their answers (decision 0016): dated when made.
    proposals = Proposal.objects.filter(alliance=alliance).select_related(
        "by_workspace__organization", "decided_by_workspace__organization"
    )
    for proposal in page_rows(proposals, "created_at__date").order_by("-created_at", "-id")[: reach + 1]:
        on = timezone.localtime(proposal.created_at).date()
        events.append(Event(on, (4, proposal.created_at.timestamp()), "proposal", proposal))
    events.sort(key=lambda e: (e.on, e.order), reverse=True)
    events = events[skip:]  # the first events of ``until``'s day, shown by the pages before
    older = None
    if len(events) > limit:
        events = events[:limit]
        oldest = events[-1].on
        if any(e.on > oldest for e in events):
            events = [e for e in events if e.on > oldest]
            older = Older(oldest)
        else:  # the page holds one day alone and that day goes on: the next page continues within it
            older = Older(oldest, (skip if oldest == until else 0) + limit)
    events.reverse()
    return events, older


# --- dashboard ----------------------------------------------------------------------------------------------

RESOURCE_KINDS = [
    ("money", Kind.MONEY, "Dons financiers (€)"),
    ("in_kind", Kind.IN_KIND, "Dons en nature valorisés (€)"),
    ("skills", Kind.SKILLS, "Compétences valorisées (€)"),
    ("service", Kind.SERVICE, "Prestations (chiffre d'affaires, €)"),
    ("volunteering", Kind.VOLUNTEERING, "Bénévolat valorisé (€)"),
]


def _resource_sums() -> dict[str, Sum]:
    sums = {
        key: Sum("value", filter=Q(kind=kind, status=Status.RECEIVED), default=ZERO)
        for key, kind, _label in RESOURCE_KINDS
    }
    sums["promised"] = Sum("value", filter=Q(status=Status.PROMISED), default=ZERO)
    return sums


@dataclass
class Row:
    key: object
    label: str
    minutes: int = 0
    money: Decimal = ZERO
    in_kind: Decimal = ZERO
    skills: Decimal = ZERO
    service: Decimal = ZERO
    volunteering: Decimal = ZERO
    promised: Decimal = ZERO
    alliances: int = 0
    stage: str = ""
    is_cold: bool = False
    time_pct: int = 0
    resources_pct: int = 0

    @property
    def hours(self) -> Decimal:
        return (Decimal(self.minutes) / 60).quantize(Decimal("0.1"))

    @property
    def stage_label(self) -> str:
        return Stage(self.stage).label if self.stage else ""

    @property
    def resources(self) -> Decimal:
        return self.money + self.in_kind + self.skills + self.service + self.volunteering

    def add(self, sums: Mapping[str, Any]) -> None:
        for key in ("money", "in_kind", "skills", "service", "volunteering", "promised"):
            setattr(self, key, getattr(self, key) + (sums.get(key) or ZERO))


@dataclass
class Dashboard:
    cold_after_days: int
    alliance_rows: list[Row]
    alliance_total: int
    kind_rows: list[Row]
    totals: Row
    forms: list[dict[str, Any]]
    alliance_count: int
    cold_count: int
    cold_alliances: list[dict[str, Any]]


def _scale(rows: list[Row]) -> None:
    """Bar lengths in percent of the largest value, for the server-side charts."""
    top_minutes = max((r.minutes for r in rows), default=0) or 1
    top_resources = max((r.resources for r in rows), default=ZERO) or Decimal(1)
    for row in rows:
        row.time_pct = round(100 * row.minutes / top_minutes)
        row.resources_pct = round(100 * row.resources / top_resources)


def _own_parties(workspace: Workspace | None) -> QuerySet[Party]:
    """The workspace's active party in each alliance (one per alliance).

    These rows are exactly what makes an alliance visible (``AllianceQuerySet.visible_to``: an active party of
    the workspace), so sums over them stay within the visible alliances without a second semi-join.
    """
    if workspace is None:
        return Party.objects.none()
    return Party.objects.visible_to(workspace).filter(left_at__isnull=True).order_by()


# The workspace's own (active) party in each visible alliance with its minutes (own), read from the time kept on
# write (``PartyTime``, see :mod:`maillage.alliances.totals`) rather than summed over every attendance; then,
# joined to the other active parties of the same alliances, each (alliance, partner kind) once with the own
# party's minutes (k). A workspace acts for one organisation, which is a party of an alliance once at most: one
# own party per alliance. Read back: the total, the ``top`` alliances by time, and per partner kind the alliances
# that include one and their time. Portable SQL (SQLite and PostgreSQL), a few dozen rows out.
TIME_INVESTED_SQL = """
WITH own AS (
    SELECT p.alliance_id AS alliance_id, COALESCE(t.minutes, 0) AS minutes
    FROM alliances_party p LEFT JOIN alliances_partytime t ON t.party_id = p.id
    WHERE p.workspace_id = %(ws)s AND p.left_at IS NULL
), k AS (
    SELECT DISTINCT own.alliance_id AS alliance_id, q.organization_kind AS kind, own.minutes AS minutes
    FROM own JOIN alliances_party q ON q.alliance_id = own.alliance_id
    WHERE q.left_at IS NULL AND (q.workspace_id IS NULL OR q.workspace_id <> %(ws)s)
)
SELECT 'kind', kind, CAST(NULL AS BIGINT), COUNT(*), SUM(minutes) FROM k GROUP BY kind
UNION ALL
SELECT 'total', '', CAST(NULL AS BIGINT), COUNT(*), SUM(minutes) FROM own
UNION ALL
SELECT * FROM (
    SELECT 'top', '', alliance_id, CAST(NULL AS BIGINT), minutes FROM own WHERE minutes > 0
    ORDER BY minutes DESC, alliance_id LIMIT %(top)s
) t
"""


def _time_invested(
    workspace: Workspace | None, top: int
) -> tuple[int, list[tuple[int, int]], dict[str, tuple[int, int]]]:
    """(total minutes, [(alliance id, minutes)] of the ``top`` alliances, {partner kind: (alliances, minutes)})."""
    if workspace is None:
        return 0, [], {}
    total, best, by_kind = 0, [], {}
    with connection.cursor() as cursor:
        cursor.execute(TIME_INVESTED_SQL, {"ws": workspace.pk, "top": top})
        for section, kind, alliance_id, count, minutes in cursor.fetchall():
            if section == "kind":
                by_kind[kind] = (count, int(minutes or 0))
            elif section == "total":
                total = int(minutes or 0)
            else:
                best.append((alliance_id, int(minutes or 0)))
    return total, best, by_kind


def _received_by_partner_kind(workspace: Workspace | None) -> dict[str, dict[str, Any]]:
    """What the workspace's parties received, per giver organisation kind, in the keys of :func:`_resource_sums`.

    Read from the sums kept on write per receiving party and giver kind (``ReceivedSum``, see
    :mod:`maillage.contributions.totals`), not summed over every contribution of the workspace's history.
    """
    columns = [key for key, _kind, _label in RESOURCE_KINDS] + ["promised"]
    rows = (
        ReceivedSum.objects.filter(receiver__in=_own_parties(workspace))
        .order_by()
        .values("giver_kind")
        .annotate(**{c: Sum(c, default=ZERO) for c in columns})
    )
    by_kind: dict[str, dict[str, Any]] = {}
    for row in rows:
        sums: dict[str, Any] = dict(row)
        by_kind[sums.pop("giver_kind")] = sums
    return by_kind


def _forms_and_cold(visible: QuerySet[Alliance], days: int, today: date | None) -> tuple[dict[str, int], int, int]:
    """(alliances per form, alliance count, going-cold count) in one pass: grouped by the (few) distinct forms lists.

    An alliance counts for a form when its ``forms`` JSON holds the quoted code, as the board's form filter reads it.
    """
    counts = dict.fromkeys(Form.values, 0)
    total = cold = 0
    for forms, n, n_cold in (
        visible.order_by()
        .values("forms")
        .annotate(n=Count("id"), n_cold=Count("id", filter=cold_q(days, today)))
        .values_list("forms", "n", "n_cold")
    ):
        total += n
        cold += n_cold
        text = json.dumps(forms)
        for code in Form.values:
            if f'"{code}"' in text:
                counts[code] += n
    return counts, total, cold


def dashboard(workspace: Workspace | None, *, top: int = DASHBOARD_TOP, today: date | None = None) -> Dashboard:
    """The first vigilance point: the time the workspace invests beside the resources it obtains.

    Time = minutes of the workspace's own party at interactions (duration × people present). Resources = what
    its party *received* (status "reçue"), by kind; "promis" is what is still awaited. Per partner kind, time
    counts every alliance that includes a partner of that kind, and resources count what partners of that kind
    gave. The per-alliance table shows the ``top`` alliances by time invested (:func:`alliance_table` has them
    all). Seven queries whatever the number of alliances, contributions and interactions; every sum is
    computed by the database and only a few dozen rows come back.
    """
    days = cold_after_days(workspace)
    visible = visible_alliances(workspace)
    received = Contribution.objects.filter(receiver__in=_own_parties(workspace)).order_by()

    # Time: total, the top alliances and the partner kinds' time, summed by the database in one statement.
    time_total, time_top, time_by_kind = _time_invested(workspace, top)
    rows = {pk: Row(key=pk, label="", minutes=m) for pk, m in time_top}
    if rows:
        for data in received.filter(alliance_id__in=list(rows)).values("alliance_id").annotate(**_resource_sums()):
            sums: dict[str, Any] = dict(data)
            rows[sums.pop("alliance_id")].add(sums)
        names = with_cold(visible.filter(pk__in=list(rows)), days).values("pk", "name", "stage", "is_cold")
        for info in names:
            row = rows[info["pk"]]
            row.label, row.stage, row.is_cold = info["name"], info["stage"], info["is_cold"]
    shown = list(rows.values())
    _scale(shown)

    # Per partner kind, and the totals.
    totals = Row(key="total", label="Total", minutes=time_total)
    kinds: dict[str, Row] = {}
    for kind, (alliances, kind_minutes) in time_by_kind.items():
        kinds[kind] = Row(key=kind, label=OrganizationKind(kind).label, alliances=alliances, minutes=kind_minutes)
    for kind, sums in _received_by_partner_kind(workspace).items():
        if kind not in kinds:
            kinds[kind] = Row(key=kind, label=OrganizationKind(kind).label)
        kinds[kind].add(sums)
        totals.add(sums)
    kind_rows = sorted(kinds.values(), key=lambda r: (-r.minutes, -r.resources, r.label))
    _scale(kind_rows)

    # Forms mix and going-cold count, counted by the database in one pass.
    forms_counts, alliance_count, cold_count = _forms_and_cold(visible, days, today)
    top_form = max(forms_counts.values(), default=0) or 1
    forms = [
        {
            "code": code,
            "label": Form(code).label,
            "count": forms_counts[code],
            "share": round(100 * forms_counts[code] / alliance_count) if alliance_count else 0,
            "pct": round(100 * forms_counts[code] / top_form),
        }
        for code in Form.values
    ]

    return Dashboard(
        cold_after_days=days,
        alliance_rows=shown,
        alliance_total=alliance_count,
        kind_rows=kind_rows,
        totals=totals,
        forms=forms,
        alliance_count=alliance_count,
        cold_count=cold_count,
        cold_alliances=cold_list(workspace, days=days, today=today, limit=top or DASHBOARD_TOP),
    )


def alliance_table(workspace: Workspace | None) -> list[Row]:
    """Every visible alliance with its time invested and resources obtained (for the export: all rows)."""
    days = cold_after_days(workspace)
    own_parties = _own_parties(workspace)
    minutes = dict(
        Attendance.objects.filter(party__in=own_parties)
        .order_by()
        .values("party__alliance_id")
        .annotate(m=Sum("minutes"))
        .values_list("party__alliance_id", "m")
    )
    resources: dict[int, dict[str, Any]] = {}
    for data in (
        Contribution.objects.filter(receiver__in=own_parties)
        .order_by()
        .values("alliance_id")
        .annotate(**_resource_sums())
    ):
        sums: dict[str, Any] = dict(data)
        resources[sums.pop("alliance_id")] = sums
    rows = []
    for info in (
        with_cold(visible_alliances(workspace), days).order_by("name", "id").values("pk", "name", "stage", "is_cold")
    ):
        row = Row(key=info["pk"], label=info["name"], stage=info["stage"], is_cold=info["is_cold"])
        row.minutes = minutes.get(info["pk"]) or 0
        row.add(resources.get(info["pk"], {}))
        rows.append(row)
    return rows


# --- what the workspace shares with one organisation (its page in the directory) ------------------------------


@dataclass
class SharedWith:
    alliances: list[Any]
    contributions: list[Contribution]
    agreements: list[Agreement]


def shared_with(workspace: Workspace | None, organization: Organization, *, limit: int = 50) -> SharedWith:
    """The alliances the workspace shares with ``organization`` (an active party of both), the contributions
    between the two, and the agreements of those alliances; three queries, most recent first (none more when
    they share no alliance).

    The shared alliances are read once and the two other reads take their ids: nesting the alliances' query in
    both made each statement slower to compile and to run than the rest of the organisation's page (issue 21).
    """
    if workspace is None or organization.pk == getattr(workspace, "organization_id", None):
        return SharedWith([], [], [])
    # The organisation's parties drive the read (``pk IN``): an ``EXISTS`` per alliance made SQLite scan every
    # alliance of the directory (13 ms on the demo data's 17,800 alliances, issue 21).
    theirs_parties = Party.objects.filter(organization=organization, left_at__isnull=True).values("alliance_id")
    shared = list(visible_alliances(workspace).filter(pk__in=theirs_parties).order_by("-updated_at", "-id"))
    if not shared:
        return SharedWith([], [], [])
    ids = [alliance.pk for alliance in shared]
    own = Q(giver__workspace=workspace, giver__left_at__isnull=True) | Q(
        receiver__workspace=workspace, receiver__left_at__isnull=True
    )
    theirs = Q(giver__organization=organization) | Q(receiver__organization=organization)
    # The page prints the names only: two annotated columns instead of the parties and organisations as models,
    # and the alliances already read (``select_related`` cost more to compile than the rows to read, issue 21).
    contributions = list(
        Contribution.objects.filter(alliance_id__in=ids)
        .filter(own & theirs)
        .annotate(giver_name=F("giver__organization__name"), receiver_name=F("receiver__organization__name"))
        .order_by("-received_on", "-promised_on", "-id")[:limit]
    )
    agreements = list(Agreement.objects.filter(alliance_id__in=ids).order_by("-signed_on")[:limit])
    by_id = {alliance.pk: alliance for alliance in shared}
    for contribution in contributions:
        contribution.alliance = by_id[contribution.alliance_id]
    for agreement in agreements:
        agreement.alliance = by_id[agreement.alliance_id]
    return SharedWith(alliances=shared[:limit], contributions=contributions, agreements=agreements)
