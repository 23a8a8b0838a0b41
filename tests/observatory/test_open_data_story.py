"""Open data of coverage, weighted shares and survival (issue 23): the files carry exactly what the API's story
and the pages publish — every value compared, territory by territory — and a secret cell is secret in them too."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.core.management import call_command

from maillage.demo.generate import generate
from maillage.observatory.models import Cell, Coverage
from maillage.observatory.published import STORY_TABLES, story_columns
from maillage.territories.models import Departement
from tests.conftest import page_text

pytestmark = pytest.mark.django_db

API_PART = {"couverture": "coverage", "parts-redressees": "weighted", "survie": "survival"}


@pytest.fixture
def world(db):
    generate(scale=0.0004, seed=4, departement="23")
    call_command("refresh_observatory")  # nothing published yet: due


def as_csv_text(value) -> str:
    return "" if value is None else str(value)


def downloads(client, table: str, level: str) -> tuple[list[dict], list[dict]]:
    """(CSV rows as text, JSON rows) of one file and level."""
    response = client.get(f"/observatoire/donnees/{table}.csv", {"niveau": level})
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    text = response.content.decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert text.splitlines()[0].split(",") == story_columns(STORY_TABLES[table])
    data = client.get(f"/observatoire/donnees/{table}.json", {"niveau": level}).json()
    assert data["has_next"] is False and data["licence"].startswith("Licence Ouverte")
    assert [c["column"] for c in data["dictionary"]] == story_columns(STORY_TABLES[table])
    assert len(rows) == len(data["rows"])
    return rows, data["rows"]


def published_by_api(client, level: str, code: str, table: str) -> list[dict]:
    """What the API's story publishes for a territory, as the file's rows (level, code, name in front)."""
    story = client.get(f"/api/v1/observatory/territories/{level}/{code}/story").json()
    part = story[API_PART[table]]
    items = [] if part is None else part if isinstance(part, list) else [part]
    return [{"level": level, "code": code, "name": story["name"], **item} for item in items]


def sample(level: str) -> list[str]:
    """A few territories of a level: every one above the commune, a mix of secret and published communes."""
    codes = sorted(set(Coverage.objects.filter(level=level).values_list("code", flat=True)))
    if level not in ("commune", "epci"):
        return codes
    last = Coverage.objects.values_list("year", flat=True).first()
    secret = set(
        Cell.objects.filter(level=level, year=last, cause="", band="", suppression="secret").values_list(
            "code", flat=True
        )
    )
    return [c for c in codes if c in secret][:6] + [c for c in codes if c not in secret][:6]


def test_every_value_of_the_files_is_what_the_api_publishes(client, world):
    compared = 0
    for table, spec in STORY_TABLES.items():
        for level in spec.levels:
            rows, json_rows = downloads(client, table, level)
            for code in sample(level):
                expected = published_by_api(client, level, code, table)
                mine = [r for r in json_rows if r["code"] == code]
                assert mine == expected, (table, level, code)
                mine_csv = [r for r in rows if r["code"] == code]
                assert mine_csv == [{k: as_csv_text(v) for k, v in r.items()} for r in expected], (table, level, code)
                compared += sum(len(r) for r in expected)
            if level in ("france", "region", "departement"):  # the whole file, not a sample
                for code in {r["code"] for r in json_rows}:
                    assert [r for r in json_rows if r["code"] == code] == published_by_api(client, level, code, table)
    assert compared > 500  # values, not rows: the comparison did happen


def test_a_secret_cell_is_secret_in_the_files_too(client, world):
    last = Coverage.objects.values_list("year", flat=True).first()
    secret = Cell.objects.filter(level="commune", year=last, cause="", band="", suppression="secret")
    code = next(c for c in secret.values_list("code", flat=True) if Coverage.objects.filter(code=c).exists())
    rows, json_rows = downloads(client, "couverture", "commune")
    row = next(r for r in rows if r["code"] == code)
    assert row["secret"] == "True" and row["platform"] == "" and row["share"] == ""
    assert next(r for r in json_rows if r["code"] == code)["platform"] is None
    # The page says the same: the directory count, the platform's count secret.
    text = page_text(client.get(f"/observatoire/commune/{code}/"))
    assert f"{row['directory']} associations dans l'annuaire" in text and "secret statistique" in text
    # Its reason is given once, after the first screen's figures (the map stays above the fold on a phone).
    assert text.count("Aucun chiffre n'est publié") == 1
    assert text.index("Cinq chiffres clés") < text.index("Aucun chiffre n'est publié")
    # A published one: the same figures as the page prints.
    dep = next(r for r in downloads(client, "couverture", "departement")[0] if r["code"] == "23")
    text = re.sub(r"<[^>]+>", "", page_text(client.get("/observatoire/departement/23/")))
    assert dep["secret"] == "False" and f"{dep['platform']} des {dep['directory']} associations" in text
    # Weighted shares: a territory under 30 associations has none (secret); survival: a cohort under 30 alliances.
    weighted, _ = downloads(client, "parts-redressees", "departement")
    for r in weighted:
        cell = Cell.objects.get(level="departement", code=r["code"], year=r["year"], cause="", band="")
        if cell.associations is None or cell.associations < 30:
            assert r["secret"] == "True" and r["estimate"] == r["low"] == r["high"] == ""
    survival, _ = downloads(client, "survie", "departement")
    for r in survival:
        if r["secret"] == "True":
            assert r["after_1"] == r["after_3"] == r["after_5"] == r["median_years"] == ""


def test_the_downloads_page_gives_the_files_and_their_dictionary(client, world):
    text = page_text(client.get("/observatoire/donnees/"))
    words = re.sub(r"<[^>]+>", "", text)
    for table, spec in STORY_TABLES.items():
        assert f"/observatoire/donnees/{table}.csv?niveau=departement" in text
        assert f"Dictionnaire de {table}.csv et {table}.json" in words
        for column in story_columns(spec):
            assert f"<code>{column}</code>" in text
    assert "secret = True" in words and "arrondie à 5 points" in words
    assert client.get("/observatoire/donnees/inconnu.csv").status_code == 404
    # Survival exists for France, régions and départements only: another level reads the départements.
    region = Departement.objects.get(code="23").region_id
    assert client.get("/observatoire/donnees/survie.json", {"niveau": "commune"}).json()["level"] == "departement"
    assert client.get("/observatoire/donnees/survie.json", {"niveau": "region", "code": region}).json()["rows"]
    definitions = client.get("/observatoire/donnees/definitions.json").json()
    assert [f["file"] for f in definitions["files"]] == [f"{t}.csv|json" for t in STORY_TABLES]
