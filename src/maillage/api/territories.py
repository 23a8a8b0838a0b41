from __future__ import annotations

from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from maillage.core.text import normalize
from maillage.territories.models import Commune, Departement, Epci, Region

router = Router(tags=["Territoires"])


class RegionOut(Schema):
    code: str
    name: str
    zone: str


class DepartementOut(Schema):
    code: str
    name: str
    region: str
    zone: str


class EpciOut(Schema):
    siren: str
    name: str
    kind: str
    population: int


class CommuneOut(Schema):
    code: str
    name: str
    kind: str
    departement: str
    region: str
    epci: str | None
    parent: str | None
    siren: str
    population: int
    postal_codes: list[str]


def commune_out(c: Commune) -> CommuneOut:
    return CommuneOut(
        code=c.code,
        name=c.name,
        kind=c.kind,
        departement=c.departement_id,
        region=c.region_id,
        epci=c.epci_id,
        parent=c.parent_id,
        siren=c.siren,
        population=c.population,
        postal_codes=c.postal_code_list,
    )


@router.get("/regions", response=list[RegionOut], summary="Régions (et collectivités d'outre-mer, zone « com »)")
def regions(request):
    return [RegionOut(code=r.code, name=r.name, zone=r.zone) for r in Region.objects.all()]


@router.get("/departements", response=list[DepartementOut], summary="Départements")
def departements(request):
    return [
        DepartementOut(code=d.code, name=d.name, region=d.region_id, zone=d.zone) for d in Departement.objects.all()
    ]


@router.get("/epci/{siren}", response=EpciOut, summary="Une intercommunalité par son SIREN")
def epci(request, siren: str):
    e = get_object_or_404(Epci, siren=siren[:9])
    return EpciOut(siren=e.siren, name=e.name, kind=e.kind, population=e.population)


@router.get("/communes", response=list[CommuneOut], summary="Chercher une commune (nom, code INSEE ou code postal)")
def communes(request, q: str = ""):
    q = q.strip()[:100]
    base = Commune.objects.all()
    if len(q) < 2:
        return []
    if q[:2].isdigit() or q[:2].upper() in {"2A", "2B"}:
        rows = list(base.filter(code__startswith=q.upper())[:20]) or list(base.filter(postal_codes__contains=q)[:20])
    else:
        rows = list(base.filter(name_search__startswith=normalize(q)).order_by("-population")[:20])
    return [commune_out(c) for c in rows]


@router.get("/communes/{code}", response=CommuneOut, summary="Une commune par son code INSEE")
def commune(request, code: str):
    return commune_out(get_object_or_404(Commune, code=code[:5].upper()))
