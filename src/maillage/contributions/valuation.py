"""Lawful valuation of contributions.

Skills (mécénat de compétences), CGI art. 238 bis and BOI-BIC-RICI-20-30-10-20: the gift is the cost price of the
service, i.e. the remuneration and employer social charges of each employee made available, pro rata of the time
lent; each employee's monthly remuneration counts at most 3 × the monthly social-security ceiling (PSS).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from maillage.core.legal import skills_ceiling

CENT = Decimal("0.01")


def to_cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class SkillsValuation:
    value: Decimal
    capped: bool
    counted_monthly_cost: Decimal


def value_skills_month(
    *, month: date, hours: Decimal, monthly_cost: Decimal, monthly_hours: Decimal
) -> SkillsValuation:
    """Value one employee's month: min(monthly cost, 3 × PSS) × hours lent / hours worked that month."""
    if monthly_hours <= 0:
        raise ValueError("Le nombre d'heures travaillées dans le mois doit être positif.")
    ceiling = skills_ceiling(month)
    counted = min(monthly_cost, ceiling)
    value = to_cents(counted * hours / monthly_hours)
    return SkillsValuation(value=value, capped=monthly_cost > ceiling, counted_monthly_cost=counted)
