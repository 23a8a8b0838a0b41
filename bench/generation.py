"""Benchmark of the synthetic data set's generation on PostgreSQL (a benchmark, not a test).

Generates the same data set (``generate(scale, seed)``) twice, each in a fresh database: first with the foreign keys
left in place (the former way: one deferred trigger per written row, all run at COMMIT), then as the generator does
it now (decision 0026: the filled tables' foreign keys dropped before the COPYs and added back after, each checked by
one join). Prints both times and their ratio, the rows written (the same in both), and checks that every foreign
key is there afterwards exactly as before (``pg_constraint``: name, table, definition, deferrable, deferred,
validated).

    PYTHONPATH=src .venv/bin/python -u bench/generation.py --scale 0.05 --seed 1

Databases ``$MAILLAGE_BENCH_DB_before`` and ``…_now`` (default prefix ``maillage_bench_gen``), dropped at the end
unless ``--keep``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from pathlib import Path

PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PREFIX = os.environ.get("MAILLAGE_BENCH_DB", "maillage_bench_gen")
CONSTRAINTS = (
    "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid), c.condeferrable, c.condeferred, "
    "c.convalidated FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
    "WHERE n.nspname = 'public' ORDER BY 1, 2"
)


def pg_admin(statement: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(statement)


def use(name: str) -> None:
    from django.db import connections

    connections.close_all()
    connections["default"].settings_dict["NAME"] = name


def constraints() -> list[tuple]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(CONSTRAINTS)
        return cursor.fetchall()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    names = {"before": f"{PREFIX}_before", "now": f"{PREFIX}_now"}
    for name in names.values():
        pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        pg_admin(f"CREATE DATABASE {name}")
    os.environ["DATABASE_URL"] = f"{PG_SERVER}/{names['before']}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "maillage.settings"
    os.environ["DEBUG"] = "false"
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import django

    django.setup()
    from django.core.management import call_command

    from maillage.demo import generate as gen

    print(f"# Generation benchmark: PostgreSQL, scale {args.scale}, seed {args.seed}", flush=True)
    times, counts, checks = {}, {}, {}
    try:
        for variant, name in names.items():
            use(name)
            call_command("migrate", verbosity=0, interactive=False)
            call_command("load_territories", verbosity=0)
            before = constraints()
            kept = gen.foreign_keys_checked_once
            if variant == "before":  # the former way: the keys stay, checked row by row at COMMIT
                gen.foreign_keys_checked_once = lambda tables: contextlib.nullcontext()  # type: ignore[assignment]
            try:
                start = time.perf_counter()
                counts[variant] = gen.generate(scale=args.scale, seed=args.seed)
                times[variant] = time.perf_counter() - start
            finally:
                gen.foreign_keys_checked_once = kept
            after = constraints()
            checks[variant] = (len(before), before == after)
            print(
                f"{variant}: {times[variant]:.1f} s; constraints {len(before)} before, {len(after)} after, "
                f"identical: {before == after}",
                flush=True,
            )
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            for name in names.values():
                pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    print("  rows: " + ", ".join(f"{k} {v:,}" for k, v in sorted(counts["now"].items())))
    print()
    print("| figure | value |")
    print("|---|---|")
    print(f"| generation, foreign keys checked row by row at COMMIT (before) | {times['before']:.1f} s |")
    print(f"| generation, foreign keys dropped and added back (now) | {times['now']:.1f} s |")
    print(f"| ratio now / before | {times['now'] / times['before']:.2f} |")
    print(f"| same rows written | {counts['before'] == counts['now']} |")
    print(f"| every constraint back as it was (both runs) | {all(same for _, same in checks.values())} |")


if __name__ == "__main__":
    main()
