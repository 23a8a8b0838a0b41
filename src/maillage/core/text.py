"""Text normalisation shared by search and deduplication: accents and case never matter."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_NON_ALNUM = re.compile(r"[^a-z0-9]+")

# Words too common to help a search ("Association des amis de la …"); dropped from the index and from queries.
STOPWORDS = frozenset(
    ["a", "au", "aux", "d", "de", "des", "du", "en", "et", "l", "la", "le", "les", "pour", "sur", "un", "une"]
)


@lru_cache(maxsize=1 << 16)
def normalize(text: str) -> str:
    """Lower-case ASCII with single spaces: ``"Écoles   de l'Île"`` → ``"ecoles de l ile"``. Remembers the last
    texts it normalised (an import normalises each name several times)."""
    text = text or ""
    if text.isascii():  # nothing to decompose: the same result, ~20× sooner
        return _NON_ALNUM.sub(" ", text.lower()).strip()
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    ascii_text = ascii_text.replace("œ", "oe").replace("æ", "ae")
    return _NON_ALNUM.sub(" ", ascii_text).strip()


def search_words(text: str) -> list[str]:
    """The distinct words of ``text`` that a search index keeps, in order of appearance."""
    seen: dict[str, None] = {}
    for word in normalize(text).split():
        if word not in STOPWORDS:
            seen.setdefault(word[:40], None)
    return list(seen)
