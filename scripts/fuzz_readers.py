"""Longer fuzzing of the CSV/XLSX readers than the suite's (Hypothesis; atheris is not needed).

    .venv/bin/python scripts/fuzz_readers.py --examples 20000

Every input must either be read into a rectangular table or be refused with ``FileRefused`` (a French
message): any other exception is a bug, and Hypothesis prints the smallest input that raises it.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maillage.settings")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--examples", type=int, default=5000)
    args = parser.parse_args()
    import django

    django.setup()
    import openpyxl
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from maillage.exchange.readers import FileRefused, read_table

    def check(data: bytes) -> None:
        try:
            table = read_table(data)
        except FileRefused as exc:
            assert str(exc)
            return
        assert table.headers and all(len(r) == len(table.headers) for r in table.rows)

    workbook = openpyxl.Workbook()
    workbook.active.append(["Nom", "Montant", "Date"])
    workbook.active.append(["Asso", 12.5, "2024-01-01"])
    out = io.BytesIO()
    workbook.save(out)
    xlsx = out.getvalue()
    common = settings(max_examples=args.examples, deadline=None, suppress_health_check=list(HealthCheck))

    @common
    @given(st.binary(max_size=5000))
    def raw_bytes(data):
        check(data)

    alphabet = list(";,\t\n\r\"'abcé€=+-@ 0123456789")

    @common
    @given(
        st.text(alphabet=st.sampled_from(alphabet), max_size=3000),
        st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "latin-1"]),
    )
    def csv_like(text, encoding):
        check(text.encode(encoding, errors="ignore"))

    @common
    @given(st.binary(min_size=1, max_size=200), st.integers(min_value=0, max_value=len(xlsx)))
    def corrupted_xlsx(noise, position):
        data = bytearray(xlsx)
        data[position : position + len(noise)] = noise
        check(bytes(data))

    for target in (raw_bytes, csv_like, corrupted_xlsx):
        print(f"{target.__name__}: {args.examples} examples…", flush=True)
        target()
    print("no reader raised anything but FileRefused")


if __name__ == "__main__":
    main()
