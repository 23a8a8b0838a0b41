"""No rendered page of a walk (the company's and the association's) prints an amount the English way or without
its thousands separator: « 5000,00 € », « 581.53 € », « 35.00 h » are the bugs this test exists for."""

from __future__ import annotations

import re

import pytest

from tests.conftest import client_for, page_text

pytestmark = pytest.mark.django_db

UNFORMATTED = [
    re.compile(r"(?<![\d\u00a0\u202f ])\d{4,},\d\d\s?€"),  # 5000,00 € (no thousands separator)
    re.compile(r"\b\d+\.\d\d\s?(€|h\b|euros)"),  # 581.53 €, 35.00 h
]


def offending(html: str) -> list[str]:
    text = re.sub(r"<[^>]+>", " ", html)
    return [m.group(0) for rx in UNFORMATTED for m in rx.finditer(text)]


def test_the_rules_catch_what_they_are_meant_to():
    assert offending("<td>5000,00 €</td> <p>581.53 €</p> 35.00 h")
    assert not offending("<td>5\u00a0000,00\u00a0€</td> <p>581,53\u00a0€</p> 35\u00a0h 2025")


def test_no_page_of_the_walk_shows_an_unformatted_amount(giving, people, workspace_a):
    alliance, skills = giving["alliance"], giving["skills"]
    receipt = giving["receipts"][0]
    company_pages = [
        "/dons/",
        "/dons/?turnover=1500000",
        f"/dons/recus/{receipt.pk}/",
        "/tableau-de-bord/",
        f"/alliances/{alliance.pk}/",
        f"/alliances/{alliance.pk}/chronologie/",
        f"/contributions/{skills.pk}/",
        f"/annuaire/{workspace_a.organization_id}/",
    ]
    association_pages = [
        "/recus/",
        f"/recus/{receipt.pk}/",
        "/tableau-de-bord/",
        f"/alliances/{alliance.pk}/",
        f"/alliances/{alliance.pk}/chronologie/",
        f"/contributions/{skills.pk}/",
        f"/annuaire/{giving['company_ws'].organization_id}/",
        "/recus/comptabilite/?year=2025",
        "/recus/declaration/?year=2025",
    ]
    found = {}
    for user, urls in ((giving["boss"], company_pages), (people["owner"], association_pages)):
        client = client_for(user)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            bad = offending(page_text(response))
            if bad:
                found[url] = bad
    assert not found, found
