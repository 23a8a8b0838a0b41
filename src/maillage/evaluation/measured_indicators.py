"""Measured indicators of an alliance over a period: filled in from the data, never asked. A fixed number of queries.

Methods (written on the pages, in ``METHODS``):
- a contribution belongs to the period by its date of receipt, else of promise, else of entry;
- hours of skills: hours of the skills lines (named employees) whose month falls in the period;
- distinct people engaged: employees named in skills lines (distinct per giving party and name), plus for each party
  the largest number of its people present at one exchange of the period (a lower bound: attendance counts people,
  not names), plus one volunteer per volunteering contribution (a lower bound too);
- time invested: the sum, per party, of people present × duration of each exchange;
- duration of the relationship: whole months from the alliance's start (else its creation) to the period's end;
- share of the association's resources: money and service contracts received by the association in the alliance
  during the calendar years of the period, divided by its total resources of those years (from its diagnostic).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Count, Max, Q, Sum
from django.db.models.functions import Lower, Trim

from maillage.alliances.models import Attendance, Interaction
from maillage.contributions.models import Contribution, Kind, SkillsLine, Status
from maillage.diagnostic.actions import yearly_totals
from maillage.diagnostic.analysis import fr, pct

METHODS = [
    (
        "Période",
        "Une contribution compte dans la période par sa date de réception, sinon de promesse, sinon de saisie.",
    ),
    ("Heures de compétences", "Heures des salariés nommés dans les mises à disposition, pour les mois de la période."),
    (
        "Personnes engagées",
        "Salariés nommés (distincts par organisation et par nom) + pour chaque partie, le plus grand nombre de ses "
        "personnes présentes à un même échange + un bénévole par contribution de bénévolat. C'est une borne basse.",
    ),
    ("Temps investi", "Somme, partie par partie, des personnes présentes × durée de chaque échange de la période."),
    (
        "Durée de la relation",
        "Mois entiers depuis le début de l'alliance (sinon sa création) jusqu'à la fin de la période.",
    ),
    (
        "Part des ressources de l'association",
        "Dons financiers et prestations reçus par l'association dans l'alliance pendant les années civiles de la "
        "période, divisés par ses ressources totales de ces années (saisies dans son diagnostic).",
    ),
]


@dataclass
class KindLine:
    kind: str
    label: str
    count: int = 0
    received: Decimal = Decimal("0")
    promised: Decimal = Decimal("0")
    hours: Decimal = Decimal("0")

    @property
    def total(self) -> Decimal:
        return self.received + self.promised


@dataclass
class PartyTime:
    party_id: int
    name: str
    minutes: int = 0
    exchanges: int = 0
    max_people: int = 0

    @property
    def hours(self) -> Decimal:
        return (Decimal(self.minutes) / 60).quantize(Decimal("0.1"))


@dataclass
class Indicators:
    by_kind: list[KindLine] = field(default_factory=list)
    total_value: Decimal = Decimal("0")
    skills_hours: Decimal = Decimal("0")
    skills_people: int = 0
    volunteering_hours: Decimal = Decimal("0")
    volunteers: int = 0
    attendance_people: int = 0
    interactions: int = 0
    interaction_minutes: int = 0
    time_by_party: list[PartyTime] = field(default_factory=list)
    relationship_months: int | None = None
    association_share: Decimal | None = None
    association_share_note: str = ""

    @property
    def people_engaged(self) -> int:
        return self.skills_people + self.attendance_people + self.volunteers

    @property
    def invested_hours(self) -> Decimal:
        return sum((p.hours for p in self.time_by_party), Decimal("0"))

    @property
    def interaction_hours(self) -> Decimal:
        return (Decimal(self.interaction_minutes) / 60).quantize(Decimal("0.1"))


def in_period(start: date, end: date) -> Q:
    return (
        Q(received_on__range=(start, end))
        | Q(received_on__isnull=True, promised_on__range=(start, end))
        | Q(received_on__isnull=True, promised_on__isnull=True, created_at__date__range=(start, end))
    )


def months_between(start: date, end: date) -> int:
    months = (end.year - start.year) * 12 + end.month - start.month
    if end.day < start.day:
        months -= 1
    return max(months, 0)


def measure(alliance, start: date, end: date, *, association_party=None, association_workspace=None) -> Indicators:
    """The alliance's measured indicators for [start, end].

    ``association_party`` / ``association_workspace``: when the viewer is an association party, its share of
    resources is computed from its own diagnostic (private figures, shown only to it).
    """
    result = Indicators()
    lines = {k.value: KindLine(kind=k.value, label=k.label) for k in Kind}
    rows = (
        Contribution.objects.filter(in_period(start, end), alliance=alliance)
        .values("kind", "status")
        .annotate(n=Count("id"), total=Sum("value"), hours=Sum("hours"))
        .order_by()
    )
    for row in rows:
        line = lines[row["kind"]]
        line.count += row["n"]
        if row["status"] == Status.RECEIVED:
            line.received += row["total"] or 0
        else:
            line.promised += row["total"] or 0
        line.hours += row["hours"] or 0
    result.by_kind = [line for line in lines.values() if line.count]
    result.total_value = sum((line.total for line in result.by_kind), Decimal("0"))
    result.volunteering_hours = lines[Kind.VOLUNTEERING].hours
    result.volunteers = lines[Kind.VOLUNTEERING].count
    skills = SkillsLine.objects.filter(contribution__alliance=alliance, month__gte=start.replace(day=1), month__lte=end)
    result.skills_hours = skills.aggregate(h=Sum("hours"))["h"] or Decimal("0")
    result.skills_people = (
        skills.annotate(person=Lower(Trim("employee_name")))
        .values("contribution__giver_id", "person")
        .distinct()
        .order_by()
        .count()
    )
    exchanges = Interaction.objects.filter(alliance=alliance, occurred_on__range=(start, end)).aggregate(
        n=Count("id"), minutes=Sum("duration_minutes")
    )
    result.interactions = exchanges["n"] or 0
    result.interaction_minutes = exchanges["minutes"] or 0
    names = {p.pk: p.organization.name for p in alliance.parties.all()}
    per_party = (
        Attendance.objects.filter(interaction__alliance=alliance, interaction__occurred_on__range=(start, end))
        .values("party_id")
        .annotate(minutes=Sum("minutes"), n=Count("id"), top=Max("people"))
        .order_by()
    )
    for attended in per_party:
        result.time_by_party.append(
            PartyTime(
                party_id=attended["party_id"],
                name=names.get(attended["party_id"], "?"),
                minutes=attended["minutes"] or 0,
                exchanges=attended["n"],
                max_people=attended["top"] or 0,
            )
        )
    result.time_by_party.sort(key=lambda p: -p.minutes)
    result.attendance_people = sum(p.max_people for p in result.time_by_party)
    since = alliance.starts_on or alliance.created_at.date()
    result.relationship_months = months_between(since, end) if since <= end else 0
    if association_party is not None and association_workspace is not None:
        _association_share(result, alliance, start, end, association_party, association_workspace)
    return result


def _association_share(result: Indicators, alliance, start: date, end: date, party, workspace) -> None:
    years = list(range(start.year, end.year + 1))
    totals = yearly_totals(workspace, years)
    missing = [y for y in years if y not in totals]
    if missing:
        result.association_share_note = (
            f"Saisissez vos ressources de {', '.join(map(str, missing))} dans le diagnostic pour calculer cette part."
        )
        return
    received = Contribution.objects.filter(
        in_period(date(years[0], 1, 1), date(years[-1], 12, 31)),
        alliance=alliance,
        receiver=party,
        kind__in=[Kind.MONEY, Kind.SERVICE],
    ).aggregate(total=Sum("value"))["total"] or Decimal("0")
    result.association_share = pct(received, sum(totals.values(), Decimal("0")))
    result.association_share_note = (
        f"{fr(received)} € reçus en {years[0]}{'–' + str(years[-1]) if len(years) > 1 else ''} sur "
        f"{fr(sum(totals.values(), Decimal('0')))} € de ressources (chiffre privé : seul votre espace le voit)."
    )
