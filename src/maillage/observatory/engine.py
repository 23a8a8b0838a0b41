"""Where the observatory's aggregates are computed: DuckDB, embedded in the process (decision 0007).

The rows the indicators read (:data:`SOURCES`: a few columns of 14 tables) are copied out of the database in one
snapshot (``COPY … TO STDOUT`` as CSV on PostgreSQL, over two connections sharing the snapshot; a plain ``SELECT``
on SQLite) into CSV files of a temporary directory, loaded with their types into an in-memory DuckDB, and the set-based SQL of
:mod:`maillage.observatory.sql` runs there, columnar and on every core. The files and the DuckDB database live
for one refresh only; nothing of them is kept.
"""

from __future__ import annotations

import csv
import queue
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
from django.conf import settings
from django.db import connection, transaction

# Table → its columns the observatory reads, with their DuckDB types. Timestamps are read in UTC (Django's).
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
        ("organization_id", "BIGINT"),
        ("contributes_to_observatory", "BOOLEAN"),
        ("created_at", "TIMESTAMP"),
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
        ("forms", "VARCHAR"),
        ("stage", "VARCHAR"),
        ("starts_on", "DATE"),
        ("ends_on", "DATE"),
        ("created_at", "TIMESTAMP"),
    ],
    "alliances_party": [
        ("id", "BIGINT"),
        ("alliance_id", "BIGINT"),
        ("organization_id", "BIGINT"),
        ("left_at", "TIMESTAMP"),
    ],
    "alliances_interaction": [("id", "BIGINT"), ("occurred_on", "DATE")],
    "alliances_attendance": [("interaction_id", "BIGINT"), ("party_id", "BIGINT"), ("minutes", "BIGINT")],
    "contributions_contribution": [
        ("giver_id", "BIGINT"),
        ("receiver_id", "BIGINT"),
        ("kind", "VARCHAR"),
        ("status", "VARCHAR"),
        ("value", "DECIMAL(14,2)"),
        ("received_on", "DATE"),
        ("promised_on", "DATE"),
        ("created_at", "TIMESTAMP"),
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
    "evaluation_question": [("id", "BIGINT"), ("questionnaire_id", "BIGINT"), ("impact", "VARCHAR")],
}


def select_statement(table: str) -> str:
    """The source database's ``SELECT`` of a table's columns, as DuckDB will read them."""
    expressions = []
    for name, kind in SOURCES[table]:
        column = expression = connection.ops.quote_name(name)
        if connection.vendor == "postgresql":
            if kind == "TIMESTAMP":  # timestamptz → the UTC wall time (SQLite stores it so already)
                expression = f"{column} AT TIME ZONE 'UTC'"
            elif name == "forms":  # jsonb → its text: ["mecenat_financier", …]
                expression = f"CAST({column} AS TEXT)"
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
        elif connection.savepoint_ids:  # inside the caller's transaction (a test's): its snapshot, one connection
            for table, path in paths.items():
                _copy_out(cursor, table, path)
        else:
            # The first statements of its own transaction: every table as of one instant, shared with a second
            # connection so that PostgreSQL formats two tables at once (one core each).
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            (snapshot,) = cursor.fetchone()
            tables = queue.SimpleQueue()
            for table in sorted(SOURCES, key=lambda t: -EXPECTED_ROWS.get(t, 0)):  # the largest first
                tables.put(table)
            failures: list[BaseException] = []
            helper = threading.Thread(target=_second_connection, args=(snapshot, tables, paths, failures))
            helper.start()
            try:
                _copy_tables(cursor, tables, paths)
            finally:
                helper.join()
            if failures:
                raise failures[0]
    return paths


# Rows per table at national scale (maillage generate --scale 1.0), to hand out the largest tables first.
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


def _copy_out(cursor, table: str, path: Path) -> None:
    """PostgreSQL: ``COPY`` a table's columns to a CSV file (NULL as \\N; a text that reads \\N is quoted)."""
    statement = f"COPY ({select_statement(table)}) TO STDOUT WITH (FORMAT csv, NULL '\\N')"
    with path.open("wb") as out, cursor.cursor.copy(statement) as copy:
        for block in copy:
            out.write(block)


def _copy_tables(cursor, tables: queue.SimpleQueue, paths: dict[str, Path]) -> None:
    while True:
        try:
            table = tables.get_nowait()
        except queue.Empty:
            return
        _copy_out(cursor, table, paths[table])


def _second_connection(snapshot: str, tables: queue.SimpleQueue, paths: dict[str, Path], failures: list) -> None:
    """A thread with its own connection (Django opens one per thread), in the first one's snapshot."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")  # an id PostgreSQL made: digits and dashes
            _copy_tables(cursor, tables, paths)
    except BaseException as exc:  # raised again by the first thread
        failures.append(exc)
    finally:
        connection.close()


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
    config = {"temp_directory": str(directory / "spill")}
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
