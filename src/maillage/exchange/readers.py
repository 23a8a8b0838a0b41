"""Reading uploaded files safely: size, type by content, zip-bomb limits, encodings and separators.

Every refusal is a :class:`FileRefused` with a French message for the person who uploaded the file; nothing in
here raises anything else on bad input (the fuzz tests hold it to that).
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 200_000
MAX_COLUMNS = 200
MAX_CELL_CHARS = 10_000
MAX_ZIP_ENTRIES = 500
MAX_XLSX_UNCOMPRESSED = 200 * 1024 * 1024
MAX_ZIP_RATIO = 200  # a member compressed more than 200:1 is a bomb, not a spreadsheet
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls (Excel 97), not supported
ENCODINGS = ("utf-8-sig", "cp1252")


class FileRefused(Exception):
    """The file cannot be read; ``str(exc)`` says why, in French, and how to fix it."""


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]  # data rows; row number in the file = index + 2 (header is row 1)
    file_format: str
    encoding: str = ""
    delimiter: str = ""
    warnings: list[str] = field(default_factory=list)


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sniff_format(data: bytes) -> str:
    """``csv``, ``xlsx`` or ``zip`` (a Maillage archive), by content: the file name is never trusted."""
    if not data:
        raise FileRefused("Le fichier est vide.")
    if len(data) > MAX_FILE_BYTES:
        raise FileRefused(
            f"Le fichier pèse {len(data) / 1024 / 1024:.1f} Mo ; {MAX_FILE_BYTES // 1024 // 1024} Mo au plus : "
            "découpez-le en plusieurs fichiers."
        )
    if data.startswith(OLE_MAGIC):
        raise FileRefused(
            "Ce fichier est au format Excel 97-2003 (.xls) : enregistrez-le au format .xlsx ou CSV, puis recommencez."
        )
    if data.startswith(ZIP_MAGIC):
        names = _zip_names(data)
        if "xl/workbook.xml" in names:
            return "xlsx"
        if "maillage.json" in names:
            return "zip"
        raise FileRefused(
            "Ce fichier compressé n'est ni un classeur Excel (.xlsx) ni une archive Maillage : "
            "envoyez un fichier CSV, XLSX ou l'archive ZIP exportée par Maillage."
        )
    head = data[:4096]
    if b"\x00" in head:
        raise FileRefused(
            "Ce fichier n'est pas un texte CSV ni un classeur XLSX (contenu binaire) : "
            "exportez votre tableur au format CSV ou XLSX."
        )
    return "csv"


def _zip_names(data: bytes) -> set[str]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError) as exc:
        raise FileRefused("Le fichier compressé est abîmé (ZIP illisible) : enregistrez-le de nouveau.") from exc
    check_zip_limits(infos)
    return {info.filename for info in infos}


def check_zip_limits(infos: list[zipfile.ZipInfo], *, max_total: int = MAX_XLSX_UNCOMPRESSED) -> None:
    if len(infos) > MAX_ZIP_ENTRIES:
        raise FileRefused(
            f"Le fichier compressé contient {len(infos)} éléments ; {MAX_ZIP_ENTRIES} au plus : fichier refusé."
        )
    total = 0
    for info in infos:
        total += info.file_size
        if info.compress_size and info.file_size / info.compress_size > MAX_ZIP_RATIO and info.file_size > 1_000_000:
            raise FileRefused("Le fichier compressé se décompresse de façon anormale (bombe ZIP) : fichier refusé.")
    if total > max_total:
        raise FileRefused(
            f"Le fichier décompressé pèserait {total // 1024 // 1024} Mo ; {max_total // 1024 // 1024} Mo au plus : "
            "découpez-le en plusieurs fichiers."
        )


def read_table(data: bytes) -> Table:
    """Headers and rows of a CSV or XLSX file, every cell as a stripped string (dates as ISO)."""
    file_format = sniff_format(data)
    if file_format == "xlsx":
        return _read_xlsx(data)
    if file_format == "zip":
        raise FileRefused("Une archive Maillage s'importe comme « Archive complète », pas comme tableau.")
    return _read_csv(data)


def decode(data: bytes) -> tuple[str, str]:
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise FileRefused("Encodage du texte non reconnu : enregistrez le fichier en CSV UTF-8.")  # pragma: no cover


def _read_csv(data: bytes) -> Table:
    text, encoding = decode(data)
    if "\x00" in text:
        raise FileRefused("Le fichier contient des caractères nuls : ce n'est pas un CSV valide.")
    sample = text[:65536]
    delimiter = ","
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=";,\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        first = sample.splitlines()[0] if sample.splitlines() else ""
        delimiter = max(";,\t|", key=first.count) if first else ","
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"', strict=False)
        rows = list(itertools.islice(reader, MAX_ROWS + 2))  # the header, then at most MAX_ROWS + 1 rows
    except csv.Error as exc:
        raise FileRefused(f"Le CSV est mal formé (ligne {reader.line_num}) : {exc}.") from exc
    if len(rows) > MAX_ROWS + 1:
        raise FileRefused(f"Le fichier compte plus de {MAX_ROWS} lignes : découpez-le.")
    return _table(rows, "csv", encoding=encoding, delimiter=delimiter)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_xlsx(data: bytes) -> Table:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a broken file: all mean "unreadable"
        raise FileRefused(
            "Le classeur XLSX est illisible (fichier abîmé ou protégé par mot de passe) : "
            "ouvrez-le dans votre tableur et enregistrez-le de nouveau."
        ) from exc
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            raise FileRefused("Le classeur ne contient aucune feuille.")
        rows = []
        for values in sheet.iter_rows(values_only=True):
            if len(rows) > MAX_ROWS:
                raise FileRefused(f"Le classeur compte plus de {MAX_ROWS} lignes : découpez-le.")
            rows.append([_cell(v) for v in values[: MAX_COLUMNS + 1]])
    except FileRefused:
        raise
    except Exception as exc:
        raise FileRefused("Le classeur XLSX est mal formé : enregistrez-le de nouveau depuis votre tableur.") from exc
    finally:
        workbook.close()
    return _table(rows, "xlsx")


def _table(rows: list[list[str]], file_format: str, **extra) -> Table:
    while rows and not any((c or "").strip() for c in rows[-1]):
        rows.pop()
    if not rows:
        raise FileRefused("Le fichier ne contient aucune ligne : la première ligne doit porter les noms de colonnes.")
    headers = [(h or "").strip().lstrip("\ufeff") for h in rows[0]]
    while headers and not headers[-1]:
        headers.pop()
    if not any(headers):
        raise FileRefused("La première ligne doit porter les noms des colonnes (elle est vide).")
    if len(headers) > MAX_COLUMNS:
        raise FileRefused(f"Le fichier compte {len(headers)} colonnes ; {MAX_COLUMNS} au plus.")
    body = []
    width, strip = len(headers), str.strip  # cells are strings (csv, or ``_cell`` for XLSX)
    for row in rows[1:]:
        cells = list(map(strip, row[:width]))
        if len(cells) < width:
            cells += [""] * (width - len(cells))
        if max(map(len, cells)) > MAX_CELL_CHARS:
            raise FileRefused(
                f"La ligne {len(body) + 2} contient une cellule de plus de {MAX_CELL_CHARS} caractères : fichier refusé."
            )
        body.append(cells)
    return Table(headers=headers, rows=body, file_format=file_format, **extra)
