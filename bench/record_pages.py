"""Benchmark of the record pages on the demo data (a benchmark, not a test).

Target (issue 21): opening one organisation (``/annuaire/<id>/``) and one alliance (``/alliances/<id>/``) at or
below 30 ms at the median on the demo data (``maillage demo``), with a fixed number of queries, seen by the demo
association's staff (``demo@maillage.test``) and by the partner company's user (``partenaire@maillage.test``).
Each time is printed with its ratio to a trivial page (``/sante/``) measured in the same run, interleaved with
the pages: the machine is shared and noisy.

    .venv/bin/python bench/record_pages.py --db sqlite
    .venv/bin/python bench/record_pages.py --db postgres --pg-database maillage_bench_records

It builds its own database (a fresh PostgreSQL database or a temporary SQLite file), runs ``migrate`` and
``demo`` in it, and removes it at the end (unless ``--keep``); it never opens ``var/maillage.sqlite3``. To compare
two versions of the code on the same data, keep the database once and time each version on it with ``--reuse``
(the script imports the code of the tree it sits in; copy it into the other worktree):

    .venv/bin/python bench/record_pages.py --db sqlite --keep          # prints: Database kept: DIR/maillage.sqlite3
    .venv/bin/python bench/record_pages.py --db sqlite --reuse DIR
    .venv/bin/python bench/record_pages.py --db postgres --pg-database NAME --reuse

Each page prints its median wall time, its 90th percentile, its median CPU time (``time.process_time``, less
sensitive than the wall time to the other processes of a shared machine), its queries and its ratio to ``/sante/``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

TARGET_MS = 30.0
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_DATABASE = "maillage_bench_records"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], required=True)
    parser.add_argument("--repeat", type=int, default=30, help="timed requests per page after 3 warm-ups")
    parser.add_argument("--pg-database", default=PG_DATABASE, help=f"PostgreSQL bench database ({PG_DATABASE})")
    parser.add_argument("--keep", action="store_true", help="keep the bench database and print where it is")
    parser.add_argument(
        "--reuse",
        metavar="DIR",
        nargs="?",
        const="",
        help="time the pages on the database kept by an earlier --keep run, without migrate and demo (PostgreSQL: "
        "--pg-database; SQLite: the directory printed by --keep), so that two versions of the code are compared "
        "on the same data; implies --keep",
    )
    return parser.parse_args()


def pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def setup_environment(args: argparse.Namespace) -> Path:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "maillage.settings"
    os.environ["DEBUG"] = "false"
    os.environ["AXES_ENABLED"] = "false"
    var_dir = Path(args.reuse) if args.reuse else Path(tempfile.mkdtemp(prefix="maillage-bench-records-"))
    os.environ["MAILLAGE_VAR_DIR"] = str(var_dir)
    for name in ("STATIC_ROOT", "MEDIA_ROOT"):
        os.environ.pop(name, None)
    if args.db == "postgres" and args.reuse is not None:
        os.environ["DATABASE_URL"] = f"{PG_SERVER}/{args.pg_database}"
    elif args.db == "postgres":
        pg_admin(f'DROP DATABASE IF EXISTS "{args.pg_database}" WITH (FORCE)')
        pg_admin(f'CREATE DATABASE "{args.pg_database}"')
        os.environ["DATABASE_URL"] = f"{PG_SERVER}/{args.pg_database}"
    else:
        os.environ.pop("DATABASE_URL", None)
    return var_dir


def records() -> list[tuple[str, str, str]]:
    """(viewer, label, url): the demo records that hold the most, as each account sees them."""
    from django.db.models import Count

    from maillage.alliances.models import Alliance
    from maillage.organizations.models import Organization
    from maillage.workspaces.models import User

    demo = User.objects.get(email="demo@maillage.test")
    partner = User.objects.get(email="partenaire@maillage.test")
    own = Organization.objects.get(name="Les Jardins Partagés du Rhône")
    company = Organization.objects.get(name="Imprimerie Rhodanienne")
    # The alliance with the most interactions and contributions among those both workspaces take part in.
    shared = (
        Alliance.objects.filter(parties__organization=company, parties__workspace__isnull=False)
        .filter(pk__in=Alliance.objects.filter(parties__organization=own).values("pk"))
        .annotate(n=Count("interactions", distinct=True) + Count("contributions", distinct=True))
        .order_by("-n", "pk")
        .first()
    )
    pages = []
    for user, label in ((demo, "staff of the association"), (partner, "user of the partner company")):
        pages += [
            (user.email, f"{label}: organisation (partner's)", f"/annuaire/{company.pk if user == demo else own.pk}/"),
            (user.email, f"{label}: organisation (own)", f"/annuaire/{own.pk if user == demo else company.pk}/"),
        ]
        if shared is not None:
            pages.append((user.email, f"{label}: alliance « {shared.name[:30]} »", f"/alliances/{shared.pk}/"))
    return pages


class QueryCount:
    """An execute wrapper that counts the SQL statements."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)

    def __len__(self) -> int:
        return self.count


def main() -> None:
    args = parse_args()
    var_dir = setup_environment(args)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from maillage.workspaces.models import User

    settings.ALLOWED_HOSTS = ["testserver"]
    try:
        if args.reuse is None:
            start = time.perf_counter()
            call_command("migrate", verbosity=0)
            call_command("demo", verbosity=0)
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
            print(f"Database {connection.vendor}: migrate + demo in {time.perf_counter() - start:.1f} s")
        else:
            print(f"Database {connection.vendor}: reused ({os.environ.get('DATABASE_URL') or var_dir})")
        pages = records()
        clients: dict[str, Client] = {}
        for email in {viewer for viewer, _, _ in pages}:
            clients[email] = Client()
            clients[email].force_login(User.objects.get(email=email))
        health = Client()
        rows = []
        baseline: list[float] = []
        for viewer, label, url in pages:
            client = clients[viewer]
            for _ in range(3):  # warm-up
                response = client.get(url)
                assert response.status_code == 200, (url, response.status_code)
            health.get("/sante/")
            # Counted by a wrapper: the test client's request_started signal empties Django's query log.
            queries = QueryCount()
            with connection.execute_wrapper(queries):
                client.get(url)
            samples, cpu = [], []
            for _ in range(args.repeat):
                start = time.perf_counter()
                health.get("/sante/")
                baseline.append((time.perf_counter() - start) * 1000)
                start, start_cpu = time.perf_counter(), time.process_time()
                client.get(url)
                samples.append((time.perf_counter() - start) * 1000)
                cpu.append((time.process_time() - start_cpu) * 1000)
            p90 = sorted(samples)[int(len(samples) * 0.9) - 1]
            rows.append((label, url, statistics.median(samples), p90, statistics.median(cpu), len(queries)))
        base = statistics.median(baseline)
        print(
            f"\n{'page':64} {'median ms':>9} {'p90 ms':>7} {'cpu ms':>7} {'queries':>8} {'× /sante/':>10}"
            f"  target {TARGET_MS:.0f} ms"
        )
        for label, url, median, p90, cpu_ms, count in rows:
            verdict = "PASS" if median <= TARGET_MS else "FAIL"
            print(
                f"{label + ' ' + url:64} {median:9.1f} {p90:7.1f} {cpu_ms:7.1f} {count:8d} {median / base:10.1f}"
                f"  {verdict}"
            )
        print(f"{'/sante/ (interleaved with every page)':64} {base:9.1f}")
    finally:
        connection.close()
        if args.keep or args.reuse is not None:
            print(f"Database kept: {os.environ.get('DATABASE_URL') or var_dir / 'maillage.sqlite3'}")
            if args.db == "postgres" and args.reuse is not None and not args.reuse:
                shutil.rmtree(var_dir, ignore_errors=True)  # this run's own empty directory, not the kept one
        else:
            if args.db == "postgres":
                pg_admin(f'DROP DATABASE IF EXISTS "{args.pg_database}" WITH (FORCE)')
            shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
