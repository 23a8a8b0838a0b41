"""Reads of the contributions area seen from the giving side: what a workspace's organisation gave.

A company, a commune or a foundation is half of every alliance; its questions are the other way round from an
association's: what did we give, to whom, each year, and what did it cost us. ``given_by`` answers the first two
in three queries whatever the number of gifts (the sums are computed by the database).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Count, DateField, Q, QuerySet, Sum
from django.db.models.functions import Cast, Coalesce, ExtractYear

from maillage.alliances.models import Party
from maillage.audit import history
from maillage.audit.history import Correction
from maillage.contributions.models import Contribution, Kind, Status
from maillage.core import formats
from maillage.core.legal import MONTHLY_PSS, SKILLS_PSS_MULTIPLIER
from maillage.organizations.models import PUBLIC_KINDS
from maillage.organizations.models import Kind as OrganizationKind

if TYPE_CHECKING:
    from maillage.organizations.models import Organization
    from maillage.workspaces.models import Workspace


ZERO = Decimal("0")

# The organisations that mostly give in an alliance (and receive the receipts): their pages speak of what they
# gave rather than of what they obtained. Associations (and the other kinds) keep the receiving side's words.
GIVER_SIDE_KINDS = frozenset({OrganizationKind.COMPANY, OrganizationKind.FOUNDATION, *PUBLIC_KINDS})


def is_giver_side(organization: Organization | None) -> bool:
    return organization is not None and organization.kind in GIVER_SIDE_KINDS


@dataclass
class GivenRow:
    """What the organisation gave in one alliance (or in total) during one year (or in all), received or promised."""

    key: object
    label: str
    year: int | None = None
    money: Decimal = ZERO
    in_kind: Decimal = ZERO
    skills: Decimal = ZERO
    skills_hours: Decimal = ZERO
    volunteering: Decimal = ZERO
    volunteering_hours: Decimal = ZERO
    service: Decimal = ZERO
    promised: Decimal = ZERO
    gifts: int = 0

    @property
    def total(self) -> Decimal:
        """The gifts and contributions received by the partners (service contracts excluded: they are sales)."""
        return self.money + self.in_kind + self.skills + self.volunteering

    def add(self, other: GivenRow | Mapping[str, Any]) -> None:
        def get(name: str) -> Any:
            return other.get(name) if isinstance(other, Mapping) else getattr(other, name)

        for name in (
            "money",
            "in_kind",
            "skills",
            "skills_hours",
            "volunteering",
            "volunteering_hours",
            "service",
            "promised",
            "gifts",
        ):
            setattr(self, name, getattr(self, name) + (get(name) or 0))


@dataclass
class Given:
    rows: list[GivenRow]  # per alliance and year, the most recent year first
    years: list[GivenRow]  # per year, the most recent first
    alliances: list[GivenRow]  # per alliance, all years
    total: GivenRow = field(default_factory=lambda: GivenRow(key="total", label="Total"))


def own_parties(workspace: Workspace | None) -> QuerySet[Party]:
    """The workspace's active party in each alliance it sees."""
    if workspace is None:
        return Party.objects.none()
    return Party.objects.visible_to(workspace).filter(left_at__isnull=True).order_by()


def gift_year() -> ExtractYear:
    """The year a contribution counts for: received, else promised, else recorded."""
    return ExtractYear(Coalesce("received_on", "promised_on", Cast("created_at", DateField())))


def _sums() -> dict[str, Sum | Count]:
    received = Q(status=Status.RECEIVED)
    return {
        "money": Sum("value", filter=received & Q(kind=Kind.MONEY), default=ZERO),
        "in_kind": Sum("value", filter=received & Q(kind=Kind.IN_KIND), default=ZERO),
        "skills": Sum("value", filter=received & Q(kind=Kind.SKILLS), default=ZERO),
        "skills_hours": Sum("hours", filter=received & Q(kind=Kind.SKILLS), default=ZERO),
        "volunteering": Sum("value", filter=received & Q(kind=Kind.VOLUNTEERING), default=ZERO),
        "volunteering_hours": Sum("hours", filter=received & Q(kind=Kind.VOLUNTEERING), default=ZERO),
        "service": Sum("value", filter=received & Q(kind=Kind.SERVICE), default=ZERO),
        "promised": Sum("value", filter=Q(status=Status.PROMISED), default=ZERO),
        "gifts": Count("id"),
    }


def given_by(workspace: Workspace | None) -> Given:
    """What the workspace's organisation gave, per alliance and year, per year, per alliance and in total.

    Counts the contributions whose giver is the workspace's own active party; "received" ones by kind (money,
    in kind, skills with their hours, volunteering with its hours, service contracts apart), "promised" apart.
    """
    grouped = (
        Contribution.objects.filter(giver__in=own_parties(workspace))
        .order_by()
        .annotate(year=gift_year())
        .values("alliance_id", "alliance__name", "year")
        .annotate(**_sums())
    )
    rows: list[GivenRow] = []
    years: dict[int, GivenRow] = {}
    alliances: dict[int, GivenRow] = {}
    total = GivenRow(key="total", label="Total")
    for data in grouped:
        sums: dict[str, Any] = dict(data)  # the row's sums, once its keys are taken out
        alliance_id, name, year = sums.pop("alliance_id"), sums.pop("alliance__name"), sums.pop("year")
        row = GivenRow(key=alliance_id, label=name, year=year)
        row.add(sums)
        rows.append(row)
        years.setdefault(year, GivenRow(key=year, label=str(year), year=year)).add(row)
        alliances.setdefault(alliance_id, GivenRow(key=alliance_id, label=name)).add(row)
        total.add(row)
    rows.sort(key=lambda r: (-(r.year or 0), r.label.lower(), r.key))
    return Given(
        rows=rows,
        years=sorted(years.values(), key=lambda r: -(r.year or 0)),
        alliances=sorted(alliances.values(), key=lambda r: (-r.total, r.label.lower())),
        total=total,
    )


FIELD_LABELS = {
    "description": "Description",
    "value": "Valeur (€)",
    "evidence": "Justificatifs",
    "promised_on": "Promise le",
    "received_on": "Reçue le",
    "signed_timesheet": "Liste des jours signée",
    "hours": "Heures",
    "hourly_rate": "Taux horaire (€)",
}


def _shown(name: str, value: object) -> str:
    """A value of the history as the pages print it (French amounts, hours and dates)."""
    if value in (None, ""):
        return "—"
    if isinstance(value, bool):
        return "oui" if value else "non"
    if name in ("value", "hourly_rate"):
        return formats.money(value)
    if name == "hours":
        return formats.hours(value)
    if name in ("promised_on", "received_on"):
        year, month, day = str(value).split("-")
        return f"{day}/{month}/{year}"
    return str(value)


def corrections_of(contribution: Contribution) -> list[Correction]:
    """Every correction of a contribution (who, when, before and after), the most recent first, read from the
    audit journal where :func:`~maillage.contributions.actions.correct_contribution` writes them."""
    return history.corrections_of(contribution, "contribution.corrected", FIELD_LABELS, _shown)


def skills_ceilings(years: int = 3) -> list[dict[str, Any]]:
    """The monthly ceiling of a skills gift's valued salary (``SKILLS_PSS_MULTIPLIER`` × the monthly social
    security ceiling) for the last ``years`` years known to ``core.legal``, newest first: year, pss, ceiling."""
    return [
        {"year": year, "pss": pss, "ceiling": SKILLS_PSS_MULTIPLIER.value * pss}
        for year, pss in sorted(MONTHLY_PSS.items(), reverse=True)[:years]
    ]
