"""Reads of the alliances area: board, list, timeline, time invested and resources obtained, forms mix.

Every read takes the acting workspace and starts from ``Alliance.objects.visible_to(workspace)``. Each function
costs a fixed number of queries whatever the number of rows: sums and counts are computed by the database
(``annotate``/``aggregate`` with conditional expressions), related rows are fetched in one query per relation.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django.db import connection
from django.db.models import Case, Count, Exists, F, OuterRef, Prefetch, Q, Subquery, Sum, TextField, Value, When
from django.db.models.expressions import Window
from django.db.models.functions import Cast, Coalesce, RowNumber, TruncDate
from django.utils import timezone

from maillage.alliances.lifecycle import BOARD_STAGES, TERMINAL, TRANSITIONS, Stage
from maillage.alliances.models import (
    Agreement,
    Alliance,
    Attendance,
    Form,
    Interaction,
    Party,
    PartyTime,
    Proposal,
    StageChange,
    WorkspaceSettings,
)
from maillage.contributions.models import Contribution, Kind, ReceivedSum, Status
from maillage.organizations.models import Contact, Organization
from maillage.organizations.models import Kind as OrganizationKind

DEFAULT_COLD_AFTER_DAYS = 60
BOARD_CARDS_PER_COLUMN = 30
LIST_PAGE_SIZE = 50
DASHBOARD_TOP = 50
ZERO = Decimal("0")
LIST_FIELDS = ("id", "name", "stage", "forms", "territory_name", "last_interaction_on", "updated_at")


# --- settings -----------------------------------------------------------------------------------------------


def cold_after_days(workspace) -> int:
    """Days without an interaction after which the workspace calls a relationship "going cold"."""
    found = WorkspaceSettings.objects.filter(workspace=workspace).values_list("cold_after_days", flat=True).first()
    return found or DEFAULT_COLD_AFTER_DAYS


def cold_q(days: int, today: date | None = None) -> Q:
    """Alliances still under way whose last interaction (or creation, if none) is older than ``days``."""
    cutoff = (today or timezone.localdate()) - timedelta(days=days)
    cutoff_at = timezone.make_aware(datetime.combine(cutoff, time.min))
    return ~Q(stage__in=list(TERMINAL)) & (
        Q(last_interaction_on__lt=cutoff) | Q(last_interaction_on__isnull=True, created_at__lt=cutoff_at)
    )


# --- filters ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AllianceFilters:
    q: str = ""
    stage: str = ""
    partner_kind: str = ""
    form: str = ""
    region: str = ""
    departement: str = ""
    cause: str = ""
    cold: bool = False
    page: int = 1

    @classmethod
    def from_params(cls, params) -> AllianceFilters:
        """Parse query parameters; an unknown value is ignored rather than an error."""

        def text(name: str, limit: int = 40) -> str:
            return (params.get(name) or "").strip()[:limit]

        page = text("page", 6)
        return cls(
            q=text("q", 100),
            stage=text("stage") if text("stage") in Stage.values else "",
            partner_kind=text("partner_kind") if text("partner_kind") in OrganizationKind.values else "",
            form=text("form") if text("form") in Form.values else "",
            region=text("region", 3),
            departement=text("departement", 3).upper(),
            cause=text("cause"),
            cold=text("cold") in {"1", "on", "true"},
            page=int(page) if page.isdigit() and 0 < int(page) < 100000 else 1,
        )

    def params(self, **overrides) -> dict[str, str]:
        values = replace(self, **overrides) if overrides else self
        result = {
            "q": values.q,
            "stage": values.stage,
            "partner_kind": values.partner_kind,
            "form": values.form,
            "region": values.region,
            "departement": values.departement,
            "cause": values.cause,
            "cold": "1" if values.cold else "",
            "page": str(values.page) if values.page > 1 else "",
        }
        return {k: v for k, v in result.items() if v}

    def querystring(self, **overrides) -> str:
        return urlencode(self.params(**overrides))

    @property
    def active(self) -> bool:
        return bool(self.params(page=1, stage=""))


def visible_alliances(workspace):
    return Alliance.objects.visible_to(workspace)


def filtered_alliances(workspace, filters: AllianceFilters, *, cold_days: int | None = None, with_stage=True):
    """Visible alliances matching the filters (partner kind and cause look at the *other* active parties)."""
    qs = visible_alliances(workspace)
    if filters.q:
        qs = qs.filter(name__icontains=filters.q)
    if with_stage and filters.stage:
        qs = qs.filter(stage=filters.stage)
    if filters.form:
        qs = qs.annotate(forms_text=Cast("forms", TextField())).filter(forms_text__contains=f'"{filters.form}"')
    if filters.region:
        qs = qs.filter(region_id=filters.region)
    if filters.departement:
        qs = qs.filter(departement_id=filters.departement)
    partners = Party.objects.filter(alliance=OuterRef("pk"), left_at__isnull=True).exclude(workspace=workspace)
    if filters.partner_kind:
        qs = qs.filter(Exists(partners.filter(organization_kind=filters.partner_kind)))
    if filters.cause:
        qs = qs.filter(Exists(partners.filter(organization__causes=filters.cause)))
    if filters.cold:
        qs = qs.filter(cold_q(cold_days if cold_days is not None else cold_after_days(workspace)))
    return qs


def _cold_flag(days: int) -> Case:
    return Case(When(cold_q(days), then=Value(True)), default=Value(False))


def _partner_names(alliance_ids) -> dict[int, str]:
    """The names of each alliance's active parties, in the order they joined, joined by commas: one query.

    Plain values, no model instance (the board shows up to 270 cards). The name is read by a subquery on the
    organisation's primary key rather than a join: for a few hundred parties, PostgreSQL would otherwise hash the
    whole directory (36,000 organisations: ≈ 15 ms of the board).
    """
    name = Organization.objects.filter(pk=OuterRef("organization_id")).values("name")
    rows = (
        Party.objects.filter(alliance_id__in=alliance_ids, left_at__isnull=True)
        .order_by("created_at", "id")
        .values_list("alliance_id", Subquery(name))
    )
    names = defaultdict(list)
    for alliance_id, organization_name in rows:
        names[alliance_id].append(organization_name)
    return {alliance_id: ", ".join(found) for alliance_id, found in names.items()}


# --- board and list -----------------------------------------------------------------------------------------


@dataclass
class Column:
    stage: str
    label: str
    count: int
    cold: int
    cards: list = field(default_factory=list)

    @property
    def more(self) -> int:
        return self.count - len(self.cards)


def board(workspace, filters: AllianceFilters, *, per_column: int = BOARD_CARDS_PER_COLUMN) -> tuple[list, int]:
    """Columns by stage: each with its count, its going-cold count and its most recently updated cards.

    Three queries whatever the number of alliances: settings, ranked cards (each carrying its column's counts,
    computed by the same window, so ``per_column`` is at least 1), their parties. A card is a dict of plain
    values: id, name, stage, last_interaction_on, is_cold, partner_names and next_moves (the (stage, label) pairs
    it may move to).
    """
    days = cold_after_days(workspace)
    by_stage = [F("stage")]
    cards = list(
        filtered_alliances(workspace, filters, cold_days=days, with_stage=False)
        .annotate(
            rank=Window(RowNumber(), partition_by=by_stage, order_by=[F("updated_at").desc(), F("id").desc()]),
            column_count=Window(Count("id"), partition_by=by_stage),
            column_cold=Window(Count("id", filter=cold_q(days)), partition_by=by_stage),
            is_cold=_cold_flag(days),
        )
        .filter(rank__lte=per_column)
        .order_by("-updated_at", "-id")
        .values("id", "name", "stage", "last_interaction_on", "is_cold", "column_count", "column_cold")
    )
    names = _partner_names([card["id"] for card in cards])
    moves = {stage: [(s, Stage(s).label) for s in TRANSITIONS[stage]] for stage in BOARD_STAGES}
    columns = {stage: Column(stage=stage, label=Stage(stage).label, count=0, cold=0) for stage in BOARD_STAGES}
    for card in cards:
        column = columns[card["stage"]]
        column.count, column.cold = card.pop("column_count"), card.pop("column_cold")
        card["partner_names"] = names.get(card["id"], "")
        card["next_moves"] = moves[card["stage"]]
        column.cards.append(card)
    return list(columns.values()), days


def alliance_page(workspace, filters: AllianceFilters, *, page_size: int = LIST_PAGE_SIZE):
    """One page of the filtered list (count, rows, their parties' names: three queries after the settings)."""
    from django.core.paginator import Paginator

    days = cold_after_days(workspace)
    qs = (
        filtered_alliances(workspace, filters, cold_days=days)
        .only(*LIST_FIELDS)
        .annotate(is_cold=_cold_flag(days))
        .order_by("-updated_at", "-id")
    )
    page = Paginator(qs, page_size).get_page(filters.page)
    page.object_list = list(page.object_list)
    names = _partner_names([alliance.pk for alliance in page.object_list])
    for alliance in page.object_list:
        alliance.partner_names = names.get(alliance.pk, "")
    return page, days


# --- one alliance -------------------------------------------------------------------------------------------


def minutes_by_party(alliance) -> dict[int, int]:
    """Time each party invested in the alliance (minutes × people present), in one query.

    Read from the time kept on write per party (``PartyTime``, :mod:`maillage.alliances.totals`): an attendance
    is of a party of the interaction's alliance, so a party's time is its time in this alliance.
    """
    return dict(PartyTime.objects.filter(party__alliance=alliance).values_list("party_id", "minutes"))


@dataclass
class Event:
    on: date
    order: tuple
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


def _use_parties(row, parties: dict, *fields: str) -> None:
    """Point the party foreign keys of ``row`` at the already loaded parties (one not among them loads on use)."""
    for name in fields:
        party = parties.get(getattr(row, f"{name}_id"))
        if party is not None:
            setattr(row, name, party)


def latest_contributions(alliance, limit: int = 10) -> list[Contribution]:
    """The alliance's latest contributions, giver and receiver taken from ``alliance.parties`` (see ``timeline``)."""
    parties = {party.pk: party for party in alliance.parties.all()}
    contributions = list(Contribution.objects.filter(alliance=alliance).order_by("-created_at", "-id")[:limit])
    for contribution in contributions:
        _use_parties(contribution, parties, "giver", "receiver")
    return contributions


def timeline(
    alliance, workspace, *, until: date | None = None, skip: int = 0, limit: int = TIMELINE_PAGE
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

    def page_rows(rows, on: str):
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
            Prefetch("contacts", queryset=Contact.objects.filter(workspace=workspace), to_attr="own_contacts"),
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


def _resource_sums() -> dict:
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

    def add(self, sums: dict) -> None:
        for key in ("money", "in_kind", "skills", "service", "volunteering", "promised"):
            setattr(self, key, getattr(self, key) + (sums.get(key) or ZERO))


@dataclass
class Dashboard:
    cold_after_days: int
    alliance_rows: list[Row]
    alliance_total: int
    kind_rows: list[Row]
    totals: Row
    forms: list[dict]
    alliance_count: int
    cold_count: int
    cold_alliances: list


def _scale(rows: list[Row]) -> None:
    """Bar lengths in percent of the largest value, for the server-side charts."""
    top_minutes = max((r.minutes for r in rows), default=0) or 1
    top_resources = max((r.resources for r in rows), default=ZERO) or Decimal(1)
    for row in rows:
        row.time_pct = round(100 * row.minutes / top_minutes)
        row.resources_pct = round(100 * row.resources / top_resources)


def _own_parties(workspace):
    """The workspace's active party in each alliance (one per alliance).

    These rows are exactly what makes an alliance visible (``AllianceQuerySet.visible_to``: an active party of
    the workspace), so sums over them stay within the visible alliances without a second semi-join.
    """
    if workspace is None:
        return Party.objects.none()
    return Party.objects.filter(workspace=workspace, left_at__isnull=True).order_by()


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


def _time_invested(workspace, top: int) -> tuple[int, list[tuple[int, int]], dict[str, tuple[int, int]]]:
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


def _received_by_partner_kind(workspace) -> dict[str, dict]:
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
    return {row.pop("giver_kind"): row for row in rows}


def _forms_and_cold(visible, days: int, today: date | None) -> tuple[dict[str, int], int, int]:
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


def dashboard(workspace, *, top: int = DASHBOARD_TOP, today: date | None = None) -> Dashboard:
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
        for row in received.filter(alliance_id__in=list(rows)).values("alliance_id").annotate(**_resource_sums()):
            rows[row.pop("alliance_id")].add(row)
        names = _with_cold(visible.filter(pk__in=list(rows)), days).values("pk", "name", "stage", "is_cold")
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


def cold_list(workspace, *, days: int, today: date | None = None, limit: int | None = None) -> list[dict]:
    """Alliances going cold, the coldest first."""
    qs = visible_alliances(workspace).filter(cold_q(days, today))
    qs = qs.order_by(F("last_interaction_on").asc(nulls_first=True), "created_at", "id").values(
        "pk", "name", "stage", "last_interaction_on", "created_at"
    )
    return list(qs[:limit] if limit else qs)


def alliance_table(workspace) -> list[Row]:
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
    resources = {
        row.pop("alliance_id"): row
        for row in Contribution.objects.filter(receiver__in=own_parties)
        .order_by()
        .values("alliance_id")
        .annotate(**_resource_sums())
    }
    rows = []
    for info in (
        _with_cold(visible_alliances(workspace), days).order_by("name", "id").values("pk", "name", "stage", "is_cold")
    ):
        row = Row(key=info["pk"], label=info["name"], stage=info["stage"], is_cold=info["is_cold"])
        row.minutes = minutes.get(info["pk"]) or 0
        row.add(resources.get(info["pk"], {}))
        rows.append(row)
    return rows


def _with_cold(qs, days: int):
    return qs.annotate(is_cold=Case(When(cold_q(days), then=Value(True)), default=Value(False)))


# --- what the workspace shares with one organisation (its page in the directory) ------------------------------


@dataclass
class SharedWith:
    alliances: list
    contributions: list
    agreements: list


def shared_with(workspace, organization, *, limit: int = 50) -> SharedWith:
    """The alliances the workspace shares with ``organization`` (an active party of both), the contributions
    between the two, and the agreements of those alliances; three queries, most recent first."""
    if workspace is None or organization.pk == getattr(workspace, "organization_id", None):
        return SharedWith([], [], [])
    alliances = visible_alliances(workspace).filter(
        Exists(Party.objects.filter(alliance=OuterRef("pk"), organization=organization, left_at__isnull=True))
    )
    own = Q(giver__workspace=workspace, giver__left_at__isnull=True) | Q(
        receiver__workspace=workspace, receiver__left_at__isnull=True
    )
    theirs = Q(giver__organization=organization) | Q(receiver__organization=organization)
    contributions = (
        Contribution.objects.filter(alliance__in=alliances)
        .filter(own & theirs)
        .select_related("giver__organization", "receiver__organization", "alliance")
        .order_by("-received_on", "-promised_on", "-id")
    )
    agreements = Agreement.objects.filter(alliance__in=alliances).select_related("alliance").order_by("-signed_on")
    return SharedWith(
        alliances=list(alliances.order_by("-updated_at", "-id")[:limit]),
        contributions=list(contributions[:limit]),
        agreements=list(agreements[:limit]),
    )


def partners_of(workspace, *, limit: int = 24) -> list[Organization]:
    """The organisations the workspace works with: active parties of its visible alliances other than itself, the
    most recently active alliance first. One query (the directory opens on them, issue 19)."""
    latest = (
        Party.objects.filter(
            alliance__in=visible_alliances(workspace), organization=OuterRef("pk"), left_at__isnull=True
        )
        .order_by("-alliance__updated_at")
        .values("alliance__updated_at")[:1]
    )
    return list(
        Organization.objects.filter(
            Exists(
                Party.objects.filter(
                    alliance__in=visible_alliances(workspace), organization=OuterRef("pk"), left_at__isnull=True
                )
            )
        )
        .exclude(pk=workspace.organization_id)
        .annotate(last_active=Subquery(latest))
        .select_related("commune")
        .order_by("-last_active", "name_search", "id")[:limit]
    )
