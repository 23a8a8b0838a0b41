"""The readers: encodings, separators, XLSX, limits (zip bomb), and a Hypothesis fuzz target."""

from __future__ import annotations

import io
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from maillage.exchange.fields import guess_mapping, parse_date, parse_decimal
from maillage.exchange.readers import FileRefused, read_table
from tests.exchange.helpers import csv_bytes, xlsx_bytes

ROWS = [["Nom", "Commune", "Montant"], ["Café des Âges", "Villeurbanne", "1 234,56"], ["Œuvre", "Lyon", "7"]]


@pytest.mark.parametrize(
    ("content", "encoding", "delimiter"),
    [
        (csv_bytes(ROWS, delimiter=";", encoding="utf-8-sig"), "utf-8-sig", ";"),
        (csv_bytes(ROWS, delimiter=",", encoding="utf-8"), "utf-8-sig", ","),
        (csv_bytes(ROWS, delimiter=";", encoding="cp1252"), "cp1252", ";"),
        (csv_bytes(ROWS, delimiter="\t", encoding="utf-8"), "utf-8-sig", "\t"),
    ],
)
def test_csv_encodings_and_separators(content, encoding, delimiter):
    table = read_table(content)
    assert (table.encoding, table.delimiter) == (encoding, delimiter)
    assert table.headers == ["Nom", "Commune", "Montant"]
    assert table.rows[0] == ["Café des Âges", "Villeurbanne", "1 234,56"] and table.rows[1][0] == "Œuvre"


def test_xlsx_dates_and_numbers():
    from datetime import datetime

    table = read_table(xlsx_bytes([["Date", "Montant"], [datetime(2024, 3, 15), 12.0], [None, 3.5]]))
    assert table.file_format == "xlsx" and table.rows == [["2024-03-15", "12"], ["", "3.5"]]


def test_zip_bomb_and_too_many_entries_are_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (50 * 1024 * 1024))  # 50 MB of zeros: ~50 kB zipped
    with pytest.raises(FileRefused, match="bombe ZIP"):
        read_table(out.getvalue())
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        for i in range(600):
            archive.writestr(f"x/{i}", "")
    with pytest.raises(FileRefused, match="éléments"):
        read_table(out.getvalue())


def test_size_limit(monkeypatch):
    from maillage.exchange import readers

    monkeypatch.setattr(readers, "MAX_FILE_BYTES", 100)
    with pytest.raises(FileRefused, match="Mo au plus"):
        read_table(b"a;b\n" * 100)


def test_header_guessing_french_and_english():
    mapping = guess_mapping(
        "contribution", ["Alliance", "From", "Bénéficiaire", "Type de don", "Libellé", "Amount (€)"]
    )
    assert mapping == {"0": "alliance", "1": "giver", "2": "receiver", "3": "kind", "4": "description", "5": "value"}


def test_cell_parsing():
    from decimal import Decimal

    assert parse_decimal("1 234,56 €") == Decimal("1234.56") and parse_decimal("1,234.56") == Decimal("1234.56")
    assert parse_decimal("1.234,5") == Decimal("1234.5")
    with pytest.raises(ValueError, match="n'est pas un nombre"):
        parse_decimal("NaN")
    assert str(parse_date("15/03/2024")) == "2024-03-15" and str(parse_date("2024-03-15 00:00:00")) == "2024-03-15"
    with pytest.raises(ValueError, match="JJ/MM/AAAA"):
        parse_date("32/13/2024")


def _check_reader(data: bytes) -> None:
    try:
        table = read_table(data)
    except FileRefused as exc:
        assert str(exc)  # a French message, never another exception
        return
    assert table.headers and all(len(r) == len(table.headers) for r in table.rows)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_fuzz_readers_on_arbitrary_bytes(data):
    _check_reader(data)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.lists(st.text(max_size=20), min_size=1, max_size=6), min_size=1, max_size=8),
    st.sampled_from([";", ",", "\t"]),
    st.sampled_from(["utf-8-sig", "utf-8", "cp1252"]),
)
def test_fuzz_csv_round_trip(rows, delimiter, encoding):
    try:
        data = csv_bytes(rows, delimiter=delimiter, encoding=encoding)
    except UnicodeEncodeError:
        return
    _check_reader(data)


@settings(max_examples=30, deadline=None)
@given(st.binary(min_size=1, max_size=400), st.integers(min_value=0, max_value=4000))
def test_fuzz_corrupted_xlsx(noise, position):
    data = bytearray(xlsx_bytes([["Nom", "Montant"], ["a", 1]]))
    position = position % len(data)
    data[position : position + len(noise)] = noise
    _check_reader(bytes(data))


def test_dates_read_as_openpyxl_reads_them():
    """The reader does not import openpyxl (numpy comes with it): its copy of openpyxl's date rules gives the
    same dates, times and durations for serial numbers of both calendars, and the same date formats."""
    import random

    from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
    from openpyxl.utils.datetime import MAC_EPOCH, WINDOWS_EPOCH, from_excel

    from maillage.exchange import readers

    rng = random.Random(7)
    values = [rng.uniform(-10, 80_000) for _ in range(3000)] + [rng.randrange(100_000) for _ in range(1000)]
    values += [0, 0.5, 0.999999999, 1, 59, 60, 61, 45000.25]
    for value in values:
        for epoch, ours in ((WINDOWS_EPOCH, readers.WINDOWS_EPOCH), (MAC_EPOCH, readers.MAC_EPOCH)):
            for timedelta in (False, True):
                assert readers._from_excel(value, ours, timedelta=timedelta) == from_excel(
                    value, epoch, timedelta=timedelta
                ), (value, epoch, timedelta)
    for number, code in BUILTIN_FORMATS.items():
        assert (number in readers.BUILTIN_DATE_FORMATS) == is_date_format(code), code
    for code in ["yyyy-mm-dd", "[h]:mm:ss", '"Jour" 0', "[Red]0.00", "[$-40C]dddd d mmmm yyyy", "0.00_s", "mm:ss;@"]:
        assert readers.is_date_format(code) == is_date_format(code), code
        assert readers.is_timedelta_format(code) == is_timedelta_format(code), code
