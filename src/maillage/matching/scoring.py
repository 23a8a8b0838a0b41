"""The score of a suggestion and its reasons, computed from signals: pure functions on plain data, no database.

Structured signals (cause, territory, complementarity, skills, size, network, past alliances) carry 95 of the
100 points; text similarity (shared words, offline, :mod:`maillage.matching.text`) at most 5. The method is written
out in ``METHOD`` and shown on the suggestions page; ``METHOD_VERSION`` is stored with every alliance started
from a suggestion, so that a later change of weights does not rewrite history.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from maillage.matching.text import shared_words, similarity

METHOD_VERSION = "1"

WEIGHTS = {
    "cause": 35,  # 30 for one shared cause, 35 for two or more
    "territory": 25,  # same commune 25, EPCI 20, département 14, région 8, France entière 6
    "kind": 10,  # what one side asks for is what the other gives
    "skills": 10,  # the skills domain of the need is among the offer's
    "size": 5,  # sizes that usually work together
    "network": 5,  # already known through the workspace's own alliances
    "history": 5,  # the workspace's own alliances of the same form went well
    "text": 5,  # words in common in the titles and descriptions
}
assert sum(WEIGHTS.values()) == 100

TERRITORY_POINTS = (("commune", 25), ("epci", 20), ("departement", 14), ("region", 8))
NATIONAL_POINTS = 6
TERRITORY_WORDS = {
    "commune": "Même commune",
    "epci": "Même intercommunalité",
    "departement": "Même département",
    "region": "Même région",
}

METHOD = [
    ("Cause", "35 points si au moins deux causes sont communes, 30 pour une seule, 0 sinon ; 10 si une cause manque."),
    (
        "Territoire",
        "Distance dans la hiérarchie territoriale : même commune 25, même intercommunalité 20, même département 14, "
        "même région 8, offre ou besoin valable dans toute la France 6, plus loin 0.",
    ),
    ("Complémentarité", "10 points si ce que l'un cherche (compétences, biens, financement, partenaire) est ce que "
     "l'autre propose."),
    ("Compétences", "10 points si le domaine de compétences du besoin figure parmi ceux de l'offre."),
    ("Taille", "Jusqu'à 5 points quand les tailles vont ensemble (budget de l'association, effectif de l'entreprise)."),
    ("Réseau", "Jusqu'à 5 points pour une organisation déjà partenaire dans vos alliances ou partenaire de vos "
     "partenaires (vos seules alliances comptent)."),
    ("Expérience", "5 points quand vos alliances de la même forme ont abouti (active, évaluée, renouvelée ou terminée)."),
    ("Mots communs", "Jusqu'à 5 points pour les mots partagés par les textes (calcul local, sans service externe)."),
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


@dataclass
class Network:
    """What the acting workspace knows from its own alliances, and only from them."""

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


def cause_signal(mine: frozenset[str], theirs: frozenset[str], labels: Mapping[str, str]) -> Reason:
    if not mine or not theirs:
        return Reason("cause", 10, "Cause non renseignée d'un côté : rapprochement possible, à vérifier")
    common = sorted(mine & theirs)
    if not common:
        return Reason("cause", 0, "Aucune cause commune")
    names = ", ".join(labels.get(c, c) for c in common)
    if len(common) >= 2:
        return Reason("cause", 35, f"Causes communes : {names}")
    return Reason("cause", 30, f"Même cause : {names}")


def territory_signal(mine: Place, theirs: Place) -> Reason:
    for level, points in TERRITORY_POINTS:
        a, b = getattr(mine, level), getattr(theirs, level)
        if a and b and a == b:
            name = theirs.names.get(level) or mine.names.get(level) or a
            return Reason("territory", points, f"{TERRITORY_WORDS[level]} : {name}")
    if theirs.national or mine.national:
        return Reason("territory", NATIONAL_POINTS, "Agit dans toute la France")
    return Reason("territory", 0, "Territoires éloignés (autre région)")


def kind_signal(me: Side, other: Side) -> Reason | None:
    if me.item_kind is None or other.item_kind is None:
        return None
    if me.gives == other.gives:
        return None  # two needs or two offers: no complementarity to weigh
    if me.item_kind == other.item_kind:
        need = me if not me.gives else other
        words = {
            "skills": "des compétences",
            "goods": "des biens ou des locaux",
            "funding": "un financement",
            "partner": "un partenaire pour co-construire",
        }
        return Reason("kind", 10, f"Le besoin ({words[need.item_kind]}) correspond à ce qui est proposé")
    return Reason("kind", 0, "Ce qui est proposé n'est pas ce qui est cherché")


def skills_signal(me: Side, other: Side) -> Reason | None:
    if me.item_kind != "skills" or other.item_kind != "skills" or me.gives == other.gives:
        return None
    common = sorted(me.skill_domains & other.skill_domains)
    if not common:
        return Reason("skills", 0, "Domaines de compétences différents")
    return Reason(
        "skills", 10, "Compétences recherchées proposées : " + ", ".join(SKILL_LABELS.get(d, d) for d in common)
    )


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
    if other.organization_id in network.partners:
        return Reason(
            "network", 5, f"Déjà partenaire dans votre alliance « {network.partners[other.organization_id]} »"
        )
    if other.organization_id in network.second_degree:
        return Reason("network", 3, f"Partenaire de votre partenaire {network.second_degree[other.organization_id]}")
    return None


def history_signal(other: Side, network: Network) -> Reason | None:
    form = KIND_FORM.get(other.item_kind or "")
    count = network.worked_forms.get(form, 0) if form else 0
    if not count:
        return None
    verb = "ont abouti" if count > 1 else "a abouti"
    return Reason("history", 5, f"{count} de vos alliances de {FORM_LABELS[form]} {verb}")


def text_signal(me: Side, other: Side) -> Reason | None:
    if not me.text or not other.text:
        return None
    value = similarity(me.text, other.text)
    points = min(5, round(10 * value))
    if points <= 0:
        return None
    return Reason("text", points, "Mots en commun : " + ", ".join(shared_words(me.text, other.text)[:5]))


def score(me: Side, other: Side, network: Network | None = None, labels: Mapping[str, str] | None = None) -> Match:
    """The score (0–100) of ``other`` for ``me``, with every reason that counted (and the notable misses)."""
    network = network or Network()
    reasons: list[Reason | None] = [
        cause_signal(me.causes, other.causes, labels or {}),
        territory_signal(me.place, other.place),
        kind_signal(me, other),
        skills_signal(me, other),
        size_signal(me, other),
        network_signal(other, network),
        history_signal(other, network),
        text_signal(me, other),
    ]
    kept = [r for r in reasons if r is not None]
    total = min(100, sum(r.points for r in kept))
    kept.sort(key=lambda r: -r.points)
    return Match(total, kept)


def best_match(mine: list[Side], other: Side, network: Network | None, labels: Mapping[str, str]) -> Match:
    """The best score of ``other`` against any of the acting side's items (or its organisation alone)."""
    best: Match | None = None
    for side in mine:
        match = score(side, other, network, labels)
        if best is None or match.score > best.score:
            best = match
    assert best is not None
    return best
