"""Template filters for French numbers and names; built into every template (settings ``TEMPLATES`` builtins).

``{{ value|euros }}`` → ``1 234,56 €`` · ``{{ value|euros:0 }}`` → ``1 235 €`` · ``{{ value|montant }}`` → ``1 234,56``
``{{ value|heures }}`` → ``7,5 h`` · ``{{ value|pourcent }}`` → ``28,0 %``
``{{ name|de }}`` → ``d'Imprimerie Rhodanienne`` / ``des Jardins`` · ``{{ name|a }}`` → ``au Club`` / ``à Lyon``
"""

from __future__ import annotations

from django import template

from maillage.core import formats

register = template.Library()


@register.filter
def euros(value, decimals=2):
    return formats.money(value, int(decimals))


@register.filter
def montant(value, decimals=2):
    return formats.amount(value, int(decimals))


@register.filter
def heures(value):
    return formats.hours(value)


@register.filter
def pourcent(value, decimals=1):
    return formats.percent(value, int(decimals))


@register.filter
def de(name):
    return formats.of(str(name or ""))


@register.filter(name="a")
def a_(name):
    return formats.to(str(name or ""))
