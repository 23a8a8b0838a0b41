"""Directory search: accents and case never matter, identifiers are recognised, filters combine."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from maillage.organizations.actions import create_organization
from maillage.organizations.search import DirectoryQuery, next_prefix, search_directory

pytestmark = pytest.mark.django_db


@pytest.fixture
def orgs(db):
    return {
        "ecole": create_organization(
            data={
                "kind": "association",
                "name": "École des Parents de l'Île",
                "rna": "W691234567",
                "commune": "69266",
                "causes": ["education_jeunesse"],
            }
        ),
        "imprimerie": create_organization(
            data={
                "kind": "company",
                "name": "Imprimerie Œuvre Commune",
                "siret": "73282932000074",
                "commune": "69381",
                "causes": ["culture"],
            }
        ),
        "corse": create_organization(
            data={"kind": "association", "name": "Amis du Patrimoine Ajaccien", "rna": "W2A1002345", "commune": "2A004"}
        ),
    }


def names(**kwargs) -> list[str]:
    return [o.name for o in search_directory(DirectoryQuery(**kwargs)).results]


def test_accent_and_case_insensitive_prefix_search(orgs):
    assert names(q="ecole des parents") == ["École des Parents de l'Île"]
    assert names(q="ILE PAREN") == ["École des Parents de l'Île"]
    assert names(q="oeuvre") == ["Imprimerie Œuvre Commune"]


def test_search_by_identifiers(orgs):
    assert names(q="732 829 320") == ["Imprimerie Œuvre Commune"]  # SIREN derived from the SIRET
    assert names(q="73282932000074") == ["Imprimerie Œuvre Commune"]
    assert names(q="w691234567") == ["École des Parents de l'Île"]
    assert names(q="W2A1002345") == ["Amis du Patrimoine Ajaccien"]


def test_search_by_commune_and_postal_code(orgs):
    assert "École des Parents de l'Île" in names(q="69100")
    assert names(q="villeurbanne", kind="association") == ["École des Parents de l'Île"]
    assert names(q="2A004", kind="association") == ["Amis du Patrimoine Ajaccien"]


def test_a_commune_filter_covers_its_arrondissements(orgs):
    assert names(commune="69123", kind="company") == ["Imprimerie Œuvre Commune"]  # placed in Lyon 1er
    # …and an organisation placed in an arrondissement belongs to its commune's EPCI (Métropole de Lyon).
    assert names(epci="200046977", kind="company") == ["Imprimerie Œuvre Commune"]


def test_filters_by_kind_territory_and_cause(orgs):
    assert names(kind="company") == ["Imprimerie Œuvre Commune"]
    assert names(departement="2A", kind="association") == ["Amis du Patrimoine Ajaccien"]
    assert names(region="84", cause="education_jeunesse") == ["École des Parents de l'Île"]
    assert "Lyon" in names(q="lyon", kind="commune")
    assert names(epci="200046977", kind="association") == ["École des Parents de l'Île"]


def test_pages_do_not_overlap(orgs):
    first = search_directory(DirectoryQuery(q="saint", kind="commune", page=1, page_size=20))
    second = search_directory(DirectoryQuery(q="saint", kind="commune", page=2, page_size=20))
    assert first.has_next and second.has_previous
    assert not {o.pk for o in first.results} & {o.pk for o in second.results}


def test_query_count_does_not_grow_with_the_page(orgs, django_assert_max_num_queries):
    for size in (5, 50):
        with django_assert_max_num_queries(4):
            page = search_directory(DirectoryQuery(q="saint", page_size=size))
            assert len(page.results) == size
            for org in page.results:
                list(org.causes.all())
                _ = org.commune and org.commune.name


@given(st.text(alphabet="0123456789abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=6))
def test_next_prefix_bounds_every_word_with_that_prefix(word):
    upper = next_prefix(word)
    for suffix in ("", "0", "zzz", "a9"):
        assert word + suffix >= word
        assert upper is None or word + suffix < upper


def brute_force(words: list[str], exact: str = "", **filters) -> list[int]:
    """The reference answer: every organisation having all the words, those whose whole name is the query first
    (``exact``, normalised), then in name order (no index strategy)."""
    from maillage.organizations.models import Organization, SearchToken
    from maillage.organizations.search import token_filter

    qs = Organization.objects.filter(**filters)
    for word in words:
        qs = qs.filter(pk__in=SearchToken.objects.filter(token_filter(word)).values("organization_id"))
    rows = qs.values_list("pk", "name_search")
    return [pk for pk, name in sorted(rows, key=lambda r: (r[1] != exact, r[1], r[0]))]


@pytest.mark.parametrize(
    "q,filters,page",
    [
        ("saint", {}, 1),  # every word common: read from the postings of the word, in name order
        ("saint", {}, 7),
        ("saint mar", {}, 1),  # two common words: the rarest drives
        ("sur", {"kind": "commune"}, 2),  # common word with a filter
        ("ville", {"departement_id": "13"}, 1),  # the filter is smaller than the word
        ("la", {}, 1),  # a stopword only: nothing
        ("lyon", {}, 1),  # a selective word
        ("saint", {"kind": "association"}, 1),  # common word, the filter smaller: exact name ranked in the sort
        ("lyon", {"kind": "commune"}, 1),  # the commune of Lyon before its arrondissements
        ("c", {"kind": "epci"}, 1),  # a one-letter prefix
    ],
)
def test_every_strategy_returns_the_brute_force_page(orgs, q, filters, page):
    from maillage.core.text import search_words

    query_filters = {
        "kind": filters.get("kind", ""),
        "departement": filters.get("departement_id", ""),
    }
    from maillage.core.text import normalize

    create_organization(data={"kind": "association", "name": "Saint"})  # a whole name far in name order
    result = search_directory(DirectoryQuery(q=q, page=page, page_size=20, **query_filters))
    # The ranking rule changed by design (issue 19): the whole name first, then name order. A prefix of one letter
    # (the last case) is not ranked: see decision 0002.
    exact = normalize(q) if len(q) > 1 else ""
    expected = brute_force(search_words(q), exact=exact, **filters) if search_words(q) else []
    start = (page - 1) * 20
    assert [o.pk for o in result.results] == expected[start : start + 20]
    assert result.has_next == (len(expected) > start + 20)


def test_an_exact_name_comes_first(orgs):
    """« lyon » shows the commune of Lyon first, not « Aide alimentaire de Lyon » nor Lyon's arrondissements; a
    name that is the whole query leads even when many names before it in name order share the word."""
    assert names(q="lyon")[0] == "Lyon"
    assert names(q="LYON", kind="commune")[0] == "Lyon"
    create_organization(data={"kind": "association", "name": "Saint"})
    assert names(q="saint")[0] == "Saint"
    assert names(q="saint", kind="association")[0] == "Saint"


def _interleaved_directory() -> None:
    """Names where two words meet, never meet, and run in turn in name order, some twice in two communes (the
    commune's name is an index word too), so that the zigzag walk over two postings meets every case."""
    from maillage.organizations.actions import check_organization, create_organizations

    heads = ["Association", "Club", "Association Club", "Club Association", "Amicale Club", "Zèbre Association"]
    tails = ["des Jardins", "Jardin", "de Villeurbanne", "Omnisports", "Club", "Association"]
    rows = []
    for i in range(84):
        name = f"{heads[i % len(heads)]} {tails[(i // len(heads)) % len(tails)]} {i % 7}"
        rows.append(check_organization({"kind": "association", "name": name, "commune": "69266" if i % 3 else "69383"}))
    create_organizations(rows)


@pytest.mark.parametrize(
    "q,page,walked",
    [
        ("association club", 1, True),
        ("association club", 2, True),
        ("club association", 3, True),
        ("jardin club", 1, False),  # « jardin » covers two index words (jardin, jardins): the former strategy
        ("omnisports zebre", 1, True),  # never meet
        ("villeurbanne club", 1, True),  # a word of the commune
        ("club association jardin", 1, None),  # a third word checked on each candidate
        ("association club 3", 1, True),
    ],
)
def test_two_common_words_walk_both_postings_in_name_order(orgs, monkeypatch, q, page, walked):
    """Decision 0002: two common words of one index word each are intersected by a zigzag walk over their
    postings in name order; the page is the brute-force page (the whole name first)."""
    from maillage.core.text import normalize, search_words
    from maillage.organizations import search

    _interleaved_directory()
    monkeypatch.setattr(search, "SELECTIVE_LIMIT", 3)  # every word of these queries is "common"
    with CaptureQueriesContext(connection) as ctx:
        result = search_directory(DirectoryQuery(q=q, page=page, page_size=20))
    if walked is not None:
        assert any("WITH RECURSIVE walk" in query["sql"] for query in ctx.captured_queries) == walked
    expected = brute_force(search_words(q), exact=normalize(q))
    start = (page - 1) * 20
    assert [o.pk for o in result.results] == expected[start : start + 20]
    assert result.has_next == (len(expected) > start + 20)
