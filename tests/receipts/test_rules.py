"""Every computation against worked examples of the official texts (cited per test)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from maillage.contributions.models import Contribution
from maillage.contributions.valuation import value_skills_month
from maillage.receipts.calendar import easter_sunday, public_holidays
from maillage.receipts.declaration import declaration_deadline
from maillage.receipts.simulation import CompanyYear, IndividualYear, simulate_company, simulate_individual
from maillage.receipts.words import euros_in_words


def company(*years):
    return simulate_company([CompanyYear(*y) for y in years])


def test_company_bofip_example_flat_ceiling_then_turnover_ceiling():
    # BOI-BIC-RICI-20-30-20 § 1 (version 07/08/2019), exemple : exercice N, CA 1 500 000 €, versements 9 000 € ;
    # plafond = max(10 000 €, 7 500 €) = 10 000 € ; réduction 9 000 × 60 % = 5 400 €. N+1 : CA 2 500 000 €,
    # versements 11 000 € ; plafond 5 ‰ = 12 500 € > 10 000 € ; réduction 11 000 × 60 % = 6 600 €.
    first, second = company((2019, D("1500000"), D("9000")), (2020, D("2500000"), D("11000")))
    assert (first.ceiling, first.reduction) == (D("10000.00"), D("5400.00"))
    # From fiscal years closed on 31/12/2020 the flat ceiling is 20 000 € (remarque of BOI-BIC-RICI-20-30-30 § 30).
    assert (second.ceiling, second.reduction) == (D("20000.00"), D("6600.00"))


def test_company_ceiling_is_5_per_mille_of_turnover_when_higher():
    # CGI art. 238 bis, 1 : CA 10 M€ → 5 ‰ = 50 000 € > 20 000 €.
    (result,) = company((2025, D("10000000"), D("40000")))
    assert (result.ceiling, result.reduction, result.carried_forward) == (D("50000.00"), D("24000.00"), D("0.00"))


def test_company_60_40_split_above_2_million():
    # CGI art. 238 bis, 1, 1er al. (loi 2019-1479 art. 134) : 40 % pour la fraction des versements supérieure à
    # 2 M€. CA 1 Md€ → plafond 5 M€ ; 3 M€ de dons → 2 M€ × 60 % + 1 M€ × 40 % = 1 600 000 €.
    (result,) = company((2024, D("1000000000"), D("3000000")))
    assert result.reduction == D("1600000.00")
    # Gifts to organisations helping people in difficulty keep 60 % and are left out of the 2 M€ (art. 238 bis, 1 f).
    (helped,) = company((2024, D("1000000000"), D("3000000"), D("1000000")))
    assert helped.reduction == D("1800000.00")
    # Before 2020 the whole gift earned 60 %.
    (old,) = company((2019, D("1000000000"), D("3000000")))
    assert old.reduction == D("1800000.00")


def test_company_excess_carried_over_five_years_fifo_and_then_lost():
    # BOI-BIC-RICI-20-30-20 § 40 : l'excédent ouvre droit à la réduction au titre des cinq exercices suivants,
    # après prise en compte des versements de chacun de ces exercices, sans dépasser le plafond.
    results = company(
        (2020, D("1000000"), D("50000")),  # ceiling 20 000 → 30 000 carried
        (2021, D("1000000"), D("5000")),  # 5 000 own + 15 000 carried
        (2022, D("1000000"), D("0")),  # the last 15 000 carried
        (2023, D("1000000"), D("30000")),  # own 30 000: 20 000 retained, 10 000 carried; nothing of 2020 used
        (2024, D("1000000"), D("20000")),
        (2025, D("1000000"), D("20000")),
        (2026, D("1000000"), D("0")),  # 2020's rest expired (more than five years); 2023's 10 000 used
    )
    assert [r.reduction for r in results] == [
        D("12000.00"),
        D("12000.00"),
        D("9000.00"),
        D("12000.00"),
        D("12000.00"),
        D("12000.00"),
        D("6000.00"),
    ]
    assert results[1].retained_carried == D("15000.00") and results[2].retained_carried == D("15000.00")
    assert results[2].carried_forward == D("0.00")
    assert results[3].carried_forward == D("10000.00") and results[6].expired == D("0.00")
    assert results[6].retained_carried == D("10000.00")


def test_company_excess_expires_after_the_fifth_year():
    results = company(*[(y, D("0"), D("120000") if y == 2020 else D("0")) for y in range(2020, 2027)])
    # 2020: 20 000 retained; 2021–2025: 20 000 each; 2026: the remaining 0 (120 000 = 6 × 20 000): none expired.
    assert [r.retained for r in results][:6] == [D("20000.00")] * 6 and results[6].expired == D("0.00")
    results = company(*[(y, D("0"), D("150000") if y == 2020 else D("0")) for y in range(2020, 2027)])
    assert results[6].expired == D("30000.00") and results[6].reduction == D("0.00")


def test_years_must_follow_each_other():
    with pytest.raises(ValueError, match="sans trou"):
        company((2020, D("0"), D("1")), (2022, D("0"), D("1")))


def individual(*years):
    return simulate_individual([IndividualYear(*y) for y in years])


def test_individual_service_public_example_66_percent():
    # service-public.fr F426 : un don de 200 € donne droit à une réduction de 132 € (200 × 66 %).
    (result,) = individual((2025, D("30000"), D("200")))
    assert result.reduction == D("132.00")


def test_individual_75_percent_within_the_yearly_cap():
    # CGI art. 200, 1 ter ; service-public.fr F426 : 75 % dans la limite de 1 000 € (2024), 66 % au-delà.
    # 1 200 € to an organisation giving free meals: 1 000 × 75 % + 200 × 66 % = 882 €.
    (result,) = individual((2024, D("40000"), D("1200"), D("1200")))
    assert result.reduction == D("882.00")
    # Cap raised to 2 000 € (loi de finances pour 2026, gifts from 14 October 2025): 1 200 × 75 % = 900 €.
    (result,) = individual((2026, D("40000"), D("1200"), D("1200")))
    assert result.reduction == D("900.00")


def test_individual_20_percent_of_income_and_carry_over():
    # CGI art. 200, 1 et 4 : limite de 20 % du revenu imposable, excédent reporté sur les cinq années suivantes.
    first, second = individual((2024, D("10000"), D("3000")), (2025, D("10000"), D("500")))
    assert (first.ceiling, first.reduction, first.carried_forward) == (D("2000.00"), D("1320.00"), D("1000.00"))
    # 2025: the 1 000 € carried are used first, then 500 € of the year: 1 500 × 66 % = 990 €.
    assert (second.retained_carried, second.retained_current, second.reduction) == (
        D("1000.00"),
        D("500.00"),
        D("990.00"),
    )


def test_skills_salary_ceiling_is_three_monthly_pss():
    # CGI art. 238 bis, 1 ; BOI-BIC-RICI-20-30-10-20 : rémunération retenue dans la limite de 3 PSS par mois.
    # 2025: PSS 3 925 € → 11 775 €; an engineer costing 15 000 € lent a full month counts for 11 775 €.
    valuation = value_skills_month(
        month=date(2025, 3, 1), hours=D("151.67"), monthly_cost=D("15000"), monthly_hours=D("151.67")
    )
    assert (valuation.value, valuation.capped) == (D("11775.00"), True)
    half = value_skills_month(
        month=date(2026, 3, 1), hours=D("75.835"), monthly_cost=D("15000"), monthly_hours=D("151.67")
    )
    assert half.value == D("6007.50")  # 3 × 4 005 € (2026) / 2


def test_counterparts_share_of_a_quarter_is_tolerated_beyond_it_is_sponsoring():
    # BOI-BIC-RICI-20-30-10-20 § 30 : contreparties d'une valeur nettement inférieure au don (rapport de 1 à 4).
    assert not Contribution(kind="money", value=D("1000"), counterparts_value=D("250")).is_sponsoring
    assert Contribution(kind="money", value=D("1000"), counterparts_value=D("250.01")).is_sponsoring


def test_easter_and_may_holidays():
    assert [easter_sunday(y) for y in (2024, 2025, 2026)] == [date(2024, 3, 31), date(2025, 4, 20), date(2026, 4, 5)]
    # 2026: 1 May (Friday), 8 May (Friday), Ascension 14 May, Whit Monday 25 May.
    assert {d for d in public_holidays(2026) if d.month == 5} == {
        date(2026, 5, 1),
        date(2026, 5, 8),
        date(2026, 5, 14),
        date(2026, 5, 25),
    }


@pytest.mark.parametrize(
    ("gift_year", "deadline"),
    [
        (2023, date(2024, 5, 3)),  # 1 May 2024 Wednesday → Thu 2, Fri 3
        (2024, date(2025, 5, 5)),  # 1 May 2025 Thursday → Fri 2, Mon 5
        (2025, date(2026, 5, 5)),  # 1 May 2026 Friday → Mon 4, Tue 5
        (2026, date(2027, 5, 4)),  # 1 May 2027 Saturday → Mon 3, Tue 4
        (2032, date(2033, 5, 3)),  # 1 May 2033 Sunday → Mon 2, Tue 3
    ],
)
def test_declaration_deadline_second_working_day_after_may_first(gift_year, deadline):
    # CGI art. 222 bis, art. 223 : exercice civil → 2e jour ouvré suivant le 1er mai.
    assert declaration_deadline(gift_year) == deadline


def test_declaration_deadline_three_months_after_a_non_calendar_close():
    assert declaration_deadline(2025, fiscal_year_end=date(2025, 6, 30)) == date(2025, 9, 30)
    assert declaration_deadline(2025, fiscal_year_end=date(2025, 11, 30)) == date(2026, 2, 28)


def test_amounts_in_words():
    assert euros_in_words(D("80")) == "quatre-vingts euros"
    assert euros_in_words(D("80000")) == "quatre-vingt-mille euros"
    assert euros_in_words(D("1071.01")) == "mille-soixante-et-onze euros et un centime"
    assert euros_in_words(D("2000000")) == "deux-millions d'euros"
