"""Finding organisations of the directory from what a spreadsheet says about them.

By identifier first (SIREN, SIRET, RNA: certain), then by name and commune with rapidfuzz: a score of
``CERTAIN`` or more is taken as the same organisation; from ``PROPOSE`` to ``CERTAIN`` the match is proposed
and a person confirms it; below, the organisation is new.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import cast

from django.db import connection, transaction
from rapidfuzz import fuzz, process

from maillage.core.text import normalize, search_words
from maillage.organizations.models import Organization, SearchToken
from maillage.territories.models import Commune

CERTAIN = 97.0
PROPOSE = 85.0
NEIGHBOURS = 12  # per block and direction: the names next to the row's in the index's name order
LATERAL_ROWS = 5000  # rows scanned together (PostgreSQL: per statement of four LATERAL joins)
DIGITS = re.compile(r"[\s.\-]")
NUMBERS = re.compile(r"[0-9]+")
CODE = re.compile(r"[0-9][0-9AB][0-9]{3}")  # an INSEE commune code
CODE_LIKE = re.compile(r"[0-9AB]{5}")


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
        self._blocks: dict[tuple, list[Organization]] = {}  # (name, commune) → candidates read in advance

    # ---- set-based look-ups of a whole file (``prefetch_*``): a few queries, then everything in memory ----

    def prefetch_communes(self, values) -> None:
        """Every commune the file names, by code and by name, in two queries."""
        values = {(v or "").strip() for v in values} - {""} - set(self._communes)
        codes = sorted({v.upper() for v in values if CODE.fullmatch(v.upper())})
        by_code: dict[str, Commune] = {c.code: c for c in _places_in("code", codes)}
        names = {normalize(v) for v in values if v.upper() not in by_code}
        by_name: dict[str, list[Commune]] = {}
        for c in _places_in("name_search", sorted(names), kind="commune"):
            by_name.setdefault(c.name_search, []).append(c)
        for value in values:
            code = value.upper()
            found = by_code.get(code)
            if found is None and not CODE_LIKE.fullmatch(code):
                named = by_name.get(normalize(value), [])
                found = named[0] if len(named) == 1 else None
            self._communes[value] = found

    def prefetch_identifiers(self, values) -> None:
        """Every SIREN, SIRET and RNA the file names, in one query per chunk."""
        wanted: dict[str, set[str]] = {"siret": set(), "siren": set(), "rna": set()}
        for value in values:
            compact = DIGITS.sub("", value or "").upper()
            for field, pattern in IDENTIFIERS:
                if pattern.fullmatch(compact):
                    wanted[field].add(compact)
                    break
        sirens = wanted["siren"] | {s[:9] for s in wanted["siret"]}
        found: dict[tuple[str, str], Organization] = {}
        postgres = connection.vendor == "postgresql"
        table = connection.ops.quote_name(Organization._meta.db_table)
        for field, values_ in (("siren", sirens), ("siret", wanted["siret"]), ("rna", wanted["rna"])):
            if postgres and values_:  # one text parameter, not an IN of 900 placeholders per chunk (_places_in)
                sql = f"SELECT * FROM {table} WHERE {field} = ANY(string_to_array(%s, ','))"  # noqa: S608
                for org in Organization.objects.raw(sql, [_joined(sorted(values_))]):
                    found.setdefault((field, getattr(org, field)), org)
                continue
            for chunk in _chunks(sorted(values_), 900):
                for org in Organization.objects.filter(**{f"{field}__in": chunk}):
                    found.setdefault((field, getattr(org, field)), org)
        for field, values_ in wanted.items():
            for compact in values_:
                hit = found.get((field, compact))
                if hit is None and field == "siret":
                    hit = found.get(("siren", compact[:9]))
                self._cache[field, compact] = hit

    def prefetch_names(self, pairs) -> None:
        """The candidates of every (name, commune) of the file, read together: the organisations whose name is
        next to the row's in name order among those indexed under the row's longest word, and among those of
        its commune (``NEIGHBOURS`` each side). Index range scans of a fixed size: the same work whatever the
        size of the directory (decision 0011). The scans return the names themselves, scored here at once;
        only the few candidates close enough to be proposed (``PROPOSE``) are read from the directory."""
        pending = []
        for name, commune in pairs:
            target = normalize(name)
            key = (target, commune.code if commune else "")
            if target and key not in self._blocks and ("name", *key) not in self._cache:
                self._blocks[key] = []
                pending.append((key, target, commune))
        close: list[tuple[tuple, int]] = []  # (row's key, organisation id) scored PROPOSE or more
        postgres = connection.vendor == "postgresql"
        for chunk in _chunks(pending, LATERAL_ROWS):
            self._score(chunk, _scan_lateral(chunk) if postgres else _scan_each(chunk), close)
        if not close:
            return
        orgs = _organizations({pk for _, pk in close})
        communes = {key: commune for key, _, commune in pending}
        for key, pk in close:
            org, commune = orgs.get(pk), communes[key]
            if org is not None and (commune is None or org.commune_id in {commune.code, commune.parent_id}):
                self._blocks[key].append(org)

    @staticmethod
    def _score(chunk: list, hits, close: list) -> None:
        """The (row's key, organisation id) of ``hits`` (row number in ``chunk``, id, name) close enough to the
        row's name to be proposed, appended to ``close``."""
        names: dict[int, dict[int, str]] = {}
        for number, pk, name_search in hits:
            names.setdefault(number, {})[pk] = name_search
        for number, choices in names.items():
            key, target, _ = chunk[number]
            for _, _, pk in process.extract(
                target, choices, scorer=fuzz.token_sort_ratio, score_cutoff=PROPOSE, limit=None
            ):
                close.append((key, pk))

    def commune(self, value: str) -> Commune | None:
        """A commune from its INSEE code, or from its name when only one commune bears it; else ``ValueError``."""
        value = (value or "").strip()
        if not value:
            return None
        if value in self._communes:
            found = self._communes[value]
        else:
            code = value.upper()
            found = Commune.objects.filter(code=code).first() if CODE.fullmatch(code) else None
            if found is None and not CODE_LIKE.fullmatch(code):
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
        for field, pattern in IDENTIFIERS:
            if pattern.fullmatch(compact):
                key = (field, compact)
                if key not in self._cache:
                    org = Organization.objects.filter(**{field: compact}).first()
                    if org is None and field == "siret":
                        org = Organization.objects.filter(siren=compact[:9]).first()
                    self._cache[key] = org
                cached = self._cache[key]  # an organisation or None under an identifier's key
                org = cached if isinstance(cached, Organization) else None
                return Match(org, 100.0 if org else 0.0, org is not None, field if org else "")
        return None

    def by_name(self, name: str, commune: Commune | None = None) -> Match:
        target = normalize(name)
        if not target:
            return Match(None, 0.0, False, "")
        key = ("name", target, commune.code if commune else "")
        cached = self._cache.get(key)
        if isinstance(cached, Match):  # a name's key holds its Match
            return cached
        block = self._blocks.get(key[1:])
        candidates = list({o.pk: o for o in block}.values()) if block is not None else self._candidates(target, commune)
        # Names that differ by a number ("Section 12" / "Section 13") are different organisations, however close.
        numbers = NUMBERS.findall(target)
        candidates = [o for o in candidates if NUMBERS.findall(o.name_search) == numbers]
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
        """The candidates of one name not read in advance: the same bounded window as :meth:`prefetch_names`
        (the names next to it among those indexed under its longest word, and among its commune's), never an
        arbitrary slice of a commune or of a word's organisations."""
        self.prefetch_names([(target, commune)])
        return self._blocks.get((normalize(target), commune.code if commune else ""), [])

    def find(self, reference: str) -> Match:
        """An organisation named in a cell: an identifier, or a name (exact or nearly)."""
        reference = (reference or "").strip()
        return self.by_identifier(reference) or self.by_name(reference)


IDENTIFIERS = (
    ("siret", re.compile(r"[0-9]{14}")),
    ("siren", re.compile(r"[0-9]{9}")),
    ("rna", re.compile(r"W[0-9][0-9AB][0-9]{7}")),
)


LOOKED_UP = ("id", "name", "name_search", "commune_id", "siren", "siret", "rna")


def _scan_lateral(chunk: list) -> list[tuple]:
    """PostgreSQL: the same index range scans as the ``UNION ALL`` of :meth:`Directory.prefetch_names`, as four
    ``LATERAL`` joins over arrays of the rows (planned once, whatever the number of rows: a ``UNION ALL`` of 500
    sub-selects took PostgreSQL 1.9 s to plan for 0.17 s of work)."""
    org_table = connection.ops.quote_name(Organization._meta.db_table)
    token_table = connection.ops.quote_name(SearchToken._meta.db_table)
    by_word: tuple[list, list, list] = ([], [], [])
    by_place: tuple[list, list, list] = ([], [], [])
    for number, (_, target, commune) in enumerate(chunk):
        for word in sorted(search_words(target), key=len, reverse=True)[:1]:
            for column, value in zip(by_word, (number, word, target), strict=True):
                column.append(value)
        if commune is not None:
            for place in [commune.code, *([commune.parent_id] if commune.parent_id else [])]:
                for column, value in zip(by_place, (number, place, target), strict=True):
                    column.append(value)
    # Each list sent once, as one text parameter split by the server (words, normalised names and commune codes
    # hold no comma): psycopg dumped the twelve arrays of the former statement element by element (≈ 30 ms of
    # client CPU per 2,000 rows, more than the statement's planning).
    rows = "unnest(string_to_array(%s, ',')::int[], string_to_array(%s, ','), string_to_array(%s, ','))"
    words = f"SELECT organization_id, name_search FROM {token_table} WHERE token = v.word"  # noqa: S608
    places = f"SELECT id, name_search FROM {org_table} WHERE commune_id = v.place"  # noqa: S608
    ctes = [f"w(r, word, target) AS MATERIALIZED (SELECT * FROM {rows})"]  # noqa: S608
    params = [_joined(column) for column in by_word]
    if by_place[0]:
        ctes.append(f"p(r, place, target) AS MATERIALIZED (SELECT * FROM {rows})")  # noqa: S608
        params += [_joined(column) for column in by_place]
    terms = []
    for op, order in ((">=", "ASC"), ("<", "DESC")):
        window = f"AND name_search {op} v.target ORDER BY name_search {order} LIMIT {NEIGHBOURS}"
        terms.append(f"SELECT v.r, t.* FROM w AS v CROSS JOIN LATERAL ({words} {window}) AS t")  # noqa: S608
        if by_place[0]:
            terms.append(f"SELECT v.r, o.* FROM p AS v CROSS JOIN LATERAL ({places} {window}) AS o")  # noqa: S608
    with transaction.atomic(), connection.cursor() as cursor:
        # No JIT: at 1,000,000 organisations the plan's estimated cost passes ``jit_above_cost`` and compiling it
        # took ≈ 100 ms, more than the scans themselves (bench/README.md, organisations import).
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(f"WITH {', '.join(ctes)} {' UNION ALL '.join(terms)}", params)
        return cursor.fetchall()


def _scan_each(chunk: list) -> list[tuple]:
    """SQLite: the same index range scans as :func:`_scan_lateral`, one small statement per window, run on the
    driver's connection (its statement cache prepares each of the four shapes once). A ``UNION ALL`` of 400
    sub-selects per 100 rows cost SQLite more to prepare than to run (bench/README.md, organisations import:
    0.17 s of preparing for 0.10 s of work per 2,000 rows, against 0.04 s in all like this)."""
    org_table = connection.ops.quote_name(Organization._meta.db_table)
    token_table = connection.ops.quote_name(SearchToken._meta.db_table)
    shapes = []
    for op, order in ((">=", "ASC"), ("<", "DESC")):
        window = f"AND name_search {op} ? ORDER BY name_search {order} LIMIT {NEIGHBOURS}"
        by_word = f"SELECT organization_id, name_search FROM {token_table} WHERE token = ? {window}"  # noqa: S608
        by_place = f"SELECT id, name_search FROM {org_table} WHERE commune_id = ? {window}"  # noqa: S608
        shapes.append((by_word, by_place))
    connection.ensure_connection()
    execute = connection.connection.execute  # the driver's own: no placeholder translation per statement
    hits: list[tuple] = []
    for number, (_, target, commune) in enumerate(chunk):
        word = max(search_words(target), key=len, default=None)
        codes = [commune.code, *([commune.parent_id] if commune.parent_id else [])] if commune is not None else []
        if word is not None:  # in the order of the former UNION ALL: the word's windows, then each place's
            for by_word, _ in shapes:
                hits += [(number, pk, name) for pk, name in execute(by_word, (word, target))]
        for code in codes:
            for _, by_place in shapes:
                hits += [(number, pk, name) for pk, name in execute(by_place, (code, target))]
    return hits


def _organizations(ids) -> dict[int, Organization]:
    """Organisations by id, with the fields a match shows, read raw (no query compiled per chunk)."""
    table = connection.ops.quote_name(Organization._meta.db_table)
    found: dict[int, Organization] = {}
    ids = sorted(ids)
    with connection.cursor() as cursor:
        for chunk in _chunks(ids, 900):
            cursor.execute(
                f"SELECT {', '.join(LOOKED_UP)} FROM {table} WHERE id IN ({', '.join(['%s'] * len(chunk))})",  # noqa: S608
                chunk,
            )
            for row in cursor.fetchall():
                # A stand-in with the fields a match shows (duck-typed: built ~10× faster than a model instance).
                found[row[0]] = cast(Organization, Found(*row))
    return found


class Found:
    """What a match shows of an organisation read in advance (a model instance costs ~10× more to build)."""

    __slots__ = LOOKED_UP

    id: int

    def __init__(self, *values: object) -> None:

        for name, value in zip(LOOKED_UP, values, strict=True):
            setattr(self, name, value)

    @property
    def pk(self) -> int:
        return self.id


PLACE = ("code", "name", "name_search", "kind", "departement_id", "region_id", "epci_id", "parent_id", "postal_codes")


class Place:
    """What an import reads of a commune (its code, names, territories, postal codes), read raw: a file names
    thousands of communes, and a model instance costs ~10× more to build (like :class:`Found`)."""

    __slots__ = PLACE

    code: str

    def __init__(self, *values: object) -> None:
        for name, value in zip(PLACE, values, strict=True):
            setattr(self, name, value)

    @property
    def pk(self) -> str:
        return self.code


def _places(**lookups) -> list[Commune]:
    return [cast(Commune, Place(*row)) for row in Commune.objects.filter(**lookups).values_list(*PLACE)]


def _places_in(column: str, values: list[str], kind: str | None = None) -> list[Commune]:
    """The communes whose ``column`` (``code`` or ``name_search``) is one of ``values``. PostgreSQL: one text
    parameter split by the server (codes and normalised names hold no comma), where an ``IN`` of 900
    placeholders per chunk cost psycopg more CPU to parse and bind than the query cost the server."""
    if not values:
        return []
    if connection.vendor != "postgresql":
        extra = {"kind": kind} if kind is not None else {}
        return [c for chunk in _chunks(values, 900) for c in _places(**{f"{column}__in": chunk}, **extra)]
    table = connection.ops.quote_name(Commune._meta.db_table)
    sql = f"SELECT {', '.join(PLACE)} FROM {table} WHERE {column} = ANY(string_to_array(%s, ','))"  # noqa: S608
    params = [_joined(values)]
    if kind is not None:
        sql += " AND kind = %s"
        params.append(kind)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [cast(Commune, Place(*row)) for row in cursor.fetchall()]


def _joined(values) -> str:
    """PostgreSQL: ``values`` as one text parameter for ``string_to_array(%s, ',')`` (one parameter, not an array
    dumped element by element by psycopg): only for values that cannot hold a comma (codes, identifiers,
    normalised names and words: ``[a-z0-9 ]``)."""
    text = ",".join(map(str, values))
    if text.count(",") != len(values) - 1:
        raise ValueError("a value holds a comma")
    return text


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def organization_label(org: Organization) -> str:
    ident = org.siret or org.siren or org.rna or ""
    return f"{org.name} ({ident})" if ident else org.name
