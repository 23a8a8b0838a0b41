"""French numbers and names: one way to print them (core/formats.py and the template filters built on it)."""

from decimal import Decimal

import pytest
from django.template import engines

from maillage.core import formats

S = "\u00a0"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("5000"), f"5{S}000,00{S}€"),
        (Decimal("581.525"), f"581,53{S}€"),
        (3768.84, f"3{S}768,84{S}€"),  # a float (never for money) prints its short repr, no float noise
        (Decimal("1234567.8"), f"1{S}234{S}567,80{S}€"),
        (0, f"0,00{S}€"),
        (Decimal("-0.001"), f"0,00{S}€"),
        (Decimal("-1500.5"), f"-1{S}500,50{S}€"),
        ("12,5", f"12,50{S}€"),
        (None, ""),
        ("", ""),
        ("abc", ""),
    ],
)
def test_money(value, expected):
    assert formats.money(value) == expected


def test_money_without_cents():
    assert formats.money(Decimal("12000.49"), 0) == f"12{S}000{S}€"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(Decimal("35.00"), f"35{S}h"), (Decimal("7.50"), f"7,5{S}h"), (1200, f"1{S}200{S}h"), (None, "")],
)
def test_hours(value, expected):
    assert formats.hours(value) == expected


def test_percent():
    assert formats.percent(Decimal("28")) == f"28,0{S}%"
    assert formats.percent(Decimal("33.333"), 0) == f"33{S}%"


@pytest.mark.parametrize(
    ("name", "of", "to"),
    [
        ("Imprimerie Rhodanienne", "d'Imprimerie Rhodanienne", "à Imprimerie Rhodanienne"),
        ("Les Jardins du Rhône", "des Jardins du Rhône", "aux Jardins du Rhône"),
        ("Le Secours populaire", "du Secours populaire", "au Secours populaire"),
        ("La Ville de Lyon", "de la Ville de Lyon", "à la Ville de Lyon"),
        ("L'Île aux enfants", "de l'Île aux enfants", "à l'Île aux enfants"),
        ("Harmonie municipale", "d'Harmonie municipale", "à Harmonie municipale"),
        ("Lyon", "de Lyon", "à Lyon"),
        ("Les", "de Les", "à Les"),
        ("", "de", "à"),
    ],
)
def test_names_after_de_and_a(name, of, to):
    assert formats.of(name) == of
    assert formats.to(name) == to


def test_filters_are_built_into_every_template():
    template = engines["django"].from_string(
        "{{ v|euros }} · {{ v|euros:0 }} · {{ h|heures }} · {{ p|pourcent }} · {{ n|de }} · {{ n|a }}"
    )
    text = template.render({"v": Decimal("5000"), "h": Decimal("35.00"), "p": 28, "n": "Les Restos"})
    assert text == f"5{S}000,00{S}€ · 5{S}000{S}€ · 35{S}h · 28,0{S}% · des Restos · aux Restos"
