"""Benchmark: import of contacts, alliances, interactions and individual gifts, checked and written (issue 21; a
benchmark, not a test).

For each kind, a file of ``--rows`` rows (the SIGKILL drills' files: ``tests/exchange/processes.py``) is checked
(``runner.validate``, what the page does before the person confirms) then written (``runner.run`` on the checked
job), each timed in wall and CPU seconds of this process; then the rows the import wrote into the kind's table
are sent raw into the same table (``COPY`` on PostgreSQL, ``executemany`` on SQLite) and rolled back: the ratio
"check + run / raw insert" is printed for each kind, measured in the same run.

    .venv/bin/python bench/import_kinds.py --db sqlite --rows 10000
    .venv/bin/python bench/import_kinds.py --db postgres --rows 10000
    PYTHONPATH=/work/main/src .venv/bin/python bench/import_kinds.py --db sqlite   # main's code, the same bench

It creates its own database (PostgreSQL ``h_exchange_kinds_bench``, dropped at the end; or a temporary SQLite
file) and never touches ``var/maillage.sqlite3``. ``--kinds contact,alliance`` runs some kinds only; ``--memory``
prints the run's peak of Python allocations (``tracemalloc``; its timings are then not comparable).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_DATABASE = "h_exchange_kinds_bench"
KINDS = ("contact", "alliance", "interaction", "donation")


def psql(sql: str) -> None:
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-c", sql], check=True, capture_output=True)  # noqa: S603, S607


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument(
        "--memory",
        action="store_true",
        help="the run's peak of Python allocations (tracemalloc: slower, timings apart)",
    )
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-kinds-"))
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
        if args.db == "postgres":
            psql(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')


def raw_insert(model, job) -> float:
    """The rows ``job`` created in ``model``'s table, inserted again raw in one transaction, rolled back: seconds."""
    from django.db import connection, transaction

    from maillage.exchange.models import ImportedRow

    label = f"{model._meta.app_label}.{model.__name__}"
    ids = ImportedRow.objects.filter(job=job, model=label, created=True).values_list("object_id", flat=True)
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    rows = [
        [f.get_db_prep_save(value, connection) for f, value in zip(fields, row, strict=True)]
        for row in model.objects.filter(pk__in=list(ids)).values_list(*[f.attname for f in fields])
    ]
    table = model._meta.db_table
    with transaction.atomic():
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # Unique names (alliances, contacts) would refuse a copy of the same rows: the constraints of
                # the table are deferred where they can be, the copy lands beside the originals.
                t0 = time.perf_counter()
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            else:
                t0 = time.perf_counter()
                placeholders = ", ".join(["%s"] * len(fields))
                cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", rows)  # noqa: S608
            seconds = time.perf_counter() - t0
        transaction.set_rollback(True)
    return seconds


def run(args, tmp: Path) -> None:
    from django.core.management import call_command
    from django.db import connection

    import maillage
    from maillage.alliances.models import Alliance, Interaction
    from maillage.exchange import runner
    from maillage.exchange.jobs import create_job
    from maillage.organizations.models import Contact
    from maillage.receipts.models import IndividualGift
    from tests.exchange.processes import SEED, alliances_csv, contacts_csv, gifts_csv, interactions_csv

    files = {"contact": contacts_csv, "alliance": alliances_csv, "interaction": interactions_csv, "donation": gifts_csv}
    models = {"contact": Contact, "alliance": Alliance, "interaction": Interaction, "donation": IndividualGift}
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(
        f"code: {Path(maillage.__file__).parents[1]}; database ready ({connection.vendor}) in "
        f"{time.perf_counter() - started:.1f} s; load average {os.getloadavg()[0]:.2f}"
    )
    namespace: dict = {}
    sys.argv = ["seed"]
    exec(compile(SEED, "seed", "exec"), namespace)  # noqa: S102 (our own seeding script)
    from maillage.workspaces.models import User, Workspace

    workspace = Workspace.objects.get(name="Crash")
    user = User.objects.get(email="crash@test")
    baseline = "COPY" if connection.vendor == "postgresql" else "executemany"
    print(
        f"| kind | rows | check s (CPU) | run s (CPU) | rows/s checked and written (wall) | rows per CPU s"
        f" | raw {baseline} s | × raw | load |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for entity in args.kinds.split(","):
        path = files[entity](tmp / f"{entity}.csv", args.rows)
        content = path.read_bytes()
        c0, t0 = time.process_time(), time.perf_counter()
        job = create_job(workspace=workspace, user=user, entity=entity, filename=path.name, content=content)
        runner.validate(job)
        check_s, check_cpu = time.perf_counter() - t0, time.process_time() - c0
        job.refresh_from_db()
        assert job.accepted_rows == args.rows, (job.accepted_rows, job.report[:3])
        if args.memory:
            tracemalloc.start()
        c0, t0 = time.process_time(), time.perf_counter()
        job = runner.run(job.pk)
        run_s, run_cpu = time.perf_counter() - t0, time.process_time() - c0
        if args.memory:
            peak_mb = tracemalloc.get_traced_memory()[1] / 1024 / 1024
            tracemalloc.stop()
            print(f"{entity}: the run's peak of Python allocations {peak_mb:.1f} MB (tracemalloc)")
        assert job.status == "done" and job.created_rows == args.rows, job.message
        raw_s = raw_insert(models[entity], job)
        total = check_s + run_s
        print(
            f"| {entity} | {args.rows:,} | {check_s:.2f} ({check_cpu:.2f}) | {run_s:.2f} ({run_cpu:.2f})"
            f" | {args.rows / total:,.0f} | {args.rows / (check_cpu + run_cpu):,.0f} | {raw_s:.3f}"
            f" | {total / raw_s:.0f}× | {os.getloadavg()[0]:.2f} |"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the process (every kind, Django included): {peak:.0f} MB")


if __name__ == "__main__":
    main()
