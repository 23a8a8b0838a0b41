"""The score of a suggestion and its reasons, computed from signals: pure functions on plain data, no database.

Structured signals carry 95 of the 100 points; text similarity (shared words weighted by their rarity among the
candidates, offline, :mod:`maillage.matching.similarity`) at most 5. What is asked and what is given (complementarity,
skills domain or goods sub-type, amount or hours) weighs as much as the territory; a cause is a soft signal: a
different declared cause lowers the score, it never hides a good fit (an accounting firm files its skills offer
under « développement local » as often as under the association's own cause). The method is written out in
``METHOD`` and shown on the suggestions page; ``METHOD_VERSION`` is stored with every alliance started from a
suggestion, so that a later change of weights does not rewrite history.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from maillage.matching.similarity import rare_shared_words, weighted_similarity

METHOD_VERSION = "3"

WEIGHTS = {
    "cause": 20,  # 20 for two or more shared causes, 16 for one, 8 when one side has none, 4 for different ones
    "territory": 25,  # commune 25, EPCI 20, département 14 (10 in person), région 8 (5), France 6 (3)
    "kind": 10,  # what one side asks for is what the other gives
    "fit": 15,  # the skills domain (declared, or read from the NAF code) or the goods sub-type match
    "amount": 10,  # the amount or the hours given cover what is asked (5 when the giver has not said)
    "size": 5,  # sizes that usually work together
    "network": 5,  # partner of a partner, through the workspace's own alliances
    "history": 5,  # the workspace's own alliances of the same form went well
    "text": 5,  # rare words in common in the titles and descriptions
}
assert sum(WEIGHTS.values()) == 100

TERRITORY_POINTS = (("commune", 25), ("epci", 20), ("departement", 14), ("region", 8))
# Skills and goods are given in person (a volunteer's hours, a room, a van): beyond the intercommunalité the distance
# weighs more than for money, which travels. Same commune and EPCI keep their points.
IN_PERSON_POINTS = {"departement": 10, "region": 5, "national": 3}
IN_PERSON_KINDS = {"skills", "goods"}
UNKNOWN_AMOUNT_POINTS = 5  # the need states an amount or hours, the giver has not said: half, « à convenir »
NATIONAL_POINTS = 6
TERRITORY_WORDS = {
    "commune": "Même commune",
    "epci": "Même intercommunalité",
    "departement": "Même département",
    "region": "Même région",
}

METHOD = [
    ("Cause", "20 points si au moins deux causes sont communes, 16 pour une seule, 8 si une cause manque d'un côté, "
     "4 si les causes diffèrent : une cause différente baisse le score, elle n'écarte pas une offre qui convient."),
    (
        "Territoire",
        "Distance dans la hiérarchie territoriale : même commune 25, même intercommunalité 20, même département 14, "
        "même région 8, offre ou besoin valable dans toute la France 6, plus loin 0. Pour des compétences ou des "
        "biens, donnés sur place, la distance pèse davantage au-delà de l'intercommunalité : département 10, "
        "région 5, France entière 3.",
    ),
    ("Complémentarité", "10 points si ce que l'un cherche (compétences, biens, financement, partenaire) est ce que "
     "l'autre propose, ou ce que donne l'activité (code NAF) d'une entreprise de l'annuaire."),
    ("Adéquation", "15 points si le domaine de compétences du besoin figure parmi ceux de l'offre ou correspond à "
     "l'activité (code NAF) de l'entreprise — son métier même ; pour des biens, 15 si le type de bien est le même "
     "ou si son activité le fournit."),
    ("Montant et heures", "10 points si le budget ou les heures proposés couvrent ce qui est demandé, 6 pour la moitié "
     "au moins, 3 pour un cinquième, 5 quand le donateur n'a rien précisé (à convenir : ni un plus, ni un moins) ; "
     "les offres, besoins et appels échus ne sont jamais proposés."),
    ("Taille", "Jusqu'à 5 points quand les tailles vont ensemble (budget de l'association, effectif de l'entreprise)."),
    ("Réseau", "3 points pour le partenaire d'un de vos partenaires (vos seules alliances comptent, hors alliances "
     "abandonnées) ; vos partenaires actuels sont montrés à part."),
    ("Expérience", "5 points quand vos alliances de la même forme ont abouti (active, évaluée, renouvelée ou terminée)."),
    ("Mots communs", "Jusqu'à 5 points pour les mots partagés par les textes, pondérés par leur rareté parmi les "
     "candidats : un mot que tout le monde emploie ne compte pas (calcul local, sans service externe)."),
]  # fmt: skip

BUDGET_RANK = {"lt_10k": 0, "10k_50k": 1, "50k_150k": 2, "150k_500k": 3, "gt_500k": 4}
WORKFORCE_RANK = {"none": 0, "micro": 1, "sme": 2, "mid": 3, "large": 4}
# What an item gives or asks, as the alliance form it would take (alliances.models.Form codes).
KIND_FORM = {
    "skills": "mecenat_competences",
    "goods": "mecenat_nature",
    "funding": "mecenat_financier",
    "partner": "innovation_sociale",
}
SKILL_LABELS = {
    "comptabilite": "comptabilité et finance",
    "juridique": "droit",
    "numerique": "numérique et informatique",
    "communication": "communication",
    "gestion": "gestion de projet et stratégie",
    "rh": "ressources humaines",
    "logistique": "logistique et transport",
    "batiment": "bâtiment et travaux",
    "formation": "formation et pédagogie",
    "collecte": "recherche de fonds",
}
FORM_LABELS = {
    "mecenat_competences": "mécénat de compétences",
    "mecenat_nature": "mécénat en nature",
    "mecenat_financier": "mécénat financier",
    "innovation_sociale": "innovation sociale",
}


GOODS_LABELS = {
    "locaux": "salle ou locaux",
    "stockage": "stockage",
    "informatique": "matériel informatique",
    "vehicule": "véhicule",
    "impression": "impression et reprographie",
    "mobilier": "mobilier et équipement",
    "alimentaire": "denrées alimentaires",
    "autre": "autre bien",
}
ITEM_WORDS = {"need": "besoin", "offer": "offre", "call": "appel à projets"}


@dataclass(frozen=True)
class Place:
    commune: str | None = None
    epci: str | None = None
    departement: str | None = None
    region: str | None = None
    national: bool = False
    names: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False)


@dataclass
class Side:
    """One side of a match: an organisation, possibly through one of its needs, offers or calls."""

    organization_id: int
    org_kind: str
    place: Place
    causes: frozenset[str] = frozenset()
    budget_band: str = ""
    workforce_band: str = ""
    item_kind: str | None = None  # skills | goods | funding | partner, None for an organisation alone
    gives: bool = False  # True for an offer or a call, False for a need
    skill_domains: frozenset[str] = frozenset()
    text: str = ""
    item_type: str | None = None  # need | offer | call, None for an organisation alone
    title: str = ""
    goods_types: frozenset[str] = frozenset()
    naf_domains: frozenset[str] = frozenset()  # skills domains read from the organisation's NAF code
    naf_goods: frozenset[str] = frozenset()  # goods sub-types read from the organisation's NAF code
    amount: Decimal | None = None  # asked (need) or given (offer budget, call envelope)
    hours: int | None = None  # asked (need) or given a year (offer)


@dataclass
class Network:
    """What the acting workspace knows from its own alliances, and only from them (abandoned ones excluded)."""

    partners: dict[int, str] = field(default_factory=dict)  # organisation id → name of one shared alliance
    second_degree: dict[int, str] = field(default_factory=dict)  # organisation id → name of the partner in common
    worked_forms: dict[str, int] = field(default_factory=dict)  # form code → alliances of that form that worked


@dataclass(frozen=True)
class Reason:
    signal: str
    points: int
    text: str


@dataclass
class Match:
    score: int
    reasons: list[Reason]

    @property
    def reason_texts(self) -> list[str]:
        return [r.text for r in self.reasons]


class Rarity:
    """How rare each word is among the candidates of one suggestion run: ``log((n + 1) / (df + 1))``.

    A word that most candidates use (« organisation », « fictive », « données » in a generated data set, « solidaire »
    in a real one) weighs nearly nothing; a word few share weighs most.
    """

    def __init__(self, documents: list[frozenset[str]] | None = None) -> None:
        self.count = len(documents or [])
        self.df: dict[str, int] = {}
        self.weights: dict[str, float] = {}  # computed once per word: every pair scored asks again
        for words in documents or []:
            for word in words:
                self.df[word] = self.df.get(word, 0) + 1

    def weight(self, word: str) -> float:
        if not self.count:
            return 1.0
        found = self.weights.get(word)
        if found is None:
            found = self.weights[word] = math.log((self.count + 1) / (self.df.get(word, 0) + 1))
        return found


def cause_signal(mine: frozenset[str], theirs: frozenset[str], labels: Mapping[str, str]) -> Reason:
    if not mine or not theirs:
        return Reason("cause", 8, "Cause non renseignée d'un côté : rapprochement possible, à vérifier")
    common = sorted(mine & theirs)
    if not common:
        return Reason("cause", 4, "Causes déclarées différentes (signal faible : l'offre peut convenir quand même)")
    names = ", ".join(labels.get(c, c) for c in common)
    if len(common) >= 2:
        return Reason("cause", 20, f"Causes communes : {names}")
    return Reason("cause", 16, f"Même cause : {names}")


def territory_signal(mine: Place, theirs: Place, in_person: bool = False) -> Reason:
    for level, points in TERRITORY_POINTS:
        a, b = getattr(mine, level), getattr(theirs, level)
        if a and b and a == b:
            if in_person:
                points = IN_PERSON_POINTS.get(level, points)
            name = theirs.names.get(level) or mine.names.get(level) or a
            return Reason("territory", points, f"{TERRITORY_WORDS[level]} : {name}")
    if theirs.national or mine.national:
        points = IN_PERSON_POINTS["national"] if in_person else NATIONAL_POINTS
        return Reason("territory", points, "Agit dans toute la France")
    return Reason("territory", 0, "Territoires éloignés (autre région)")


def _need_and_giver(me: Side, other: Side) -> tuple[Side, Side] | None:
    """(the side that asks, the side that gives) when one asks and the other gives, else None."""
    if me.item_kind is None and other.item_kind is None:
        return None
    if me.item_kind is not None and other.item_kind is not None:
        if me.gives == other.gives:
            return None
        return (other, me) if me.gives else (me, other)
    need = me if me.item_kind is not None else other
    giver = other if need is me else me
    if need.gives or giver.org_kind not in {"company", "foundation"}:
        return None
    return need, giver  # a need against an organisation of the directory: what its activity gives


def naf_fits(need: Side, giver: Side) -> bool:
    """The giver's activity (NAF code) gives what the need asks: its skills domain or its goods sub-type."""
    if need.item_kind == "skills":
        return bool(need.skill_domains & giver.naf_domains)
    if need.item_kind == "goods":
        return bool(need.goods_types & giver.naf_goods)
    return False


def kind_signal(me: Side, other: Side) -> Reason | None:
    if (me.item_kind is None) != (other.item_kind is None):  # a need against a company of the directory
        pair = _need_and_giver(me, other)
        if pair is not None and naf_fits(*pair):
            return Reason("kind", 10, "Son activité fournit ce que le besoin cherche")
        return None
    if me.item_kind is None or other.item_kind is None:
        return None
    if me.gives == other.gives:
        return None  # two needs or two offers: no complementarity to weigh
    if me.item_kind == other.item_kind:
        words = {
            "skills": "des compétences",
            "goods": "des biens ou des locaux",
            "funding": "un financement",
            "partner": "un partenaire pour co-construire",
        }
        return Reason("kind", 10, f"Le besoin ({words[me.item_kind]}) correspond à ce qui est proposé")  # same kind
    return Reason("kind", 0, "Ce qui est proposé n'est pas ce qui est cherché")


def fit_signal(me: Side, other: Side) -> Reason | None:
    """The skills domain (declared by the offer, or read from the giver's NAF code) or the goods sub-type."""
    pair = _need_and_giver(me, other)
    if pair is None:
        return None
    need, giver = pair
    if giver.item_kind is not None and giver.item_kind != need.item_kind:
        return None
    if need.item_kind == "skills":
        wanted = need.skill_domains
        declared = sorted(wanted & giver.skill_domains)
        if declared:
            names = ", ".join(SKILL_LABELS.get(d, d) for d in declared)
            return Reason("fit", 15, f"Compétences recherchées proposées : {names}")
        by_activity = sorted(wanted & giver.naf_domains)
        if by_activity:
            names = ", ".join(SKILL_LABELS.get(d, d) for d in by_activity)
            return Reason("fit", 15, f"Son activité (code NAF) relève des compétences recherchées : {names}")
        if giver.item_kind is not None:
            return Reason("fit", 0, "Domaines de compétences différents")
        return None
    if need.item_kind == "goods":
        wanted = need.goods_types
        if not wanted:
            return None
        same = sorted(wanted & giver.goods_types)
        if same:
            return Reason("fit", 15, "Même type de bien : " + ", ".join(GOODS_LABELS.get(g, g) for g in same))
        by_activity = sorted(wanted & giver.naf_goods)
        if by_activity:
            names = ", ".join(GOODS_LABELS.get(g, g) for g in by_activity)
            return Reason("fit", 15, f"Son activité (code NAF) fournit ce type de bien : {names}")
        if giver.goods_types:
            return Reason("fit", 0, "Type de bien différent")
    return None


def amount_signal(me: Side, other: Side) -> Reason | None:
    """Whether the budget (or the hours a year) given covers what the need asks."""
    pair = _need_and_giver(me, other)
    if pair is None:
        return None
    need, giver = pair
    if giver.item_kind is None and not naf_fits(need, giver):
        return None
    if giver.item_kind is not None and giver.item_type != "call" and giver.item_kind != need.item_kind:
        return None
    if need.item_kind == "skills" and need.hours and giver.hours:
        asked, given, unit = Decimal(need.hours), Decimal(giver.hours), "h"
    elif need.amount and giver.amount:
        asked, given, unit = need.amount, giver.amount, "€"
    elif (need.item_kind == "skills" and need.hours) or need.amount:
        # The need says how much; the giver has not (no offer, or an offer without it): neither a plus nor a minus.
        return Reason("amount", UNKNOWN_AMOUNT_POINTS, "Heures ou montant non précisés par le donateur : à convenir")
    else:
        return None
    ratio = given / asked
    text = f"{_n(given)} {unit} proposés pour {_n(asked)} {unit} demandés"
    if ratio >= 1:
        return Reason("amount", 10, f"Couvre le besoin : {text}")
    if ratio >= Decimal("0.5"):
        return Reason("amount", 6, f"Couvre au moins la moitié du besoin : {text}")
    if ratio >= Decimal("0.2"):
        return Reason("amount", 3, f"Couvre une petite part du besoin : {text}")
    return Reason("amount", 0, f"Trop peu pour le besoin : {text}")


def _n(value) -> str:
    return f"{Decimal(value).quantize(Decimal(1)):,}".replace(",", "\u202f")


def _size_rank(side: Side) -> int | None:
    if side.org_kind in {"company"} and side.workforce_band in WORKFORCE_RANK:
        return WORKFORCE_RANK[side.workforce_band]
    if side.budget_band in BUDGET_RANK:
        return BUDGET_RANK[side.budget_band]
    if side.workforce_band in WORKFORCE_RANK:
        return WORKFORCE_RANK[side.workforce_band]
    return None


def size_signal(me: Side, other: Side) -> Reason | None:
    a, b = _size_rank(me), _size_rank(other)
    if a is None or b is None:
        return None
    gap = abs(a - b)
    points = max(0, 5 - 2 * gap)
    if points == 0:
        return Reason("size", 0, "Tailles très différentes")
    return Reason("size", points, "Tailles compatibles" if gap else "Tailles comparables")


def network_signal(other: Side, network: Network) -> Reason | None:
    """A current partner is named (0 point: it is shown apart); a partner of a partner earns 3 points."""
    if other.organization_id in network.partners:
        return Reason(
            "network", 0, f"Déjà partenaire dans votre alliance « {network.partners[other.organization_id]} »"
        )
    if other.organization_id in network.second_degree:
        return Reason("network", 3, f"Partenaire de votre partenaire {network.second_degree[other.organization_id]}")
    return None


def history_signal(other: Side, network: Network) -> Reason | None:
    form = KIND_FORM.get(other.item_kind or "")
    count = network.worked_forms.get(form, 0) if form else 0
    if not count or not form:
        return None
    verb = "ont abouti" if count > 1 else "a abouti"
    return Reason("history", 5, f"{count} de vos alliances de {FORM_LABELS[form]} {verb}")


def text_signal(me: Side, other: Side, rarity: Rarity | None = None) -> Reason | None:
    if not me.text or not other.text:
        return None
    rarity = rarity or Rarity()
    value = weighted_similarity(me.text, other.text, rarity.weight)
    points = min(5, round(10 * value))
    if points <= 0:
        return None
    return Reason(
        "text", points, "Mots en commun : " + ", ".join(rare_shared_words(me.text, other.text, rarity.weight)[:5])
    )


def score(
    me: Side,
    other: Side,
    network: Network | None = None,
    labels: Mapping[str, str] | None = None,
    rarity: Rarity | None = None,
) -> Match:
    """The score (0–100) of ``other`` for ``me``, with every reason that counted (and the notable misses)."""
    network = network or Network()
    reasons: list[Reason | None] = [
        cause_signal(me.causes, other.causes, labels or {}),
        territory_signal(me.place, other.place, _in_person(me, other)),
        kind_signal(me, other),
        fit_signal(me, other),
        amount_signal(me, other),
        size_signal(me, other),
        network_signal(other, network),
        history_signal(other, network),
        text_signal(me, other, rarity),
    ]
    kept = [r for r in reasons if r is not None]
    total = min(100, sum(r.points for r in kept))
    kept.sort(key=lambda r: -r.points)
    named = _matched_items(me, other)
    if named:
        kept.insert(0, Reason("item", 0, named))
    return Match(total, kept)


def _in_person(me: Side, other: Side) -> bool:
    """Whether what is asked is given in person (skills, goods): distance then weighs more beyond the EPCI."""
    pair = _need_and_giver(me, other)
    return pair is not None and pair[0].item_kind in IN_PERSON_KINDS


def _matched_items(me: Side, other: Side) -> str:
    """« Pour votre besoin « X » : l'offre « Y » » — which of the acting side's items matched which item."""
    theirs = f"{ITEM_WORDS[other.item_type]} « {other.title} »" if other.item_type and other.title else ""
    if me.item_type and me.title:
        mine = f"votre {ITEM_WORDS[me.item_type]} « {me.title} »"
        return f"Pour {mine} : {theirs}" if theirs else f"Pour {mine}"
    return ""


def best_match(
    mine: list[Side], other: Side, network: Network | None, labels: Mapping[str, str], rarity: Rarity | None = None
) -> Match:
    """The best score of ``other`` against any of the acting side's items (or its organisation alone)."""
    best: Match | None = None
    for side in mine:
        match = score(side, other, network, labels, rarity)
        if best is None or match.score > best.score:
            best = match
    assert best is not None
    return best
