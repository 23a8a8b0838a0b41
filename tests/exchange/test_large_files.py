"""Large files are read a row at a time and kept in chunks (issue 21: memory bounded whatever the file).

The files are generated here, written the way Excel writes them (shared strings, ``r`` attributes, a date
style, formulas with their cached values); no test is timed: the memory taken while reading is measured with
``tracemalloc`` and must not grow with the number of rows.
"""

from __future__ import annotations

import io
import tracemalloc
import zipfile

import pytest

from maillage.exchange import parsed
from maillage.exchange.readers import FileRefused, read_table, stream_table
from tests.exchange.helpers import csv_bytes

NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def excel_file(rows: int, *, extra_rows: str = "") -> bytes:
    """A workbook of ``rows`` data rows (shared strings for the repeated texts, inline text, a formula with its
    cached value, a date by its style, an empty cell skipped by its reference)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "xl/workbook.xml",
            f'<workbook {NS} xmlns:r="{RELS}"><sheets><sheet name="A" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{RELS}/sharedStrings" Target="sharedStrings.xml"/>'
            f'<Relationship Id="rId3" Type="{RELS}/styles" Target="styles.xml"/></Relationships>',
        )
        archive.writestr(
            "xl/styles.xml",
            f'<styleSheet {NS}><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/>'
            "</cellXfs></styleSheet>",
        )
        archive.writestr(
            "xl/sharedStrings.xml",
            f"<sst {NS}><si><t>Nom</t></si><si><t>Commune</t></si><si><r><t>Mont</t></r><r><t>ant</t></r></si>"
            "<si><t>Reçue le</t></si><si><t>Total</t></si><si><t>Villeurbanne</t></si></sst>",
        )
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(
                f'<worksheet {NS}><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c>'
                '<c r="C1" t="s"><v>2</v></c><c r="D1" t="s"><v>3</v></c><c r="E1" t="s"><v>4</v></c></row>'.encode()
            )
            for start in range(2, rows + 2, 1000):
                sheet.write(
                    "".join(
                        f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>Association n° {r}</t></is></c>'
                        f'<c r="B{r}" t="s"><v>5</v></c><c r="C{r}"><v>{r}.5</v></c>'
                        f'<c r="E{r}"><f>C{r}*2</f><v>{2 * r + 1}</v></c></row>'
                        for r in range(start, min(start + 1000, rows + 2))
                    ).encode()
                )
            sheet.write(f"{extra_rows}</sheetData></worksheet>".encode())
    return out.getvalue()


def test_cells_are_read_as_before_formulas_by_their_value_dates_by_their_style():
    table = read_table(
        excel_file(2, extra_rows='<row r="9"><c r="A9" t="b"><v>1</v></c><c r="D9" s="1"><v>45366</v></c></row>')
    )
    assert table.headers == ["Nom", "Commune", "Montant", "Reçue le", "Total"]
    assert table.rows == [
        ["Association n° 2", "Villeurbanne", "2.5", "", "5"],
        ["Association n° 3", "Villeurbanne", "3.5", "", "7"],
        ["True", "", "", "2024-03-15", ""],
    ]
    assert table.numbers == [2, 3, 9]  # the sheet's own row numbers (rows 4 to 8 are absent)


def _peak_while_reading(data: bytes) -> tuple[int, int]:
    tracemalloc.start()
    try:
        sheet = stream_table(data)
        count = sum(1 for _ in sheet.rows)
        return count, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_large_xlsx_is_read_a_row_at_a_time_in_memory_that_does_not_grow_with_its_rows(monkeypatch):
    from maillage.exchange import readers

    monkeypatch.setattr(readers, "XML_SLICE", 64 * 1024)  # the sheet's XML is parsed a slice at a time
    read_table(excel_file(1))  # the modules the reader imports, once
    count, small_peak = _peak_while_reading(excel_file(1_000))
    assert count == 1_000
    count, large_peak = _peak_while_reading(excel_file(10_000))
    assert count == 10_000
    assert large_peak < small_peak * 1.5 + 256 * 1024  # ten times the rows, not more memory


def test_a_large_csv_is_read_a_row_at_a_time_in_memory_that_does_not_grow_with_its_rows(monkeypatch):
    from maillage.exchange import readers

    monkeypatch.setattr(readers, "DECODE_SLICE", 64 * 1024)  # the encoding is checked a slice at a time
    rows = [["Nom", "Commune", "Notes"]] + [[f"Association n° {i}", "69123", "é" * 40] for i in range(20_000)]
    read_table(csv_bytes(rows[:3]))
    count, small_peak = _peak_while_reading(csv_bytes(rows[:2_001]))
    assert count == 2_000
    count, large_peak = _peak_while_reading(csv_bytes(rows))
    assert count == 20_000
    assert large_peak < small_peak * 1.5 + 1024 * 1024


def test_a_row_of_too_many_cells_is_refused_before_it_is_held():
    cells = "".join(f"<c><v>{i}</v></c>" for i in range(20_000))
    with pytest.raises(FileRefused, match="plus de 16384 cellules"):
        read_table(excel_file(1, extra_rows=f'<row r="5">{cells}</row>'))


@pytest.mark.django_db
def test_the_parsed_form_is_read_back_a_chunk_at_a_time(workspace_a, owner, monkeypatch):
    from maillage.exchange.jobs import create_job
    from maillage.exchange.models import ParsedChunk

    monkeypatch.setattr(parsed, "CHUNK_ROWS", 7)
    content = excel_file(100)
    job = create_job(workspace=workspace_a, user=owner, entity="organization", filename="x.xlsx", content=content)
    assert ParsedChunk.objects.filter(job=job).count() == 15  # 100 rows in chunks of 7
    table = parsed.load(job)
    assert isinstance(table.rows, parsed.Rows) and len(table.rows) == 100
    expected = read_table(content)
    assert list(table.rows) == expected.rows and list(table.numbers) == expected.numbers
    assert table.rows[:3] == expected.rows[:3] and table.rows[99] == expected.rows[99]
    detached = parsed.load(job, detached=True).rows
    ParsedChunk.objects.filter(job=job).delete()
    assert list(detached) == expected.rows  # read from the chunks fetched before, not the database


def test_an_upload_over_the_memory_size_is_stored_and_parsed_from_its_temporary_file(
    client, alliance, settings, monkeypatch
):
    """Django spools a file over ``FILE_UPLOAD_MAX_MEMORY_SIZE`` to a temporary file: the page stores it in the
    job's chunks and parses it from there, a slice at a time, never reading it whole into memory."""
    from django.core.files.uploadedfile import TemporaryUploadedFile

    from maillage.exchange import stored
    from maillage.exchange.models import ImportJob, ParsedChunk, UploadChunk
    from tests.exchange.helpers import contribution_rows, upload

    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 16 * 1024
    monkeypatch.setattr(stored, "CHUNK_BYTES", 32 * 1024)
    content = csv_bytes(contribution_rows(3000))
    assert len(content) > 8 * settings.FILE_UPLOAD_MAX_MEMORY_SIZE
    reads: list[int] = []

    def recorded(self):
        def read(size=-1):
            data = self.file.read(size)
            reads.append(len(data))
            return data

        return read

    monkeypatch.setattr(TemporaryUploadedFile, "read", property(recorded))
    response = upload(client, content, name="dons.csv")
    job = ImportJob.objects.latest("pk")
    assert response.status_code == 302 and job.mapping and not job.message
    assert max(reads, default=0) < len(content) / 2  # never the whole file from the upload
    assert parsed.load(job).rows[2999][4] == "Don n° 2999"
    assert ParsedChunk.objects.filter(job=job).exists()
    chunks = list(UploadChunk.objects.filter(job=job).order_by("index").values_list("data", flat=True))
    assert len(chunks) == -(-len(content) // (32 * 1024)) and b"".join(map(bytes, chunks)) == content
    assert bytes(ImportJob.objects.get(pk=job.pk).content) == b""
    response = client.post(f"/donnees/imports/{job.pk}/colonnes/", {"reread": "1", "delimiter": ";"})
    job.refresh_from_db()
    assert response.status_code == 302 and job.delimiter == ";" and parsed.load(job).rows[0][4] == "Don n° 0"
