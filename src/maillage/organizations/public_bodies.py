"""Every public body exists from the start: one organisation per région, département, EPCI and commune.

Built from the territorial reference data; called after each load of that data (idempotent upsert keyed on
``territory_key``). Collectivités d'outre-mer (Saint-Pierre-et-Miquelon, Polynésie…) keep their communes but
get no région/département body, since they are neither; municipal arrondissements are places, not bodies.
Régions and départements carry no SIREN: the reference package has none, and we do not invent identifiers.
Written with plain SQL upserts (``core.bulk_upsert``): ~40,000 rows, reloaded after each test database flush.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from maillage.core.bulk_upsert import insert, upsert
from maillage.core.text import normalize
from maillage.organizations.models import Kind, Organization, SearchToken
from maillage.organizations.search import tokens_of
from maillage.territories.models import Commune, Departement, Epci, Region, Zone

COLUMNS = [
    "territory_key",
    "kind",
    "name",
    "name_search",
    "siren",
    "commune_id",
    "epci_id",
    "departement_id",
    "region_id",
    "population",
    "budget_band",
    "workforce_band",
    "website",
    "description",
    "created_at",
]
UPDATED = ["kind", "name", "name_search", "siren", "commune_id", "epci_id", "departement_id", "region_id", "population"]


def _build() -> list[dict]:
    communes = {
        c["code"]: c
        for c in Commune.objects.values(
            "code", "name", "kind", "epci_id", "departement_id", "region_id", "siren", "population", "postal_codes"
        )
    }
    bodies: list[dict] = []

    def body(kind, key, name, **fields):
        bodies.append(
            {
                "territory_key": key,
                "kind": kind,
                "name": name,
                "siren": None,
                "commune_id": None,
                "epci_id": None,
                "departement_id": None,
                "region_id": None,
                "population": None,
                **fields,
            }
        )

    for region in Region.objects.exclude(zone=Zone.COM):
        body(
            Kind.REGION,
            f"region:{region.code}",
            f"Région {region.name}",
            region_id=region.code,
            commune_id=region.chef_lieu if region.chef_lieu in communes else None,
        )
    for dep in Departement.objects.exclude(zone=Zone.COM):
        body(
            Kind.DEPARTEMENT,
            f"departement:{dep.code}",
            f"Département {dep.name}",
            departement_id=dep.code,
            region_id=dep.region_id,
            commune_id=dep.chef_lieu if dep.chef_lieu in communes else None,
        )
    biggest: dict[str, dict[str, Any]] = {}
    for commune in communes.values():
        epci_id = commune["epci_id"]
        if epci_id and (epci_id not in biggest or commune["population"] > biggest[epci_id]["population"]):
            biggest[epci_id] = dict(commune)
    for epci in Epci.objects.all():
        main = biggest.get(epci.siren)
        body(
            Kind.EPCI,
            f"epci:{epci.siren}",
            epci.name,
            siren=epci.siren,
            epci_id=epci.siren,
            population=epci.population,
            departement_id=main["departement_id"] if main else None,
            region_id=main["region_id"] if main else None,
        )
    for commune in communes.values():
        if commune["kind"] == Commune.Kind.COMMUNE:
            body(
                Kind.COMMUNE,
                f"commune:{commune['code']}",
                commune["name"],
                siren=commune["siren"] or None,
                commune_id=commune["code"],
                epci_id=commune["epci_id"],
                departement_id=commune["departement_id"],
                region_id=commune["region_id"],
                population=commune["population"],
            )
    for item in bodies:
        seat = communes.get(item["commune_id"]) if item["commune_id"] else None
        item["tokens"] = (
            tokens_of(item["name"], seat["name"], seat["postal_codes"]) if seat else tokens_of(item["name"])
        )
    return bodies


def sync_public_bodies() -> int:
    bodies = _build()
    now = timezone.now()
    with transaction.atomic():
        upsert(
            Organization._meta.db_table,
            COLUMNS,
            ["territory_key"],
            (
                [
                    b["territory_key"],
                    b["kind"],
                    b["name"],
                    normalize(b["name"]),
                    b["siren"],
                    b["commune_id"],
                    b["epci_id"],
                    b["departement_id"],
                    b["region_id"],
                    b["population"],
                    "",
                    "",
                    "",
                    "",
                    now,
                ]
                for b in bodies
            ),
            update=UPDATED,
        )
        ids = dict(Organization.objects.filter(territory_key__isnull=False).values_list("territory_key", "id"))
        SearchToken.objects.filter(
            organization_id__in=Organization.objects.filter(territory_key__isnull=False).values("id")
        ).delete()
        insert(
            SearchToken._meta.db_table,
            ["organization_id", "token", "name_search"],
            ((ids[b["territory_key"]], token, normalize(b["name"])) for b in bodies for token in b["tokens"]),
        )
    return len(bodies)
