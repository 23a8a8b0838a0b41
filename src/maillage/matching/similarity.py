"""Offline text similarity of French short texts: shared normalised words (no model, no download).

Words are normalised with :func:`maillage.core.text.normalize` (accents and case never matter), French stop
words are dropped and a light suffix stripping merges plurals and common endings ("comptables" ≈ "comptable").
The similarity is the Jaccard index of the two word sets: cheap, explainable, and it shows which words counted.
"""

from __future__ import annotations

from functools import lru_cache

from maillage.core.text import STOPWORDS, normalize

FRENCH_STOPWORDS = STOPWORDS | frozenset(
    [
        "ai",
        "avec",
        "ce",
        "ces",
        "cet",
        "cette",
        "dans",
        "deux",
        "elle",
        "elles",
        "est",
        "et",
        "etre",
        "il",
        "ils",
        "je",
        "leur",
        "leurs",
        "mais",
        "me",
        "meme",
        "mes",
        "moi",
        "mon",
        "ne",
        "nos",
        "notre",
        "nous",
        "on",
        "ou",
        "par",
        "pas",
        "plus",
        "qu",
        "que",
        "qui",
        "sa",
        "se",
        "ses",
        "si",
        "son",
        "sont",
        "ta",
        "te",
        "tes",
        "toi",
        "ton",
        "tu",
        "vos",
        "votre",
        "vous",
        "y",
        "c",
        "s",
        "n",
        "m",
        "afin",
        "aussi",
        "autre",
        "autres",
        "bien",
        "chaque",
        "comme",
        "dont",
        "entre",
        "fait",
        "faire",
        "ici",
        "jour",
        "lors",
        "nous",
        "peu",
        "peut",
        "pour",
        "sans",
        "selon",
        "soit",
        "tous",
        "tout",
        "toute",
        "toutes",
        "tres",
        "chez",
        "association",
        "associations",
        "besoin",
        "besoins",
        "offre",
        "offres",
        "projet",
        "projets",
        "recherche",
        "recherchons",
        "cherchons",
        "proposons",
        "propose",
        "heures",
        "heure",
        "an",
        "ans",
        "annee",
        "mois",
    ]
)


def _stem(word: str) -> str:
    for suffix in ("ements", "ement", "ations", "ation", "ites", "ite", "eurs", "eur", "es", "s", "e"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


@lru_cache(maxsize=4096)
def words(text: str) -> frozenset[str]:
    return frozenset(_stem(w) for w in normalize(text).split() if w not in FRENCH_STOPWORDS and len(w) > 2)


def similarity(a: str, b: str) -> float:
    """Jaccard index of the normalised word sets of ``a`` and ``b``, between 0 and 1."""
    wa, wb = words(a), words(b)
    if not wa or not wb:
        return 0.0
    return len(wa & wb) / len(wa | wb)


def shared_words(a: str, b: str) -> list[str]:
    """The words of ``a`` (as written, normalised) whose stems also appear in ``b``."""
    common = words(a) & words(b)
    seen: dict[str, None] = {}
    for w in normalize(a).split():
        if w not in FRENCH_STOPWORDS and len(w) > 2 and _stem(w) in common:
            seen.setdefault(w, None)
    return list(seen)


def weighted_similarity(a: str, b: str, weight) -> float:
    """Jaccard index where each word counts its ``weight`` (its rarity among the candidates), between 0 and 1."""
    wa, wb = words(a), words(b)
    if not wa or not wb:
        return 0.0
    union = sum(weight(w) for w in wa | wb)
    if union <= 0:
        return 0.0
    return sum(weight(w) for w in wa & wb) / union


def rare_shared_words(a: str, b: str, weight) -> list[str]:
    """The words of ``a`` shared with ``b``, rarest first; words every candidate uses (weight ≈ 0) left out."""
    common = {w for w in words(a) & words(b) if weight(w) > 0.3}
    seen: dict[str, str] = {}
    for w in normalize(a).split():
        stem = _stem(w)
        if w not in FRENCH_STOPWORDS and len(w) > 2 and stem in common:
            seen.setdefault(stem, w)
    return [seen[stem] for stem in sorted(seen, key=lambda s: -weight(s))]
