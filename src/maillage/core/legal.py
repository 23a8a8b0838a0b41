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
