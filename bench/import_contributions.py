"""Benchmark: import of a 100,000-row contributions file, validated and written (a benchmark, not a test).

Target (issue 7): at least 20,000 rows per second on PostgreSQL, printed with its ratio to a raw ``COPY`` of
the same rows into the same table, measured in the same run.

    .venv/bin/python bench/import_contributions.py                 # PostgreSQL, 100,000 rows
    .venv/bin/python bench/import_contributions.py --db sqlite --rows 20000

It creates its own database (PostgreSQL ``h_exchange_bench``, dropped at the end; or a temporary SQLite file)
and never touches ``var/maillage.sqlite3``. What is timed:
- "check": ``runner.validate`` (what the page does before the person confirms): read and decode the file,
  resolve alliance and parties once per distinct cell, check each row with ``clean_contribution`` (the function
  ``record_contribution`` calls), the report;
- "import": ``runner.run`` on the checked job: the same reading and checks again (the file may have been checked
  hours before), then the writes in batches of 10,000 rows, each batch in one transaction with the job's
  progress (COPY on PostgreSQL; each contribution carries its job and natural key, decision 0005). The checks
  run in a thread while the previous batch is written (decision 0006): "import − check" is what the writes
  add to the checks, not the time they take;
- the baseline: the same contribution rows, already checked, sent raw with ``COPY`` into
  ``contributions_contribution`` (``executemany`` on SQLite), then rolled back. Printed twice: the statement
  alone, and with the foreign-key checks that its commit would run (``SET CONSTRAINTS ALL IMMEDIATE``: the
  import pays them at each batch's commit). The import's job and key columns are left empty in the baseline.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_DATABASE = "h_exchange_bench"
TARGET = 20_000


def psql(sql: str) -> None:
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-c", sql], check=True, capture_output=True)  # noqa: S603, S607


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-import-"))
    os.environ.pop("DATABASE_URL", None)
    os.environ["MAILLAGE_VAR_DIR"] = str(tmp)
    if args.db == "postgres":
        psql(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
        psql(f'CREATE DATABASE "{PG_DATABASE}"')
        os.environ["DATABASE_URL"] = f"{PG_SERVER}/{PG_DATABASE}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maillage.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import django

    django.setup()
    try:
        run(args, tmp)
    finally:
        from django.db import connections

        connections.close_all()
        if args.db == "postgres" and not args.keep:
            psql(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')


def run(args, tmp: Path) -> None:
    from django.core.management import call_command
    from django.db import connection, transaction

    from maillage.contributions.models import Contribution
    from maillage.exchange import runner
    from maillage.exchange.jobs import create_job
    from maillage.exchange.models import ImportedRow
    from tests.exchange.processes import SEED, contributions_csv

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"database ready ({connection.vendor}) in {time.perf_counter() - started:.1f} s")
    namespace: dict = {}
    sys.argv = ["seed"]
    exec(compile(SEED, "seed", "exec"), namespace)  # noqa: S102 (our own seeding script)
    from maillage.workspaces.models import User, Workspace

    workspace = Workspace.objects.get(name="Crash")
    user = User.objects.get(email="crash@test")
    path = contributions_csv(tmp / "dons.csv", args.rows)
    content = path.read_bytes()
    print(f"file: {args.rows} rows, {len(content) / 1024 / 1024:.1f} MB")

    t0 = time.perf_counter()
    job = create_job(workspace=workspace, user=user, entity="contribution", filename="dons.csv", content=content)
    runner.validate(job)
    check_s = time.perf_counter() - t0
    job.refresh_from_db()
    assert job.accepted_rows == args.rows, (job.accepted_rows, job.report[:3])

    t0 = time.perf_counter()
    job = runner.run(job.pk)
    import_s = time.perf_counter() - t0
    assert job.status == "done" and job.created_rows == args.rows, job.message
    assert Contribution.objects.filter(import_job=job, import_key__isnull=False).count() == args.rows
    assert not ImportedRow.objects.exists()

    # Baseline: the same rows, as the import wrote them, copied raw into the same table (then rolled back).
    fields = [f for f in Contribution._meta.concrete_fields if f.column not in {"id", "import_job_id", "import_key"}]
    columns = [f.column for f in fields]
    rows = list(Contribution.objects.values_list(*[f.attname for f in fields]))
    copy_s = checked_s = None
    if connection.vendor == "postgresql":
        with transaction.atomic():
            with connection.cursor() as cursor:
                raw = cursor.cursor
                t0 = time.perf_counter()
                with raw.copy(f"COPY contributions_contribution ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                copy_s = time.perf_counter() - t0
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the deferred foreign-key checks, as at commit
                checked_s = time.perf_counter() - t0
            transaction.set_rollback(True)
    else:
        placeholders = ", ".join(["%s"] * len(columns))
        with transaction.atomic():
            with connection.cursor() as cursor:
                t0 = time.perf_counter()
                cursor.executemany(
                    f"INSERT INTO contributions_contribution ({', '.join(columns)}) VALUES ({placeholders})",
                    rows,  # noqa: S608
                )
                copy_s = checked_s = time.perf_counter() - t0  # SQLite checks foreign keys row by row
            transaction.set_rollback(True)

    rate = args.rows / import_s
    baseline = "COPY" if connection.vendor == "postgresql" else "executemany INSERT"
    print(f"check (read, validate, report; nothing written): {check_s:.2f} s = {args.rows / check_s:,.0f} rows/s")
    print(
        f"import (read, validate, write in batches of {runner.batch_size('contribution')}): {import_s:.2f} s"
        f" = {rate:,.0f} rows/s (import − check: {import_s - check_s:+.2f} s; checks and writes overlap)"
    )
    print(f"raw {baseline} of the same rows: {copy_s:.2f} s = {args.rows / copy_s:,.0f} rows/s")
    if connection.vendor == "postgresql":
        print(
            f"raw COPY + its foreign-key checks: {checked_s:.2f} s = {args.rows / checked_s:,.0f} rows/s"
            f" (checks {checked_s - copy_s:.2f} s)"
        )
    print(f"ratio import / raw {baseline}: {import_s / copy_s:.1f}× slower")
    if connection.vendor == "postgresql":
        print(f"ratio import / raw COPY with its foreign-key checks: {import_s / checked_s:.1f}× slower")
    verdict = "OK" if rate >= TARGET else "BELOW TARGET"
    print(f"target ≥ {TARGET:,} rows/s on PostgreSQL: {verdict} ({connection.vendor})")


if __name__ == "__main__":
    main()
