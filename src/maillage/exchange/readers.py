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
    rows: list[list[str]]  # data rows, every one exactly ``len(headers)`` cells
    file_format: str
    encoding: str = ""
    delimiter: str = ""
    warnings: list[str] = field(default_factory=list)
    # The file's line number of each row (CSV: a quoted cell may span lines); empty means "index + 2".
    numbers: list[int] = field(default_factory=list)
    # Rows that could not be read (an unbalanced quote): [line number, French message]; never in ``rows``.
    row_errors: list[list] = field(default_factory=list)
    # Why this encoding and this separator were chosen, in French, for the mapping page and the CLI.
    why_encoding: str = ""
    why_delimiter: str = ""

    def number(self, index: int) -> int:
        return self.numbers[index] if self.numbers else index + 2


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


ENCODING_NAMES = {"utf-8-sig": "UTF-8", "cp1252": "Windows-1252 (ANSI)"}
DELIMITERS = (";", ",", "\t", "|")
DELIMITER_NAMES = {";": "point-virgule « ; »", ",": "virgule « , »", "\t": "tabulation", "|": "barre verticale « | »"}
SNIFF_RECORDS = 500  # records read under each separator to choose one
RAGGED_SHOWN = 10


class LayoutRefused(FileRefused):
    """The file is readable, but its rows do not fit its header under the separator chosen: the person may
    choose another separator or encoding (the job is kept, nothing is guessed)."""


def read_table(data: bytes, *, encoding: str = "", delimiter: str = "") -> Table:
    """Headers and rows of a CSV or XLSX file, every cell as a stripped string (dates as ISO).

    ``encoding`` and ``delimiter`` (CSV only) replace the detected ones when the person chose them."""
    file_format = sniff_format(data)
    if file_format == "xlsx":
        return _read_xlsx(data)
    if file_format == "zip":
        raise FileRefused("Une archive Maillage s'importe comme « Archive complète », pas comme tableau.")
    return _read_csv(data, encoding=encoding, delimiter=delimiter)


def decode(data: bytes, encoding: str = "") -> tuple[str, str]:
    text, encoding, _ = _decode(data, encoding)
    return text, encoding


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _decode(data: bytes, chosen: str = "") -> tuple[str, str, str]:
    """The text, its encoding and why (in French)."""
    if chosen:
        if chosen not in ENCODING_NAMES:
            raise FileRefused(f"Encodage inconnu « {chosen} » : choisissez UTF-8 ou Windows-1252.")
        try:
            return data.decode(chosen), chosen, f"{ENCODING_NAMES[chosen]}, choisi à la main."
        except UnicodeDecodeError as exc:
            raise LayoutRefused(
                f"Le fichier ne se lit pas en {ENCODING_NAMES[chosen]} (octet 0x{data[exc.start]:02X}, ligne "
                f"{_line_of(data, exc.start)}) : choisissez un autre encodage."
            ) from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bad = f"octet 0x{data[exc.start]:02X} ligne {_line_of(data, exc.start)}"
    else:
        why = "UTF-8 : tout le fichier est de l'UTF-8 valide"
        return text, "utf-8-sig", why + (" (avec BOM)." if data.startswith(b"\xef\xbb\xbf") else ".")
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise FileRefused(
            f"Encodage du texte non reconnu (ni UTF-8 : {bad} ; ni Windows-1252 : octet 0x{data[exc.start]:02X} "
            f"ligne {_line_of(data, exc.start)}) : enregistrez le fichier en CSV UTF-8."
        ) from exc
    return text, "cp1252", f"Windows-1252 : le fichier n'est pas de l'UTF-8 valide ({bad})."


def _width(cells: list[str], header: int) -> int:
    """A row's number of cells, not counting the empty cells after the header's last column (a separator at
    the end of each line, as some spreadsheets write)."""
    width = len(cells)
    while width > header and not cells[width - 1].strip():
        width -= 1
    return width


def _header_width(cells: list[str]) -> int:
    return _width(cells, 0)


def _reader(lines, delimiter: str):
    return csv.reader(lines, delimiter=delimiter, quotechar='"', strict=False)


def _choose_delimiter(lines: list[str]) -> tuple[str, str]:
    """The separator under which the header and the first rows have the same number of columns (the most
    columns when several do), and why. Cells holding commas (``=HYPERLINK("…","…")``, amounts) do not fool
    it: under the comma those rows would not have the header's width."""
    scores = []
    for delimiter in DELIMITERS:
        try:
            records = [r for r in itertools.islice(_reader(iter(lines), delimiter), SNIFF_RECORDS) if any(r)]
        except csv.Error:
            continue
        if not records:
            continue
        header = _header_width(records[0])
        body = records[1:]
        fitting = sum(1 for r in body if _width(r, header) == header)
        scores.append(((header > 1, fitting == len(body), fitting, header), delimiter, header, len(body), fitting))
    if not scores:
        return ",", "une seule colonne : aucun séparateur (; , tabulation |) dans le fichier."
    scores.sort(key=lambda s: s[0], reverse=True)
    (ok, _, _, _), delimiter, header, count, fitting = scores[0]
    if not ok:
        return ",", "une seule colonne : aucun séparateur (; , tabulation |) dans la ligne d'en-tête."
    why = f"{DELIMITER_NAMES[delimiter]} : l'en-tête compte {header} colonnes"
    why += f", comme chacune des {count} ligne(s) lue(s)" if fitting == count and count else ""
    why += f", comme {fitting} des {count} ligne(s) lue(s)" if fitting != count else ""
    others = [
        f"{DELIMITER_NAMES[d]} : {h} colonne(s), {c - f} ligne(s) sur {c} d'une autre largeur"
        if o
        else f"{DELIMITER_NAMES[d]} : une seule colonne dans l'en-tête"
        for (o, _, _, _), d, h, c, f in scores[1:]
    ]
    if others:
        why += " (" + " ; ".join(others) + ")"
    return delimiter, why + "."


def _records(lines: list[str], delimiter: str, header: int):
    """``(line number, cells)`` of each record, ``cells`` None for a record that an unbalanced quote spread
    over several lines of the file (the quote swallowed the line ends): it is reported as that line's error
    and the reading starts again on the next line, instead of merging lines into one row."""
    start, total = 0, len(lines)
    while start < total:
        reader = _reader(itertools.islice(lines, start, None), delimiter)
        consumed, restart = 0, None
        try:
            for cells in reader:
                first = start + consumed + 1
                span = reader.line_num - consumed
                consumed = reader.line_num
                if span > 1 and _width(cells, header) != header and header:
                    yield first, None
                    restart = first  # the index of the line after the bad one
                    break
                yield first, cells
        except csv.Error as exc:
            raise FileRefused(f"Le CSV est mal formé (ligne {start + consumed + 1}) : {exc}.") from exc
        if restart is None:
            return
        start = restart


def _read_csv(data: bytes, *, encoding: str = "", delimiter: str = "") -> Table:
    text, encoding, why_encoding = _decode(data, encoding)
    if "\x00" in text:
        raise FileRefused("Le fichier contient des caractères nuls : ce n'est pas un CSV valide.")
    lines = list(io.StringIO(text, newline=""))  # split on \n, \r\n or \r, line ends kept
    del text
    if delimiter:
        if delimiter not in DELIMITER_NAMES:
            raise FileRefused("Séparateur inconnu : choisissez le point-virgule, la virgule, la tabulation ou « | ».")
        why_delimiter = f"{DELIMITER_NAMES[delimiter]}, choisi à la main."
    else:
        delimiter, why_delimiter = _choose_delimiter(lines)
    rows: list[list[str]] = []
    numbers: list[int] = []
    row_errors: list[list] = []
    ragged: list[tuple[int, int]] = []
    first = next((cells for _, cells in _records(lines, delimiter, 0) if cells and any(cells)), None)
    header = _header_width(first) if first else 0
    for number, cells in _records(lines, delimiter, header):
        if cells is None:
            row_errors.append(
                [
                    number,
                    "Guillemet ouvert et jamais refermé sur cette ligne : elle n'est pas lue (ni fusionnée avec "
                    "les suivantes). Refermez le guillemet ou retirez-le, puis importez de nouveau cette ligne.",
                ]
            )
            continue
        if not any(c.strip() for c in cells):
            continue
        if rows and _width(cells, header) != header:
            ragged.append((number, _width(cells, header)))
            continue
        rows.append(cells)
        numbers.append(number)
        if len(rows) > MAX_ROWS + 1:
            raise FileRefused(f"Le fichier compte plus de {MAX_ROWS} lignes : découpez-le.")
    if ragged:
        shown = ", ".join(f"{n} ({w} colonne{'s' if w > 1 else ''})" for n, w in ragged[:RAGGED_SHOWN])
        more = f" et {len(ragged) - RAGGED_SHOWN} autre(s)" if len(ragged) > RAGGED_SHOWN else ""
        raise LayoutRefused(
            f"Avec le séparateur {DELIMITER_NAMES[delimiter]}, l'en-tête compte {header} colonnes mais "
            f"{len(ragged)} ligne(s) n'en ont pas autant : ligne(s) {shown}{more}. Rien n'est deviné ni importé : "
            "choisissez un autre séparateur ou un autre encodage, ou corrigez ces lignes dans votre tableur."
        )
    table = _table(rows, "csv", encoding=encoding, delimiter=delimiter, numbers=numbers)
    table.row_errors = row_errors
    table.why_encoding, table.why_delimiter = why_encoding, why_delimiter
    return table


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
        rows: list[list[str]] = []
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


def _table(rows: list[list[str]], file_format: str, numbers: list[int] | None = None, **extra) -> Table:
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
    body: list[list[str]] = []
    width, strip = len(headers), str.strip  # cells are strings (csv, or ``_cell`` for XLSX)
    for index, row in enumerate(rows[1:], start=1):
        cells = list(map(strip, row[:width]))
        if len(cells) < width:
            cells += [""] * (width - len(cells))
        if max(map(len, cells)) > MAX_CELL_CHARS:
            line = numbers[index] if numbers else len(body) + 2
            raise FileRefused(
                f"La ligne {line} contient une cellule de plus de {MAX_CELL_CHARS} caractères : fichier refusé."
            )
        body.append(cells)
    return Table(
        headers=headers, rows=body, file_format=file_format, numbers=(numbers or [])[1 : len(body) + 1], **extra
    )
