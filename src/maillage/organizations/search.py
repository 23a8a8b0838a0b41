"""Directory search: accent- and case-insensitive prefix search on names and places, plus identifiers.

Every page costs a fixed number of queries whatever the size of the directory (one probe per query word,
then one query for the page, one for the causes of its rows). How it stays under 100 ms on a million rows
is explained in docs/decisions/0002-directory-search.md: a word index table (``SearchToken``) shared by
SQLite and PostgreSQL, read from the most selective side.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.expressions import RawSQL

from maillage.core.text import normalize, search_words
from maillage.organizations.models import Cause, Organization, SearchToken
from maillage.territories.models import Commune

# A word whose prefix matches at most this many index entries is read from the index first.
SELECTIVE_LIMIT = 2000
MAX_QUERY_WORDS = 6
# When every word is common, the page is read from the postings of the rarest one, token by token of its prefix…
PREFIX_TOKENS_LIMIT = 32
# …whose size is counted up to this cap (one query for all the words and the filter).
COUNT_CAP = 20_000
_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def next_prefix(word: str) -> str | None:
    """The smallest string greater than every string starting with ``word`` (alphabet [0-9a-z]).

    Incrementing within that alphabet keeps the range right under any collation, C or linguistic.
    """
    chars = list(word)
    while chars:
        position = _ALPHABET.find(chars[-1])
        if 0 <= position < len(_ALPHABET) - 1:
            chars[-1] = _ALPHABET[position + 1]
            return "".join(chars)
        chars.pop()
    return None


def token_filter(word: str) -> Q:
    upper = next_prefix(word)
    condition = Q(token__gte=word)
    if upper is not None:
        condition &= Q(token__lt=upper)
    return condition


_UNSET = object()


def tokens_of(name: str, commune_name: str = "", postal_codes: str = "") -> list[str]:
    """The index words of an organisation: its name, its commune's name and (up to 25) postal codes."""
    words = search_words(name)
    words += [w for w in search_words(commune_name) if w not in words]
    words += [code for code in postal_codes.split()[:25] if code not in words]
    return words


def tokens_for(organization: Organization, commune=_UNSET) -> list[str]:
    commune = organization.commune if commune is _UNSET else commune
    if commune is None:
        return tokens_of(organization.name)
    return tokens_of(organization.name, commune.name, commune.postal_codes)


def index_organizations(organizations: Iterable[Organization], *, replace: bool = True) -> int:
    """(Re)build the index words of these organisations; returns how many words were written."""
    organizations = list(organizations)
    if replace:
        SearchToken.objects.filter(organization__in=[o.pk for o in organizations]).delete()
    rows = [
        SearchToken(organization_id=o.pk, token=t, name_search=o.name_search)
        for o in organizations
        for t in tokens_for(o)
    ]
    SearchToken.objects.bulk_create(rows, batch_size=5000)
    return len(rows)


@dataclass
class DirectoryQuery:
    q: str = ""
    kind: str = ""
    region: str = ""
    departement: str = ""
    epci: str = ""
    commune: str = ""
    cause: str = ""
    page: int = 1
    page_size: int = field(default_factory=lambda: settings.DIRECTORY_PAGE_SIZE)


@dataclass
class DirectoryPage:
    results: list[Organization]
    page: int
    has_next: bool
    page_size: int

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def start_index(self) -> int:
        return (self.page - 1) * self.page_size + 1 if self.results else 0

    @property
    def end_index(self) -> int:
        return self.start_index + len(self.results) - 1 if self.results else 0


_DIGITS = re.compile(r"^[0-9 ]+$")


def _identifier_filter(q: str) -> Q | None:
    """Recognise a SIREN, SIRET, RNA number, postal code or INSEE code typed in the search box."""
    compact = q.replace(" ", "").upper()
    if _DIGITS.match(q) and len(compact) == 9:
        return Q(siren=compact)
    if _DIGITS.match(q) and len(compact) == 14:
        return Q(siret=compact)
    if re.match(r"^W[0-9][0-9AB][0-9]{7}$", compact):
        return Q(rna=compact)
    if re.match(r"^(?:[0-9]{5}|2[AB][0-9]{3})$", compact):
        communes = Commune.objects.filter(Q(code=compact) | Q(postal_codes__contains=compact)).values("code")
        return Q(commune__in=communes)
    return None


def _territory_filter(query: DirectoryQuery) -> Q:
    condition = Q()
    if query.kind:
        condition &= Q(kind=query.kind)
    if query.region:
        condition &= Q(region_id=query.region)
    if query.departement:
        condition &= Q(departement_id=query.departement)
    if query.epci:
        condition &= Q(epci_id=query.epci)
    if query.commune:
        # A commune with arrondissements (Paris, Lyon, Marseille) covers the organisations placed in them.
        codes = [query.commune, *Commune.objects.filter(parent_id=query.commune).values_list("code", flat=True)]
        condition &= Q(commune_id=codes[0]) if len(codes) == 1 else Q(commune_id__in=codes)
    if query.cause:
        condition &= Q(causes=query.cause)
    return condition


def _unindexed(column: str) -> Func:
    """``column`` in an expression no index provides: the database looks the few ids up, then sorts them.

    Without it SQLite prefers walking the whole (name_search, id) index to avoid a sort of 2,000 rows.
    """
    return Func(F(column), template="(%(expressions)s || '')", output_field=CharField())


def prefix_tokens(words: list[str], limit: int) -> list[list[str]]:
    """For each word, the distinct index words that start with it (at most ``limit + 1``), by a loose index scan;
    one query for all the words."""
    table = SearchToken._meta.db_table
    ctes: list[str] = []
    selects: list[str] = []
    params: list[Any] = []
    for i, word in enumerate(words):
        upper = next_prefix(word)
        bound = "AND {} < %s" if upper is not None else ""
        bounds = [upper] if upper is not None else []
        # Only the table name and the CTE names are interpolated; the words are parameters.
        ctes.append(
            f"""t{i}(token, n) AS (
                SELECT (SELECT min(token) FROM {table} WHERE token >= %s {bound.format("token")}), 1
                UNION ALL
                SELECT (SELECT min(s.token) FROM {table} s WHERE s.token > t{i}.token {bound.format("s.token")}),
                       t{i}.n + 1
                FROM t{i} WHERE t{i}.token IS NOT NULL AND t{i}.n <= %s
            )"""  # noqa: S608
        )
        params += [word, *bounds, *bounds, limit]
        selects.append(f"SELECT {i}, token FROM t{i} WHERE token IS NOT NULL")  # noqa: S608
    found: list[list[str]] = [[] for _ in words]
    with connection.cursor() as cursor:
        cursor.execute("WITH RECURSIVE " + ", ".join(ctes) + " " + " UNION ALL ".join(selects), params)
        for i, token in cursor.fetchall():
            found[i].append(token)
    return [sorted(tokens) for tokens in found]


def capped_counts(querysets: list[QuerySet]) -> list[int]:
    """How many rows each queryset has, counting to COUNT_CAP at most, in one query."""
    parts: list[str] = []
    params: list[Any] = []
    for i, qs in enumerate(querysets):
        sql, part_params = qs.order_by().values("pk")[:COUNT_CAP].query.sql_with_params()
        parts.append(f"(SELECT count(*) FROM ({sql}) c{i})")  # noqa: S608 (compiled by Django, with parameters)
        params.extend(part_params)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        return list(cursor.fetchone())


def _word_exists(word: str, outer: str) -> Exists:
    return Exists(SearchToken.objects.filter(token_filter(word), organization_id=OuterRef(outer)))


def _exact_arm(exact: str) -> tuple[str, list[Any]]:
    """The organisations whose whole name is the query, as one more arm of a candidates' UNION ALL: an ``OR``
    beside ``id IN (…)`` made PostgreSQL scan the whole directory (1 s at a million rows)."""
    return f"SELECT id FROM {Organization._meta.db_table} WHERE name_search = %s", [exact]  # noqa: S608


def _postings_in_name_order(
    tokens: list[str], others: list[str], scope: QuerySet | None, window: int, exact: str
) -> RawSQL:
    """The first ``window`` organisations of each token in name order, that have the other words and are in
    ``scope``; their union holds the first ``window`` organisations of the whole query (plus the exact name)."""
    parts: list[str] = []
    params: list[Any] = []
    for i, token in enumerate(tokens):
        arm = SearchToken.objects.filter(token=token)
        for word in others:
            arm = arm.filter(_word_exists(word, "organization_id"))
        if scope is not None:
            arm = arm.filter(Exists(scope.filter(pk=OuterRef("organization_id"))))
        sql, arm_params = (
            arm.order_by("name_search", "organization_id").values("organization_id")[:window].query.sql_with_params()
        )
        parts.append(f"SELECT * FROM ({sql}) p{i}")  # noqa: S608 (compiled by Django, with parameters)
        params.extend(arm_params)
    if exact:
        sql, exact_params = _exact_arm(exact)
        parts.append(sql)
        params.extend(exact_params)
    # A UNION ALL of ordered, LIMITed queries: Django cannot write it for SQLite, so it is assembled here.
    return RawSQL(" UNION ALL ".join(parts), params)  # noqa: S611


def _others_sql(alias: str, others: list[str]) -> tuple[str, list[Any]]:
    """``AND EXISTS (…)`` for each other word, on the organisation of the index row ``alias``."""
    table = SearchToken._meta.db_table
    sql, params = "", []
    for word in others:
        upper = next_prefix(word)
        sql += (
            f" AND EXISTS (SELECT 1 FROM {table} o WHERE o.organization_id = {alias}.organization_id"  # noqa: S608
            f" AND o.token >= %s{' AND o.token < %s' if upper is not None else ''})"
        )
        params += [word, *([upper] if upper is not None else [])]
    return sql, params


def _leapfrog(driver: str, partner: str, others: list[str], window: int, exact: str) -> RawSQL:
    """The organisations of the first names, in name order, that hold both index words ``driver`` and ``partner``
    (and the ``others`` words), until ``window`` organisations are found; plus the exact name. Decision 0002.

    A zigzag walk over the two words' postings in name order, as one recursive query: from a name of the driver,
    seek the partner's first name at or after it, then the driver's first name at or after that one, and so on;
    equal names are the candidates. Each step is an index seek on ``(token, name_search)``, and the walk skips
    whole runs of names that only one word has: two common words that never meet (« association club ») are
    proved apart in a few steps instead of reading one word's postings.
    """
    table = SearchToken._meta.db_table
    others_sql, others_params = _others_sql("x", others)

    def seek(token_param: str, op: str, bound: str) -> str:
        return f"(SELECT CAST(min(name_search) AS TEXT) FROM {table} WHERE token = {token_param} AND name_search {op} {bound})"  # noqa: S608, E501

    # In the walk, a row of phase 0 holds a driver's name ``a``; the next (phase 1) adds ``b``, the partner's first
    # name at or after ``a``; the next (phase 0) moves ``a`` to the driver's next name: past ``a`` when ``a = b``
    # (a candidate, whose organisations are counted in ``found``), else at or after ``b``.
    sql = f"""
        WITH RECURSIVE walk(a, b, phase, found) AS (
            SELECT {seek("%s", ">=", "''")}, CAST(NULL AS TEXT), 0, CAST(0 AS BIGINT)
            UNION ALL
            SELECT
                CASE WHEN phase = 0 THEN a
                     WHEN b = a THEN {seek("%s", ">", "a")}
                     ELSE {seek("%s", ">=", "b")} END,
                CASE WHEN phase = 0 THEN {seek("%s", ">=", "a")} END,
                1 - phase,
                CAST(found + CASE WHEN phase = 1 AND b = a THEN (
                    SELECT count(*) FROM {table} x
                    WHERE x.token = %s AND x.name_search = a
                      AND EXISTS (SELECT 1 FROM {table} y WHERE y.organization_id = x.organization_id AND y.token = %s)
                      {others_sql}
                ) ELSE 0 END AS BIGINT)
            FROM walk
            WHERE a IS NOT NULL AND (phase = 0 OR b IS NOT NULL) AND found < %s
        )
        SELECT x.organization_id FROM {table} x
        WHERE x.token = %s AND x.name_search IN (SELECT a FROM walk WHERE phase = 1 AND a = b)
          AND EXISTS (SELECT 1 FROM {table} y WHERE y.organization_id = x.organization_id AND y.token = %s)
          {others_sql}
    """  # noqa: S608 (only the table name and fixed fragments are interpolated; the words are parameters)
    params: list[Any] = [driver, driver, driver, partner, driver, partner, *others_params, window]
    params += [driver, partner, *others_params]
    if exact:
        exact_sql, exact_params = _exact_arm(exact)
        sql = f"SELECT * FROM ({sql}) w UNION ALL {exact_sql}"  # noqa: S608 (fragments built above)
        params += exact_params
    return RawSQL(sql, params)  # noqa: S611


def _walkable(query: DirectoryQuery, base: QuerySet[Organization] | None) -> QuerySet[Organization]:
    """The filters that have a (filter, name_search) index: all but the cause."""
    return (base if base is not None else Organization.objects.all()).filter(
        _territory_filter(replace(query, cause=""))
    )


def search_directory(query: DirectoryQuery, base: QuerySet[Organization] | None = None) -> DirectoryPage:
    territory = _territory_filter(query)
    qs = (base if base is not None else Organization.objects.all()).filter(territory)
    q = query.q.strip()
    identifier = _identifier_filter(q) if q else None
    offset = (max(query.page, 1) - 1) * query.page_size
    window = offset + query.page_size + 1
    order: tuple = ("name_search", "id")
    exact = ""  # decision 0002: an organisation whose whole name is the query comes first (« lyon » → Lyon)
    if identifier is not None:
        qs = qs.filter(identifier)
    elif q:
        words = search_words(q)[:MAX_QUERY_WORDS]
        candidate_ids: set[int] | None = None
        common: list[str] = []
        for word in words:
            ids = list(
                SearchToken.objects.filter(token_filter(word)).values_list("organization_id", flat=True)[
                    : SELECTIVE_LIMIT + 1
                ]
            )
            if len(ids) <= SELECTIVE_LIMIT:
                candidate_ids = set(ids) if candidate_ids is None else candidate_ids & set(ids)
            else:
                common.append(word)
        exact = normalize(q)
        if not words:
            qs = qs.none()
        elif candidate_ids is not None:
            # Selective words: look their ids up, check the common words, sort the few rows.
            for word in common:
                qs = qs.filter(_word_exists(word, "pk"))
            qs = qs.filter(pk__in=sorted(candidate_ids))
            order = (_unindexed("name_search"), "id")
        else:
            # Every word is common: read in name order the smaller stream, the postings of the rarest word or
            # the (filter, name_search) index, and check the rest on each row; stop after one page.
            filtered = bool(territory) or base is not None
            streams: list[QuerySet[Any]] = [SearchToken.objects.filter(token_filter(word)) for word in common]
            if filtered:
                streams.append(_walkable(query, base))
            counts = capped_counts(streams) if len(streams) > 1 else [COUNT_CAP]
            driver = min(range(len(common)), key=lambda i: counts[i])
            token_lists = prefix_tokens(common, PREFIX_TOKENS_LIMIT)
            tokens = token_lists[driver]
            partner = min((i for i in range(len(common)) if i != driver), key=lambda i: counts[i], default=None)
            if not filtered and partner is not None and len(tokens) == 1 and len(token_lists[partner]) == 1:
                # Two common words of one index word each: a zigzag walk over both postings (decision 0002).
                others = [word for i, word in enumerate(common) if i not in (driver, partner)]
                candidates = _leapfrog(tokens[0], token_lists[partner][0], others, window, exact)
                qs = qs.filter(pk__in=candidates)
                order = (_unindexed("name_search"), "id")
            elif (filtered and counts[-1] < counts[driver]) or len(tokens) > PREFIX_TOKENS_LIMIT:
                for word in common:
                    qs = qs.filter(_word_exists(word, "pk"))
                if len(tokens) > PREFIX_TOKENS_LIMIT:
                    # A prefix of a letter or two walks the name index and stops after a page: ranking would sort
                    # every match. Nobody types a whole name that short.
                    exact = ""
            else:
                others = [word for i, word in enumerate(common) if i != driver]
                # The exact name may lie beyond each word's first page in name order: it joins the candidates.
                postings = _postings_in_name_order(tokens, others, qs if filtered else None, window, exact)
                qs = qs.filter(pk__in=postings)
                order = (_unindexed("name_search"), "id")
    if exact:
        order = (Case(When(name_search=exact, then=Value(0)), default=Value(1), output_field=IntegerField()), *order)
    rows = list(
        qs.select_related("commune", "departement")
        .prefetch_related(Prefetch("causes", queryset=Cause.objects.order_by("position")))
        .order_by(*order)[offset : offset + query.page_size + 1]
    )
    return DirectoryPage(
        results=rows[: query.page_size],
        page=max(query.page, 1),
        has_next=len(rows) > query.page_size,
        page_size=query.page_size,
    )
