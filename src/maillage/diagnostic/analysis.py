"""The diagnostic of an association's economic model on three pillars. Pure reads, a fixed number of queries.

Methods (written on the page):
- share of a source = its amount ÷ total resources of the year;
- weight of the largest funder = its amount ÷ total resources;
- concentration (Herfindahl–Hirschman) = Σ (share of each named funder, in %)²; the resources not attributed to a
  named funder are taken as spread among many small contributors and count for 0; a second index over the six
  sources (Σ (share of each source, in %)²) shows how diversified the sources are;
- what alliances bring: contributions received by the association in its alliances during the year (date of
  receipt, else of promise): money and service contracts feed the financial pillar; valued skills and volunteering
  the human pillar; in-kind gifts are shown apart (valued contributions, recorded at the foot of the accounts).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import DecimalField, ExpressionWrapper, F, Prefetch, Q
from django.utils import timezone

from maillage.alliances.lifecycle import TERMINAL
from maillage.alliances.models import Alliance
from maillage.contributions.models import Contribution, Kind
from maillage.diagnostic import reference
from maillage.diagnostic.models import PUBLIC_SOURCES, Funder, ResourceYear, Source

SINGLE_FUNDER_LIMIT = Decimal("50")  # % of the budget
ENDING_WITHIN_MONTHS = 6
LARGE_ALLIANCE_SHARE = Decimal("10")  # % of the year's resources
FINANCIAL_KINDS = (Kind.MONEY, Kind.SERVICE)
HUNDRED = Decimal("100")


def pct(part: Decimal, whole: Decimal) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def fr(value, decimals: int | None = None) -> str:
    """A number the French way: 12 000,5 (narrow no-break space between thousands, decimal comma)."""
    value = Decimal(value)
    if decimals is not None:
        value = value.quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)
    text = f"{value:,}".replace(",", "\u202f").replace(".", ",")
    return text


def hhi(shares_percent) -> int:
    """Herfindahl–Hirschman index from shares in %: Σ share², from 0 to 10 000."""
    return int(sum((Decimal(s) ** 2 for s in shares_percent), Decimal("0")).quantize(Decimal("1"), ROUND_HALF_UP))


def hhi_label(value: int) -> str:
    if value >= reference.HHI_HIGH:
        return "concentré"
    if value >= reference.HHI_MODERATE:
        return "modérément concentré"
    return "diversifié"


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    last = [31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    return date(year, month, min(day.day, last[month - 1]))


@dataclass
class Alert:
    level: str  # "danger" or "warning"
    title: str
    text: str
    todo: str


@dataclass
class AllianceInput:
    money: Decimal = Decimal("0")
    services: Decimal = Decimal("0")
    skills_value: Decimal = Decimal("0")
    skills_hours: Decimal = Decimal("0")
    volunteering_value: Decimal = Decimal("0")
    volunteering_hours: Decimal = Decimal("0")
    in_kind: Decimal = Decimal("0")

    @property
    def financial(self) -> Decimal:
        return self.money + self.services


@dataclass
class Diagnosis:
    year: int | None
    record: ResourceYear | None
    years: list[ResourceYear]
    shares: list[dict] = field(default_factory=list)
    total: Decimal = Decimal("0")
    public: Decimal = Decimal("0")
    private: Decimal = Decimal("0")
    public_share: Decimal | None = None
    private_share: Decimal | None = None
    largest_funder: Funder | None = None
    largest_funder_share: Decimal | None = None
    funders_hhi: int | None = None
    sources_hhi: int | None = None
    alliances: AllianceInput = field(default_factory=AllianceInput)
    alliances_financial_share: Decimal | None = None
    pillars: list[dict] = field(default_factory=list)
    trend: list[dict] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    ending: list[dict] = field(default_factory=list)
    comparison: dict = field(default_factory=dict)


def _contributions_received(workspace, years: set[int]):
    """Contributions received by the workspace's organisation in the alliances it shares, for those years."""
    if not years:
        return []
    start, end = date(min(years), 1, 1), date(max(years), 12, 31)
    in_range = Q(received_on__range=(start, end)) | Q(received_on__isnull=True, promised_on__range=(start, end))
    return list(
        Contribution.objects.visible_to(workspace)
        .filter(in_range, receiver__organization_id=workspace.organization_id)
        .values_list("alliance_id", "kind", "value", "hours", "received_on", "promised_on")
    )


def _inputs_by_year(rows) -> tuple[dict[int, AllianceInput], dict[tuple[int, int], Decimal]]:
    by_year: dict[int, AllianceInput] = {}
    by_alliance_year: dict[tuple[int, int], Decimal] = {}
    for alliance_id, kind, value, hours, received_on, promised_on in rows:
        year = (received_on or promised_on).year
        bucket = by_year.setdefault(year, AllianceInput())
        hours = hours or Decimal("0")
        if kind == Kind.MONEY:
            bucket.money += value
        elif kind == Kind.SERVICE:
            bucket.services += value
        elif kind == Kind.SKILLS:
            bucket.skills_value += value
            bucket.skills_hours += hours
        elif kind == Kind.VOLUNTEERING:
            bucket.volunteering_value += value
            bucket.volunteering_hours += hours
        elif kind == Kind.IN_KIND:
            bucket.in_kind += value
        if kind in FINANCIAL_KINDS:
            key = (alliance_id, year)
            by_alliance_year[key] = by_alliance_year.get(key, Decimal("0")) + value
    return by_year, by_alliance_year


def _peer_comparison(workspace, record: ResourceYear) -> dict:
    """Mean source shares of similar associations that agreed to the observatory, under disclosure control.

    Groups: same sector (a shared cause) and budget band; same département. A group of fewer than
    ``reference.MIN_PEERS`` associations is not shown; the published national figures are shown in any case.
    """
    organization = workspace.organization
    total_expr = ExpressionWrapper(
        sum((F(s) for s in Source.values[1:]), F(Source.values[0])), output_field=DecimalField(max_digits=14)
    )
    band = reference.budget_band(record.total)
    base = (
        ResourceYear.objects.filter(
            year=record.year,
            workspace__contributes_to_observatory=True,
            workspace__verified_at__isnull=False,
            workspace__organization__kind=organization.kind,
        )
        .exclude(workspace=workspace)
        .annotate(total_amount=total_expr)
        .filter(total_amount__gt=0)
    )
    groups = {}
    causes = list(organization.causes.values_list("code", flat=True))
    band_qs = base.filter(total_amount__gte=band[1])
    if band[2] is not None:
        band_qs = band_qs.filter(total_amount__lt=band[2])
    sector_qs = band_qs.filter(workspace__organization__causes__in=causes).distinct() if causes else band_qs.none()
    groups["sector_band"] = sector_qs
    groups["departement"] = (
        base.filter(workspace__organization__departement_id=organization.departement_id)
        if organization.departement_id
        else base.none()
    )
    result = {"band": band[0], "groups": {}}
    for name, qs in groups.items():
        rows = list(qs.values(*Source.values, "total_amount")[:5000])
        if len(rows) < reference.MIN_PEERS:
            result["groups"][name] = {"count": len(rows), "shown": False}
            continue
        shares = {
            s: (sum((r[s] / r["total_amount"] for r in rows), Decimal("0")) * HUNDRED / len(rows)).quantize(
                Decimal("0.1"), ROUND_HALF_UP
            )
            for s in Source.values
        }
        result["groups"][name] = {"count": len(rows), "shown": True, "shares": shares}
    return result


def diagnose(workspace, year: int | None = None, today: date | None = None) -> Diagnosis:
    today = today or timezone.localdate()
    years = list(
        ResourceYear.objects.visible_to(workspace)
        .prefetch_related(Prefetch("funders", queryset=Funder.objects.order_by("-amount", "name")))
        .order_by("year")
    )
    record = None
    if years:
        record = next((r for r in years if r.year == year), None) if year else years[-1]
    diagnosis = Diagnosis(year=record.year if record else year, record=record, years=years)
    contributions = _contributions_received(workspace, {r.year for r in years} | ({year} if year else set()))
    by_year, by_alliance_year = _inputs_by_year(contributions)
    for r in years:
        brought = by_year.get(r.year, AllianceInput())
        diagnosis.trend.append(
            {
                "year": r.year,
                "total": r.total,
                "public_share": pct(sum((r.amount(s) for s in PUBLIC_SOURCES), Decimal("0")), r.total),
                "alliances_share": pct(brought.financial, r.total),
                "employees_fte": r.employees_fte,
                "volunteers": r.volunteers,
            }
        )
    if record is None:
        diagnosis.alerts.append(
            Alert(
                "warning",
                "Aucune année saisie",
                "Le diagnostic se construit à partir de vos ressources de l'année.",
                "Saisissez vos ressources par source et vos ressources humaines pour une année au moins.",
            )
        )
        return diagnosis
    total = record.total
    diagnosis.total = total
    diagnosis.shares = [
        {"source": s.value, "label": s.label, "amount": record.amount(s), "share": pct(record.amount(s), total)}
        for s in Source
    ]
    diagnosis.public = sum((record.amount(s) for s in PUBLIC_SOURCES), Decimal("0"))
    diagnosis.private = total - diagnosis.public
    diagnosis.public_share, diagnosis.private_share = pct(diagnosis.public, total), pct(diagnosis.private, total)
    funders = list(record.funders.all())
    if funders and total:
        diagnosis.largest_funder = funders[0]
        diagnosis.largest_funder_share = pct(funders[0].amount, total)
        diagnosis.funders_hhi = hhi(pct(f.amount, total) for f in funders)
    if total:
        diagnosis.sources_hhi = hhi(s["share"] for s in diagnosis.shares)
    brought = by_year.get(record.year, AllianceInput())
    diagnosis.alliances = brought
    diagnosis.alliances_financial_share = pct(brought.financial, total)
    alliances = list(
        Alliance.objects.visible_to(workspace).exclude(stage__in=TERMINAL).only("id", "name", "ends_on", "stage")
    )
    diagnosis.pillars = _pillars(record, brought, alliances)
    diagnosis.ending = _ending(alliances, by_alliance_year, record, today)
    diagnosis.alerts = _alerts(diagnosis, alliances)
    diagnosis.comparison = _peer_comparison(workspace, record) if total else {}
    return diagnosis


def _pillars(record: ResourceYear, brought: AllianceInput, alliances: list) -> list[dict]:
    return [
        {
            "code": "human",
            "label": "Richesses humaines",
            "present": bool(record.employees_fte or record.volunteers or record.skills_received_hours),
            "facts": [
                ("Salariés", f"{fr(record.employees_fte)} ETP"),
                ("Bénévoles", f"{fr(record.volunteers)} personnes, {fr(record.volunteer_hours)} h"),
                ("Compétences reçues", f"{fr(record.skills_received_hours)} h ({fr(record.skills_received_value)} €)"),
            ],
            "from_alliances": [
                ("Mécénat de compétences", f"{fr(brought.skills_hours)} h valorisées {fr(brought.skills_value)} €"),
                ("Bénévolat", f"{fr(brought.volunteering_hours)} h valorisées {fr(brought.volunteering_value)} €"),
            ],
        },
        {
            "code": "financial",
            "label": "Ressources financières",
            "present": bool(record.total),
            "facts": [("Total des ressources", f"{fr(record.total)} €")],
            "from_alliances": [
                ("Dons financiers", f"{fr(brought.money)} €"),
                ("Prestations (contrats)", f"{fr(brought.services)} €"),
                ("Dons en nature (valorisés, hors budget)", f"{fr(brought.in_kind)} €"),
            ],
        },
        {
            "code": "alliances",
            "label": "Alliances stratégiques",
            "present": bool(alliances) or bool(brought.financial or brought.skills_value or brought.in_kind),
            "facts": [("Alliances en cours", str(len(alliances)))],
            "from_alliances": [],
        },
    ]


def _ending(alliances: list, by_alliance_year: dict, record: ResourceYear, today: date) -> list[dict]:
    horizon = add_months(today, ENDING_WITHIN_MONTHS)
    rows = []
    for alliance in alliances:
        if alliance.ends_on is None or not today <= alliance.ends_on <= horizon:
            continue
        amount = by_alliance_year.get((alliance.pk, record.year), Decimal("0"))
        rows.append(
            {"alliance": alliance, "ends_on": alliance.ends_on, "amount": amount, "share": pct(amount, record.total)}
        )
    return sorted(rows, key=lambda r: r["ends_on"])


def _alerts(d: Diagnosis, alliances: list) -> list[Alert]:
    alerts = []
    if d.largest_funder_share is not None and d.largest_funder_share > SINGLE_FUNDER_LIMIT:
        alerts.append(
            Alert(
                "danger",
                "Un seul financeur porte plus de la moitié du budget",
                f"{d.largest_funder.name} apporte {fr(d.largest_funder_share)} % de vos ressources {d.year} : "
                "s'il réduit ou arrête son soutien, plus de la moitié de votre budget disparaît.",
                "Négociez une convention pluriannuelle avec lui, et cherchez d'autres soutiens (autres collectivités, "
                "mécénat d'entreprises, ventes de prestations) pour ramener sa part sous 50 %.",
            )
        )
    for pillar in d.pillars:
        if pillar["present"]:
            continue
        todo = {
            "human": "Recensez vos bénévoles et leurs heures ; un mécénat de compétences peut apporter les savoir-faire "
            "qui vous manquent.",
            "financial": "Saisissez vos ressources de l'année par source : sans elles, le diagnostic ne peut rien dire.",
            "alliances": "Identifiez deux ou trois partenaires possibles sur votre territoire (collectivités, "
            "entreprises, autres associations) et ouvrez une alliance dans Maillage.",
        }[pillar["code"]]
        alerts.append(
            Alert("warning", f"Pilier manquant : {pillar['label'].lower()}", "Ce pilier est vide cette année.", todo)
        )
    for row in d.ending:
        if row["share"] is not None and row["share"] >= LARGE_ALLIANCE_SHARE:
            alerts.append(
                Alert(
                    "danger",
                    f"Une alliance importante se termine le {row['ends_on']:%d/%m/%Y}",
                    f"« {row['alliance'].name} » a apporté {fr(row['amount'])} € en {d.year}, soit {fr(row['share'])} % de vos "
                    "ressources, et s'achève dans moins de "
                    f"{ENDING_WITHIN_MONTHS} mois.",
                    "Préparez dès maintenant son bilan de partenariat et proposez son renouvellement à vos partenaires, "
                    "ou prévoyez les ressources qui prendront le relais.",
                )
            )
    return alerts
