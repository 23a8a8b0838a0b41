"""Valuation rules checked against hand-computed cases built from the official rules.

Skills (CGI art. 238 bis; BOI-BIC-RICI-20-30-10-20): gift = min(monthly salary cost, 3 × monthly PSS)
× hours lent / hours worked in the month. Monthly PSS: 3,864 € (2024), 3,925 € (2025), 4,005 € (2026).
Counterparts: tolerated up to 25 % of the gift (BOI-BIC-RICI-20-30-10-20 § 30).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from maillage.contributions.models import Contribution, Kind
from maillage.contributions.valuation import value_skills_month
from maillage.core.legal import monthly_pss, skills_ceiling


def test_pss_by_year():
    assert monthly_pss(date(2022, 6, 1)) == Decimal("3428")
    assert monthly_pss(date(2023, 1, 1)) == Decimal("3666")
    assert monthly_pss(date(2024, 12, 31)) == Decimal("3864")
    assert monthly_pss(date(2025, 3, 1)) == Decimal("3925")
    assert skills_ceiling(date(2026, 1, 1)) == Decimal("12015")
    with pytest.raises(ValueError, match="2019"):
        monthly_pss(date(2019, 1, 1))


def test_full_month_under_the_ceiling_counts_the_whole_cost():
    valuation = value_skills_month(
        month=date(2025, 5, 1), hours=Decimal("151.67"), monthly_cost=Decimal("5000"), monthly_hours=Decimal("151.67")
    )
    assert valuation.value == Decimal("5000.00") and not valuation.capped


def test_a_senior_salary_is_capped_at_three_pss():
    # 2024: 3 × 3,864 = 11,592 €; a director costing 15,000 €/month lent full time counts 11,592 €.
    valuation = value_skills_month(
        month=date(2024, 9, 1), hours=Decimal("151.67"), monthly_cost=Decimal("15000"), monthly_hours=Decimal("151.67")
    )
    assert valuation.value == Decimal("11592.00") and valuation.capped


def test_pro_rata_of_the_time_lent():
    # 2026: 3 × 4,005 = 12,015 €; 14 h out of 151.67 h of a 13,500 € cost → 12,015 × 14 / 151.67 = 1,109.05 €.
    valuation = value_skills_month(
        month=date(2026, 6, 1), hours=Decimal("14"), monthly_cost=Decimal("13500"), monthly_hours=Decimal("151.67")
    )
    assert valuation.value == Decimal("1109.05") and valuation.capped
    # Under the ceiling: 4,200 € × 21 / 151.67 = 581.53 €.
    assert value_skills_month(
        month=date(2026, 6, 1), hours=Decimal("21"), monthly_cost=Decimal("4200"), monthly_hours=Decimal("151.67")
    ).value == Decimal("581.53")


@pytest.mark.parametrize(
    "value,counterparts,sponsoring",
    [("1000", "250", False), ("1000", "250.01", True), ("1000", "0", False), ("400", "120", True)],
)
def test_counterparts_beyond_a_quarter_make_it_sponsoring(value, counterparts, sponsoring):
    contribution = Contribution(kind=Kind.MONEY, value=Decimal(value), counterparts_value=Decimal(counterparts))
    assert contribution.is_sponsoring is sponsoring


def test_a_service_contract_is_never_called_sponsoring():
    contribution = Contribution(kind=Kind.SERVICE, value=Decimal("1000"), counterparts_value=Decimal("900"))
    assert contribution.is_gift is False and contribution.is_sponsoring is False
