"""API of the observatory area: public, read-only open data (no token needed: ``auth=None``)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from maillage.observatory import published, queries
from maillage.observatory.models import Level

router = Router(tags=["Observatoire"])


class CellFilters(Schema):
    level: str = Level.DEPARTEMENT
    year: int | None = Field(None, ge=queries.MIN_YEAR, le=queries.MAX_YEAR)
    cause: str = ""
    band: str = ""
    code: str = ""
    page: int = Field(1, ge=1, le=published.MAX_PAGE)


def _query(filters: CellFilters) -> published.ExportQuery:
    if filters.level not in Level.values:
        raise HttpError(422, f"Niveau inconnu « {filters.level} » : choisissez parmi {', '.join(Level.values)}.")
    if filters.cause and filters.cause not in dict(queries.CAUSE_CHOICES):
        raise HttpError(422, f"Cause inconnue « {filters.cause} » : voir /api/v1/observatory/indicators.")
    if filters.band and filters.band not in dict(queries.BAND_CHOICES):
        raise HttpError(422, f"Tranche de budget inconnue « {filters.band} ».")
    if filters.cause and filters.band:
        raise HttpError(422, "Choisissez une cause ou une tranche de budget, pas les deux.")
    if filters.page < 1:
        raise HttpError(422, "La page commence à 1.")
    return published.ExportQuery(
        filters.level, filters.year, filters.cause, filters.band, filters.code[:9], filters.page
    )


@router.get("/indicators", auth=None, summary="Définitions des indicateurs et règles de secret")
def indicators(request: HttpRequest):
    return published.definitions()


@router.get("/cells", auth=None, summary="Cases publiées (JSON, 5 000 par page)")
def cells(request: HttpRequest, filters: Query[CellFilters]):
    return published.as_json(_query(filters))


@router.get("/cells.csv", auth=None, summary="Cases publiées (CSV)")
def cells_csv(request: HttpRequest, filters: Query[CellFilters]):
    query = _query(filters)
    response = HttpResponse("".join(published.csv_lines(query)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{query.filename}.csv"'
    return response


@router.get("/territories/{level}/{code}", auth=None, summary="Toutes les années d'un territoire")
def territory(request: HttpRequest, level: str, code: str):
    try:
        name = queries.territory_name(level, code)
    except queries.NotFound as error:
        raise HttpError(404, f"Territoire inconnu : {level} {code}.") from error
    trend = queries.trend(level, code, queries.Filters(None, "", ""))
    return {"level": level, "code": code, "name": name, "cells": [published.row_of(c) for c in trend]}


@router.get(
    "/territories/{level}/{code}/story",
    auth=None,
    summary="Couverture, parts pondérées (intervalles à 95 %) et survie des alliances d'un territoire",
)
def territory_story(request: HttpRequest, level: str, code: str):
    try:
        name = queries.territory_name(level, code)
    except queries.NotFound as error:
        raise HttpError(404, f"Territoire inconnu : {level} {code}.") from error
    return {"level": level, "code": code, "name": name, **queries.story_json(level, code)}
