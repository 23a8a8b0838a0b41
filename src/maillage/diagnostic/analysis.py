"""The diagnostic of an association's economic model on three pillars. Pure reads, a fixed number of queries.

Methods (written on the page):
- share of a source = its amount ÷ total resources of the year;
- weight of the largest funder = its amount ÷ total resources;
- concentration (Herfindahl–Hirschman) = Σ (share of each named funder, in %)²; the resources not attributed to a
  named funder are taken as spread among many small contributors and count for 0; a second index over the six
  sources (Σ (share of each source, in %)²) shows how diversified the sources are;
- what alliances bring: contributions received by the association in its alliances during the fiscal year (date
  of receipt, else of promise): money and service contracts feed the financial pillar; valued skills and
  volunteering the human pillar; in-kind gifts are shown apart (valued contributions, recorded at the foot of the
  accounts);
- result = resources − expenses; months of cash = cash ÷ (expenses ÷ 12); reserves in months of expenses likewise;
- volunteering valued as in accounts 86/87: the value the association entered, else hours × SMIC horaire brut of
  the year (``reference.smic_hourly``);
- alerts rest on shares of the budget and months of cash against the sector references of ``reference`` (sources
  in docs/diagnostic.md); the reading and the advice depend on the size of the budget.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import DecimalField, ExpressionWrapper, F, Prefetch, Q
from django.utils import timezone

from maillage.alliances.lifecycle import TERMINAL
from maillage.alliances.models import Alliance
from maillage.contributions.models import Contribution, Kind
from maillage.diagnostic import reference
from maillage.diagnostic.models import PUBLIC_SOURCES, Funder, ResourceYear, Source
from maillage.organizations.models import PUBLIC_KINDS

SINGLE_FUNDER_LIMIT = Decimal("50")  # % of the budget
ENDING_WITHIN_MONTHS = 6
LARGE_ALLIANCE_SHARE = Decimal("10")  # % of the year's resources
FINANCIAL_KINDS = (Kind.MONEY, Kind.SERVICE)
HUNDRED = Decimal("100")


def pct(part: Decimal, whole: Decimal) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def share_or_none(part: Decimal, whole: Decimal) -> Decimal | None:
    """A share of at most 100 %; above, the inputs disagree (flagged by the checks), and no share is printed."""
    share = pct(part, whole)
    return share if share is not None and share <= HUNDRED else None


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
    size: str = ""  # "small" (< 10 k€), "medium", "large" (≥ 500 k€)
    period: tuple[date, date] | None = None
    expenses: Decimal | None = None
    result: Decimal | None = None
    reserves: Decimal | None = None
    cash: Decimal | None = None
    months_of_cash: Decimal | None = None
    reserves_months: Decimal | None = None
    volunteering_hours: Decimal = Decimal("0")
    volunteering_value: Decimal = Decimal("0")
    volunteering_rate: Decimal | None = None  # € per hour, when computed from the SMIC
    volunteering_share: Decimal | None = None  # valued volunteering, in % of the resources
    public_funders: list[Funder] = field(default_factory=list)  # named funders that are public bodies
    readings: list[str] = field(default_factory=list)  # what the figures mean, for this size of association
    checks: list[str] = field(default_factory=list)  # inputs that disagree with each other or with Maillage

    @property
    def sources_reading(self) -> str:
        return hhi_label(self.sources_hhi) if self.sources_hhi is not None else ""


def _contributions_received(workspace, periods: list[tuple[date, date]]):
    """Contributions received by the workspace's organisation in the alliances it shares, in those periods."""
    if not periods:
        return []
    start, end = min(p[0] for p in periods), max(p[1] for p in periods)
    in_range = Q(received_on__range=(start, end)) | Q(received_on__isnull=True, promised_on__range=(start, end))
    return list(
        Contribution.objects.visible_to(workspace)
        .filter(in_range, receiver__organization_id=workspace.organization_id)
        .values_list("alliance_id", "kind", "value", "hours", "received_on", "promised_on")
    )


def _inputs_by_year(rows, year_of) -> tuple[dict[int, AllianceInput], dict[tuple[int, int], Decimal]]:
    """Contributions summed by fiscal year (``year_of(day)``: the fiscal year a day falls in, None if none)."""
    by_year: dict[int, AllianceInput] = {}
    by_alliance_year: dict[tuple[int, int], Decimal] = {}
    for alliance_id, kind, value, hours, received_on, promised_on in rows:
        year = year_of(received_on or promised_on)
        if year is None:
            continue
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
    result: dict[str, Any] = {"band": band[0], "groups": {}}
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
        .prefetch_related(
            Prefetch("funders", queryset=Funder.objects.select_related("organization").order_by("-amount", "name"))
        )
        .order_by("year")
    )
    record = None
    if years:
        record = next((r for r in years if r.year == year), None) if year else years[-1]
    diagnosis = Diagnosis(year=record.year if record else year, record=record, years=years)
    periods = {r.year: r.period for r in years}
    if year and year not in periods:
        periods[year] = (date(year, 1, 1), date(year, 12, 31))

    def year_of(day: date) -> int | None:
        return next((y for y, (start, end) in periods.items() if start <= day <= end), None)

    contributions = _contributions_received(workspace, list(periods.values()))
    by_year, by_alliance_year = _inputs_by_year(contributions, year_of)
    for r in years:
        brought = by_year.get(r.year, AllianceInput())
        diagnosis.trend.append(
            {
                "year": r.year,
                "total": r.total,
                "public_share": pct(sum((r.amount(s) for s in PUBLIC_SOURCES), Decimal("0")), r.total),
                "alliances_share": share_or_none(brought.financial, r.total),
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
    # A share above 100 % means the inputs disagree (contributions recorded in alliances above the declared
    # resources): it is flagged as a check, never printed as « 133,3 % de vos ressources ».
    diagnosis.alliances_financial_share = share_or_none(brought.financial, total)
    alliances = list(
        Alliance.objects.visible_to(workspace).exclude(stage__in=TERMINAL).only("id", "name", "ends_on", "stage")
    )
    _accounts(diagnosis, record)
    diagnosis.public_funders = [
        f for f in funders if f.source in PUBLIC_SOURCES or (f.organization and f.organization.kind in PUBLIC_KINDS)
    ]
    diagnosis.checks = _checks(diagnosis, record, brought)
    diagnosis.pillars = _pillars(record, brought, alliances, diagnosis)
    diagnosis.ending = _ending(alliances, by_alliance_year, record, today)
    diagnosis.alerts = _alerts(diagnosis, alliances)
    diagnosis.readings = _readings(diagnosis)
    diagnosis.comparison = _peer_comparison(workspace, record) if total else {}
    return diagnosis


def _size(total: Decimal) -> str:
    if total < reference.SMALL_BUDGET:
        return "small"
    if total >= reference.LARGE_BUDGET:
        return "large"
    return "medium"


def months(amount: Decimal | None, expenses: Decimal | None) -> Decimal | None:
    if amount is None or not expenses:
        return None
    return (Decimal(amount) * 12 / Decimal(expenses)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _accounts(d: Diagnosis, record: ResourceYear) -> None:
    d.size = _size(d.total)
    d.period = record.period
    d.expenses, d.reserves, d.cash = record.expenses, record.reserves, record.cash
    d.result = record.result
    d.months_of_cash = months(record.cash, record.expenses)
    d.reserves_months = months(record.reserves, record.expenses)
    d.volunteering_hours = Decimal(record.volunteer_hours or 0)
    if record.volunteer_value is not None:
        d.volunteering_value = record.volunteer_value
    elif d.volunteering_hours:
        d.volunteering_rate = reference.smic_hourly(record.year)
        d.volunteering_value = (d.volunteering_hours * d.volunteering_rate).quantize(Decimal("1"), ROUND_HALF_UP)
    d.volunteering_share = pct(d.volunteering_value, d.total) if d.volunteering_value else None


def _checks(d: Diagnosis, record: ResourceYear, brought: AllianceInput) -> list[str]:
    """Inputs that disagree with each other or with what Maillage recorded: flagged, with the fix."""
    checks = []
    if brought.money > record.gifts + record.other and brought.money:
        checks.append(
            f"Les dons financiers reçus dans vos alliances en {d.year} ({fr(brought.money, 0)} €) dépassent les dons et "
            f"autres ressources déclarés ({fr(record.gifts + record.other, 0)} €) : complétez la ligne « Dons et mécénat » "
            "ou vérifiez les dates des contributions."
        )
    if brought.services > record.sales + record.public_contracts and brought.services:
        checks.append(
            f"Les prestations reçues dans vos alliances ({fr(brought.services, 0)} €) dépassent les ventes et commandes "
            f"déclarées ({fr(record.sales + record.public_contracts, 0)} €) : complétez vos ressources."
        )
    if d.total and record.expenses is None:
        checks.append("Charges de l'exercice non renseignées : sans elles, ni résultat ni mois de trésorerie.")
    if record.employees_fte and d.total and record.expenses is not None and record.expenses < d.total / 20:
        checks.append(
            f"{fr(record.employees_fte)} salarié(s) ETP pour {fr(record.expenses, 0)} € de charges : les salaires "
            "semblent manquer aux charges."
        )
    if record.cash is not None and record.reserves is not None and record.cash > 0 and record.reserves < 0:
        checks.append(
            "Fonds propres négatifs mais trésorerie positive : la trésorerie vient sans doute d'avances ou de "
            "subventions perçues d'avance ; vérifiez vos dettes à court terme."
        )
    return checks


def _pillars(record: ResourceYear, brought: AllianceInput, alliances: list, d: Diagnosis) -> list[dict]:
    volunteering = f"{fr(record.volunteers)} personnes, {fr(record.volunteer_hours)} h"
    if d.volunteering_value:
        how = f"à {fr(d.volunteering_rate)} €/h (SMIC horaire brut)" if d.volunteering_rate else "valeur déclarée"
        volunteering += f", valorisées {fr(d.volunteering_value)} € ({how})"
    facts = [("Total des ressources", f"{fr(record.total)} €")]
    if d.expenses is not None:
        facts.append(("Charges", f"{fr(d.expenses)} €"))
        facts.append(("Résultat", f"{fr(d.result)} €"))
    if d.months_of_cash is not None:
        facts.append(("Trésorerie", f"{fr(d.cash)} €, soit {fr(d.months_of_cash)} mois de charges"))
    if d.reserves_months is not None:
        facts.append(("Fonds propres", f"{fr(d.reserves)} €, soit {fr(d.reserves_months)} mois de charges"))
    allies = [f.name for f in record.funders.all() if f.organization_id or f in d.public_funders]
    return [
        {
            "code": "human",
            "label": "Richesses humaines",
            "present": bool(record.employees_fte or record.volunteers or record.skills_received_hours),
            "facts": [
                ("Salariés", f"{fr(record.employees_fte)} ETP"),
                ("Bénévoles", volunteering),
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
            "facts": facts,
            "from_alliances": [
                ("Dons financiers", f"{fr(brought.money)} €"),
                ("Prestations (contrats)", f"{fr(brought.services)} €"),
                ("Dons en nature (valorisés, hors budget)", f"{fr(brought.in_kind)} €"),
            ],
        },
        {
            "code": "alliances",
            "label": "Alliances stratégiques",
            # A public funder, or any named funder of the directory, is an ally too, recorded in Maillage or not.
            "present": bool(alliances or allies) or bool(brought.financial or brought.skills_value or brought.in_kind),
            "facts": [("Alliances en cours dans Maillage", str(len(alliances)))]
            + ([("Financeurs partenaires", ", ".join(allies))] if allies else []),
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
    small = d.size == "small"
    if (
        d.largest_funder is not None
        and d.largest_funder_share is not None
        and d.largest_funder_share > SINGLE_FUNDER_LIMIT
    ):
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
    public = d.public_share
    if public is not None and public > reference.PUBLIC_WARNING:
        named = ", ".join(f.name for f in d.public_funders[:4])
        level = "danger" if public > reference.PUBLIC_DANGER else "warning"
        alerts.append(
            Alert(
                level,
                "Forte dépendance à l'argent public",
                f"{fr(public)} % de vos ressources {d.year} sont publiques (subventions et commandes), pour "
                f"{fr(reference.PUBLIC_SECTOR_MEAN)} % en moyenne dans le secteur associatif"
                + (f" ; financeurs publics nommés : {named}" if named else "")
                + ". Un changement de politique publique ou un retard de versement touche alors tout votre budget.",
                "Demandez des conventions pluriannuelles d'objectifs (trois ou quatre ans) à vos financeurs publics, "
                "et développez une part de ressources privées : mécénat d'entreprises du territoire, fondations, "
                "ventes de prestations, dons."
                if not small
                else "Diversifiez peu à peu : cotisations, dons de particuliers, une entreprise locale mécène.",
            )
        )
    contracts = next((s["share"] for s in d.shares if s["source"] == Source.PUBLIC_CONTRACTS), None)
    if contracts is not None and contracts > reference.PUBLIC_CONTRACTS_WARNING:
        alerts.append(
            Alert(
                "warning",
                "Plus de la moitié du budget vient de marchés publics",
                f"Les commandes publiques font {fr(contracts)} % de vos ressources {d.year} (24 % en moyenne dans le "
                "secteur). Un marché se remet en concurrence à son terme : le perdre emporte cette part du budget, "
                "et il finance la prestation demandée, pas votre projet associatif.",
                "Suivez les dates de fin de vos marchés, préparez les réponses aux appels d'offres à l'avance, et "
                "cherchez pour votre projet propre des subventions (conventions d'objectifs) ou du mécénat.",
            )
        )
    if d.result is not None and d.result < 0:
        reserves = d.reserves_months
        alerts.append(
            Alert(
                "danger"
                if reserves is not None and d.reserves is not None and d.reserves + d.result < 0
                else "warning",
                f"Exercice {d.year} en déficit",
                f"Vos charges ({fr(d.expenses)} €) dépassent vos ressources ({fr(d.total)} €) : résultat de "
                f"{fr(d.result)} €"
                + (f", à rapprocher de fonds propres de {fr(d.reserves)} €." if d.reserves is not None else "."),
                "Identifiez les actions déficitaires et leur financement manquant ; un déficit ponctuel se couvre "
                "par les fonds propres, un déficit répété les épuise.",
            )
        )
    if d.months_of_cash is not None and d.months_of_cash < reference.CASH_MONTHS_WARNING:
        danger = d.months_of_cash < reference.CASH_MONTHS_DANGER
        alerts.append(
            Alert(
                "danger" if danger else "warning",
                "Trésorerie courte",
                f"Votre trésorerie de fin d'exercice couvre {fr(d.months_of_cash)} mois de charges ; le repère "
                f"courant est de {fr(reference.CASH_MONTHS_WARNING)} mois. Un versement de subvention en retard "
                "peut suffire à bloquer les salaires.",
                "Demandez des avances sur les subventions votées, échelonnez les versements dans vos conventions, "
                "et constituez des réserves avec les excédents des bonnes années.",
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
            "entreprises, autres associations) et ouvrez une alliance dans Maillage."
            if not small
            else "Un petit club n'a pas besoin de grands partenariats : demandez à votre mairie le prêt d'une salle "
            "ou une petite subvention, ou à un commerçant voisin un lot ou un don, et notez-le dans Maillage.",
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


def _readings(d: Diagnosis) -> list[str]:
    """What the figures mean, in words, for this size of association (shown before the alerts)."""
    readings = []
    size_words = {
        "small": "un petit budget (moins de 10 000 €, comme trois associations sur quatre)",
        "medium": "un budget moyen (de 10 000 € à 500 000 €)",
        "large": "un grand budget (500 000 € et plus)",
    }
    readings.append(f"Exercice {d.year} : {fr(d.total)} € de ressources, {size_words[d.size]}.")
    if d.sources_hhi is not None:
        main = max(d.shares, key=lambda s: s["share"] or 0)
        text = (
            f"Concentration de vos sources : {fr(d.sources_hhi)} sur 10 000, {hhi_label(d.sources_hhi)} "
            f"(première source : {main['label'].lower()}, {fr(main['share'])} %)."
        )
        if d.sources_hhi >= reference.HHI_HIGH and d.size == "small" and main["source"] in {"fees", "gifts"}:
            text += " Pour un petit club qui vit de ses membres, c'est normal et stable tant que les adhérents restent."
        elif d.sources_hhi >= reference.HHI_HIGH:
            text += " Une seule source porte l'essentiel du budget : c'est elle qu'il faut sécuriser d'abord."
        readings.append(text)
    if d.volunteering_value:
        how = (
            f"{fr(d.volunteering_hours)} h × {fr(d.volunteering_rate)} € (SMIC horaire brut {d.year})"
            if d.volunteering_rate
            else "valeur que vous avez déclarée"
        )
        readings.append(
            f"Votre bénévolat vaut {fr(d.volunteering_value)} € ({how}), soit {fr(d.volunteering_share)} % de vos "
            "ressources financières : à inscrire au pied du compte de résultat (comptes 86 et 87) et à montrer à vos "
            "financeurs."
        )
    if d.result is not None:
        word = "excédent" if d.result > 0 else "déficit" if d.result < 0 else "équilibre"
        readings.append(f"Résultat : {fr(d.result)} € ({word}).")
    if d.months_of_cash is not None:
        readings.append(f"Trésorerie : {fr(d.months_of_cash)} mois de charges (repère : 3 mois).")
    if d.alliances_financial_share is not None and d.alliances.financial:
        readings.append(
            f"Vos alliances ont apporté {fr(d.alliances.financial)} €, soit {fr(d.alliances_financial_share)} % de "
            "vos ressources."
        )
    return readings
