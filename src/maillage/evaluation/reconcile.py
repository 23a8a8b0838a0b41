"""What the parties declare, set against what Maillage measured, and the objectives' results. Pure reads.

Method (written in the report, ``RECONCILE_METHOD``):
- each party's declared hours (``rel_hours``) are set against its measured time: its people × duration at the
  exchanges of the period, plus the skills hours and volunteering hours it gave in the period;
- its declared value (``rel_value``) against the value of the contributions it gave in the period (received or
  promised, by their date of receipt, else of promise, else of entry);
- the employees it declares engaged (``trust_employees``) against the employees it named in skills lines, and the
  volunteers (``trust_volunteers``) against its volunteering contributions: both measures are lower bounds, so
  only a declaration below them is flagged;
- a difference of a factor of 2 or more (or a figure against nothing measured) is flagged, never corrected: the
  parties say which is right.
An objective's result is what each party reports for its indicator; progress = (result − baseline) ÷ (target −
baseline); parties' results that differ by a factor of 2 or more are flagged, and so is a result far from the
figure Maillage measured when the indicator is tied to one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Sum
from django.db.models.functions import Lower, Trim

from maillage.alliances.models import Attendance
from maillage.contributions.models import Contribution, Kind, SkillsLine
from maillage.core.formats import amount
from maillage.evaluation.measured_indicators import Indicators, in_period
from maillage.evaluation.models import Measure, Objective
from maillage.evaluation.scoring import DIVERGENCE_FACTOR, CrossView

RECONCILE_METHOD = (
    "Les heures déclarées par chaque partie sont rapprochées de son temps mesuré (ses personnes présentes × durée "
    "des échanges de la période, plus les heures de compétences et de bénévolat qu'elle a données) ; la valeur "
    "déclarée, de la valeur des contributions qu'elle a données sur la période ; les salariés et bénévoles déclarés, "
    "des salariés nommés dans ses mises à disposition et de ses contributions de bénévolat (bornes basses : seule "
    f"une déclaration inférieure est signalée). Un écart d'un facteur {DIVERGENCE_FACTOR} ou plus est signalé, "
    "jamais corrigé : c'est aux parties de dire quel chiffre est juste."
)
HUNDRED = Decimal("100")


@dataclass
class PartyMeasure:
    hours: Decimal = Decimal("0")
    value: Decimal = Decimal("0")
    employees: int = 0
    volunteers: int = 0


def measured_by_party(alliance, start, end) -> dict[int, PartyMeasure]:
    """Per giving party: time, value given, employees named, volunteering contributions (4 queries)."""
    result: dict[int, PartyMeasure] = {}

    def of(party_id: int) -> PartyMeasure:
        return result.setdefault(party_id, PartyMeasure())

    given = (
        Contribution.objects.filter(in_period(start, end), alliance=alliance)
        .values("giver_id", "kind")
        .annotate(value=Sum("value"), hours=Sum("hours"), n=Count("id"))
        .order_by()
    )
    for row in given:
        m = of(row["giver_id"])
        m.value += row["value"] or 0
        if row["kind"] == Kind.VOLUNTEERING:
            m.hours += row["hours"] or 0
            m.volunteers += row["n"]
    skills = SkillsLine.objects.filter(contribution__alliance=alliance, month__gte=start.replace(day=1), month__lte=end)
    for lent in skills.values("contribution__giver_id").annotate(h=Sum("hours")).order_by():
        of(lent["contribution__giver_id"]).hours += lent["h"] or 0
    people = (
        skills.annotate(person=Lower(Trim("employee_name")))
        .values("contribution__giver_id", "person")
        .distinct()
        .order_by()
    )
    for person in people:
        of(person["contribution__giver_id"]).employees += 1
    attendance = (
        Attendance.objects.filter(interaction__alliance=alliance, interaction__occurred_on__range=(start, end))
        .values("party_id")
        .annotate(minutes=Sum("minutes"))
        .order_by()
    )
    for attended in attendance:
        of(attended["party_id"]).hours += Decimal(attended["minutes"] or 0) / 60
    for m in result.values():
        m.hours = m.hours.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return result


@dataclass
class Flag:
    party: str
    what: str
    declared: str
    measured: str
    message: str


def _fig(value) -> str:
    value = Decimal(value)
    return amount(value, 0) if value == value.to_integral_value() else amount(value, 1)


def _far(a: Decimal, b: Decimal) -> bool:
    low, high = min(a, b), max(a, b)
    if high <= 0:
        return False
    return low <= 0 or high >= low * DIVERGENCE_FACTOR


# (question code, measure attribute, label, unit, lower bound)
CHECKS = [
    ("rel_hours", "hours", "Heures consacrées à l'alliance", "h", False),
    ("rel_value", "value", "Valeur apportée", "€", False),
    ("trust_employees", "employees", "Salariés engagés", "personnes", True),
    ("trust_volunteers", "volunteers", "Bénévoles engagés", "personnes", True),
]


def reconcile(view: CrossView, measured: dict[int, PartyMeasure]) -> list[Flag]:
    """The declarations (sent and visible) that differ from the measure by a factor of 2 or more."""
    names = {c.party_id: c.name for c in view.columns}
    flags: list[Flag] = []
    for response in view.responses:
        if not response.is_submitted:
            continue
        by_code = {a.question.code: a for a in response.answers.all()}
        m = measured.get(response.party_id, PartyMeasure())
        for code, attr, label, unit, lower_bound in CHECKS:
            answer = by_code.get(code)
            if answer is None or answer.number_value is None:
                continue
            declared, actual = answer.number_value, Decimal(getattr(m, attr))
            if lower_bound:
                if declared >= actual:
                    continue
                message = (
                    f"{_fig(declared)} déclarés, mais {_fig(actual)} déjà enregistrés dans Maillage (un minimum) : "
                    "l'un des deux chiffres est à revoir."
                )
            else:
                if not _far(declared, actual):
                    continue
                if actual <= 0:
                    message = (
                        f"{_fig(declared)} {unit} déclarés, rien d'enregistré dans Maillage sur la période : "
                        "saisissez les contributions ou les échanges, ou corrigez la déclaration."
                    )
                else:
                    ratio = (max(declared, actual) / max(min(declared, actual), Decimal("0.01"))).quantize(
                        Decimal("0.1")
                    )
                    message = (
                        f"{_fig(declared)} {unit} déclarés contre {_fig(actual)} {unit} mesurés (facteur "
                        f"{amount(ratio, 1)}) : vérifiez les saisies ou la déclaration."
                    )
            flags.append(
                Flag(
                    party=names.get(response.party_id, "?"),
                    what=label,
                    declared=f"{_fig(declared)} {unit}",
                    measured=f"{_fig(actual)} {unit}",
                    message=message,
                )
            )
    return flags


def measure_value(indicators: Indicators, measure: str) -> Decimal | None:
    if not measure:
        return None
    if measure == Measure.TOTAL_VALUE:
        return indicators.total_value
    if measure == Measure.MONEY:
        return sum((line.total for line in indicators.by_kind if line.kind == Kind.MONEY), Decimal("0"))
    if measure == Measure.SKILLS_HOURS:
        return Decimal(indicators.skills_hours)
    if measure == Measure.VOLUNTEERING_HOURS:
        return Decimal(indicators.volunteering_hours)
    if measure == Measure.INTERACTIONS:
        return Decimal(indicators.interactions)
    if measure == Measure.PEOPLE:
        return Decimal(indicators.people_engaged)
    return None


def progress(objective: Objective, value: Decimal | None) -> Decimal | None:
    """(value − baseline) ÷ (target − baseline), in %, rounded to the unit."""
    if value is None or objective.target == objective.baseline:
        return None
    share = (value - objective.baseline) / (objective.target - objective.baseline) * HUNDRED
    return share.quantize(Decimal("1"), rounding=ROUND_HALF_UP)


@dataclass
class ResultCell:
    party: str
    value: Decimal | None = None
    not_known: bool = False
    progress: Decimal | None = None


@dataclass
class ObjectiveLine:
    objective: Objective
    owner: str
    results: list[ResultCell] = field(default_factory=list)
    measured: Decimal | None = None
    measured_progress: Decimal | None = None
    flags: list[str] = field(default_factory=list)


def objective_lines(
    evaluation, view: CrossView, indicators: Indicators, objectives: list[Objective]
) -> list[ObjectiveLine]:
    """Each objective of the period with the results the parties reported (those the viewer may see)."""
    names = {c.party_id: c.name for c in view.columns}
    results_by_objective: dict[int, list] = {}
    for response in view.responses:
        if not response.is_submitted:
            continue
        for result in response.objective_results.all():
            results_by_objective.setdefault(result.objective_id, []).append((response.party_id, result))
    lines = []
    for objective in objectives:
        if not objective.overlaps(evaluation.period_start, evaluation.period_end):
            continue
        owner = (
            "Objectif commun (intérêt général)"
            if objective.party is None
            else names.get(objective.party.pk, objective.party.organization.name)
        )
        line = ObjectiveLine(objective=objective, owner=owner)
        values = []
        for party_id, result in results_by_objective.get(objective.pk, []):
            cell = ResultCell(party=names.get(party_id, "?"), value=result.value, not_known=result.not_known)
            cell.progress = progress(objective, result.value)
            if result.value is not None:
                values.append(result.value)
            line.results.append(cell)
        line.measured = measure_value(indicators, objective.measure)
        line.measured_progress = progress(objective, line.measured)
        if len(values) >= 2 and _far(min(values), max(values)):
            line.flags.append(
                f"Les parties rapportent {_fig(max(values))} et {_fig(min(values))} {objective.unit} : "
                "accordez-vous sur le chiffre."
            )
        if line.measured is not None:
            for value in values:
                if _far(value, line.measured):
                    line.flags.append(
                        f"{_fig(value)} {objective.unit} rapportés contre {_fig(line.measured)} mesurés dans "
                        "Maillage : vérifiez les saisies ou le résultat."
                    )
                    break
        lines.append(line)
    return lines
