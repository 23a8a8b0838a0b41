"""Every public body exists from the start: one organisation per région, département, EPCI and commune.

Built from the territorial reference data; called after each load of that data (idempotent upsert keyed on
``territory_key``). Collectivités d'outre-mer (Saint-Pierre-et-Miquelon, Polynésie…) keep their communes but
get no région/département body, since they are neither; municipal arrondissements are places, not bodies.
Régions and départements carry no SIREN: the reference package has none, and we do not invent identifiers.
"""

from __future__ import annotations

from django.db import transaction

from maillage.core.text import normalize
from maillage.organizations.models import Kind, Organization, SearchToken
from maillage.organizations.search import tokens_for
from maillage.territories.models import Commune, Departement, Epci, Region, Zone


def _body(kind: str, key: str, name: str, **fields) -> Organization:
    return Organization(kind=kind, territory_key=key, name=name, name_search=normalize(name), **fields)


def _build() -> list[Organization]:
    communes = {c.code: c for c in Commune.objects.all()}
    bodies: list[Organization] = []
    for region in Region.objects.exclude(zone=Zone.COM):
        seat = communes.get(region.chef_lieu)
        bodies.append(_body(Kind.REGION, f"region:{region.code}", f"Région {region.name}", region=region, commune=seat))
    for dep in Departement.objects.exclude(zone=Zone.COM).select_related("region"):
        seat = communes.get(dep.chef_lieu)
        bodies.append(
            _body(
                Kind.DEPARTEMENT,
                f"departement:{dep.code}",
                f"Département {dep.name}",
                departement=dep,
                region_id=dep.region_id,
                commune=seat,
            )
        )
    members: dict[str, list[Commune]] = {}
    for commune in communes.values():
        if commune.epci_id:
            members.setdefault(commune.epci_id, []).append(commune)
    for epci in Epci.objects.all():
        biggest = max(members.get(epci.siren, []), key=lambda c: c.population, default=None)
        bodies.append(
            _body(
                Kind.EPCI,
                f"epci:{epci.siren}",
                epci.name,
                siren=epci.siren,
                epci=epci,
                population=epci.population,
                departement_id=biggest.departement_id if biggest else None,
                region_id=biggest.region_id if biggest else None,
            )
        )
    for commune in communes.values():
        if commune.kind != Commune.Kind.COMMUNE:
            continue
        bodies.append(
            _body(
                Kind.COMMUNE,
                f"commune:{commune.code}",
                commune.name,
                siren=commune.siren or None,
                commune=commune,
                epci_id=commune.epci_id,
                departement_id=commune.departement_id,
                region_id=commune.region_id,
                population=commune.population,
            )
        )
    return bodies


def sync_public_bodies() -> int:
    bodies = _build()
    with transaction.atomic():
        Organization.objects.bulk_create(
            bodies,
            batch_size=2000,
            update_conflicts=True,
            unique_fields=["territory_key"],
            update_fields=[
                "kind",
                "name",
                "name_search",
                "siren",
                "commune",
                "epci",
                "departement",
                "region",
                "population",
            ],
        )
        ids = dict(Organization.objects.filter(territory_key__isnull=False).values_list("territory_key", "id"))
        SearchToken.objects.filter(
            organization_id__in=Organization.objects.filter(territory_key__isnull=False).values("id")
        ).delete()
        communes = {c.code: c for c in Commune.objects.all()}
        tokens = []
        for body in bodies:
            pk = ids[body.territory_key]
            commune = communes.get(body.commune_id) if body.commune_id else None
            tokens.extend(SearchToken(organization_id=pk, token=t) for t in tokens_for(body, commune=commune))
        SearchToken.objects.bulk_create(tokens, batch_size=5000)
    return len(bodies)
