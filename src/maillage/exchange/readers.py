"""Reading uploaded files safely: size, type by content, zip-bomb limits, encodings and separators.

Every refusal is a :class:`FileRefused` with a French message for the person who uploaded the file; nothing in
here raises anything else on bad input (the fuzz tests hold it to that).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import gc
import hashlib
import io
import itertools
import os
import posixpath
import re
import zipfile
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO
from xml.etree import ElementTree

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 200_000
MAX_COLUMNS = 200
MAX_CELL_CHARS = 10_000
MAX_ZIP_ENTRIES = 500
MAX_XLSX_UNCOMPRESSED = 200 * 1024 * 1024
MAX_TEXT_CHARS = 200 * 1024 * 1024  # the cells' text as read (shared strings repeated): like the XLSX limit
MAX_SHEET_CELLS_PER_ROW = 16_384  # Excel's limit: a row of more cells is not a spreadsheet's
MAX_ZIP_RATIO = 200  # a member compressed more than 200:1 is a bomb, not a spreadsheet
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls (Excel 97), not supported
ENCODINGS = ("utf-8-sig", "cp1252")


class FileRefused(Exception):
    """The file cannot be read; ``str(exc)`` says why, in French, and how to fix it."""


@dataclass
class Table:
    headers: list[str]
    # Data rows, every one exactly ``len(headers)`` cells, none empty: a list, or the parsed form's rows read
    # back a chunk at a time each time they are iterated (``parsed.Rows``).
    rows: list[list[str]]
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


@dataclass
class Sheet:
    """A file being read: what is known before its rows (headers, encoding, separator and why), then its rows
    one at a time, ``(line number, cells)``, never all in memory. ``row_errors`` is complete once ``rows`` is
    exhausted; ``rows`` raises ``FileRefused`` (``LayoutRefused`` for ragged rows, at the end) as it goes."""

    headers: list[str]
    file_format: str
    rows: Iterator[tuple[int, list[str]]]
    encoding: str = ""
    delimiter: str = ""
    why_encoding: str = ""
    why_delimiter: str = ""
    row_errors: list[list] = field(default_factory=list)


# A file to read: its bytes (a small upload, tests), or the path of a file on disk (an upload Django spooled to a
# temporary file, the file given to the CLI), read a slice at a time and never whole (decision 0011).
Source = bytes | Path


def open_source(source: Source) -> BinaryIO:
    """A binary file over ``source``, at its start; the caller closes it."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return io.BytesIO(source)
    return open(source, "rb")  # noqa: SIM115 (the caller closes it)


def source_size(source: Source) -> int:
    return len(source) if isinstance(source, (bytes, bytearray, memoryview)) else os.path.getsize(source)


def source_slices(source: Source, size: int = 0) -> Iterator[bytes]:
    size = size or DECODE_SLICE
    with open_source(source) as file:
        while piece := file.read(size):
            yield piece


def _head(source: Source, size: int) -> bytes:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source[:size])
    with open_source(source) as file:
        return file.read(size)


def _byte_at(source: Source, offset: int) -> int:
    with open_source(source) as file:
        file.seek(offset)
        return (file.read(1) or b"\x00")[0]


def content_hash(source: Source) -> str:
    digest = hashlib.sha256()
    for piece in source_slices(source):
        digest.update(piece)
    return digest.hexdigest()


def sniff_format(data: Source) -> str:
    """``csv``, ``xlsx`` or ``zip`` (a Maillage archive), by content: the file name is never trusted."""
    size = source_size(data)
    if not size:
        raise FileRefused("Le fichier est vide.")
    if size > MAX_FILE_BYTES:
        raise FileRefused(
            f"Le fichier pèse {size / 1024 / 1024:.1f} Mo ; {MAX_FILE_BYTES // 1024 // 1024} Mo au plus : "
            "découpez-le en plusieurs fichiers."
        )
    head = _head(data, 4096)
    if head.startswith(OLE_MAGIC):
        raise FileRefused(
            "Ce fichier est au format Excel 97-2003 (.xls) : enregistrez-le au format .xlsx ou CSV, puis recommencez."
        )
    if head.startswith(ZIP_MAGIC):
        names = _zip_names(data)
        if "xl/workbook.xml" in names:
            return "xlsx"
        if "maillage.json" in names:
            return "zip"
        raise FileRefused(
            "Ce fichier compressé n'est ni un classeur Excel (.xlsx) ni une archive Maillage : "
            "envoyez un fichier CSV, XLSX ou l'archive ZIP exportée par Maillage."
        )
    if b"\x00" in head:
        raise FileRefused(
            "Ce fichier n'est pas un texte CSV ni un classeur XLSX (contenu binaire) : "
            "exportez votre tableur au format CSV ou XLSX."
        )
    return "csv"


def _zip_file(source: Source) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(source) if isinstance(source, (bytes, bytearray, memoryview)) else source)


def _zip_names(data: Source) -> set[str]:
    try:
        with _zip_file(data) as archive:
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


UNBALANCED_QUOTE = (
    "Guillemet ouvert et jamais refermé sur cette ligne : elle n'est pas lue (ni fusionnée avec "
    "les suivantes). Refermez le guillemet ou retirez-le, puis importez de nouveau cette ligne."
)
DECODE_SLICE = 1024 * 1024


def stream_table(data: Source, *, encoding: str = "", delimiter: str = "") -> Sheet:
    """Headers of a CSV or XLSX file, then its rows one at a time, every cell as a stripped string (dates as
    ISO), empty rows left out; memory does not grow with the file's rows (decision 0011). ``data``: the file's
    bytes, or its path (read a slice at a time, as long as the rows are read: the file must stay until then).

    ``encoding`` and ``delimiter`` (CSV only) replace the detected ones when the person chose them."""
    file_format = sniff_format(data)
    if file_format == "xlsx":
        return _stream_xlsx(data)
    if file_format == "zip":
        raise FileRefused("Une archive Maillage s'importe comme « Archive complète », pas comme tableau.")
    return _stream_csv(data, encoding=encoding, delimiter=delimiter)


def read_table(data: Source, *, encoding: str = "", delimiter: str = "") -> Table:
    """The whole table in memory (small files, tests): :func:`stream_table`'s rows in a list."""
    sheet = stream_table(data, encoding=encoding, delimiter=delimiter)
    numbers: list[int] = []
    rows: list[list[str]] = []
    for number, cells in sheet.rows:
        numbers.append(number)
        rows.append(cells)
    return Table(
        headers=sheet.headers,
        rows=rows,
        numbers=numbers,
        file_format=sheet.file_format,
        encoding=sheet.encoding,
        delimiter=sheet.delimiter,
        row_errors=sheet.row_errors,
        why_encoding=sheet.why_encoding,
        why_delimiter=sheet.why_delimiter,
    )


def _line_of(data: Source, offset: int) -> int:
    lines, seen = 1, 0
    for piece in source_slices(data):
        lines += piece.count(b"\n", 0, max(0, offset - seen))
        seen += len(piece)
        if seen >= offset:
            break
    return lines


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


def _choose_delimiter(lines: Callable[[], Iterator[str]]) -> tuple[str, str]:
    """The separator under which the header and the first rows have the same number of columns (the most
    columns when several do), and why. Cells holding commas (``=HYPERLINK("…","…")``, amounts) do not fool
    it: under the comma those rows would not have the header's width."""
    scores = []
    for delimiter in DELIMITERS:
        try:
            records = [r for r in itertools.islice(_reader(lines(), delimiter), SNIFF_RECORDS) if any(r)]
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


def _records(lines: Iterator[str], delimiter: str, header: int) -> Iterator[tuple[int, list[str] | None]]:
    """``(line number, cells)`` of each record, ``cells`` None for a record that an unbalanced quote spread
    over several lines of the file (the quote swallowed the line ends): it is reported as that line's error
    and the reading starts again on the next line, instead of merging lines into one row.

    ``lines`` is read once, lazily: only the lines of the record being read are kept (to read again the lines
    a bad quote swallowed; a quoted cell is at most ``csv.field_size_limit()`` characters)."""
    pending: deque[str] = deque()
    taken: list[str] = []

    def source() -> Iterator[str]:
        while True:
            if pending:
                line = pending.popleft()
            else:
                following = next(lines, None)
                if following is None:
                    return
                line = following
            taken.append(line)
            yield line

    reader = _reader(source(), delimiter)
    number = 1  # the file's line number of the next record's first line
    while True:
        taken.clear()
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise FileRefused(f"Le CSV est mal formé (ligne {number + max(len(taken) - 1, 0)}) : {exc}.") from exc
        span = len(taken)
        if span > 1 and header and _width(cells, header) != header:
            yield number, None
            pending.extendleft(reversed(taken[1:]))  # the lines after the bad one are read again
            number += 1
            reader = _reader(source(), delimiter)
            continue
        yield number, cells
        number += span


def _validate_encoding(data: Source, encoding: str) -> None:
    """Raise ``UnicodeDecodeError`` (its ``start`` an offset in ``data``) unless all of ``data`` decodes, without
    keeping the decoded text (a slice at a time)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    size = source_size(data)
    start = 0
    for piece in source_slices(data, DECODE_SLICE):
        buffered = len(decoder.getstate()[0])
        try:
            decoder.decode(piece, final=start + len(piece) >= size)
        except UnicodeDecodeError as exc:
            exc.start += start - buffered
            raise
        start += len(piece)


def _detect_encoding(data: Source, chosen: str = "") -> tuple[str, str]:
    """The encoding and why (in French)."""
    if chosen:
        if chosen not in ENCODING_NAMES:
            raise FileRefused(f"Encodage inconnu « {chosen} » : choisissez UTF-8 ou Windows-1252.")
        try:
            _validate_encoding(data, chosen)
        except UnicodeDecodeError as exc:
            raise LayoutRefused(
                f"Le fichier ne se lit pas en {ENCODING_NAMES[chosen]} (octet 0x{_byte_at(data, exc.start):02X}, ligne "
                f"{_line_of(data, exc.start)}) : choisissez un autre encodage."
            ) from exc
        return chosen, f"{ENCODING_NAMES[chosen]}, choisi à la main."
    try:
        _validate_encoding(data, "utf-8-sig")
    except UnicodeDecodeError as exc:
        bad = f"octet 0x{_byte_at(data, exc.start):02X} ligne {_line_of(data, exc.start)}"
    else:
        why = "UTF-8 : tout le fichier est de l'UTF-8 valide"
        return "utf-8-sig", why + (" (avec BOM)." if _head(data, 3) == b"\xef\xbb\xbf" else ".")
    try:
        _validate_encoding(data, "cp1252")
    except UnicodeDecodeError as exc:
        raise FileRefused(
            f"Encodage du texte non reconnu (ni UTF-8 : {bad} ; ni Windows-1252 : octet 0x{_byte_at(data, exc.start):02X} "
            f"ligne {_line_of(data, exc.start)}) : enregistrez le fichier en CSV UTF-8."
        ) from exc
    return "cp1252", f"Windows-1252 : le fichier n'est pas de l'UTF-8 valide ({bad})."


def _lines(data: Source, encoding: str) -> Iterator[str]:
    """The file's lines, decoded a slice at a time (split on \\n, \\r\\n or \\r, line ends kept); the file is
    closed when they are all read or the iterator is dropped."""
    with io.TextIOWrapper(open_source(data), encoding=encoding, newline="") as text:
        yield from text


def _stream_csv(data: Source, *, encoding: str = "", delimiter: str = "") -> Sheet:
    encoding, why_encoding = _detect_encoding(data, encoding)
    if any(b"\x00" in piece for piece in source_slices(data)):
        raise FileRefused("Le fichier contient des caractères nuls : ce n'est pas un CSV valide.")
    if delimiter:
        if delimiter not in DELIMITER_NAMES:
            raise FileRefused("Séparateur inconnu : choisissez le point-virgule, la virgule, la tabulation ou « | ».")
        why_delimiter = f"{DELIMITER_NAMES[delimiter]}, choisi à la main."
    else:
        delimiter, why_delimiter = _choose_delimiter(lambda: _lines(data, encoding))
    first = next(
        (
            cells
            for _, cells in _records(_lines(data, encoding), delimiter, 0)
            if cells and any(c.strip() for c in cells)
        ),
        None,
    )
    header = _header_width(first) if first else 0
    headers = _headers(first or [])
    sheet = Sheet(
        headers=headers,
        file_format="csv",
        encoding=encoding,
        delimiter=delimiter,
        why_encoding=why_encoding,
        why_delimiter=why_delimiter,
        rows=iter(()),
    )
    sheet.rows = _csv_rows(sheet, _records(_lines(data, encoding), delimiter, header), header)
    return sheet


def _csv_rows(sheet: Sheet, records, header: int) -> Iterator[tuple[int, list[str]]]:
    ragged: list[tuple[int, int]] = []
    raggeds = 0
    seen_header = False
    width = len(sheet.headers)
    rows = 0
    for number, cells in records:
        if cells is None:
            sheet.row_errors.append([number, UNBALANCED_QUOTE])
            continue
        if not any(c.strip() for c in cells):
            continue
        if not seen_header:
            seen_header = True
            continue
        if _width(cells, header) != header:
            raggeds += 1
            if len(ragged) < RAGGED_SHOWN:
                ragged.append((number, _width(cells, header)))
            continue
        rows += 1
        if rows > MAX_ROWS:
            raise FileRefused(f"Le fichier compte plus de {MAX_ROWS} lignes : découpez-le.")
        normal = _normal(cells, width, number)
        if normal is not None and not raggeds:
            yield number, normal
    if raggeds:
        shown = ", ".join(f"{n} ({w} colonne{'s' if w > 1 else ''})" for n, w in ragged)
        more = f" et {raggeds - RAGGED_SHOWN} autre(s)" if raggeds > RAGGED_SHOWN else ""
        raise LayoutRefused(
            f"Avec le séparateur {DELIMITER_NAMES[sheet.delimiter]}, l'en-tête compte {header} colonnes mais "
            f"{raggeds} ligne(s) n'en ont pas autant : ligne(s) {shown}{more}. Rien n'est deviné ni importé : "
            "choisissez un autre séparateur ou un autre encodage, ou corrigez ces lignes dans votre tableur."
        )


def _headers(cells: list) -> list[str]:
    """The column names of a first row; refuses an empty one or one of too many columns."""
    if not cells:
        raise FileRefused("Le fichier ne contient aucune ligne : la première ligne doit porter les noms de colonnes.")
    headers = [(h or "").strip().lstrip("\ufeff") for h in cells]
    while headers and not headers[-1]:
        headers.pop()
    if not any(headers):
        raise FileRefused("La première ligne doit porter les noms des colonnes (elle est vide).")
    if len(headers) > MAX_COLUMNS:
        raise FileRefused(f"Le fichier compte {len(headers)} colonnes ; {MAX_COLUMNS} au plus.")
    return headers


def _normal(cells: list[str], width: int, number: int) -> list[str] | None:
    """A row's cells, stripped, exactly ``width`` of them; None for an empty row; refuses a cell too long."""
    cells = list(map(str.strip, cells[:width]))
    if len(cells) < width:
        cells += [""] * (width - len(cells))
    if not any(cells):
        return None
    if max(map(len, cells)) > MAX_CELL_CHARS:
        raise FileRefused(
            f"La ligne {number} contient une cellule de plus de {MAX_CELL_CHARS} caractères : fichier refusé."
        )
    return cells


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


# XLSX: the first sheet's XML read as it is decompressed (``ElementTree.XMLPullParser``), each row handed on
# and dropped; the shared strings kept as one UTF-8 buffer with their offsets. Cells are converted as
# openpyxl does in read-only ``values_only`` mode (formulas: their cached value; dates by their style).
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
STRICT_NS = "http://purl.oclc.org/ooxml/spreadsheetml/main"
PACKAGE_RELS_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
# Dates as openpyxl (3.1) reads them, without importing it (its package imports numpy: 27 MB more in the
# process that reads the file): its ``utils.datetime.from_excel`` and ``styles.numbers.is_date_format``.
WINDOWS_EPOCH = datetime(1899, 12, 30)
MAC_EPOCH = datetime(1904, 1, 1)
BUILTIN_DATE_FORMATS = {  # openpyxl's BUILTIN_FORMATS that show a date or a time (the others: "")
    14: "mm-dd-yy",
    15: "d-mmm-yy",
    16: "d-mmm",
    17: "mmm-yy",
    18: "h:mm AM/PM",
    19: "h:mm:ss AM/PM",
    20: "h:mm",
    21: "h:mm:ss",
    22: "m/d/yy h:mm",
    45: "mm:ss",
    46: "[h]:mm:ss",
    47: "mmss.0",
}
_FORMAT_STRIPPED = re.compile(r'".*?"|\[(?!hh?\]|mm?\]|ss?\])[^\]]*\]')
_TIMEDELTA_FORMAT = re.compile(r"\[hh?\](:mm(:ss(\.0*)?)?)?|\[mm?\](:ss(\.0*)?)?|\[ss?\](\.0*)?", re.I)
_DATE_LETTER = re.compile(r"(?<![_\\])[dmhysDMHYS]")


def is_date_format(code: str) -> bool:
    return _DATE_LETTER.search(_FORMAT_STRIPPED.sub("", code.split(";")[0])) is not None


def is_timedelta_format(code: str) -> bool:
    return _TIMEDELTA_FORMAT.search(code.split(";")[0]) is not None


def _from_excel(value: float, epoch: datetime, timedelta: bool = False):
    if timedelta:
        span = dt.timedelta(days=value)
        if span.microseconds:  # to the millisecond
            span = dt.timedelta(seconds=span.total_seconds() // 1, microseconds=round(span.microseconds, -3))
        return span
    day, fraction = divmod(value, 1)
    diff = dt.timedelta(milliseconds=round(fraction * 86400 * 1000))
    if 0 <= value < 1 and diff.days == 0:
        minutes, seconds = divmod(diff.seconds, 60)
        hours, minutes = divmod(minutes, 60)
        return dt.time(hours, minutes, seconds, diff.microseconds)
    if 0 < value < 60 and epoch == WINDOWS_EPOCH:
        day += 1
    return epoch + dt.timedelta(days=day) + diff


XML_SLICE = 256 * 1024  # a slice of sheet XML makes some 15 times its size in elements until its rows are handed on


def _stream_xlsx(data: Source) -> Sheet:
    try:
        archive = _zip_file(data)
        parts = _Workbook(archive)
    except FileRefused:
        raise
    except Exception as exc:  # a broken file raises many kinds: all mean "unreadable"
        raise FileRefused(
            "Le classeur XLSX est illisible (fichier abîmé ou protégé par mot de passe) : "
            "ouvrez-le dans votre tableur et enregistrez-le de nouveau."
        ) from exc
    rows = _xlsx_rows(archive, parts)
    first = next(rows, None)
    if first is None:
        raise FileRefused("Le fichier ne contient aucune ligne : la première ligne doit porter les noms de colonnes.")
    number, cells = first
    headers = _headers(cells if number == 1 else [])
    return Sheet(headers=headers, file_format="xlsx", rows=_xlsx_body(rows, len(headers)))


def _xlsx_body(rows: Iterator[tuple[int, list[str]]], width: int) -> Iterator[tuple[int, list[str]]]:
    count = 0
    text = 0
    for number, cells in rows:
        normal = _normal(cells, width, number)
        if normal is None:
            continue
        count += 1
        if count > MAX_ROWS:
            raise FileRefused(f"Le classeur compte plus de {MAX_ROWS} lignes : découpez-le.")
        text += sum(map(len, normal))
        if text > MAX_TEXT_CHARS:
            raise FileRefused(
                f"Le classeur contient plus de {MAX_TEXT_CHARS // 1024 // 1024} millions de caractères : "
                "découpez-le en plusieurs fichiers."
            )
        yield number, normal


NO_DTD = "Le classeur XLSX contient une déclaration XML (DTD) qu'aucun tableur n'écrit : fichier refusé."


def _xml(archive: zipfile.ZipFile, member: str) -> ElementTree.Element:
    """A small part of the workbook, parsed whole; a DTD (entities: billion laughs) is refused."""
    data = archive.read(member)
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise FileRefused(NO_DTD)
    return ElementTree.fromstring(data)  # noqa: S314 (no DTD, hence no entity: checked above)


def _slices(archive: zipfile.ZipFile, member: str) -> Iterator[bytes]:
    """A part's XML a slice at a time; a DTD (entities: billion laughs) is refused."""
    tail = b""
    with archive.open(member) as source:
        while piece := source.read(XML_SLICE):
            seen = tail + piece
            if b"<!DOCTYPE" in seen or b"<!ENTITY" in seen:
                raise FileRefused(NO_DTD)
            tail = piece[-16:]
            yield piece


@contextlib.contextmanager
def _cycles_not_collected() -> Iterator[None]:
    """Python's cycle collector paused while a slice of XML is parsed and its rows converted (then resumed as
    it was): a slice makes some 50,000 elements that live until it is handed on, each allocation counts towards
    a collection, and each collection walks every object of the process (all of Django's in a server) — it took
    more than half of the reading's CPU. Elements, cells and rows hold no reference cycles: reference counting
    frees them all the same."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _xml_events(archive: zipfile.ZipFile, member: str, events: tuple[str, ...]) -> Iterator[tuple[str, Any]]:
    parser: Any = ElementTree.XMLPullParser(events=events)  # type: ignore[arg-type]  # noqa: S314 (``_slices``)
    for piece in _slices(archive, member):
        with _cycles_not_collected():
            parser.feed(piece)
        yield from parser.read_events()
    parser.close()
    yield from parser.read_events()


def _part(base: str, target: str) -> str:
    return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(base, target))


class _Workbook:
    """The parts of a workbook the first sheet needs: its XML, the shared strings, which styles are dates."""

    def __init__(self, archive: zipfile.ZipFile):
        names = set(archive.namelist())
        workbook = _xml(archive, "xl/workbook.xml")
        ns = workbook.tag[1:].split("}")[0] if workbook.tag.startswith("{") else MAIN_NS
        self.ns = "{" + ns + "}"
        sheet = workbook.find(f"{self.ns}sheets/{self.ns}sheet")
        if sheet is None:
            raise FileRefused("Le classeur ne contient aucune feuille.")
        rid = next((v for k, v in sheet.attrib.items() if k.endswith("}id")), "")  # r:id, whatever its namespace
        targets: dict[str, str] = {}
        kinds: dict[str, str] = {}
        if "xl/_rels/workbook.xml.rels" in names:
            rels = _xml(archive, "xl/_rels/workbook.xml.rels")
            for rel in rels.iter(f"{PACKAGE_RELS_NS}Relationship"):
                path = _part("xl", rel.get("Target", ""))
                targets[rel.get("Id", "")] = path
                kinds[rel.get("Type", "").rsplit("/", 1)[-1]] = path
        self.sheet = targets.get(rid, "xl/worksheets/sheet1.xml")
        if self.sheet not in names:
            raise FileRefused("Le classeur ne contient aucune feuille.")
        pr = workbook.find(f"{self.ns}workbookPr")
        date1904 = pr is not None and pr.get("date1904", "").lower() in {"1", "true"}
        self.epoch = MAC_EPOCH if date1904 else WINDOWS_EPOCH
        strings = kinds.get("sharedStrings", "xl/sharedStrings.xml")
        self.strings = _SharedStrings(archive, strings, self.ns) if strings in names else _SharedStrings(None, "", "")
        styles = kinds.get("styles", "xl/styles.xml")
        self.dates, self.timedeltas = _date_styles(archive, styles, self.ns) if styles in names else (set(), set())


class _SharedStrings:
    """The workbook's shared strings as one UTF-8 buffer and their offsets: about the size of their text."""

    def __init__(self, archive: zipfile.ZipFile | None, member: str, ns: str):
        import array

        self.buffer = bytearray()
        self.offsets = array.array("Q", [0])
        if archive is None:
            return
        si, t, r, rph = f"{ns}si", f"{ns}t", f"{ns}r", f"{ns}rPh"
        for _, element in _xml_events(archive, member, ("end",)):
            if element.tag != si:
                continue
            parts = []
            for child in element:
                if child.tag == t:
                    parts.append(child.text or "")
                elif child.tag == r:
                    parts += [run.text or "" for run in child.iter(t)]
                elif child.tag != rph:
                    continue
            text = "".join(parts)
            if "x005F_" in text:
                text = text.replace("x005F_", "")
            self.buffer += text.encode()
            self.offsets.append(len(self.buffer))
            element.clear()

    def __getitem__(self, index: int) -> str:
        offsets = self.offsets
        return self.buffer[offsets[index] : offsets[index + 1]].decode()


def _date_styles(archive: zipfile.ZipFile, member: str, ns: str) -> tuple[set[int], set[int]]:
    """The indexes of the cell styles that show a date (and those that show a duration)."""
    styles = _xml(archive, member)
    custom = {int(f.get("numFmtId", "-1")): f.get("formatCode", "") for f in styles.iter(f"{ns}numFmt")}
    dates, timedeltas = set(), set()
    xfs = styles.find(f"{ns}cellXfs")
    for index, xf in enumerate(xfs if xfs is not None else []):
        number = int(xf.get("numFmtId", "0"))
        code = custom.get(number) or BUILTIN_DATE_FORMATS.get(number, "")
        if code and is_date_format(code):
            dates.add(index)
            if is_timedelta_format(code):
                timedeltas.add(index)
    return dates, timedeltas


def _column_index(reference: str, letters: dict[str, int]) -> int:
    """0 for ``A1``, 27 for ``AB3``; -1 when ``reference`` has no letters."""
    name = reference.rstrip("0123456789")
    index = letters.get(name)
    if index is None:
        index = 0
        if name.isascii() and name.isalpha():
            for char in name.upper():
                index = index * 26 + ord(char) - 64
        letters[name] = index = index - 1
    return index


def _xlsx_rows(archive: zipfile.ZipFile, book: _Workbook) -> Iterator[tuple[int, list[str]]]:
    """``(row number, cells)`` of each row of the first sheet, as it is decompressed and parsed."""
    try:
        yield from _sheet_rows(archive, book)
    except FileRefused:
        raise
    except Exception as exc:
        raise FileRefused("Le classeur XLSX est mal formé : enregistrez-le de nouveau depuis votre tableur.") from exc


def _sheet_row_elements(archive: zipfile.ZipFile, member: str, ns: str) -> Iterator[list]:
    """The sheet's complete ``<row>`` elements, a few thousand at a time, as the XML is decompressed: the tree
    is built by the C parser (no event per cell) and each batch of rows is cut from it once handed on."""
    sheet_data_tag = f"{ns}sheetData"
    parser: Any = ElementTree.XMLPullParser(events=("start",))  # noqa: S314 (no DTD: ``_slices``)
    sheet_data: Any = None
    for piece in _slices(archive, member):
        with _cycles_not_collected():
            parser.feed(piece)
        if sheet_data is None:
            for _, element in parser.read_events():
                if sheet_data is None and element.tag == sheet_data_tag:
                    sheet_data = element
                    # No more events: rows are taken from ``sheetData`` (private but stable since 3.4;
                    # without it the events are drained at each slice, slower, as bounded).
                    with contextlib.suppress(AttributeError):
                        parser._parser._setevents(parser._events_queue, ())
        else:
            for _ in parser.read_events():
                pass
        if sheet_data is not None and len(sheet_data) > 1:
            done = sheet_data[:-1]  # the last row may still be being parsed
            del sheet_data[:-1]
            yield done
        if sheet_data is not None and len(sheet_data) and len(sheet_data[-1]) > MAX_SHEET_CELLS_PER_ROW:
            raise FileRefused(
                f"Une ligne du classeur compte plus de {MAX_SHEET_CELLS_PER_ROW} cellules : fichier refusé."
            )
    parser.close()
    if sheet_data is not None and len(sheet_data):
        yield list(sheet_data)


def _sheet_rows(archive: zipfile.ZipFile, book: _Workbook) -> Iterator[tuple[int, list[str]]]:
    rows: list[tuple[int, list[str]]] = []
    previous = 0
    convert = _row_converter(book)
    for batch in _sheet_row_elements(archive, book.sheet, book.ns):
        with _cycles_not_collected():  # a batch's rows converted at once, then handed on one at a time
            for element in batch:
                converted = convert(element, previous)
                if converted is not None:
                    previous = converted[0]
                    rows.append(converted)
            del batch
        yield from rows
        rows.clear()


def _row_converter(book: _Workbook) -> Callable[[Any, int], tuple[int, list[str]] | None]:
    """A function from a ``<row>`` element (and the previous row's number) to ``(row number, cells)``; None
    for another element."""
    ns = book.ns
    row_tag, c_tag, v_tag = f"{ns}row", f"{ns}c", f"{ns}v"
    is_tag, t_tag, r_tag = f"{ns}is", f"{ns}t", f"{ns}r"
    buffer, offsets = book.strings.buffer, book.strings.offsets
    dates, timedeltas, epoch = book.dates, book.timedeltas, book.epoch
    letters: dict[str, int] = {}
    find_letters = letters.get
    limit = MAX_COLUMNS + 1
    digits = "0123456789"

    def convert(element, previous: int) -> tuple[int, list[str]] | None:
        if element.tag != row_tag:
            return None
        if len(element) > MAX_SHEET_CELLS_PER_ROW:
            raise FileRefused(
                f"Une ligne du classeur compte plus de {MAX_SHEET_CELLS_PER_ROW} cellules : fichier refusé."
            )
        attribute = element.get("r")
        number = int(attribute) if attribute else previous + 1
        values: list[str] = []
        position = 0
        for cell in element:
            if cell.tag != c_tag:
                continue
            get = cell.get
            reference = get("r")
            if reference:
                column = find_letters(reference.rstrip(digits))
                if column is None:
                    column = _column_index(reference, letters)
                if column < 0:
                    column = position
            else:
                column = position
            position = column + 1
            if column >= limit:
                continue
            kind = get("t", "n")
            raw = cell.findtext(v_tag)
            if raw is None:
                inline = cell.find(is_tag) if kind == "inlineStr" else None
                value = "" if inline is None else _inline_text(inline, t_tag, r_tag)
            elif kind == "s":
                index = int(raw)
                value = buffer[offsets[index] : offsets[index + 1]].decode()
            elif kind == "n":
                style = get("s")
                if style is None or int(style) not in dates:
                    value = str(int(raw)) if raw.isdigit() else _number(raw, False, False, epoch)
                else:
                    value = _number(raw, True, int(style) in timedeltas, epoch)
            elif kind == "b":
                value = str(bool(int(raw)))
            elif kind == "d":
                from openpyxl.utils.datetime import from_ISO8601

                value = _cell(from_ISO8601(raw))
            else:  # str (a formula's text), e (an error such as #N/A), inlineStr with a value
                value = raw
            if column == len(values):
                values.append(value)
            elif column > len(values):
                values += [""] * (column - len(values))
                values.append(value)
            else:
                values[column] = value
        return number, values

    return convert


def _inline_text(inline, t_tag: str, r_tag: str) -> str:
    parts = []
    for child in inline:
        if child.tag == t_tag:
            parts.append(child.text or "")
        elif child.tag == r_tag:
            parts += [run.text or "" for run in child.iter(t_tag)]
    return "".join(parts)


def _number(raw: str, is_date: bool, is_timedelta: bool, epoch: datetime) -> str:
    """A numeric cell as openpyxl gives it, then as :func:`_cell` writes it."""
    if raw.isdigit() and not is_date:
        return str(int(raw))
    value: float | int = float(raw) if ("." in raw or "E" in raw or "e" in raw) else int(raw)
    if is_date:
        try:
            return _cell(_from_excel(value, epoch, timedelta=is_timedelta))
        except (OverflowError, ValueError):
            return "#VALUE!"
    return _cell(value)
