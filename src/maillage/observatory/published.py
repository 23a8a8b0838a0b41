"""Open data: the published cells as CSV and JSON, with their definitions (pages and API share this)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from django.conf import settings

from maillage.observatory import queries
from maillage.observatory.disclosure import AMOUNT_NOISE_MAX, AMOUNT_NOISE_MIN, COUNT_NOISE
from maillage.observatory.duckdb_sql import KEY_SHARES, STRATA_LEVELS
from maillage.observatory.indicators import (
    AMOUNT_FIELDS,
    COUNT_FIELDS,
    IMPACT_INDICATORS,
    INDICATORS,
    MIN_ASSOCIATIONS,
    MIN_CONTRIBUTORS,
    MONEY_ROUNDING,
    value_of,
)
from maillage.observatory.models import Cell, Coverage, Estimate, Level, Survival

KEY_FIELDS = ["level", "code", "name", "year", "cause", "band", "suppression"]
FIELDS = KEY_FIELDS + list(COUNT_FIELDS) + list(AMOUNT_FIELDS) + [i.numerator for i in IMPACT_INDICATORS]
LICENCE = "Licence Ouverte / Open Licence 2.0 (Etalab)"
RULES = [
    "Seules comptent les associations dont l'espace est vérifié (pièce justificative examinée) depuis au moins "
    f"{settings.OBSERVATORY_MIN_AGE_DAYS} jours et a accepté de contribuer à l'observatoire.",
    "Chaque chiffre publié est légèrement perturbé (méthode des clés de cellule des instituts statistiques) : un "
    f"effectif bouge d'au plus {COUNT_NOISE}, un montant d'une part ({round(AMOUNT_NOISE_MIN * 100)} à "
    f"{round(AMOUNT_NOISE_MAX * 100)} %) de son plus gros donateur. La perturbation est fixée par les "
    "enregistrements comptés : les mêmes associations donnent toujours le même chiffre, d'une actualisation à "
    "l'autre et d'un territoire à l'autre, si bien que sommes et différences ne l'effacent pas.",
    f"Une case est « secret » si elle compte moins de {MIN_ASSOCIATIONS} associations après perturbation, ou si "
    "l'audit du secret la masque parce qu'un tiers pourrait, en combinant les cases publiées, resserrer une valeur "
    "cachée. Un seul libellé : rien ne dit pourquoi une case est secrète.",
    f"Un montant n'est publié que s'il provient d'au moins {MIN_CONTRIBUTORS} contributeurs distincts ; il est "
    f"arrondi à {MONEY_ROUNDING:,} € après perturbation.".replace(",", "\u202f"),
    f"Les scores d'impact ne sont publiés que pour au moins {MIN_ASSOCIATIONS} associations évaluées "
    "(toutes causes et tous budgets), avec un secret secondaire sur les totaux territoriaux.",
]
PAGE_SIZE = 5000


MAX_PAGE = 100_000  # 500 million cells: beyond, a page number is a typing error (and overflows an OFFSET)


@dataclass
class ExportQuery:
    level: str
    year: int | None
    cause: str
    band: str
    code: str
    page: int

    @classmethod
    def parse(cls, data) -> ExportQuery:
        level = data.get("niveau") or data.get("level") or Level.DEPARTEMENT
        if level not in Level.values:
            level = Level.DEPARTEMENT
        filters = queries.Filters.parse(data)
        try:
            page = min(MAX_PAGE, max(1, int(data.get("page") or 1)))
        except (TypeError, ValueError):
            page = 1
        code = (data.get("code") or "")[:9]
        return cls(level, filters.year, filters.cause, filters.band, code, page)

    @property
    def filename(self) -> str:
        return f"observatoire-{self.level}-{self.year or 'toutes-annees'}"

    def queryset(self):
        qs = Cell.objects.filter(level=self.level, cause=self.cause, band=self.band)
        if self.year:
            qs = qs.filter(year=self.year)
        if self.code:
            qs = qs.filter(code=self.code)
        return qs.order_by("year", "code")


def row_of(cell: Cell) -> dict:
    row = {name: getattr(cell, name) for name in FIELDS}
    row["published"] = cell.is_published
    for indicator in INDICATORS:
        if indicator.code not in row:
            value = value_of(cell, indicator) if cell.is_published else None
            # Four significant digits, not four decimals: a national density (≈ 2·10⁻⁵) is not rounded to 0.
            row[indicator.code] = float(f"{value:.4g}") if value is not None else None
    return row


def columns() -> list[str]:
    return FIELDS + ["published"] + [i.code for i in INDICATORS if i.code not in FIELDS]


def _csv_stream(cols: list[str], rows: Iterable[dict]) -> Iterator[str]:
    """The open data's CSV convention: comma-separated, UTF-8, a header line, empty for a missing figure."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(cols)
    for row in rows:
        writer.writerow(["" if row[c] is None else row[c] for c in cols])
        if buffer.tell() > 64_000:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def csv_lines(query: ExportQuery) -> Iterator[str]:
    return _csv_stream(columns(), (row_of(cell) for cell in query.queryset().iterator(chunk_size=5000)))


def as_json(query: ExportQuery) -> dict:
    qs = query.queryset()
    start = (query.page - 1) * PAGE_SIZE
    cells = list(qs[start : start + PAGE_SIZE + 1])
    return {
        "level": query.level,
        "year": query.year,
        "cause": query.cause,
        "band": query.band,
        "page": query.page,
        "has_next": len(cells) > PAGE_SIZE,
        "licence": LICENCE,
        "rules": RULES,
        "definitions": definitions()["indicators"],
        "cells": [row_of(c) for c in cells[:PAGE_SIZE]],
    }


def definitions() -> dict:
    return {
        "licence": LICENCE,
        "rules": RULES,
        "files": [
            {"file": f"{t.slug}.csv|json", "title": t.title, "levels": list(t.levels), "columns": dictionary(t)}
            for t in STORY_TABLES.values()
        ],
        "indicators": [
            {
                "code": i.code,
                "label": i.label,
                "definition": i.definition,
                "numerator": i.numerator,
                "base": i.base,
                "unit": i.unit,
                "reference": i.reference,
                "source": i.source,
            }
            for i in [*INDICATORS, *IMPACT_INDICATORS]
        ],
    }


def definition_rows() -> list[list[object]]:
    rows: list[list[object]] = [["code", "libelle", "definition", "numerateur", "base", "unite", "reference", "source"]]
    for i in [*INDICATORS, *IMPACT_INDICATORS]:
        rows.append([i.code, i.label, i.definition, i.numerator, i.base, i.unit, i.reference or "", i.source])
    return rows


# -- Coverage, weighted shares and survival (issue 23) ---------------------------------------------------------
# The same rows as the API's ``/territories/{level}/{code}/story`` (queries.coverage_row, weighted_row,
# survival_row), read from the published tables only (Coverage, Estimate, Survival: perturbed, rounded, secret
# applied by the refresh), with the territory's level, code and name in front.
SECRET_MEANING = (
    "« secret » (colonne secret = True) : la valeur n'est pas publiée et les colonnes de chiffres sont vides ; "
    "même règle et même libellé que sur les pages, sans dire pourquoi."
)
TERRITORY_DICTIONARY = [
    ("level", "texte", "", "niveau du territoire : france, region, departement, epci, commune"),
    ("code", "texte", "", "code officiel (COG ; SIREN pour un EPCI ; FR pour la France)"),
    ("name", "texte", "", "nom du territoire"),
]
SURVIVAL_SHARE = (
    "part",
    f"arrondie à {round(100 * 0.05)} points (0,05)",
    "vide : pas assez de recul (moins de 10 alliances suivies)",
)


@dataclass(frozen=True)
class StoryTable:
    slug: str  # the file's name: /observatoire/donnees/<slug>.csv|json
    title: str
    model: type
    levels: tuple[str, ...]
    by_year: bool  # the ``annee`` filter applies
    order: tuple[str, ...]
    row: Callable[[object], dict]
    columns: list[tuple[str, str, str, str]]  # (column, unit, rounding, meaning) after the territory's columns


STORY_TABLES = {
    "couverture": StoryTable(
        "couverture",
        "Couverture : associations de l'annuaire et associations comptées sur Maillage (dernière année publiée)",
        Coverage,
        tuple(Level.values),
        True,
        ("code",),
        queries.coverage_row,
        [
            ("year", "année", "", "dernière année publiée"),
            (
                "directory",
                "associations",
                f"perturbé (± {COUNT_NOISE}, clés de cellule)",
                "associations du territoire dans l'annuaire, sur Maillage ou non",
            ),
            (
                "platform",
                "associations",
                f"perturbé (± {COUNT_NOISE}, clés de cellule)",
                "associations comptées sur Maillage : le chiffre publié de la case « toutes causes, tous budgets » ; "
                "vide si la case est secrète",
            ),
            ("share", "part (0 à 1)", "3 décimales, plafonnée à 1", "platform ÷ directory ; vide si secret"),
            (
                "secret",
                "booléen",
                "",
                "True : le nombre compté sur Maillage est secret (la case l'est). " + SECRET_MEANING,
            ),
        ],
    ),
    "parts-redressees": StoryTable(
        "parts-redressees",
        "Parts redressées sur l'annuaire (secteur × budget) avec leur intervalle de confiance à 95 %",
        Estimate,
        STRATA_LEVELS,
        True,
        ("year", "code", "indicator"),
        queries.weighted_row,
        [
            ("year", "année", "", "année"),
            ("indicator", "texte", "", f"indicateur (voir definitions.csv) : {', '.join(KEY_SHARES)}"),
            (
                "estimate",
                "part (0 à 1)",
                "2 décimales (point entier)",
                "part post-stratifiée sur l'annuaire (cause principale × tranche de budget), à partir d'effectifs "
                "perturbés",
            ),
            ("low", "part (0 à 1)", "2 décimales, arrondie vers le bas", "borne basse de l'intervalle à 95 %"),
            ("high", "part (0 à 1)", "2 décimales, arrondie vers le haut", "borne haute de l'intervalle à 95 %"),
            (
                "secret",
                "booléen",
                "",
                "True : non publiée (case secrète ou moins de 30 associations comptées). " + SECRET_MEANING,
            ),
        ],
    ),
    "survie": StoryTable(
        "survie",
        "Survie des alliances par année de début (Kaplan–Meier) et durée médiane",
        Survival,
        STRATA_LEVELS,
        False,
        ("code", "cohort"),
        queries.survival_row,
        [
            ("cohort", "année", "", "année de début des alliances ; vide : toutes les années ensemble"),
            ("secret", "booléen", "", "True : moins de 30 alliances commencées cette année-là. " + SECRET_MEANING),
            ("after_1", *SURVIVAL_SHARE[:2], "part des alliances toujours en cours après 1 an ; " + SURVIVAL_SHARE[2]),
            ("after_3", *SURVIVAL_SHARE[:2], "après 3 ans ; " + SURVIVAL_SHARE[2]),
            ("after_5", *SURVIVAL_SHARE[:2], "après 5 ans ; " + SURVIVAL_SHARE[2]),
            (
                "median_years",
                "années",
                "à la demi-année",
                "durée médiane (Kaplan–Meier) ; vide : pas encore atteinte (plus de la moitié en cours)",
            ),
        ],
    ),
}


def dictionary(table: StoryTable) -> list[dict]:
    """The data dictionary of a file: each column's name, unit, rounding and meaning."""
    return [
        {"column": c, "unit": unit, "rounding": rounding, "meaning": meaning}
        for c, unit, rounding, meaning in [*TERRITORY_DICTIONARY, *table.columns]
    ]


def story_columns(table: StoryTable) -> list[str]:
    return [c for c, *_ in TERRITORY_DICTIONARY] + [c for c, *_ in table.columns]


def story_queryset(table: StoryTable, query: ExportQuery):
    qs = table.model.objects.filter(level=query.level)  # type: ignore[attr-defined]
    if query.year and table.by_year:
        qs = qs.filter(year=query.year)
    if query.code:
        qs = qs.filter(code=query.code)
    return qs.order_by(*table.order)


def story_rows(table: StoryTable, records: Iterable, names: dict[str, str]) -> Iterator[dict]:
    for record in records:
        yield {"level": record.level, "code": record.code, "name": names.get(record.code, ""), **table.row(record)}


def story_csv_lines(table: StoryTable, query: ExportQuery) -> Iterator[str]:
    names = queries.territory_names(query.level, [query.code] if query.code else None)
    records = story_queryset(table, query).iterator(chunk_size=5000)
    return _csv_stream(story_columns(table), story_rows(table, records, names))


def story_json(table: StoryTable, query: ExportQuery) -> dict:
    start = (query.page - 1) * PAGE_SIZE
    records = list(story_queryset(table, query)[start : start + PAGE_SIZE + 1])
    names = queries.territory_names(query.level, {r.code for r in records[:PAGE_SIZE]})
    return {
        "file": table.slug,
        "title": table.title,
        "level": query.level,
        "year": query.year if table.by_year else None,
        "page": query.page,
        "has_next": len(records) > PAGE_SIZE,
        "licence": LICENCE,
        "rules": RULES,
        "dictionary": dictionary(table),
        "rows": list(story_rows(table, records[:PAGE_SIZE], names)),
    }
