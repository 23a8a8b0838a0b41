"""The simulator against the texts' dates: Coluche cap by date of gift, company thresholds by closing date, opening
carry-over per year of origin, years from 2019; and the conservation of the carry-over on random sequences."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maillage.core import legal
from maillage.receipts.simulation import (
    CompanyYear,
    DatedGift,
    IndividualYear,
    simulate_company,
    simulate_individual,
)


def test_coluche_cap_is_2000_for_gifts_from_14_october_2025():
    """Loi de finances pour 2026 (art. 9 du projet, exposé des motifs) : plafond de 2 000 € pour les dons effectués à
    compter du 14 octobre 2025 ; 1 000 € pour les dons antérieurs de 2025 (CGI art. 200, 1 ter)."""
    assert legal.individual_difficulty_cap(date(2025, 10, 13)) == D("1000")
    assert legal.individual_difficulty_cap(date(2025, 10, 14)) == D("2000")
    # 1 800 € given on 1 December 2025 to a food bank: all of it at 75 % = 1 350 € (1 278 € with the old 1 000 € cap).
    (late,) = simulate_individual(
        [IndividualYear(2025, D("50000"), dated=(DatedGift(date(2025, 12, 1), D("1800"), difficulty=True),))]
    )
    assert late.reduction == D("1350.00")
    assert late.by_rate == {"0.75": {"base": D("1800.00"), "reduction": D("1350.00")}}
    # 1 500 € in March (1 000 € at 75 %) then 1 000 € in November (room left: 2 000 − 1 000 = 1 000 € at 75 %);
    # the last 500 € earn 66 %: 2 000 × 75 % + 500 × 66 % = 1 830 €.
    (split,) = simulate_individual(
        [
            IndividualYear(
                2025,
                D("50000"),
                dated=(
                    DatedGift(date(2025, 3, 10), D("1500"), difficulty=True),
                    DatedGift(date(2025, 11, 20), D("1000"), difficulty=True),
                ),
            )
        ]
    )
    assert split.reduction == D("1830.00")
    assert split.by_rate["0.66"] == {"base": D("500.00"), "reduction": D("330.00")}


def test_undated_coluche_gifts_of_2025_are_refused_with_a_french_message():
    with pytest.raises(ValueError, match="indiquez la date de chaque don"):
        simulate_individual([IndividualYear(2025, D("50000"), D("1200"), D("1200"))])


def test_2019_gifts_use_the_546_euro_cap():
    """CGI art. 200, 1 ter (version 2019) : « versements retenus dans la limite de 537 € à compter de l'imposition des
    revenus de l'année 2018 », limite relevée chaque année (546 € pour 2019, décret n° 2020-897 ; paramètre
    ``dons_coluche.plafond`` d'OpenFisca-France) : 600 € en 2019 → 546 × 75 % + 54 × 66 % = 445,14 €."""
    assert legal.individual_difficulty_cap(date(2018, 6, 1)) == D("537")
    (result,) = simulate_individual([IndividualYear(2019, D("30000"), D("600"), D("600"))])
    assert result.reduction == D("445.14")


def test_company_thresholds_follow_the_closing_date_not_the_calendar_year():
    """CGI art. 238 bis, 1 (loi 2018-1317 art. 148 ; loi 2019-1479 art. 134) : 10 000 € pour les exercices clos à
    compter du 31/12/2019, 20 000 € pour ceux clos à compter du 31/12/2020 ; 40 % au-delà de 2 M€ pour les exercices
    clos à compter du 31/12/2020."""
    # Fiscal year closed on 30 June 2020: the 10 000 € flat ceiling still applies (20 000 € by calendar year).
    (june,) = simulate_company([CompanyYear(2020, D("1000000"), D("15000"), closing=date(2020, 6, 30))])
    assert (june.ceiling, june.reduction, june.carried_forward) == (D("10000.00"), D("6000.00"), D("5000.00"))
    (december,) = simulate_company([CompanyYear(2020, D("1000000"), D("15000"))])
    assert december.ceiling == D("20000.00")
    # 3 M€ given in a fiscal year closed on 30 June 2020: no 40 % slice yet; closed 30 June 2021: 40 % above 2 M€.
    big = D("1000000000")  # 5 ‰ = 5 M€
    (before,) = simulate_company([CompanyYear(2020, big, D("3000000"), closing=date(2020, 6, 30))])
    (after,) = simulate_company([CompanyYear(2021, big, D("3000000"), closing=date(2021, 6, 30))])
    assert before.reduction == D("1800000.00")
    assert after.reduction == D("1600000.00")
    assert after.by_rate == {
        "0.60": {"base": D("2000000.00"), "reduction": D("1200000.00")},
        "0.40": {"base": D("1000000.00"), "reduction": D("400000.00")},
    }


def test_opening_carry_over_per_year_of_origin_and_its_expiry():
    """CGI art. 200, 4 : l'excédent est reporté sur les cinq années suivantes ; un excédent de 2019 compte jusqu'en
    2024 et se perd en 2025. Les reports s'imputent avant les dons de l'année, le plus ancien d'abord."""
    y2024, y2025 = simulate_individual(
        [IndividualYear(2024, D("10000"), D("0")), IndividualYear(2025, D("10000"), D("0"))],
        opening={2019: D("2500"), 2021: D("1000")},
    )
    # 2024: limit 2 000 €, taken from 2019 first.
    assert y2024.used_by_origin == {2019: D("2000.00")}
    assert y2024.remaining_by_origin == {2019: D("500.00"), 2021: D("1000.00")}
    assert y2024.reduction == D("1320.00")
    # 2025: what is left of 2019 expires; 2021's 1 000 € is used.
    assert y2025.expired_by_origin == {2019: D("500.00")}
    assert y2025.used_by_origin == {2021: D("1000.00")}
    assert y2025.remaining_by_origin == {}


def test_company_opening_carry_over_comes_after_the_years_gifts():
    """BOI-BIC-RICI-20-30-20 § 40 : l'excédent reporté s'impute après les versements de l'exercice."""
    (result,) = simulate_company([CompanyYear(2024, D("0"), D("15000"))], opening={2022: D("8000")})
    assert (result.retained_current, result.used_by_origin) == (D("15000.00"), {2022: D("5000.00")})
    assert result.remaining_by_origin == {2022: D("3000.00")}


def test_years_before_2019_and_opening_after_the_start_are_refused():
    with pytest.raises(ValueError, match="2019"):
        simulate_individual([IndividualYear(2018, D("1000"), D("10"))])
    with pytest.raises(ValueError, match="antérieure"):
        simulate_individual([IndividualYear(2024, D("1000"), D("10"))], opening={2024: D("5")})


money = st.decimals(min_value=0, max_value=200000, places=2, allow_nan=False, allow_infinity=False)


@settings(max_examples=150, deadline=None)
@given(
    start=st.integers(min_value=2019, max_value=2024),
    rows=st.lists(st.tuples(money, money, money, st.booleans()), min_size=1, max_size=9),
    opening=st.dictionaries(st.integers(min_value=2012, max_value=2018), money, max_size=4),
    company=st.booleans(),
)
def test_carry_over_is_conserved(start, rows, opening, company):
    """What enters (opening balances + gifts) = retained + expired + remaining, to the cent, on any sequence."""
    opening = {start - (2019 - y): v for y, v in opening.items()}
    if company:
        years = [
            CompanyYear(start + i, base * 10, gifts, gifts if flag else D("0"))
            for i, (base, gifts, _, flag) in enumerate(rows)
        ]
        results = simulate_company(years, opening)
        gifts = sum((y.gifts for y in years), D("0"))
    else:
        years = [
            IndividualYear(
                start + i,
                income,
                gifts,
                dated=(DatedGift(date(start + i, 11, 2), extra, difficulty=flag),),
            )
            for i, (income, gifts, extra, flag) in enumerate(rows)
        ]
        results = simulate_individual(years, opening)
        gifts = sum((y.total for y in years), D("0"))
    entered = sum(opening.values(), D("0")) + gifts
    retained = sum((r.retained for r in results), D("0"))
    expired = sum((r.expired for r in results), D("0"))
    remaining = results[-1].carried_forward
    assert entered == retained + expired + remaining
    for r in results:
        assert sum(r.used_by_origin.values(), D("0")) == r.retained_carried
        assert sum(r.remaining_by_origin.values(), D("0")) == r.carried_forward
        assert sum((v["base"] for v in r.by_rate.values()), D("0")) == r.retained
        assert sum((v["reduction"] for v in r.by_rate.values()), D("0")) == r.reduction


def _flat(text: str) -> str:
    return text.replace("\xa0", " ").replace("\u202f", " ")


def test_simulation_page_takes_closing_date_dated_gifts_and_opening(people, workspace_a):
    from tests.conftest import client_for, page_text

    client = client_for(people["viewer"])
    company = _flat(
        page_text(
            client.get(
                "/recus/simulation/",
                {
                    "donor": "company",
                    "rows": "2020 ; 1 000 000 ; 15 000 ; 0",
                    "closing": "30/06",
                    "opening": "2018 ; 500",
                },
            )
        )
    )
    assert "clôture 30/06/2020" in company and "10 000,00 €" in company  # flat ceiling of a year closed mid-2020
    assert "2018 : 500,00 €" in company  # the opening excess of 2018 still carried over
    person = _flat(
        page_text(
            client.get(
                "/recus/simulation/",
                {"donor": "individual", "rows": "2025 ; 50 000 ; 0", "dated": "01/12/2025 ; 1 800 ; aide"},
            )
        )
    )
    assert "1 350,00 €" in person and "0.75" in person
    bad = page_text(
        client.get("/recus/simulation/", {"donor": "individual", "rows": "2025;1;0", "dated": "32/13/2025;5"})
    )
    assert "Simulation impossible" in bad and "JJ/MM/AAAA" in bad
    assert "Simulation impossible" in page_text(
        client.get("/recus/simulation/", {"donor": "company", "rows": "2025;1;0", "closing": "99/99"})
    )


def test_simulation_api_dated_gifts_opening_and_breakdown(people, workspace_a):
    from tests.conftest import api_client_for

    api = api_client_for(people["viewer"], workspace_a)
    response = api.post(
        "/api/v1/receipts/simulation",
        {
            "donor": "individual",
            "individual_years": [
                {
                    "year": 2025,
                    "taxable_income": "10000",
                    "dated_gifts": [{"gift_date": "2025-12-01", "amount": "1800", "difficulty": True}],
                }
            ],
            "opening": [{"year": 2019, "amount": "300"}, {"year": 2022, "amount": "2500"}],
        },
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    (year,) = response.json()
    assert year["reduction"] == "2670.00"  # 1 800 × 75 % + 2 000 (limit) × 66 %
    assert year["expired_by_origin"] == [{"year": 2019, "amount": "300.00"}]
    assert year["used_by_origin"] == [{"year": 2022, "amount": "2000.00"}]
    assert year["remaining_by_origin"] == [{"year": 2022, "amount": "500.00"}]
    assert {r["rate"] for r in year["by_rate"]} == {"0.75", "0.66"}
    undated = api.post(
        "/api/v1/receipts/simulation",
        {
            "donor": "individual",
            "individual_years": [{"year": 2025, "taxable_income": "1", "gifts": "5", "gifts_difficulty": "5"}],
        },
        content_type="application/json",
    )
    assert undated.status_code == 422 and "date de chaque don" in undated.json()["detail"]
