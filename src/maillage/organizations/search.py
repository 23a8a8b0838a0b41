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


def prefix_tokens(word: str, limit: int) -> list[str]:
    """The distinct index words that start with ``word`` (at most ``limit + 1``), by a loose index scan."""
    upper = next_prefix(word)
    bound = "AND {} < %s" if upper is not None else ""
    params = [upper] if upper is not None else []
    table = SearchToken._meta.db_table
    # Only the table name is interpolated; the words are parameters.
    sql = f"""
        WITH RECURSIVE t(token, n) AS (
            SELECT (SELECT min(token) FROM {table} WHERE token >= %s {bound.format("token")}), 1
            UNION ALL
            SELECT (SELECT min(s.token) FROM {table} s WHERE s.token > t.token {bound.format("s.token")}), t.n + 1
            FROM t WHERE t.token IS NOT NULL AND t.n <= %s
        )
        SELECT token FROM t WHERE token IS NOT NULL
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [word, *params, *params, limit])
        return [row[0] for row in cursor.fetchall()]


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


def _postings_in_name_order(tokens: list[str], others: list[str], scope: QuerySet | None, window: int) -> RawSQL:
    """The first ``window`` organisations of each token in name order, that have the other words and are in
    ``scope``; their union holds the first ``window`` organisations of the whole query."""
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
    # A UNION ALL of ordered, LIMITed queries: Django cannot write it for SQLite, so it is assembled here.
    return RawSQL(" UNION ALL ".join(parts), params)  # noqa: S611


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
            tokens = prefix_tokens(common[driver], PREFIX_TOKENS_LIMIT)
            if (filtered and counts[-1] < counts[driver]) or len(tokens) > PREFIX_TOKENS_LIMIT:
                for word in common:
                    qs = qs.filter(_word_exists(word, "pk"))
                if len(tokens) > PREFIX_TOKENS_LIMIT:
                    # A prefix of a letter or two walks the name index and stops after a page: ranking would sort
                    # every match. Nobody types a whole name that short.
                    exact = ""
            else:
                others = [word for i, word in enumerate(common) if i != driver]
                postings = _postings_in_name_order(tokens, others, qs if filtered else None, window)
                # The exact name may lie beyond each word's first page in name order: it joins the candidates.
                qs = qs.filter(Q(pk__in=postings) | Q(name_search=exact))
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
