"""Load the shipped reference files into the database: idempotent, and skipped when already up to date.

Called after every ``migrate`` (post_migrate signal) and by ``maillage load_territories``. Rows are upserted
(``bulk_create(update_conflicts=True)``), so a re-run changes nothing and a new data release updates in place.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path

from django.db import transaction

from maillage.core.bulk_upsert import upsert
from maillage.core.text import normalize
from maillage.territories.models import Commune, Departement, Epci, Naf, ReferenceDataVersion, Region

DATA_DIR = Path(__file__).resolve().parent / "data"
FILES = ["regions.csv", "departements.csv", "epci.csv", "communes.csv", "naf.csv"]
VERSION_KEY = "territories"


def read_rows(name: str) -> Iterator[dict[str, str]]:
    with (DATA_DIR / name).open(encoding="utf-8", newline="") as fh:
        yield from csv.DictReader(fh)


def data_checksum() -> str:
    digest = hashlib.sha256()
    for name in FILES:
        digest.update((DATA_DIR / name).read_bytes())
    return digest.hexdigest()


def load_reference_data(*, force: bool = False, after_load: Callable[[], object] | None = None) -> dict[str, int]:
    """Load régions, départements, EPCI, communes and NAF codes; return the counts, or {} when up to date."""
    checksum = data_checksum()
    current = ReferenceDataVersion.objects.filter(name=VERSION_KEY).first()
    if current is not None and current.checksum == checksum and not force:
        return {}
    counts: dict[str, int] = {}
    with transaction.atomic():
        counts["regions"] = upsert(
            Region._meta.db_table,
            ["code", "name", "zone", "chef_lieu"],
            ["code"],
            ((r["code"], r["name"], r["zone"], r["chef_lieu"]) for r in read_rows("regions.csv")),
        )
        counts["departements"] = upsert(
            Departement._meta.db_table,
            ["code", "name", "region_id", "zone", "chef_lieu"],
            ["code"],
            ((d["code"], d["name"], d["region"], d["zone"], d["chef_lieu"]) for d in read_rows("departements.csv")),
        )
        counts["epci"] = upsert(
            Epci._meta.db_table,
            ["siren", "name", "kind", "financing", "population"],
            ["siren"],
            (
                (e["siren"], e["name"], e["kind"], e["financing"], int(e["population"] or 0))
                for e in read_rows("epci.csv")
            ),
        )
        communes = list(read_rows("communes.csv"))
        # Communes first (parents), then arrondissements, so that the self-reference always points to a row.
        communes.sort(key=lambda c: c["kind"] == "arrondissement")
        counts["communes"] = upsert(
            Commune._meta.db_table,
            [
                "code",
                "name",
                "name_search",
                "kind",
                "zone",
                "departement_id",
                "region_id",
                "epci_id",
                "parent_id",
                "siren",
                "population",
                "postal_codes",
            ],
            ["code"],
            (
                (
                    c["code"],
                    c["name"],
                    normalize(c["name"]),
                    c["kind"],
                    c["zone"],
                    c["departement"],
                    c["region"],
                    c["epci"] or None,
                    c["parent"] or None,
                    c["siren"],
                    int(c["population"] or 0),
                    c["postal_codes"],
                )
                for c in communes
            ),
        )
        counts["naf"] = upsert(
            Naf._meta.db_table, ["code", "label"], ["code"], ((n["code"], n["label"]) for n in read_rows("naf.csv"))
        )
        if after_load is not None:
            after_load()
        ReferenceDataVersion.objects.update_or_create(name=VERSION_KEY, defaults={"checksum": checksum})
    return counts
