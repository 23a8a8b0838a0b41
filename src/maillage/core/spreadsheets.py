"""CSV and XLSX downloads of a table (French headers), safe to open in a spreadsheet.

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would be read as a formula by
spreadsheet software (CSV/formula injection, OWASP): it is prefixed with a single quote. Numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal

from django.http import HttpResponse

DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def neutralise(value: object) -> object:
    """The cell value as written to a file: text that a spreadsheet would run as a formula is quoted."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, int | float | Decimal | date | datetime):
        return value
    text = str(value)
    if text.startswith(DANGEROUS_PREFIXES):
        return "'" + text
    return text


def _filename(name: str, extension: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "export"
    return f"{safe}.{extension}"


def _attachment(response: HttpResponse, name: str, extension: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{_filename(name, extension)}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def csv_response(name: str, headers: Sequence[str], rows: Iterable[Sequence[object]]) -> HttpResponse:
    """A CSV download (UTF-8 with BOM, semicolon-separated, decimal comma: what French spreadsheets expect)."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in headers])
    for row in rows:
        cells = []
        for cell in row:
            value = neutralise(cell)
            if isinstance(value, Decimal | float):
                value = str(value).replace(".", ",")
            elif isinstance(value, datetime | date):
                value = value.strftime("%d/%m/%Y")
            cells.append(value)
        writer.writerow(cells)
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    return _attachment(response, name, "csv")


def xlsx_response(
    name: str, headers: Sequence[str], rows: Iterable[Sequence[object]], *, title: str = "Tableau"
) -> HttpResponse:
    """An XLSX download: one sheet, bold headers, numbers kept as numbers, text neutralised."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.worksheet import Worksheet

    workbook = Workbook()
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)  # a new workbook's sheet (typed Optional in openpyxl's stubs)

    sheet.title = re.sub(r"[\[\]:*?/\\]", " ", title)[:31] or "Tableau"
    sheet.append([neutralise(h) for h in headers])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        values = []
        for item in row:
            value = neutralise(item)

            if isinstance(value, datetime) and value.tzinfo is not None:
                value = value.replace(tzinfo=None)
            values.append(value)
        sheet.append(values)
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"
    output = io.BytesIO()
    workbook.save(output)
    response = HttpResponse(output.getvalue(), content_type=XLSX_CONTENT_TYPE)
    return _attachment(response, name, "xlsx")
