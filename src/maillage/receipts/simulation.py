"""What a gift costs its donor: the tax reduction of a company (art. 238 bis CGI) or a person (art. 200 CGI),
year after year, with the excess carried over five years. Pure functions on Decimal euros.

Company (art. 238 bis; BOI-BIC-RICI-20-30-20):
- gifts are retained within a ceiling of max(flat ceiling, 5 ‰ of turnover excluding VAT) (§ 1);
- 60 % of the retained gifts; from 2020, 40 % for the fraction of gifts above 2 M€, except gifts to organisations
  giving free meals, care or housing to people in difficulty, which keep 60 % and are not counted in the 2 M€;
- the excess over the ceiling is carried over the next five fiscal years, "after taking into account the gifts of
  each of those years" (§ 40): the year's own gifts first, then the carried-over excess, oldest first (FIFO).
Person (art. 200; service-public.fr F426; BOI-IR-RICI-250-30):
- 75 % of gifts to organisations helping people in difficulty, up to the yearly cap (1 ter); this part is not
  counted in the 20 % limit; above the cap, such gifts join the others at 66 %;
- 66 % of gifts within 20 % of taxable income; the excess is carried over five years, the oldest excess being used
  first, before the year's own gifts (art. 200, 4 and the order of lines 7XS… of form 2042-RICI).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from maillage.core import legal

ZERO = Decimal("0")
CENT = Decimal("0.01")


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class Portion:
    """A part of a year's gifts waiting to be retained, with the rate it will earn."""

    origin_year: int
    amount: Decimal
    rate: Decimal


@dataclass(frozen=True)
class CompanyYear:
    year: int
    turnover: Decimal  # chiffre d'affaires hors taxes of the fiscal year
    gifts: Decimal  # gifts to organisations of art. 238 bis
    gifts_difficulty: Decimal = ZERO  # of which to organisations helping people in difficulty (art. 238 bis, 1 f)


@dataclass
class YearResult:
    year: int
    gifts: Decimal
    ceiling: Decimal
    retained_current: Decimal
    retained_carried: Decimal
    reduction: Decimal
    carried_forward: Decimal  # total excess still usable after this year
    expired: Decimal  # excess lost this year (more than five years old)
    detail: list[str] = field(default_factory=list)

    @property
    def retained(self) -> Decimal:
        return self.retained_current + self.retained_carried

    @property
    def cost(self) -> Decimal:
        """What this year's gifts cost once the reduction obtained this year is deducted."""
        return self.gifts - self.reduction


def _check_years(years: list) -> list:
    ordered = sorted(years, key=lambda y: y.year)
    for before, after in zip(ordered, ordered[1:], strict=False):
        if after.year != before.year + 1:
            raise ValueError(
                f"Les années doivent se suivre sans trou : {before.year} puis {after.year}. "
                "Ajoutez les années manquantes (dons à 0)."
            )
    for entry in ordered:
        for name in ("gifts", "gifts_difficulty"):
            if getattr(entry, name) < 0:
                raise ValueError(f"{entry.year} : les montants de dons doivent être positifs ou nuls.")
        if entry.gifts_difficulty > entry.gifts:
            raise ValueError(
                f"{entry.year} : les dons aux organismes d'aide aux personnes en difficulté font partie des dons de l'année."
            )
    return ordered


def _take(queue: deque[Portion], room: Decimal) -> tuple[Decimal, Decimal]:
    """Take up to ``room`` euros from the portions, in order. Returns (amount taken, reduction earned)."""
    taken = earned = ZERO
    while queue and room > 0:
        portion = queue[0]
        part = min(portion.amount, room)
        taken += part
        earned += part * portion.rate
        room -= part
        portion.amount -= part
        if portion.amount == 0:
            queue.popleft()
    return taken, earned


def _expire(carried: deque[Portion], year: int, years: int) -> Decimal:
    expired = ZERO
    while carried and carried[0].origin_year < year - years:
        expired += carried.popleft().amount
    return expired


def company_ceiling(year: int, turnover: Decimal) -> Decimal:
    return max(legal.company_ceiling_flat(year), turnover * legal.COMPANY_CEILING_TURNOVER_SHARE.value)


def _company_portions(entry: CompanyYear) -> list[Portion]:
    rate = legal.COMPANY_RATE.value
    regular = entry.gifts - entry.gifts_difficulty
    portions = [Portion(entry.year, entry.gifts_difficulty, rate)]
    threshold = legal.COMPANY_RATE_THRESHOLD.value
    if entry.year >= legal.COMPANY_RATE_ABOVE_THRESHOLD_FROM_YEAR and regular > threshold:
        portions += [
            Portion(entry.year, threshold, rate),
            Portion(entry.year, regular - threshold, legal.COMPANY_RATE_ABOVE_THRESHOLD.value),
        ]
    else:
        portions.append(Portion(entry.year, regular, rate))
    return [p for p in portions if p.amount > 0]


def simulate_company(years: list[CompanyYear]) -> list[YearResult]:
    """The company's reduction, year by year, with the five-year carry-over of gifts above the ceiling."""
    carried: deque[Portion] = deque()
    results = []
    for entry in _check_years(years):
        if entry.turnover < 0:
            raise ValueError(f"{entry.year} : le chiffre d'affaires doit être positif ou nul.")
        expired = _expire(carried, entry.year, legal.CARRY_OVER_YEARS)
        ceiling = company_ceiling(entry.year, entry.turnover)
        current = deque(_company_portions(entry))
        taken_now, earned_now = _take(current, ceiling)  # the year's gifts first (§ 40)
        taken_old, earned_old = _take(carried, ceiling - taken_now)  # then the carried excess, oldest first
        carried.extend(current)
        results.append(
            YearResult(
                year=entry.year,
                gifts=entry.gifts,
                ceiling=cents(ceiling),
                retained_current=cents(taken_now),
                retained_carried=cents(taken_old),
                reduction=cents(earned_now + earned_old),
                carried_forward=cents(sum((p.amount for p in carried), ZERO)),
                expired=cents(expired),
            )
        )
    return results


@dataclass(frozen=True)
class IndividualYear:
    year: int
    taxable_income: Decimal  # revenu imposable du foyer
    gifts: Decimal  # all gifts of the year to organisations of art. 200
    gifts_difficulty: Decimal = ZERO  # of which to organisations helping people in difficulty (art. 200, 1 ter)


def simulate_individual(years: list[IndividualYear]) -> list[YearResult]:
    """A person's reduction, year by year: 75 % within the yearly cap, 66 % within 20 % of income, carry-over."""
    carried: deque[Portion] = deque()
    rate = legal.INDIVIDUAL_RATE.value
    results = []
    for entry in _check_years(years):
        if entry.taxable_income < 0:
            raise ValueError(f"{entry.year} : le revenu imposable doit être positif ou nul.")
        expired = _expire(carried, entry.year, legal.INDIVIDUAL_CARRY_OVER_YEARS)
        cap = legal.individual_difficulty_cap(entry.year)
        at_75 = min(entry.gifts_difficulty, cap)
        limit = entry.taxable_income * legal.INDIVIDUAL_INCOME_SHARE.value
        taken_old, earned_old = _take(carried, limit)  # carried excess first, oldest first
        current = deque([Portion(entry.year, entry.gifts - at_75, rate)])
        taken_now, earned_now = _take(current, limit - taken_old)
        carried.extend(p for p in current if p.amount > 0)
        results.append(
            YearResult(
                year=entry.year,
                gifts=entry.gifts,
                ceiling=cents(limit),
                retained_current=cents(taken_now + at_75),
                retained_carried=cents(taken_old),
                reduction=cents(at_75 * legal.INDIVIDUAL_RATE_DIFFICULTY.value + earned_now + earned_old),
                carried_forward=cents(sum((p.amount for p in carried), ZERO)),
                expired=cents(expired),
            )
        )
    return results
