"""French public holidays (Code du travail art. L. 3133-1) and working days, for legal deadlines."""

from __future__ import annotations

from datetime import date, timedelta


def easter_sunday(year: int) -> date:
    """Gregorian Easter (anonymous algorithm, Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return date(year, month, day + 1)


def public_holidays(year: int) -> set[date]:
    """The 11 public holidays of metropolitan France (C. trav. art. L. 3133-1)."""
    easter = easter_sunday(year)
    return {
        date(year, 1, 1),
        easter + timedelta(days=1),  # lundi de Pâques
        date(year, 5, 1),
        date(year, 5, 8),
        easter + timedelta(days=39),  # Ascension
        easter + timedelta(days=50),  # lundi de Pentecôte
        date(year, 7, 14),
        date(year, 8, 15),
        date(year, 11, 1),
        date(year, 11, 11),
        date(year, 12, 25),
    }


def is_working_day(day: date) -> bool:
    """A « jour ouvré »: Monday to Friday, not a public holiday."""
    return day.weekday() < 5 and day not in public_holidays(day.year)


def nth_working_day_after(day: date, n: int) -> date:
    current, found = day, 0
    while found < n:
        current += timedelta(days=1)
        if is_working_day(current):
            found += 1
    return current
