"""One way to print numbers and names in French, for pages, PDFs, e-mails, CSV labels and messages.

Money is grouped by thousands with a no-break space and has a decimal comma: ``1 234,56 €`` (the same separator
Django's French ``floatformat:"2g"`` uses, so both read alike). Values are read exactly: a ``Decimal`` or an ``int``
is never turned into a float; a float (which the code should not hold for money) goes through its ``repr`` so that
``3768.84`` prints ``3 768,84`` and never ``3768,84000000000``.

Names after « de » and « à » take French elision and contraction: « d'Imprimerie Rhodanienne », « des Jardins du
Rhône » (for « Les Jardins… »), « du Secours populaire » (for « Le Secours… »), « à l'Association… », « au Club… »,
« aux Restos… ».
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

NBSP = "\u00a0"

__all__ = ["NBSP", "amount", "hours", "money", "percent", "of", "to", "to_decimal"]


def to_decimal(value: object) -> Decimal | None:
    """``value`` as an exact Decimal, or None when it is empty or not a number."""
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        value = repr(value)
    try:
        result = Decimal(str(value).strip().replace(NBSP, "").replace(" ", "").replace(",", "."))
    except (InvalidOperation, ValueError):
        return None
    return result if result.is_finite() else None


def amount(value: object, decimals: int = 2) -> str:
    """``1 234,56``: grouped by thousands, decimal comma, ``decimals`` places (rounded half up); "" when empty."""
    number = to_decimal(value)
    if number is None:
        return ""
    quantum = Decimal(1).scaleb(-decimals)
    number = number.quantize(quantum, rounding=ROUND_HALF_UP)
    if number == 0:
        number = abs(number)  # never "-0,00"
    text = f"{number:,.{decimals}f}"
    return text.replace(",", NBSP).replace(".", ",")


def money(value: object, decimals: int = 2) -> str:
    """``1 234,56 €``; ``decimals=0`` for rounded figures (``12 000 €``); "" when empty."""
    text = amount(value, decimals)
    return f"{text}{NBSP}€" if text else ""


def _trimmed(value: object, decimals: int) -> str:
    text = amount(value, decimals)
    if "," in text:
        text = text.rstrip("0").rstrip(",")
    return text


def hours(value: object, decimals: int = 2) -> str:
    """``35 h``, ``7,5 h``, ``1 200 h``: hours without trailing zeros; "" when empty."""
    text = _trimmed(value, decimals)
    return f"{text}{NBSP}h" if text else ""


def percent(value: object, decimals: int = 1) -> str:
    """``28,0 %`` (French spacing before the sign); "" when empty."""
    text = amount(value, decimals)
    return f"{text}{NBSP}%" if text else ""


# Elision before a vowel or a mute h (the common case for organisation names; an aspirated h, « le Havre »,
# is rare in names and takes no elision only when written with its article).
_VOWEL = re.compile(r"^[aeiouyàâäéèêëîïôöùûüœæh]", re.IGNORECASE)
_ARTICLE = re.compile(r"^(?:(les|le|la)\s+|(l['’]))(.+)$", re.IGNORECASE | re.DOTALL)


def _split_article(name: str) -> tuple[str, str]:
    match = _ARTICLE.match(name)
    if not match:
        return "", name
    article = (match.group(1) or "l'").lower()
    return article, match.group(3)


def of(name: str) -> str:
    """« de » before ``name``, elided or contracted: d'Imprimerie, du Secours, des Jardins, de la Ville, de l'Île."""
    name = (name or "").strip()
    if not name:
        return "de"
    article, rest = _split_article(name)
    if article == "le":
        return f"du {rest}"
    if article == "les":
        return f"des {rest}"
    if article == "la":
        return f"de la {rest}"
    if article == "l'":
        return f"de l'{rest}"
    return f"d'{name}" if _VOWEL.match(name) else f"de {name}"


def to(name: str) -> str:
    """« à » before ``name``, contracted: au Secours, aux Restos, à la Ville, à l'Île, à Lyon."""
    name = (name or "").strip()
    if not name:
        return "à"
    article, rest = _split_article(name)
    if article == "le":
        return f"au {rest}"
    if article == "les":
        return f"aux {rest}"
    if article == "la":
        return f"à la {rest}"
    if article == "l'":
        return f"à l'{rest}"
    return f"à {name}"
