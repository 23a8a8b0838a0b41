"""Reads of the alliances area: board, list, filters, going cold, time per party (the reads that also need
contributions, dashboard and timeline, are in :mod:`maillage.contributions.overview`).

Every read takes the acting workspace and starts from ``Alliance.objects.visible_to(workspace)``. Each function
costs a fixed number of queries whatever the number of rows: sums and counts are computed by the database
(``annotate``/``aggregate`` with conditional expressions), related rows are fetched in one query per relation.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.db.models import Case, Count, Exists, F, OuterRef, Q, QuerySet, Subquery, TextField, Value, When
from django.db.models.expressions import Window
from django.db.models.functions import Cast, RowNumber
from django.utils import timezone

from maillage.alliances.lifecycle import BOARD_STAGES, TERMINAL, TRANSITIONS, Stage
from maillage.alliances.models import (
    Alliance,
    Form,
    Party,
    WorkspaceSettings,
)
from maillage.organizations.models import Kind as OrganizationKind
from maillage.organizations.models import Organization

if TYPE_CHECKING:
    from maillage.workspaces.models import Workspace

DEFAULT_COLD_AFTER_DAYS = 60
BOARD_CARDS_PER_COLUMN = 30
LIST_PAGE_SIZE = 50
LIST_FIELDS = ("id", "name", "stage", "forms", "territory_name", "last_interaction_on", "updated_at")


# --- settings -----------------------------------------------------------------------------------------------


def cold_after_days(workspace) -> int:
    """Days without an interaction after which the workspace calls a relationship "going cold"."""
    found = WorkspaceSettings.objects.visible_to(workspace).values_list("cold_after_days", flat=True).first()
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


def visible_alliances(workspace: Workspace | None) -> QuerySet[Alliance]:
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


def is_cold(alliance: Alliance, workspace) -> bool:
    """Whether one alliance is going cold by the workspace's setting (one or two queries)."""
    return Alliance.objects.filter(pk=alliance.pk).filter(cold_q(cold_after_days(workspace))).exists()


def my_party(alliance: Alliance, workspace) -> Party | None:
    """The active party through which ``workspace`` acts in ``alliance`` (read from its loaded parties), or None."""
    return next((p for p in alliance.parties.all() if p.workspace_id == workspace.pk and p.left_at is None), None)


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


def cold_list(workspace, *, days: int, today: date | None = None, limit: int | None = None) -> list[dict]:
    """Alliances going cold, the coldest first."""
    rows = (
        visible_alliances(workspace)
        .filter(cold_q(days, today))
        .order_by(F("last_interaction_on").asc(nulls_first=True), "created_at", "id")
        .values("pk", "name", "stage", "last_interaction_on", "created_at")
    )
    return [dict(row) for row in (rows[:limit] if limit else rows)]


def with_cold(qs, days: int):
    """Alliances annotated with ``is_cold`` (going cold after ``days`` without an interaction)."""
    return qs.annotate(is_cold=_cold_flag(days))


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
