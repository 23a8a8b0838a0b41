"""Legal figures of French mécénat law, in one place, each with its source and the years it applies to.

Re-check each figure against the official text before changing it; tests check the computations that use them
against the worked examples of the administration (BOFiP).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class Figure:
    value: Decimal
    source: str


# Plafond mensuel de la sécurité sociale (PSS), art. L. 241-3 du code de la sécurité sociale, by calendar year.
# Sources: arrêtés annuels (2020: arrêté du 2 décembre 2019; frozen for 2021 and 2022; 2023: arrêté du
# 28 novembre 2022; 2024: arrêté du 19 décembre 2023; 2025: arrêté du 19 décembre 2024; 2026: arrêté du
# 22 décembre 2025), as listed on service-public.fr "Plafond de la sécurité sociale".
MONTHLY_PSS: dict[int, Decimal] = {
    2020: Decimal("3428"),
    2021: Decimal("3428"),
    2022: Decimal("3428"),
    2023: Decimal("3666"),
    2024: Decimal("3864"),
    2025: Decimal("3925"),
    2026: Decimal("4005"),
}

# Mécénat de compétences: the remuneration of each employee made available is counted at most at three times the
# monthly PSS, per month (art. 238 bis, 1, 2e alinéa CGI as amended by loi n° 2019-1479 art. 134; BOI-BIC-RICI-20-30-10-20
# § 110 et s.). The gift = min(monthly cost, 3 × PSS) × share of the month's working time lent.
SKILLS_PSS_MULTIPLIER = Figure(Decimal("3"), "CGI art. 238 bis, 1 ; BOI-BIC-RICI-20-30-10-20")
LEGAL_MONTHLY_HOURS = Figure(Decimal("151.67"), "Code du travail art. L. 3121-27 (35 h × 52 / 12)")

# Counterparts: mécénat tolerates counterparts of clearly lower value than the gift; the administration's doctrine
# takes a ratio of about 1 to 4 (25 %) (BOI-BIC-RICI-20-30-10-20 § 30; réponse ministérielle and instruction
# 4 C-5-04 du 13 juillet 2004). Beyond it the operation is parrainage (sponsoring), a commercial service.
COUNTERPART_TOLERATED_SHARE = Figure(Decimal("0.25"), "BOI-BIC-RICI-20-30-10-20 § 30 (instruction 4 C-5-04)")

# Company reduction, art. 238 bis CGI (loi n° 2019-1479 art. 134, loi n° 2020-1721 art. 188): 60 % of gifts up to
# 2 M€ a year, 40 % above (60 % kept above for organisations helping people in difficulty, art. 238 bis 1 f);
# ceiling 20,000 € or 5 ‰ of turnover excluding VAT, whichever is higher; excess carried over 5 years.
COMPANY_RATE = Figure(Decimal("0.60"), "CGI art. 238 bis, 1")
COMPANY_RATE_ABOVE_THRESHOLD = Figure(Decimal("0.40"), "CGI art. 238 bis, 1 (gifts above 2 M€)")
COMPANY_RATE_THRESHOLD = Figure(Decimal("2000000"), "CGI art. 238 bis, 1")
COMPANY_CEILING_FLAT = Figure(Decimal("20000"), "CGI art. 238 bis, 1 (10 000 € before 2020)")
COMPANY_CEILING_TURNOVER_SHARE = Figure(Decimal("0.005"), "CGI art. 238 bis, 1 (5 ‰ du chiffre d'affaires HT)")
CARRY_OVER_YEARS = 5


def monthly_pss(on: date) -> Decimal:
    """The monthly social-security ceiling in force on that date (by calendar year)."""
    try:
        return MONTHLY_PSS[on.year]
    except KeyError as exc:
        raise ValueError(
            f"Le plafond mensuel de la sécurité sociale de {on.year} n'est pas connu de Maillage "
            f"(années connues : {min(MONTHLY_PSS)}–{max(MONTHLY_PSS)})."
        ) from exc


def skills_ceiling(on: date) -> Decimal:
    """The most one employee's monthly cost can count in a skills gift: 3 × monthly PSS."""
    return SKILLS_PSS_MULTIPLIER.value * monthly_pss(on)


# --- Receipts, individuals' reduction, annual declaration (appended for the receipts area) -------------------------


@dataclass(frozen=True)
class InForce:
    """A legal figure with the dates it applies to (``start`` and ``end`` included; ``end`` None: still in force)."""

    value: Decimal
    start: date
    end: date | None
    source: str

    def covers(self, on: date) -> bool:
        return self.start <= on and (self.end is None or on <= self.end)


def in_force(figures: list[InForce], on: date, what: str) -> InForce:
    """The figure of ``figures`` that applies on ``on``; a French ValueError when the law had none then."""
    for figure in figures:
        if figure.covers(on):
            return figure
    first = min(f.start for f in figures)
    raise ValueError(f"{what} au {on:%d/%m/%Y} n'est pas connu de Maillage (connu à partir du {first:%d/%m/%Y}).")


# Company reduction (art. 238 bis CGI): the texts key the thresholds by the CLOSING DATE of the fiscal year
# ("exercices clos à compter du …"), not by calendar year.
# Flat ceiling, the alternative to 5 ‰ of turnover: 10,000 € for fiscal years closed from 31 Dec 2019 (loi
# n° 2018-1317 art. 148), 20,000 € for fiscal years closed from 31 Dec 2020 (loi n° 2019-1479 art. 134;
# BOI-BIC-RICI-20-30-20 § 1 and BOI-BIC-RICI-20-30-30 § 30, remarque). Before: 5 ‰ only.
COMPANY_CEILING_FLAT_BY_CLOSING: list[InForce] = [
    InForce(Decimal("0"), date(2000, 1, 1), date(2019, 12, 30), "CGI art. 238 bis, 1 (5 ‰ seul avant 2019)"),
    InForce(Decimal("10000"), date(2019, 12, 31), date(2020, 12, 30), "CGI art. 238 bis, 1 ; loi 2018-1317 art. 148"),
    InForce(Decimal("20000"), date(2020, 12, 31), None, "CGI art. 238 bis, 1 ; loi 2019-1479 art. 134"),
]
COMPANY_CEILING_FLAT_SOURCE = "CGI art. 238 bis, 1 (loi 2018-1317 art. 148 ; loi 2019-1479 art. 134)"
# The 40 % rate on the fraction of gifts above 2 M€ applies to gifts made in fiscal years closed from
# 31 Dec 2020 (loi n° 2019-1479 art. 134, II; BOI-BIC-RICI-20-30-20 § 1).
COMPANY_RATE_ABOVE_THRESHOLD_FROM_CLOSING = date(2020, 12, 31)


def company_ceiling_flat(closing: date | int) -> Decimal:
    """The flat ceiling of art. 238 bis for a fiscal year closed on ``closing`` (a year means 31 December)."""
    if isinstance(closing, int):
        closing = date(closing, 12, 31)
    return in_force(COMPANY_CEILING_FLAT_BY_CLOSING, closing, "Le plafond de l'art. 238 bis").value


def company_rate_above_threshold_applies(closing: date) -> bool:
    """Whether the 40 % rate above 2 M€ applies to the gifts of a fiscal year closed on ``closing``."""
    return closing >= COMPANY_RATE_ABOVE_THRESHOLD_FROM_CLOSING


# Individuals, art. 200 CGI: 66 % of gifts within 20 % of taxable income; excess carried over the next 5 years
# (art. 200, 1 and 4). 75 % for gifts to organisations giving free meals, housing or care to people in difficulty
# (art. 200, 1 ter, "dispositif Coluche"), up to a yearly cap; above it, 66 %. Source: service-public.fr
# "Réduction d'impôt sur le revenu pour un don à une association" (F426), BOI-IR-RICI-250-20.
INDIVIDUAL_RATE = Figure(Decimal("0.66"), "CGI art. 200, 1")
INDIVIDUAL_RATE_DIFFICULTY = Figure(Decimal("0.75"), "CGI art. 200, 1 ter")
INDIVIDUAL_INCOME_SHARE = Figure(Decimal("0.20"), "CGI art. 200, 1 (20 % du revenu imposable)")
INDIVIDUAL_CARRY_OVER_YEARS = 5  # CGI art. 200, 4
# Yearly cap of the 75 % rate, keyed by the DATE OF THE GIFT:
# - 537 € "à compter de l'imposition des revenus de l'année 2018" (art. 200, 1 ter as it stood in 2019), a limit
#   "relevée chaque année dans la même proportion que la limite supérieure de la première tranche du barème": 546 €
#   for the gifts of 2019 (décret n° 2020-897; OpenFisca-France's parameter ``dons_coluche.plafond``; cited at the
#   Assemblée nationale in 2020). It was 537 € for 2019 too here until the OpenFisca cross-check (issue 18);
# - 1,000 € for the gifts of 2020 (loi n° 2020-473 du 25 avril 2020, art. 14), extended for 2021 (loi 2020-1721),
#   2022-2023 (loi 2021-1900), 2024-2026 (loi 2023-1322) and made permanent (loi 2025-127, art. 6);
# - 2,000 € for gifts made from 14 October 2025, the day the 2026 finance bill was presented (loi de finances pour
#   2026, art. 9 of the bill). The cap is yearly: in 2025, gifts made up to 13 October count within 1,000 €, and all
#   the year's gifts within 2,000 € (each gift is measured against the cap in force on its date, less what the
#   year's earlier gifts already used).
INDIVIDUAL_DIFFICULTY_CAPS: list[InForce] = [
    InForce(Decimal("537"), date(2018, 1, 1), date(2018, 12, 31), "CGI art. 200, 1 ter (537 € pour 2018)"),
    InForce(
        Decimal("546"),
        date(2019, 1, 1),
        date(2019, 12, 31),
        "CGI art. 200, 1 ter (limite relevée chaque année comme la 1re tranche du barème) ; décret n° 2020-897",
    ),
    InForce(
        Decimal("1000"),
        date(2020, 1, 1),
        date(2025, 10, 13),
        "CGI art. 200, 1 ter ; loi 2020-473 art. 14, prorogé puis pérennisé (loi 2025-127 art. 6)",
    ),
    InForce(
        Decimal("2000"),
        date(2025, 10, 14),
        None,
        "CGI art. 200, 1 ter ; loi de finances pour 2026 (dons effectués à compter du 14 octobre 2025)",
    ),
]
INDIVIDUAL_DIFFICULTY_CAP_SOURCE = "CGI art. 200, 1 ter ; service-public.fr F426 ; loi de finances pour 2026"


def individual_difficulty_cap(on: date | int) -> Decimal:
    """The yearly cap of the 75 % rate in force for a gift made on ``on`` (a year means its 31 December)."""
    if isinstance(on, int):
        on = date(on, 12, 31)
    return in_force(INDIVIDUAL_DIFFICULTY_CAPS, on, "Le plafond du taux de 75 %").value


def individual_difficulty_cap_changes_in(year: int) -> bool:
    """Whether the 75 % cap changes during ``year`` (then the dates of the gifts are needed)."""
    return any(f.start.year == year and f.start != date(year, 1, 1) for f in INDIVIDUAL_DIFFICULTY_CAPS)


# Counterparts for individuals: tolerated when their value is in a clearly disproportionate ratio to the gift: at
# most 25 % of the gift AND, for the goods given to one donor over a calendar year, at most a flat amount re-valued
# every five years (BOI-IR-RICI-250-10-20-10 § 80 et s.): 65 € from 2011, 69 € from 2016 (arrêté du 10 juin 2016),
# 73 € from 2021 (the 2021 re-valuation: figure recalled from the administration's publications, to re-check against
# the arrêté before relying on it for another year).
INDIVIDUAL_COUNTERPART_SHARE = Figure(Decimal("0.25"), "BOI-IR-RICI-250-10-20-10 (25 % du don)")
INDIVIDUAL_COUNTERPART_CAPS: list[InForce] = [
    InForce(Decimal("65"), date(2011, 1, 1), date(2015, 12, 31), "BOI-IR-RICI-250-10-20-10 (65 € depuis 2011)"),
    InForce(Decimal("69"), date(2016, 1, 1), date(2020, 12, 31), "BOI-IR-RICI-250-10-20-10 ; arrêté du 10 juin 2016"),
    InForce(Decimal("73"), date(2021, 1, 1), None, "BOI-IR-RICI-250-10-20-10 (réévaluation quinquennale de 2021)"),
]


def individual_counterpart_cap(on: date) -> Decimal:
    """The flat ceiling of the counterparts an individual may receive for the gifts of ``on``'s year."""
    return in_force(INDIVIDUAL_COUNTERPART_CAPS, on, "Le plafond des contreparties").value


# The models of receipt in force (the receipt reproduces every mention of its model; art. 200, 5 and 238 bis, 5 bis
# CGI): 2041-RD, Cerfa 11580*05 (individuals, art. 200 and 978; since 2022 it no longer mentions art. 238 bis), and
# 2041-MEC-SD, Cerfa 16216*02 (companies, art. 238 bis; *01 was the first version, 2022). Versions read from
# secondary sources citing impots.gouv.fr (compta-online, votre-expert-des-associations, January 2026): re-check
# the version number on impots.gouv.fr › Formulaires when the administration publishes a new one.
RECEIPT_CERFA = {"2041-RD": "11580*05", "2041-MEC-SD": "16216*02"}


# Receipts are kept at least 6 years (LPF art. L. 102 B: documents kept 6 years from the last operation they
# record; the administration may check receipts, LPF art. L. 14 A). Accounting records: 10 years (C. com. L. 123-22).
RECEIPT_RETENTION_YEARS = Figure(Decimal("6"), "LPF art. L. 102 B")

# Annual declaration, art. 222 bis CGI (loi n° 2019-1479 art. 19): an organisation issuing receipts under
# art. 200, 238 bis or 978 declares the total amount and number of documents issued for the previous year's gifts
# (gifts received from 1 Jan 2021), within 3 months of the close of its fiscal year; for a calendar-year
# organisation, by the 2nd working day after 1 May (the deadline of art. 223 for the results return,
# BOI-IS-DECLA-20-10 ; BOI-IR-RICI-250-30 § 330). Failure: fine of art. 1729 B CGI.
DECLARATION_ARTICLE = "CGI art. 222 bis"
DECLARATION_FIRST_GIFT_YEAR = 2021
DECLARATION_WORKING_DAYS_AFTER_MAY_1 = 2
DECLARATION_REMINDER_DAYS = 30
