"""Finding organisations of the directory from what a spreadsheet says about them.

By identifier first (SIREN, SIRET, RNA: certain), then by name and commune with rapidfuzz: a score of
``CERTAIN`` or more is taken as the same organisation; from ``PROPOSE`` to ``CERTAIN`` the match is proposed
and a person confirms it; below, the organisation is new.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from maillage.core.text import normalize, search_words
from maillage.organizations.models import Organization, SearchToken
from maillage.territories.models import Commune

CERTAIN = 97.0
PROPOSE = 85.0
MAX_CANDIDATES = 500
DIGITS = re.compile(r"[\s.\-]")


@dataclass
class Match:
    organization: Organization | None
    score: float
    certain: bool
    how: str  # "siren", "siret", "rna", "nom", ""


class Directory:
    """Lookups with a per-import cache: one spreadsheet names the same partner on many rows."""

    def __init__(self):
        self._cache: dict[tuple, object] = {}
        self._communes: dict[str, Commune | None] = {}

    def commune(self, value: str) -> Commune | None:
        """A commune from its INSEE code, or from its name when only one commune bears it; else ``ValueError``."""
        value = (value or "").strip()
        if not value:
            return None
        if value in self._communes:
            found = self._communes[value]
        else:
            code = value.upper()
            found = Commune.objects.filter(code=code).first() if re.fullmatch(r"[0-9][0-9AB][0-9]{3}", code) else None
            if found is None and not re.fullmatch(r"[0-9AB]{5}", code):
                named = list(Commune.objects.filter(name_search=normalize(value), kind="commune")[:2])
                found = named[0] if len(named) == 1 else None
            self._communes[value] = found
        if found is None:
            raise ValueError(
                f"Commune inconnue « {value} » : indiquez son code INSEE à 5 caractères (ex. 69123 pour Lyon)."
            )
        return found

    def by_identifier(self, value: str) -> Match | None:
        compact = DIGITS.sub("", value or "").upper()
        for field, pattern in (("siret", r"[0-9]{14}"), ("siren", r"[0-9]{9}"), ("rna", r"W[0-9][0-9AB][0-9]{7}")):
            if re.fullmatch(pattern, compact):
                key = (field, compact)
                if key not in self._cache:
                    org = Organization.objects.filter(**{field: compact}).first()
                    if org is None and field == "siret":
                        org = Organization.objects.filter(siren=compact[:9]).first()
                    self._cache[key] = org
                org = self._cache[key]
                return Match(org, 100.0 if org else 0.0, org is not None, field if org else "")
        return None

    def by_name(self, name: str, commune: Commune | None = None) -> Match:
        target = normalize(name)
        if not target:
            return Match(None, 0.0, False, "")
        key = ("name", target, commune.code if commune else "")
        if key in self._cache:
            return self._cache[key]  # type: ignore[return-value]
        candidates = self._candidates(target, commune)
        best = None
        if candidates:
            choices = {o.pk: o.name_search for o in candidates}
            best = process.extractOne(target, choices, scorer=fuzz.token_sort_ratio)
        if best is None:
            match = Match(None, 0.0, False, "")
        else:
            _, score, pk = best
            org = next(o for o in candidates if o.pk == pk)
            same_place = commune is None or org.commune_id in {commune.code, commune.parent_id}
            certain = score >= CERTAIN and same_place
            match = Match(org, round(score, 1), certain, "nom") if score >= PROPOSE else Match(None, score, False, "")
        self._cache[key] = match
        return match

    def _candidates(self, target: str, commune: Commune | None) -> list[Organization]:
        words = sorted(search_words(target), key=len, reverse=True)[:2]
        qs = Organization.objects.all()
        if commune is not None:
            qs = qs.filter(commune_id__in=[commune.code, *([commune.parent_id] if commune.parent_id else [])])
        elif words:
            qs = qs.filter(pk__in=SearchToken.objects.filter(token=words[0]).values("organization_id"))
        else:
            return []
        return list(qs.only("pk", "name", "name_search", "commune_id")[:MAX_CANDIDATES])

    def find(self, reference: str) -> Match:
        """An organisation named in a cell: an identifier, or a name (exact or nearly)."""
        reference = (reference or "").strip()
        return self.by_identifier(reference) or self.by_name(reference)


def organization_label(org: Organization) -> str:
    ident = org.siret or org.siren or org.rna or ""
    return f"{org.name} ({ident})" if ident else org.name
