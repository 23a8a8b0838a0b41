"""Open data: the published cells as CSV and JSON, with their definitions (pages and API share this)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings

from maillage.observatory import queries
from maillage.observatory.disclosure import AMOUNT_NOISE_MAX, AMOUNT_NOISE_MIN, COUNT_NOISE
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
from maillage.observatory.models import Cell, Level

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


def csv_lines(query: ExportQuery) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    cols = columns()
    writer.writerow(cols)
    for cell in query.queryset().iterator(chunk_size=5000):
        row = row_of(cell)
        writer.writerow(["" if row[c] is None else row[c] for c in cols])
        if buffer.tell() > 64_000:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


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
