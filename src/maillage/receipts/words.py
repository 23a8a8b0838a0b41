"""Amounts in French words, as a receipt states them (« Somme en toutes lettres », Cerfa 11580 / 16216)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

UNITS = [
    "zéro",
    "un",
    "deux",
    "trois",
    "quatre",
    "cinq",
    "six",
    "sept",
    "huit",
    "neuf",
    "dix",
    "onze",
    "douze",
    "treize",
    "quatorze",
    "quinze",
    "seize",
    "dix-sept",
    "dix-huit",
    "dix-neuf",
]
TENS = {2: "vingt", 3: "trente", 4: "quarante", 5: "cinquante", 6: "soixante"}


def _below_100(n: int) -> str:
    if n < 20:
        return UNITS[n]
    tens, unit = divmod(n, 10)
    if tens in (7, 9):  # soixante-dix…, quatre-vingt-dix…
        base = "soixante" if tens == 7 else "quatre-vingt"
        rest = UNITS[10 + unit]
        return f"{base}-et-{rest}" if tens == 7 and unit == 1 else f"{base}-{rest}"
    if tens == 8:
        return "quatre-vingts" if unit == 0 else f"quatre-vingt-{UNITS[unit]}"
    if unit == 0:
        return TENS[tens]
    if unit == 1:
        return f"{TENS[tens]}-et-un"
    return f"{TENS[tens]}-{UNITS[unit]}"


def _below_1000(n: int) -> str:
    hundreds, rest = divmod(n, 100)
    if hundreds == 0:
        return _below_100(rest)
    head = "cent" if hundreds == 1 else f"{UNITS[hundreds]}-cent"
    if rest == 0:
        return head + ("s" if hundreds > 1 else "")
    return f"{head}-{_below_100(rest)}"


def integer_words(n: int) -> str:
    """French words of a non-negative integer, 1990 spelling (hyphens everywhere)."""
    if n < 0:
        raise ValueError("negative")
    if n < 1000:
        return _below_1000(n)
    parts = []
    for value, singular, plural in ((10**9, "milliard", "milliards"), (10**6, "million", "millions")):
        count, n = divmod(n, value)
        if count:
            parts.append(f"{integer_words(count)}-{plural if count > 1 else singular}")
    thousands, n = divmod(n, 1000)
    if thousands:
        head = (
            "mille"
            if thousands == 1
            else f"{_below_1000(thousands)}-mille".replace("cents-mille", "cent-mille").replace(
                "vingts-mille", "vingt-mille"
            )
        )
        parts.append(head)
    if n:
        parts.append(_below_1000(n))
    text = "-".join(parts)
    return text


def euros_in_words(amount: Decimal) -> str:
    """« mille-deux-cent-cinquante euros et quarante centimes »."""
    amount = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    euros = int(amount)
    cents = int((amount - euros) * 100)
    words = f"{integer_words(euros)} euro{'s' if euros > 1 else ''}"
    if euros and euros % 1_000_000 == 0:
        words = words.replace(" euros", " d'euros")
    if cents:
        words += f" et {integer_words(cents)} centime{'s' if cents > 1 else ''}"
    return words
