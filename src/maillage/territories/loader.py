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

from maillage.core.text import normalize
from maillage.territories.models import Commune, Departement, Epci, Naf, ReferenceDataVersion, Region

DATA_DIR = Path(__file__).resolve().parent / "data"
FILES = ["regions.csv", "departements.csv", "epci.csv", "communes.csv", "naf.csv"]
VERSION_KEY = "territories"
BATCH = 2000


def read_rows(name: str) -> Iterator[dict[str, str]]:
    with (DATA_DIR / name).open(encoding="utf-8", newline="") as fh:
        yield from csv.DictReader(fh)


def data_checksum() -> str:
    digest = hashlib.sha256()
    for name in FILES:
        digest.update((DATA_DIR / name).read_bytes())
    return digest.hexdigest()


def _upsert(model, objects: list, fields: list[str]) -> int:
    model.objects.bulk_create(
        objects, batch_size=BATCH, update_conflicts=True, unique_fields=["pk"], update_fields=fields
    )
    return len(objects)


def load_reference_data(*, force: bool = False, after_load: Callable[[], None] | None = None) -> dict[str, int]:
    """Load régions, départements, EPCI, communes and NAF codes; return the counts, or {} when up to date."""
    checksum = data_checksum()
    current = ReferenceDataVersion.objects.filter(name=VERSION_KEY).first()
    if current is not None and current.checksum == checksum and not force:
        return {}
    counts: dict[str, int] = {}
    with transaction.atomic():
        counts["regions"] = _upsert(
            Region,
            [
                Region(code=r["code"], name=r["name"], zone=r["zone"], chef_lieu=r["chef_lieu"])
                for r in read_rows("regions.csv")
            ],
            ["name", "zone", "chef_lieu"],
        )
        counts["departements"] = _upsert(
            Departement,
            [
                Departement(
                    code=d["code"], name=d["name"], region_id=d["region"], zone=d["zone"], chef_lieu=d["chef_lieu"]
                )
                for d in read_rows("departements.csv")
            ],
            ["name", "region", "zone", "chef_lieu"],
        )
        counts["epci"] = _upsert(
            Epci,
            [
                Epci(
                    siren=e["siren"],
                    name=e["name"],
                    kind=e["kind"],
                    financing=e["financing"],
                    population=int(e["population"] or 0),
                )
                for e in read_rows("epci.csv")
            ],
            ["name", "kind", "financing", "population"],
        )
        communes = list(read_rows("communes.csv"))
        # Communes first (parents), then arrondissements, so that the self-reference always points to a row.
        communes.sort(key=lambda c: c["kind"] == "arrondissement")
        counts["communes"] = _upsert(
            Commune,
            [
                Commune(
                    code=c["code"],
                    name=c["name"],
                    name_search=normalize(c["name"]),
                    kind=c["kind"],
                    zone=c["zone"],
                    departement_id=c["departement"],
                    region_id=c["region"],
                    epci_id=c["epci"] or None,
                    parent_id=c["parent"] or None,
                    siren=c["siren"],
                    population=int(c["population"] or 0),
                    postal_codes=c["postal_codes"],
                )
                for c in communes
            ],
            [
                "name",
                "name_search",
                "kind",
                "zone",
                "departement",
                "region",
                "epci",
                "parent",
                "siren",
                "population",
                "postal_codes",
            ],
        )
        counts["naf"] = _upsert(Naf, [Naf(code=n["code"], label=n["label"]) for n in read_rows("naf.csv")], ["label"])
        if after_load is not None:
            after_load()
        ReferenceDataVersion.objects.update_or_create(name=VERSION_KEY, defaults={"checksum": checksum})
    return counts
