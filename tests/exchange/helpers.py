"""Building files for the import tests."""

from __future__ import annotations

import csv
import io


def csv_bytes(rows: list[list], *, delimiter: str = ";", encoding: str = "utf-8-sig") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list]) -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


CONTRIBUTION_HEADERS = [
    "Alliance",
    "Donateur",
    "Bénéficiaire",
    "Nature",
    "Description",
    "Montant",
    "Statut",
    "Reçue le",
]


def contribution_rows(n: int, *, alliance="Potager solidaire", giver="732829320", receiver="Les Jardins de l'Essai"):
    return [CONTRIBUTION_HEADERS] + [
        [alliance, giver, receiver, "Don financier", f"Don n° {i}", f"{100 + i},50", "reçue", "15/03/2024"]
        for i in range(n)
    ]


def upload(client, content: bytes, name: str = "dons.csv", entity: str = "contribution"):
    """Post a file to the import page, as the upload form does."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post("/donnees/imports/", {"entity": entity, "file": SimpleUploadedFile(name, content)})
