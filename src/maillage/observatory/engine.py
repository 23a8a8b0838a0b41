"""Where the observatory's aggregates are computed: DuckDB, embedded in the process (decision 0007).

The rows the indicators read (:data:`SOURCES`: a few columns of 14 tables) are copied out of the database in one
snapshot (``COPY`` as CSV on PostgreSQL, by two ``psql`` processes sharing the refresh's snapshot; a plain
``SELECT`` on SQLite) into CSV files of a temporary directory, loaded with their types into an in-memory DuckDB, and the set-based SQL of
:mod:`maillage.observatory.duckdb_sql` runs there, columnar and on every core. The files and the DuckDB database live
for one refresh only; nothing of them is kept.
"""

from __future__ import annotations

import csv
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
from django.conf import settings
from django.db import connection, transaction

from maillage.core.pgclient import client_tool, pg_client

# Table → the columns the observatory reads, with their DuckDB types (some computed: ``COMPUTED``). Timestamps are
# read in UTC (Django's).
SOURCES: dict[str, list[tuple[str, str]]] = {
    "organizations_organization": [
        ("id", "BIGINT"),
        ("kind", "VARCHAR"),
        ("commune_id", "VARCHAR"),
        ("epci_id", "VARCHAR"),
        ("departement_id", "VARCHAR"),
        ("region_id", "VARCHAR"),
        ("budget_band", "VARCHAR"),
    ],
    "organizations_organization_causes": [("organization_id", "BIGINT"), ("cause_id", "VARCHAR")],
    "organizations_cause": [("code", "VARCHAR"), ("position", "INTEGER")],
    "workspaces_workspace": [
        ("id", "BIGINT"),
        ("organization_id", "BIGINT"),
        ("contributes_to_observatory", "BOOLEAN"),
        ("created_at", "TIMESTAMP"),
        ("verified_at", "TIMESTAMP"),
    ],
    "territories_commune": [
        ("code", "VARCHAR"),
        ("parent_id", "VARCHAR"),
        ("epci_id", "VARCHAR"),
        ("departement_id", "VARCHAR"),
        ("region_id", "VARCHAR"),
    ],
    "alliances_alliance": [
        ("id", "BIGINT"),
        ("stage", "VARCHAR"),
        ("starts", "DATE"),
        ("ends_on", "DATE"),
        ("form_mecenat", "INTEGER"),
        ("form_responsible", "INTEGER"),
        ("form_cooperation", "INTEGER"),
        ("form_innovation", "INTEGER"),
    ],
    "alliances_party": [
        ("id", "BIGINT"),
        ("alliance_id", "BIGINT"),
        ("organization_id", "BIGINT"),
        ("workspace_id", "BIGINT"),
        ("left_at", "TIMESTAMP"),
    ],
    "alliances_interaction": [("id", "BIGINT"), ("year", "INTEGER")],
    "alliances_attendance": [("interaction_id", "BIGINT"), ("party_id", "BIGINT"), ("minutes", "BIGINT")],
    "contributions_contribution": [
        ("id", "BIGINT"),
        ("giver_id", "BIGINT"),
        ("receiver_id", "BIGINT"),
        ("kind", "VARCHAR"),
        ("status", "VARCHAR"),
        ("value", "DECIMAL(14,2)"),
        ("year", "INTEGER"),
    ],
    "evaluation_evaluation": [
        ("id", "BIGINT"),
        ("alliance_id", "BIGINT"),
        ("questionnaire_id", "BIGINT"),
        ("status", "VARCHAR"),
        ("period_end", "DATE"),
    ],
    "evaluation_response": [
        ("id", "BIGINT"),
        ("evaluation_id", "BIGINT"),
        ("party_id", "BIGINT"),
        ("submitted_at", "TIMESTAMP"),
    ],
    "evaluation_answer": [("response_id", "BIGINT"), ("question_id", "BIGINT"), ("scale_value", "INTEGER")],
    "evaluation_question": [
        ("id", "BIGINT"),
        ("questionnaire_id", "BIGINT"),
        ("impact", "VARCHAR"),
        ("scale_type", "VARCHAR"),
    ],
}


def _forms(*codes: str) -> tuple[str, str]:
    """1 when the alliance's forms (a JSON array of codes) hold one of ``codes``, else 0: (PostgreSQL, SQLite)."""
    listed = ", ".join(f"'{code}'" for code in codes)
    like = " OR ".join(f"forms LIKE '%\"{code}\"%'" for code in codes)
    return f"CAST(forms ?| ARRAY[{listed}] AS INTEGER)", f"CASE WHEN {like} THEN 1 ELSE 0 END"


# Columns computed in the source database, only what the SQL reads (fewer and narrower values to copy and load than
# the columns they come from): (PostgreSQL, SQLite). Timestamps are UTC wall times (as SQLite stores them already).
COMPUTED: dict[tuple[str, str], tuple[str, str]] = {
    ("alliances_alliance", "starts"): (
        "COALESCE(starts_on, CAST(created_at AT TIME ZONE 'UTC' AS DATE))",
        "COALESCE(starts_on, substr(created_at, 1, 10))",
    ),
    ("alliances_alliance", "form_mecenat"): _forms("mecenat_financier", "mecenat_nature", "mecenat_competences"),
    ("alliances_alliance", "form_responsible"): _forms("pratiques_responsables"),
    ("alliances_alliance", "form_cooperation"): _forms("cooperation_economique"),
    ("alliances_alliance", "form_innovation"): _forms("innovation_sociale"),
    ("alliances_interaction", "year"): (
        "CAST(EXTRACT(YEAR FROM occurred_on) AS INTEGER)",
        "CAST(substr(occurred_on, 1, 4) AS INTEGER)",
    ),
    # The year a gift counts in: received, else promised, else recorded.
    ("contributions_contribution", "year"): (
        "CAST(EXTRACT(YEAR FROM COALESCE(received_on, promised_on, CAST(created_at AT TIME ZONE 'UTC' AS DATE)))"
        " AS INTEGER)",
        "CAST(substr(COALESCE(received_on, promised_on, created_at), 1, 4) AS INTEGER)",
    ),
}


def select_statement(table: str) -> str:
    """The source database's ``SELECT`` of a table's columns, as DuckDB will read them."""
    expressions = []
    for name, kind in SOURCES[table]:
        column = expression = connection.ops.quote_name(name)
        if (table, name) in COMPUTED:
            expression = COMPUTED[table, name][0 if connection.vendor == "postgresql" else 1]
        elif connection.vendor == "postgresql" and kind == "TIMESTAMP":  # timestamptz → the UTC wall time
            expression = f"{column} AT TIME ZONE 'UTC'"
        expressions.append(expression if expression == column else f"{expression} AS {column}")
    return f"SELECT {', '.join(expressions)} FROM {connection.ops.quote_name(table)}"  # noqa: S608 (constants)


def _export(directory: Path) -> dict[str, Path]:
    """Every source table into a CSV file of ``directory``, in one snapshot of the database."""
    paths = {table: directory / f"{table}.csv" for table in SOURCES}
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for table, path in paths.items():
                cursor.execute(select_statement(table))
                with path.open("w", newline="", encoding="utf-8") as out:
                    writer = csv.writer(out)
                    while rows := cursor.fetchmany(50_000):  # NULL as \N (no column holds that text)
                        writer.writerows([NULL if v is None else v for v in row] for row in rows)
        elif connection.savepoint_ids:  # inside the caller's transaction (a test's): its snapshot, this connection
            for table, path in paths.items():
                _copy_out(cursor, table, path)
        else:
            # The first statements of its own transaction: every table as of one instant. ``psql`` processes in
            # that snapshot write the files (libpq in C: ≈ 3× faster than reading the rows one by one in Python),
            # two at once so that PostgreSQL formats two tables at a time, one core each.
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            (snapshot,) = cursor.fetchone()
            _copy_with_psql(snapshot, paths)
    return paths


# Rows per table at national scale (maillage generate --scale 1.0), to share the tables out evenly.
EXPECTED_ROWS = {
    "alliances_party": 7_400_000,
    "alliances_alliance": 3_700_000,
    "alliances_attendance": 3_700_000,
    "alliances_interaction": 3_700_000,
    "organizations_organization": 1_700_000,
    "workspaces_workspace": 1_500_000,
    "organizations_organization_causes": 1_500_000,
    "contributions_contribution": 1_100_000,
}
PSQL_PROCESSES = 2


def _copy_body(table: str, target: str) -> str:
    """What follows ``COPY`` (or psql's ``\\copy``): NULL as \\N; a text that reads \\N is quoted."""
    return f"({select_statement(table)}) TO {target} WITH (FORMAT csv, NULL '\\N')"


def _copy_out(cursor, table: str, path: Path) -> None:
    """One table through this connection."""
    with path.open("wb") as out, cursor.cursor.copy("COPY " + _copy_body(table, "STDOUT")) as copy:
        for block in copy:
            out.write(block)


def _copy_with_psql(snapshot: str, paths: dict[str, Path]) -> None:
    """The tables shared out between ``psql`` processes, each in one transaction in ``snapshot``."""
    shares: list[list[str]] = [[] for _ in range(PSQL_PROCESSES)]
    load = [0] * PSQL_PROCESSES
    for table in sorted(paths, key=lambda t: -EXPECTED_ROWS.get(t, 0) * len(SOURCES[t])):
        emptiest = load.index(min(load))
        shares[emptiest].append(table)
        load[emptiest] += EXPECTED_ROWS.get(table, 0) * len(SOURCES[table])
    args, env = pg_client(connection.settings_dict)
    processes = []
    for tables in shares:
        script = [
            "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY;",
            f"SET TRANSACTION SNAPSHOT '{snapshot}';",  # an id PostgreSQL made: hexadecimal digits and dashes
            *(f"\\copy {_copy_body(table, repr(str(paths[table])))}" for table in tables),
            "COMMIT;",
        ]
        process = subprocess.Popen(  # noqa: S603 (our own script, the settings' database)
            [client_tool("psql"), *args, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", connection.settings_dict["NAME"]],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
        )
        assert process.stdin is not None  # opened with stdin=PIPE
        process.stdin.write("\n".join(script) + "\n")
        process.stdin.close()
        processes.append(process)
    errors = [process.stderr.read().strip() for process in processes if process.wait() != 0 and process.stderr]
    if errors:
        raise RuntimeError(f"psql a échoué pendant la copie de l'observatoire : {errors[0]}")


NULL = "\\N"


def _load(con: duckdb.DuckDBPyConnection, paths: dict[str, Path]) -> None:
    for table, path in paths.items():
        columns = "{" + ", ".join(f"'{name}': '{kind}'" for name, kind in SOURCES[table]) + "}"
        statement = (
            f"CREATE TABLE {table} AS SELECT * FROM read_csv(?, header = false, auto_detect = false, "  # noqa: S608
            f"columns = {columns}, nullstr = '\\N', allow_quoted_nulls = false)"
        )  # (names and types: constants of this module)
        con.execute(statement, [str(path)])


def connect(directory: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB, spilling to ``directory`` beyond its memory limit (``OBSERVATORY_DUCKDB_MEMORY``)."""
    config: dict[str, str | bool | int | float | list[str]] = {"temp_directory": str(directory / "spill")}
    memory = settings.OBSERVATORY_DUCKDB_MEMORY
    if memory:
        config["memory_limit"] = memory
    return duckdb.connect(":memory:", config=config)


def run(compute: Callable[[duckdb.DuckDBPyConnection], dict], timings: dict[str, float] | None = None) -> dict:
    """Copy the source rows into a fresh DuckDB and return ``compute(con)``."""
    with tempfile.TemporaryDirectory(prefix="maillage-observatory-") as tmp:
        directory = Path(tmp)
        started = time.perf_counter()
        paths = _export(directory)
        exported = time.perf_counter()
        con = connect(directory)
        try:
            _load(con, paths)
            for path in paths.values():  # loaded: the disk space goes back before the computation
                path.unlink()
            loaded = time.perf_counter()
            if timings is not None:
                timings["export"] = exported - started
                timings["load into DuckDB"] = loaded - exported
            return compute(con)
        finally:
            con.close()
