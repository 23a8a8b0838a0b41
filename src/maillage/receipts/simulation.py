"""What a gift costs its donor: the tax reduction of a company (art. 238 bis CGI) or a person (art. 200 CGI),
year after year, with the excess carried over five years. Pure functions on Decimal euros.

Public signature (documented in ``docs/receipts.md``)::

    simulate_company(years: list[CompanyYear], opening: dict[int, Decimal] | None = None) -> list[YearResult]
    simulate_individual(years: list[IndividualYear], opening: dict[int, Decimal] | None = None) -> list[YearResult]

``opening`` is the excess still carried over when the simulation starts, by year of origin (the year whose gifts
went over the ceiling). Each :class:`YearResult` gives the reduction split by rate (``by_rate``), what is used from
each year of origin (``used_by_origin``), what expires (``expired_by_origin``) and what remains carried over per
year of origin (``remaining_by_origin``). Every amount stays exact to the cent: what enters (opening balances and
gifts) equals what is retained, what expires and what remains.

Company (art. 238 bis; BOI-BIC-RICI-20-30-20), a year being a fiscal year identified by its closing date:
- gifts are retained within a ceiling of max(flat ceiling, 5 ‰ of turnover excluding VAT) (§ 1), the flat
  ceiling being that of the closing date (10,000 € for fiscal years closed from 31 Dec 2019, 20,000 € from
  31 Dec 2020);
- 60 % of the retained gifts; for fiscal years closed from 31 Dec 2020, 40 % for the fraction of gifts above 2 M€,
  except gifts to organisations giving free meals, care or housing to people in difficulty, which keep 60 % and are
  not counted in the 2 M€;
- the excess over the ceiling is carried over the next five fiscal years, "after taking into account the gifts of
  each of those years" (§ 40): the year's own gifts first, then the carried-over excess, oldest first (FIFO).
Person (art. 200; service-public.fr F426; BOI-IR-RICI-250-30):
- 75 % of gifts to organisations helping people in difficulty, up to the yearly cap in force on the date of each
  gift (1 ter; 2,000 € for gifts from 14 October 2025, 1,000 € before, within a yearly total); this part is not
  counted in the 20 % limit; above the cap, such gifts join the others at 66 %;
- 66 % of gifts within 20 % of taxable income; the excess is carried over five years, the oldest excess being used
  first, before the year's own gifts (art. 200, 4 and the order of lines 7XS… of form 2042-RICI).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeVar

from maillage.core import legal

ZERO = Decimal("0")
CENT = Decimal("0.01")
FIRST_YEAR = 2019


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class Portion:
    """A part of a year's gifts waiting to be retained, with the rate it will earn."""

    origin_year: int
    amount: Decimal
    rate: Decimal


@dataclass(frozen=True)
class DatedGift:
    """One gift of a person, with its date (the 75 % cap depends on it)."""

    on: date
    amount: Decimal
    difficulty: bool = False  # to an organisation helping people in difficulty (art. 200, 1 ter)


@dataclass(frozen=True)
class CompanyYear:
    year: int
    turnover: Decimal  # chiffre d'affaires hors taxes of the fiscal year
    gifts: Decimal  # gifts to organisations of art. 238 bis
    gifts_difficulty: Decimal = ZERO  # of which to organisations helping people in difficulty (art. 238 bis, 1 f)
    closing: date | None = None  # closing date of the fiscal year; 31 December of ``year`` when not given

    @property
    def closing_date(self) -> date:
        return self.closing or date(self.year, 12, 31)


@dataclass(frozen=True)
class IndividualYear:
    year: int
    taxable_income: Decimal  # revenu imposable du foyer
    gifts: Decimal = ZERO  # undated gifts of the year to organisations of art. 200 (dated ones are added)
    gifts_difficulty: Decimal = ZERO  # of which (undated) to organisations helping people in difficulty
    dated: tuple[DatedGift, ...] = ()

    @property
    def total(self) -> Decimal:
        return self.gifts + sum((g.amount for g in self.dated), ZERO)


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
    closing: date | None = None
    by_rate: dict[str, dict[str, Decimal]] = field(default_factory=dict)  # "0.66" → {"base": …, "reduction": …}
    used_by_origin: dict[int, Decimal] = field(default_factory=dict)  # carried excess used this year
    expired_by_origin: dict[int, Decimal] = field(default_factory=dict)
    remaining_by_origin: dict[int, Decimal] = field(default_factory=dict)  # still carried over after this year
    detail: list[str] = field(default_factory=list)

    @property
    def retained(self) -> Decimal:
        return self.retained_current + self.retained_carried

    @property
    def cost(self) -> Decimal:
        """What this year's gifts cost once the reduction obtained this year is deducted."""
        return self.gifts - self.reduction


YearT = TypeVar("YearT", CompanyYear, IndividualYear)


def _check_years(years: Sequence[YearT]) -> list[YearT]:
    ordered = sorted(years, key=lambda y: y.year)
    if not ordered:
        raise ValueError("Indiquez au moins une année.")
    for before, after in zip(ordered, ordered[1:], strict=False):
        if after.year != before.year + 1:
            raise ValueError(
                f"Les années doivent se suivre sans trou : {before.year} puis {after.year}. "
                "Ajoutez les années manquantes (dons à 0)."
            )
    for entry in ordered:
        if entry.year < FIRST_YEAR:
            raise ValueError(f"{entry.year} : la simulation commence en {FIRST_YEAR} au plus tôt.")
        for name in ("gifts", "gifts_difficulty"):
            if getattr(entry, name) < 0:
                raise ValueError(f"{entry.year} : les montants de dons doivent être positifs ou nuls.")
        if entry.gifts_difficulty > entry.gifts:
            raise ValueError(
                f"{entry.year} : les dons aux organismes d'aide aux personnes en difficulté font partie des dons de l'année."
            )
    return ordered


def _opening(opening: dict[int, Decimal] | None, first_year: int, rate: Decimal) -> deque[Portion]:
    carried: deque[Portion] = deque()
    opening = opening or {}
    for origin in sorted(opening):
        amount = Decimal(opening[origin])
        if amount < 0:
            raise ValueError(f"Report de {origin} : le montant doit être positif ou nul.")
        if origin >= first_year:
            raise ValueError(
                f"Report de {origin} : un report à l'ouverture vient d'une année antérieure à {first_year}."
            )
        if amount > 0:
            carried.append(Portion(int(origin), cents(amount), rate))
    return carried


class _Ledger:
    """What one year retains, by rate and by year of origin."""

    def __init__(self) -> None:
        self.base: dict[Decimal, Decimal] = {}
        self.used: dict[int, Decimal] = {}

    def take(self, queue: deque[Portion], room: Decimal, *, carried: bool) -> Decimal:
        """Take up to ``room`` euros from the portions, in order. Returns the amount taken."""
        taken = ZERO
        while queue and room > 0:
            portion = queue[0]
            part = min(portion.amount, room)
            taken += part
            room -= part
            portion.amount -= part
            self.base[portion.rate] = self.base.get(portion.rate, ZERO) + part
            if carried:
                self.used[portion.origin_year] = self.used.get(portion.origin_year, ZERO) + part
            if portion.amount == 0:
                queue.popleft()
        return taken

    def add(self, rate: Decimal, amount: Decimal) -> None:
        if amount > 0:
            self.base[rate] = self.base.get(rate, ZERO) + amount

    def by_rate(self) -> dict[str, dict[str, Decimal]]:
        return {
            f"{rate:.2f}": {"base": cents(base), "reduction": cents(base * rate)}
            for rate, base in sorted(self.base.items(), reverse=True)
            if base > 0
        }

    def reduction(self) -> Decimal:
        return sum((r["reduction"] for r in self.by_rate().values()), ZERO)


def _expire(carried: deque[Portion], year: int, years: int) -> dict[int, Decimal]:
    expired: dict[int, Decimal] = {}
    while carried and carried[0].origin_year < year - years:
        portion = carried.popleft()
        expired[portion.origin_year] = expired.get(portion.origin_year, ZERO) + portion.amount
    return expired


def _remaining(carried: deque[Portion]) -> dict[int, Decimal]:
    remaining: dict[int, Decimal] = {}
    for portion in carried:
        remaining[portion.origin_year] = remaining.get(portion.origin_year, ZERO) + portion.amount
    return {year: amount for year, amount in remaining.items() if amount > 0}


def company_ceiling(closing: date | int, turnover: Decimal) -> Decimal:
    """The most a fiscal year closed on ``closing`` retains: max(flat ceiling, 5 ‰ of turnover), to the cent."""
    if isinstance(closing, int):
        closing = date(closing, 12, 31)
    return cents(max(legal.company_ceiling_flat(closing), turnover * legal.COMPANY_CEILING_TURNOVER_SHARE.value))


def _company_portions(entry: CompanyYear) -> list[Portion]:
    rate = legal.COMPANY_RATE.value
    regular = entry.gifts - entry.gifts_difficulty
    portions = [Portion(entry.year, entry.gifts_difficulty, rate)]
    threshold = legal.COMPANY_RATE_THRESHOLD.value
    if legal.company_rate_above_threshold_applies(entry.closing_date) and regular > threshold:
        portions += [
            Portion(entry.year, threshold, rate),
            Portion(entry.year, regular - threshold, legal.COMPANY_RATE_ABOVE_THRESHOLD.value),
        ]
    else:
        portions.append(Portion(entry.year, regular, rate))
    return [p for p in portions if p.amount > 0]


def simulate_company(years: list[CompanyYear], opening: dict[int, Decimal] | None = None) -> list[YearResult]:
    """The company's reduction, fiscal year by fiscal year, with the five-year carry-over of gifts above the ceiling.

    ``opening``: excess carried over from fiscal years before the first one, by year of origin (earning 60 %).
    """
    ordered = _check_years(years)
    for entry in ordered:
        if entry.turnover < 0:
            raise ValueError(f"{entry.year} : le chiffre d'affaires doit être positif ou nul.")
        if entry.closing is not None and entry.closing.year != entry.year:
            raise ValueError(
                f"{entry.year} : l'exercice est désigné par l'année de sa clôture (clôture le {entry.closing:%d/%m/%Y})."
            )
    carried = _opening(opening, ordered[0].year, legal.COMPANY_RATE.value)
    results = []
    for entry in ordered:
        expired = _expire(carried, entry.year, legal.CARRY_OVER_YEARS)
        ceiling = company_ceiling(entry.closing_date, entry.turnover)
        ledger = _Ledger()
        current = deque(_company_portions(entry))
        taken_now = ledger.take(current, ceiling, carried=False)  # the year's gifts first (§ 40)
        taken_old = ledger.take(carried, ceiling - taken_now, carried=True)  # then the carried excess, oldest first
        carried.extend(current)
        results.append(_result(entry.year, entry.gifts, ceiling, taken_now, taken_old, ledger, carried, expired))
        results[-1].closing = entry.closing_date
    return results


def _result(
    year: int,
    gifts: Decimal,
    ceiling: Decimal,
    taken_now: Decimal,
    taken_old: Decimal,
    ledger: _Ledger,
    carried: deque[Portion],
    expired: dict[int, Decimal],
) -> YearResult:

    remaining = _remaining(carried)
    return YearResult(
        year=year,
        gifts=gifts,
        ceiling=cents(ceiling),
        retained_current=cents(taken_now),
        retained_carried=cents(taken_old),
        reduction=ledger.reduction(),
        carried_forward=cents(sum(remaining.values(), ZERO)),
        expired=cents(sum(expired.values(), ZERO)),
        by_rate=ledger.by_rate(),
        used_by_origin={y: cents(a) for y, a in sorted(ledger.used.items())},
        expired_by_origin={y: cents(a) for y, a in sorted(expired.items())},
        remaining_by_origin={y: cents(a) for y, a in sorted(remaining.items())},
    )


def _difficulty_at_75(entry: IndividualYear) -> Decimal:
    """The part of the year's gifts to organisations helping people in difficulty that earns 75 %.

    Each dated gift is measured against the cap in force on its date, less what the year's earlier gifts used
    (2025: 1,000 € up to 13 October, 2,000 € in all with the gifts made from 14 October)."""
    if entry.gifts_difficulty > 0 and legal.individual_difficulty_cap_changes_in(entry.year):
        raise ValueError(
            f"{entry.year} : le plafond du taux de 75 % change en cours d'année ; indiquez la date de chaque don "
            "aux organismes d'aide aux personnes en difficulté."
        )
    used = min(entry.gifts_difficulty, legal.individual_difficulty_cap(entry.year)) if entry.gifts_difficulty else ZERO
    for gift in sorted(entry.dated, key=lambda g: g.on):
        if gift.on.year != entry.year:
            raise ValueError(f"{entry.year} : le don du {gift.on:%d/%m/%Y} n'est pas de cette année.")
        if gift.amount < 0:
            raise ValueError(f"{entry.year} : les montants de dons doivent être positifs ou nuls.")
        if gift.difficulty:
            used += max(ZERO, min(gift.amount, legal.individual_difficulty_cap(gift.on) - used))
    return used


def simulate_individual(years: list[IndividualYear], opening: dict[int, Decimal] | None = None) -> list[YearResult]:
    """A person's reduction, year by year: 75 % within the yearly cap, 66 % within 20 % of income, carry-over.

    ``opening``: excess carried over from years before the first one, by year of origin (earning 66 %).
    """
    ordered = _check_years(years)
    rate = legal.INDIVIDUAL_RATE.value
    carried = _opening(opening, ordered[0].year, rate)
    results = []
    for entry in ordered:
        if entry.taxable_income < 0:
            raise ValueError(f"{entry.year} : le revenu imposable doit être positif ou nul.")
        expired = _expire(carried, entry.year, legal.INDIVIDUAL_CARRY_OVER_YEARS)
        at_75 = _difficulty_at_75(entry)
        limit = cents(entry.taxable_income * legal.INDIVIDUAL_INCOME_SHARE.value)
        ledger = _Ledger()
        ledger.add(legal.INDIVIDUAL_RATE_DIFFICULTY.value, at_75)
        taken_old = ledger.take(carried, limit, carried=True)  # carried excess first, oldest first
        current = deque([Portion(entry.year, entry.total - at_75, rate)])
        taken_now = ledger.take(current, limit - taken_old, carried=False)
        carried.extend(p for p in current if p.amount > 0)
        results.append(_result(entry.year, entry.total, limit, taken_now + at_75, taken_old, ledger, carried, expired))
    return results
