"""Independent check of the art. 200 reduction against OpenFisca-France (the engine of the French tax-benefit
microsimulation, a dev dependency): Maillage's public simulator function ``simulate_individual`` and OpenFisca's
``dfppce`` (« dons aux autres œuvres » with the 75 % « Coluche » part: boxes 7UF and 7UD of form 2042 RICI) must agree
to the cent on seeded random households, income years 2019 and 2023 to 2026.

Where the two cannot express the same case — **2025**: OpenFisca keys the 2,000 € cap by income year (parameter
``dons_coluche.plafond`` = 2,000 € from 2025-01-01, loi 2026-103 art. 28), whereas the law (and Maillage) apply it to
the gifts made from 14 October 2025, the gifts made before counting within 1,000 € — the households whose 75 % gifts
before 14 October stay within 1,000 € are compared as they are (both readings agree), and the others are compared
after giving OpenFisca the split Maillage made (what earns 75 % in box 7UD, the rest in 7UF); the count of
households where the readings differ is asserted, so that a change on either side shows.

The check can fail: ``test_a_wrong_rate_is_caught`` runs it with a 65 % rate and expects disagreements.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache

import pytest

from maillage.core import legal
from maillage.receipts.simulation import DatedGift, IndividualYear, simulate_individual

openfisca_france = pytest.importorskip("openfisca_france", reason="openfisca-france (extra dev) non installé")

CENT = Decimal("0.01")
COLUCHE_2025 = date(2025, 10, 14)


@lru_cache(maxsize=1)
def tax_benefit_system():
    return openfisca_france.FranceTaxBenefitSystem()


def openfisca_reduction(year: int, rni: int, box_7uf: int, box_7ud: int) -> Decimal:
    """OpenFisca's art. 200 reduction (``dfppce``) of a one-person household with this taxable income."""
    from openfisca_core.simulation_builder import SimulationBuilder

    situation = {
        "individus": {"donateur": {}},
        "foyers_fiscaux": {
            "foyer": {
                "declarants": ["donateur"],
                "rni": {str(year): rni},
                "f7uf": {str(year): box_7uf},
                "f7ud": {str(year): box_7ud},
            }
        },
        "menages": {"menage": {"personne_de_reference": ["donateur"]}},
        "familles": {"famille": {"parents": ["donateur"]}},
    }
    simulation = SimulationBuilder().build_from_entities(tax_benefit_system(), situation)
    return Decimal(str(float(simulation.calculate("dfppce", str(year))[0]))).quantize(CENT)


@dataclass(frozen=True)
class Household:
    year: int
    rni: int
    other: int  # gifts to other organisations of art. 200 (66 %)
    difficulty_before: int  # gifts to organisations helping people in difficulty (75 %), before 14 October
    difficulty_after: int  # the same, from 14 October

    @property
    def difficulty(self) -> int:
        return self.difficulty_before + self.difficulty_after

    def maillage(self) -> tuple[Decimal, Decimal]:
        """(reduction, the part of the difficulty gifts that earned 75 %) by the public simulator function."""
        dated = (
            DatedGift(date(self.year, 3, 1), Decimal(self.difficulty_before), difficulty=True),
            DatedGift(date(self.year, 11, 1), Decimal(self.difficulty_after), difficulty=True),
            DatedGift(date(self.year, 6, 1), Decimal(self.other)),
        )
        result = simulate_individual([IndividualYear(self.year, Decimal(self.rni), dated=dated)])[0]
        at_75 = result.by_rate.get("0.75", {}).get("base", Decimal("0")) if result.by_rate else Decimal("0")
        return result.reduction, Decimal(at_75)


def households(count_per_year: int = 30, seed: int = 20260101) -> list[Household]:
    rng = random.Random(seed)
    found = []
    for year in (2019, 2023, 2024, 2025, 2026):
        for _ in range(count_per_year):
            rni = rng.randrange(8_000, 160_000)
            other = rng.choice([0, rng.randrange(0, 3_000), rng.randrange(0, max(1, rni // 3))])
            before = rng.choice([0, rng.randrange(0, 900), rng.randrange(0, 3_500)])
            after = rng.choice([0, rng.randrange(0, 900), rng.randrange(0, 3_500)])
            found.append(Household(year, rni, other, before, after))
    return found


def compare(population: list[Household]) -> tuple[list[str], int, int]:
    """(disagreements to the cent, 2025 households where the dates change what earns 75 %, and of them those where
    the two engines' reductions differ)."""
    failures, dated, by_date = [], 0, 0
    for h in population:
        ours, at_75 = h.maillage()
        theirs = openfisca_reduction(h.year, h.rni, h.other, h.difficulty)
        if h.year == 2025 and at_75 != min(h.difficulty, 2000):
            # The date of the gift matters (more than 1,000 € before 14 October, not made up by later gifts):
            # OpenFisca cannot say it. Compare with Maillage's split given to it.
            dated += 1
            by_date += theirs != ours
            theirs = openfisca_reduction(h.year, h.rni, h.other + h.difficulty - int(at_75), int(at_75))
        if abs(ours - theirs) > CENT:
            failures.append(f"{h}: Maillage {ours} ≠ OpenFisca {theirs}")
    return failures, dated, by_date


def test_art_200_reduction_agrees_with_openfisca_2019_and_2023_2026():
    """CGI art. 200, 1 and 1 ter: 66 % within 20 % of taxable income, 75 % up to the cap (1,000 € in 2023–2024 and
    up to 13 October 2025, 2,000 € from 14 October 2025 and in 2026), the excess above the cap at 66 %."""
    population = households()
    failures, dated, by_date = compare(population)
    assert not failures, failures
    # The 2025 households whose gifts before 14 October exceed 1,000 € (not made up by later gifts): OpenFisca
    # (yearly parameter) grants more than the law's dates allow; Maillage follows the dates.
    assert dated >= 5 and by_date == dated
    assert sum(1 for h in population if h.year == 2025) - dated >= 15  # compared as they are


def test_a_wrong_rate_is_caught(monkeypatch):
    monkeypatch.setattr(legal, "INDIVIDUAL_RATE", legal.Figure(Decimal("0.65"), "taux faux, pour le test"))
    failures, _, _ = compare(households(count_per_year=5))
    assert failures, "a 65 % rate must disagree with OpenFisca"
