"""Benchmark of the observatory at national scale (a benchmark, not a test).

Measures, in one run: generation of the synthetic data set (``maillage generate``), the full refresh (copy of
the source rows into the embedded DuckDB, set-based SQL, disclosure control, writing the cells; decision 0007), a
public page's median time, and the same indicators computed by a plain DuckDB from the same rows exported to
Parquet (the same SQL, nothing else to do). The figure to report is the ratio refresh / DuckDB. Targets (issue
6): refresh < 60 s at scale 1.0 on PostgreSQL and within 3× of DuckDB; public pages < 100 ms at the median.

    .venv/bin/pip install -e '.[bench]'     # pyarrow (bench only: the Parquet files)
    .venv/bin/python bench/observatory.py --db postgres --scale 1.0 --seed 1
    .venv/bin/python bench/observatory.py --db sqlite --scale 0.1 --seed 1

The script builds its own database (a temporary SQLite file, or a fresh PostgreSQL database
``maillage_bench_obs`` dropped at the end); it never opens ``var/maillage.sqlite3``.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_DATABASE = os.environ.get("MAILLAGE_BENCH_DB", "maillage_bench_obs")
REFRESH_TARGET_S = 60.0
DUCKDB_RATIO_TARGET = 3.0
PAGE_TARGET_MS = 100.0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], required=True)
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=21, help="timed requests per page (default 21)")
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    parser.add_argument(
        "--reuse", action="store_true", help="PostgreSQL: measure on the database a --keep run left (no generation)"
    )
    return parser.parse_args()


def pg_admin(statement: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(statement)


def setup(args) -> Path | None:
    var_dir = None
    if args.db == "postgres":
        if not args.reuse:
            pg_admin(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
            pg_admin(f"CREATE DATABASE {PG_DATABASE}")
        os.environ["DATABASE_URL"] = f"{PG_SERVER}/{PG_DATABASE}"
    else:
        var_dir = Path(tempfile.mkdtemp(prefix="maillage-bench-obs-"))
        os.environ["MAILLAGE_VAR_DIR"] = str(var_dir)
        os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "maillage.settings"
    os.environ["DEBUG"] = "false"
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    call_command("load_territories", verbosity=0)
    return var_dir


def timed(label: str, func):
    start = time.perf_counter()
    result = func()
    elapsed = time.perf_counter() - start
    print(f"{label}: {elapsed:.1f} s", flush=True)
    return elapsed, result


def export_parquet(directory: Path) -> dict[str, Path]:
    """Write the rows the observatory reads (``engine.SOURCES``) to Parquet files (not timed against anything)."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from django.db import connection

    from maillage.observatory.engine import SOURCES, select_statement

    types = {
        "BIGINT": pa.int64(),
        "INTEGER": pa.int32(),
        "VARCHAR": pa.string(),
        "BOOLEAN": pa.bool_(),
        "DATE": pa.date32(),
        "TIMESTAMP": pa.timestamp("us"),
        "DECIMAL(14,2)": pa.decimal128(14, 2),
    }
    paths = {}
    for table, columns in SOURCES.items():
        path = directory / f"{table}.parquet"
        schema = pa.schema([(name, types[kind]) for name, kind in columns])
        writer = None
        with connection.cursor() as cursor:
            cursor.execute(select_statement(table))
            while rows := cursor.fetchmany(200_000):
                values = {name: [row[i] for row in rows] for i, (name, _) in enumerate(columns)}
                if connection.vendor == "sqlite":  # dates and times maybe as text, decimals as numbers
                    values = {name: _from_sqlite(values[name], kind) for name, kind in columns}
                batch = pa.table(values, schema=schema)
                if writer is None:
                    writer = pq.ParquetWriter(path, schema)
                writer.write_table(batch)
        if writer is None:
            continue
        writer.close()
        paths[table] = path
    return paths


def _from_sqlite(values: list, kind: str) -> list:
    import datetime as dt

    if kind == "DATE":
        return [dt.date.fromisoformat(v) if isinstance(v, str) else v for v in values]
    if kind == "TIMESTAMP":
        return [dt.datetime.fromisoformat(v) if isinstance(v, str) else v for v in values]
    if kind.startswith("DECIMAL"):
        return [None if v is None else Decimal(str(v)).quantize(Decimal("0.01")) for v in values]
    if kind == "BOOLEAN":
        return [None if v is None else bool(v) for v in values]
    return values


def duckdb_aggregates(paths: dict[str, Path]):
    """The same SQL, run by a plain DuckDB on the Parquet files (each column read as the refresh types it)."""
    import duckdb

    from maillage.observatory import duckdb_sql
    from maillage.observatory.engine import SOURCES
    from maillage.observatory.refresh import aggregate_options, observed_years

    con = duckdb.connect()
    for table, columns in SOURCES.items():
        if table in paths:
            casts = ", ".join(f"CAST({name} AS {kind}) AS {name}" for name, kind in columns)
            con.execute(f"CREATE VIEW {table} AS SELECT {casts} FROM read_parquet('{paths[table]}')")
        else:  # an empty table: no file
            con.execute(f"CREATE TABLE {table} ({', '.join(f'{name} {kind}' for name, kind in columns)})")

    def fetch(statement: str):
        return con.execute(statement).fetchall()

    steps: dict[str, float] = {}
    result = duckdb_sql.run_aggregates(con.execute, fetch, observed_years(fetch), steps, **aggregate_options())
    print("    " + ", ".join(f"{k} {v:.1f} s" for k, v in steps.items()), flush=True)
    return result


def same_aggregates(a: dict, b: dict) -> bool:
    """Both results hold the same rows (amounts compared as floats)."""

    def rows(part):
        return sorted(tuple(float(v) if isinstance(v, Decimal | float) else v for v in row) for row in part)

    for part in ("counts", "amounts", "network"):
        if any(rows(a[part][level]) != rows(b[part][level]) for level in a[part]):
            return False
    return rows(a["impacts"]) == rows(b["impacts"])


def page_median(path: str, repeat: int) -> float:
    from django.test import Client

    client = Client()
    client.get(path)  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return statistics.median(times)


def main() -> None:
    args = parse_args()
    var_dir = setup(args)
    try:
        run(args)
    finally:
        if args.db == "postgres" and not args.keep:
            from django.db import connections

            connections.close_all()
            pg_admin(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
        elif var_dir and not args.keep:
            import shutil

            shutil.rmtree(var_dir, ignore_errors=True)


def run(args) -> None:
    from maillage.demo.generate import generate
    from maillage.observatory.models import Cell
    from maillage.observatory.refresh import compute_aggregates, last_trails, publish_rows, refresh

    print(f"# Observatory benchmark: {args.db}, scale {args.scale}, seed {args.seed}", flush=True)
    gen_s = 0.0
    if not args.reuse:
        gen_s, counts = timed("generation", lambda: generate(scale=args.scale, seed=args.seed))
        print("  rows: " + ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items())), flush=True)
    refresh_s, run_ = timed("full refresh (SQL + disclosure control + write)", refresh)
    print(f"  cells: {run_.cells:,}, published: {run_.published:,}")
    audit = run_.audit
    print(
        f"  audit (decision 0013): {audit.get('checked')}, findings {audit.get('findings')}, "
        f"errors {audit.get('errors')}",
        flush=True,
    )
    steps: dict[str, float] = {}
    sql_s, aggregates = timed("  of which the aggregates alone (copy, load, SQL)", lambda: compute_aggregates(steps))
    print("    " + ", ".join(f"{k} {v:.1f} s" for k, v in steps.items()), flush=True)
    disclosure_s, _ = timed(
        "  disclosure control alone (perturbation + auditor on arrays, on the aggregates)",
        lambda: publish_rows(aggregates, (last_trails(1) or [None])[0]),  # across the snapshot just published
    )
    with tempfile.TemporaryDirectory(prefix="maillage-parquet-") as tmp:
        _, paths = timed("export to Parquet (not compared)", lambda: export_parquet(Path(tmp)))
        duck_s, duck = timed("DuckDB: same SQL on the Parquet files", lambda: duckdb_aggregates(paths))
    print(
        f"  DuckDB gives the same aggregates (counts, amounts, network, impacts): {same_aggregates(aggregates, duck)}"
    )
    year = Cell.objects.filter(level="france").order_by("-year").values_list("year", flat=True).first()
    home_ms = page_median("/observatoire/", args.repeat)
    dep_ms = page_median(f"/observatoire/departement/69/?annee={year}", args.repeat)
    health_ms = page_median("/sante/", args.repeat)
    print()
    print("| figure | value | target |")
    print("|---|---|---|")
    print(f"| generation | {f'{gen_s:.1f} s' if gen_s else 'reused'} | |")
    print(f"| full refresh | {refresh_s:.1f} s | < {REFRESH_TARGET_S:.0f} s at scale 1.0 |")
    print(f"| aggregates (copy from {args.db} + DuckDB SQL) | {sql_s:.1f} s | |")
    print(f"| DuckDB, same SQL on Parquet | {duck_s:.1f} s | |")
    print(f"| ratio aggregates / DuckDB | {sql_s / duck_s:.2f} | |")
    print(f"| disclosure control (perturbation + auditor, arrays) | {disclosure_s:.1f} s | |")
    print(f"| ratio disclosure / DuckDB | {disclosure_s / duck_s:.2f} | |")
    print(f"| ratio full refresh / DuckDB | {refresh_s / duck_s:.2f} | |")
    print(
        f"| ratio full refresh / (DuckDB + disclosure) | {refresh_s / (duck_s + disclosure_s):.2f} "
        f"| < {DUCKDB_RATIO_TARGET:.0f} |"
    )
    print(
        f"| page /observatoire/ median | {home_ms:.0f} ms ({home_ms / health_ms:.0f}× /sante/) | < {PAGE_TARGET_MS:.0f} ms |"
    )
    print(
        f"| page département median | {dep_ms:.0f} ms ({dep_ms / health_ms:.0f}× /sante/) | < {PAGE_TARGET_MS:.0f} ms |"
    )
    print(f"| baseline /sante/ median | {health_ms:.1f} ms | |")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"| peak memory of the process (refresh, DuckDB baseline) | {peak:,.0f} MB | |")


if __name__ == "__main__":
    main()
