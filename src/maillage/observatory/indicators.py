"""The observatory's indicators: what each figure means, its base, and the published figure it compares with.

Written down for people in docs/observatory.md; this module is what pages, CSV/JSON and the API show.
A *share* is a count of associations divided by the cell's base (``associations``, or ``company`` for the forms);
a *count* or an *amount* is shown as such. Nothing here reads the database.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from maillage.observatory.models import Cell

# Disclosure thresholds (docs/observatory.md: the usual rules of official statistics, INSEE/SSP secret).
MIN_ASSOCIATIONS = 5
MIN_CONTRIBUTORS = 3
DOMINANCE_SHARE = 0.85
MONEY_ROUNDING = 1000  # euros

AMOUNT_FIELDS = ("money", "in_kind", "skills")
COUNT_FIELDS = tuple(
    f.name
    for f in Cell._meta.get_fields()
    if getattr(f, "null", False) and f.name not in AMOUNT_FIELDS and f.get_internal_type() == "PositiveIntegerField"
)

RS_2016 = "Recherches & Solidarités et Le RAMEAU, enquête 2016 (publiée en 2017)"
PHARE_2015 = "Le RAMEAU, PHARE-Associations 2015"


@dataclass(frozen=True)
class Indicator:
    code: str
    label: str
    definition: str
    numerator: str  # a Cell field
    base: str = "associations"  # the Cell field it is divided by ("" for a plain count or amount)
    unit: str = "%"  # "%", "nombre", "€", "heures", "ratio", "score" (out of 100)
    reference: float | None = None  # the published figure, as a share (0.74) or a value
    source: str = ""


INDICATORS: list[Indicator] = [
    Indicator(
        "associations",
        "Associations actives sur la plateforme",
        "Associations dont l'espace a accepté de contribuer à l'observatoire, inscrites au plus tard cette année-là.",
        "associations",
        base="",
        unit="nombre",
    ),
    Indicator(
        "kinds_per_association",
        "Types de partenaires par association",
        "Nombre moyen de types de partenaires (collectivités, associations ou fondations, établissements "
        "d'enseignement, entreprises, structures d'insertion, recherche) avec lesquels l'association a une "
        "alliance en cours dans l'année.",
        "kinds_sum",
        unit="ratio",
        reference=2.5,
        source=RS_2016,
    ),
    Indicator(
        "local_authority",
        "Avec une collectivité territoriale",
        "Part des associations ayant une alliance en cours avec une commune, une intercommunalité, un département "
        "ou une région.",
        "local_authority",
        reference=0.74,
        source=RS_2016,
    ),
    Indicator(
        "association_foundation",
        "Avec une autre association ou une fondation",
        "Part des associations ayant une alliance en cours avec une autre association, une fondation ou un fonds "
        "de dotation.",
        "association_foundation",
        reference=0.72,
        source=RS_2016,
    ),
    Indicator(
        "school",
        "Avec un établissement d'enseignement",
        "Part des associations ayant une alliance en cours avec une école, un établissement scolaire ou une "
        "université.",
        "school",
        reference=0.47,
        source=RS_2016,
    ),
    Indicator(
        "company",
        "Avec au moins une entreprise",
        "Part des associations ayant au moins une alliance en cours avec une entreprise.",
        "company",
        reference=0.28,
        source=RS_2016,
    ),
    Indicator(
        "insertion",
        "Avec une structure d'insertion",
        "Part des associations ayant une alliance en cours avec une structure d'insertion par l'activité "
        "économique (SIAE).",
        "insertion",
        reference=0.22,
        source=RS_2016,
    ),
    Indicator(
        "research",
        "Avec un laboratoire de recherche",
        "Part des associations ayant une alliance en cours avec un laboratoire de recherche.",
        "research",
        reference=0.09,
        source=RS_2016,
    ),
    Indicator(
        "public",
        "Avec au moins un acteur public",
        "Part des associations ayant au moins une alliance en cours avec une collectivité ou un service de l'État.",
        "public",
    ),
    Indicator(
        "company_and_public",
        "Associations « passerelles » (entreprise et acteur public)",
        "Part des associations liées à la fois à au moins une entreprise et à au moins un acteur public : elles "
        "relient deux sphères qui se rencontrent rarement.",
        "company_and_public",
    ),
    Indicator(
        "form_mecenat",
        "Forme : mécénat",
        "Parmi les associations partenaires d'entreprises, part ayant une alliance de mécénat (financier, en "
        "nature ou de compétences) avec une entreprise.",
        "form_mecenat",
        base="company",
        reference=0.67,
        source=PHARE_2015,
    ),
    Indicator(
        "form_responsible",
        "Forme : pratiques responsables",
        "Parmi les associations partenaires d'entreprises, part ayant une alliance de pratiques responsables.",
        "form_responsible",
        base="company",
        reference=0.29,
        source=PHARE_2015,
    ),
    Indicator(
        "form_cooperation",
        "Forme : coopération économique",
        "Parmi les associations partenaires d'entreprises, part ayant une alliance de coopération économique.",
        "form_cooperation",
        base="company",
        reference=0.26,
        source=PHARE_2015,
    ),
    Indicator(
        "form_innovation",
        "Forme : innovation sociale",
        "Parmi les associations partenaires d'entreprises, part ayant une alliance d'innovation sociale.",
        "form_innovation",
        base="company",
        reference=0.25,
        source=PHARE_2015,
    ),
    Indicator(
        "new_mecenat_only",
        "Nouvelles alliances : solidarité (mécénat seul)",
        "Part des alliances avec une entreprise commencées dans l'année dont les formes sont uniquement du "
        "mécénat (logique de solidarité).",
        "new_mecenat_only",
        base="new_alliances",
    ),
    Indicator(
        "new_coconstruction",
        "Nouvelles alliances : co-construction",
        "Part des alliances avec une entreprise commencées dans l'année comprenant une coopération économique "
        "ou une innovation sociale (logique de co-construction).",
        "new_coconstruction",
        base="new_alliances",
    ),
    Indicator(
        "started_alliances",
        "Alliances commencées dans l'année",
        "Alliances (tous partenaires) des associations du territoire commencées dans l'année : le flux d'entrée.",
        "started_alliances",
        base="",
        unit="nombre",
    ),
    Indicator(
        "ended_alliances",
        "Alliances terminées dans l'année",
        "Alliances (tous partenaires) des associations du territoire arrivées à leur terme dans l'année : le flux "
        "de sortie. Avec les alliances commencées, il dit si le nombre d'alliances en cours grandit ou diminue.",
        "ended_alliances",
        base="",
        unit="nombre",
    ),
    Indicator(
        "money",
        "Dons financiers reçus",
        "Somme des dons financiers reçus par les associations dans l'année au titre de leurs alliances, "
        "arrondie au millier d'euros.",
        "money",
        base="",
        unit="€",
    ),
    Indicator(
        "in_kind",
        "Dons en nature reçus (valorisés)",
        "Valeur des dons en nature reçus dans l'année (prix de revient, valeur nette comptable ou valeur "
        "locative), arrondie au millier d'euros.",
        "in_kind",
        base="",
        unit="€",
    ),
    Indicator(
        "skills",
        "Mécénat de compétences reçu (valorisé)",
        "Valeur du mécénat de compétences reçu dans l'année (coût salarial plafonné), arrondie au millier d'euros.",
        "skills",
        base="",
        unit="€",
    ),
    Indicator(
        "hours",
        "Temps investi (heures)",
        "Heures passées par les associations dans les échanges de leurs alliances (réunions, appels, visites, "
        "événements) dans l'année : personnes × durée.",
        "hours",
        base="",
        unit="heures",
    ),
    Indicator(
        "density_company",
        "Densité des liens associations–entreprises",
        "Liens observés entre associations et entreprises du territoire, rapportés à tous les liens possibles "
        "(associations × entreprises liées). Elle baisse mécaniquement quand le territoire grandit (chaque "
        "association ne connaît que quelques-unes des entreprises liées) : elle ne se compare qu'entre territoires "
        "de taille voisine ; les liens par association et par entreprise, eux, se comparent partout.",
        "ties_company",
        base="associations*companies_tied",
        unit="%",
    ),
    Indicator(
        "density_public",
        "Densité des liens associations–acteurs publics",
        "Liens observés entre associations et acteurs publics, rapportés à tous les liens possibles "
        "(associations × acteurs publics liés). Comme la densité des liens avec les entreprises, elle baisse "
        "mécaniquement quand le territoire grandit.",
        "ties_public",
        base="associations*public_tied",
        unit="%",
    ),
    Indicator(
        "company_ties_per_association",
        "Entreprises partenaires par association",
        "Nombre moyen d'entreprises avec lesquelles une association du territoire a une alliance en cours dans "
        "l'année (liens associations–entreprises ÷ associations).",
        "ties_company",
        unit="ratio",
    ),
    Indicator(
        "associations_per_company",
        "Associations partenaires par entreprise liée",
        "Nombre moyen d'associations du territoire avec lesquelles une entreprise liée a une alliance en cours "
        "dans l'année (liens associations–entreprises ÷ entreprises liées).",
        "ties_company",
        base="companies_tied",
        unit="ratio",
    ),
]

IMPACT_METHOD = (
    "Chaque évaluation clôturée est notée comme dans le bilan de partenariat : pour chaque impact, moyenne des "
    "notes de 1 à 5 de chaque partie, puis moyenne de ces moyennes, ramenée sur 100. Le score d'une association "
    "est la moyenne de ses évaluations dont la période se termine dans l'année ; celui du territoire, la moyenne "
    f"de ses associations (chacune pèse autant), publiée à partir de {MIN_ASSOCIATIONS} associations évaluées."
)
IMPACT_INDICATORS: list[Indicator] = [
    Indicator(
        f"impact_{code}",
        f"Impact : {label.lower()}",
        f"Score moyen sur 100 de l'impact « {label.lower()} » dans les évaluations clôturées des alliances des "
        "associations du territoire. " + IMPACT_METHOD,
        f"impact_{code}",
        base="",
        unit="score",
        source="Le RAMEAU, Observatoire des partenariats (les trois impacts)",
    )
    for code, label in (
        ("performance", "Performance des organisations"),
        ("innovation", "Innovation territoriale"),
        ("trust", "Confiance et engagement"),
    )
]

BY_CODE = {i.code: i for i in [*INDICATORS, *IMPACT_INDICATORS]}
MAP_INDICATORS = [i for i in INDICATORS if i.unit in ("%", "ratio") and not i.code.startswith("density")]


def value_of(cell: Cell | dict, indicator: Indicator) -> float | None:
    """The indicator's value in a cell, or None when the cell (or the amount) is not published or has no base."""
    get = cell.get if isinstance(cell, dict) else lambda name: getattr(cell, name)
    numerator = get(indicator.numerator)
    if numerator is None:
        return None
    if not indicator.base:
        return float(numerator)
    denominator = 1
    for part in indicator.base.split("*"):
        value = get(part)
        if not value:
            return None
        denominator *= value
    return numerator / denominator


def format_value(value: float | None, indicator: Indicator) -> str:
    if value is None:
        return "secret"
    if indicator.unit == "%":
        if 0 < value * 100 < 0.05:  # a figure that is not zero never reads « 0,0 % »: two significant digits
            decimals = 1 - math.floor(math.log10(value * 100))
            return f"{value * 100:.{decimals}f} %".replace(".", ",")
        return f"{value * 100:.1f} %".replace(".", ",")
    if indicator.unit == "ratio":
        return f"{value:.2f}".replace(".", ",")
    if indicator.unit == "score":
        return f"{round(value)}\u202f/\u202f100"
    text = f"{round(value):,}".replace(",", "\u202f")
    return f"{text} €" if indicator.unit == "€" else f"{text} h" if indicator.unit == "heures" else text
