"""Real processes on a real database (SQLite file, or a dedicated PostgreSQL database when the suite runs on it).

- crash: ``maillage import`` killed (SIGKILL) at random points of an import, for every kind (contributions,
  organisations, contacts, alliances, interactions, individual gifts): the database stays intact, only whole
  batches are visible, and re-running gives exactly the expected rows, each accounted for;
- concurrency: two imports of the same file at once into the same workspace write each row once;
- backup / restore: into a fresh database, same row count in every table, media files back.
"""

from __future__ import annotations

import os
import random
import signal
import stat
import time

import pytest
from django.db import connection

from tests.exchange.processes import (
    Database,
    alliances_csv,
    contacts_csv,
    contributions_csv,
    gifts_csv,
    interactions_csv,
    organizations_csv,
)

ROWS = 10_000
BATCH_SIZE = 1000  # MAILLAGE_IMPORT_BATCH_SIZE of the killed processes: 10 batches
KILLS = int(os.environ.get("MAILLAGE_CRASH_KILLS", "5"))


@pytest.fixture(scope="module")
def database(tmp_path_factory, django_db_blocker):
    with django_db_blocker.unblock():
        vendor = connection.vendor
    db = Database(vendor, tmp_path_factory.mktemp("crashdb"))
    db.workspace = db.setup()
    yield db
    db.drop()


def invariants(db: Database, job_id: int) -> int:
    # One statement, so one snapshot: the killed client's last COMMIT may still land on the server while we
    # read, and three separate reads could straddle it (rows before, counter after) on PostgreSQL.
    (count, recorded, batches) = db.query(
        "SELECT (SELECT COUNT(*) FROM contributions_contribution),"
        f" (SELECT COUNT(*) FROM contributions_contribution WHERE import_job_id = {job_id} AND import_key IS NOT NULL),"
        f" (SELECT batches_done FROM exchange_importjob WHERE id = {job_id})"
    )[0]
    assert count == recorded, "every written contribution carries the job and its key (same row)"
    assert count == min(ROWS, batches * BATCH_SIZE), f"{count} rows for {batches} batches: a partial batch is visible"
    if db.vendor == "sqlite":
        assert db.query("PRAGMA integrity_check") == [("ok",)]
    return count


def test_kill_the_import_at_random_points_then_rerun(database, tmp_path):
    db = database
    path = contributions_csv(tmp_path / "dons.csv", ROWS)
    out = db.run(
        "import", "--file", str(path), "--entity", "contribution", "--workspace", str(db.workspace), "--validate-only"
    ).stdout
    job_id = int(out.split()[1])
    rng = random.Random(int(os.environ.get("MAILLAGE_CRASH_SEED", "7")))
    seen = []
    batches = ROWS // BATCH_SIZE
    for _ in range(KILLS):
        (done,) = db.query(f"SELECT batches_done FROM exchange_importjob WHERE id = {job_id}")[0]
        target = rng.randint(done, batches - 1)  # kill once that many batches landed...
        process = db.popen(
            "import", str(job_id), MAILLAGE_IMPORT_BATCH_DELAY="0.2", MAILLAGE_IMPORT_BATCH_SIZE=str(BATCH_SIZE)
        )
        deadline = time.monotonic() + 120
        while process.poll() is None and time.monotonic() < deadline:
            (done,) = db.query(f"SELECT batches_done FROM exchange_importjob WHERE id = {job_id}")[0]
            if done >= target:
                break
            time.sleep(0.02)
        time.sleep(rng.uniform(0, 0.25))  # ...somewhere in the next batch, often inside its transaction
        process.send_signal(signal.SIGKILL)
        process.wait()
        seen.append(invariants(db, job_id))
    assert seen == sorted(seen)  # progress is kept across crashes, never lost
    assert any(0 < n < ROWS for n in seen), f"no kill landed during the import: {seen}"
    print("rows visible after each kill:", seen)
    db.env["MAILLAGE_IMPORT_BATCH_SIZE"] = str(BATCH_SIZE)
    try:
        db.run("import", str(job_id))
    finally:
        del db.env["MAILLAGE_IMPORT_BATCH_SIZE"]
    assert invariants(db, job_id) == ROWS
    (distinct,) = db.query("SELECT COUNT(DISTINCT description) FROM contributions_contribution")[0]
    assert distinct == ROWS
    (status,) = db.query(f"SELECT status FROM exchange_importjob WHERE id = {job_id}")[0]
    assert status == "done"


def organization_invariants(db: Database, job_id: int, before: int, rows: int) -> int:
    (count, recorded, indexed, batches) = db.query(
        "SELECT (SELECT COUNT(*) FROM organizations_organization),"
        f" (SELECT COUNT(*) FROM exchange_importedrow WHERE job_id = {job_id} AND created),"
        " (SELECT COUNT(DISTINCT organization_id) FROM organizations_searchtoken),"
        f" (SELECT batches_done FROM exchange_importjob WHERE id = {job_id})"
    )[0]
    assert count - before == recorded, "every organisation written is recorded by the job (same transaction)"
    assert count - before == min(rows, batches * BATCH_SIZE), f"{count - before} rows for {batches} batches"
    assert indexed >= count - before, "every organisation written has its search words (same transaction)"
    if db.vendor == "sqlite":
        assert db.query("PRAGMA integrity_check") == [("ok",)]
    return count - before


def test_kill_the_organisations_import_then_rerun(database, tmp_path):
    """Issue 21: organisations written in bulk keep the guarantees of the contributions (whole batches, resume)."""
    db = database
    rows = 6000
    path = organizations_csv(tmp_path / "orgas.csv", rows)
    out = db.run(
        "import", "--file", str(path), "--entity", "organization", "--workspace", str(db.workspace), "--validate-only"
    ).stdout
    job_id = int(out.split()[1])
    (before,) = db.query("SELECT COUNT(*) FROM organizations_organization")[0]
    rng = random.Random(int(os.environ.get("MAILLAGE_CRASH_SEED", "7")))
    seen = []
    for _ in range(3):
        (done,) = db.query(f"SELECT batches_done FROM exchange_importjob WHERE id = {job_id}")[0]
        target = rng.randint(done, rows // BATCH_SIZE - 1)
        process = db.popen(
            "import", str(job_id), MAILLAGE_IMPORT_BATCH_DELAY="0.2", MAILLAGE_IMPORT_BATCH_SIZE=str(BATCH_SIZE)
        )
        deadline = time.monotonic() + 120
        while process.poll() is None and time.monotonic() < deadline:
            (done,) = db.query(f"SELECT batches_done FROM exchange_importjob WHERE id = {job_id}")[0]
            if done >= target:
                break
            time.sleep(0.02)
        time.sleep(rng.uniform(0, 0.25))
        process.send_signal(signal.SIGKILL)
        process.wait()
        seen.append(organization_invariants(db, job_id, before, rows))
    assert seen == sorted(seen)
    db.env["MAILLAGE_IMPORT_BATCH_SIZE"] = str(BATCH_SIZE)
    try:
        out = db.run("import", str(job_id)).stdout
    finally:
        del db.env["MAILLAGE_IMPORT_BATCH_SIZE"]
    assert organization_invariants(db, job_id, before, rows) == rows
    (distinct,) = db.query(
        "SELECT COUNT(DISTINCT name) FROM organizations_organization WHERE name LIKE 'Association de quartier%'"
    )[0]
    assert distinct == rows
    assert f"sur {rows} ligne(s) : {rows} créée(s), 0 déjà dans l'annuaire, 0 déjà importée(s), 0 refusée(s)" in out


# Every other kind: (entity, file, the table of what a row creates, its companions written in the same batch
# as (table, per row), the SQL of the distinct rows the file names).
KINDS = {
    "contact": (contacts_csv, "organizations_contact", (), "SELECT COUNT(DISTINCT name) FROM organizations_contact"),
    "alliance": (
        alliances_csv,
        "alliances_alliance",
        (("alliances_party", 2), ("alliances_stagechange", 1)),
        "SELECT COUNT(DISTINCT name) FROM alliances_alliance WHERE name LIKE 'Alliance n°%'",
    ),
    "interaction": (
        interactions_csv,
        "alliances_interaction",
        (("alliances_attendance", 1),),
        "SELECT COUNT(DISTINCT subject) FROM alliances_interaction",
    ),
    "donation": (
        gifts_csv,
        "receipts_individualgift",
        (),
        "SELECT COUNT(DISTINCT import_key) FROM receipts_individualgift",
    ),
}
KIND_ROWS = 3000
KIND_BATCH = 500  # 6 batches


def kind_counts(db: Database, entity: str, job_id: int) -> tuple[int, ...]:
    _, table, companions, _ = KINDS[entity]
    counts = ", ".join(f"(SELECT COUNT(*) FROM {t})" for t in (table, *(c for c, _ in companions)))
    return db.query(
        f"SELECT {counts}, (SELECT COUNT(*) FROM exchange_importedrow WHERE job_id = {job_id} AND created),"
        f" (SELECT batches_done FROM exchange_importjob WHERE id = {job_id})"
    )[0]


def kind_invariants(db: Database, entity: str, job_id: int, before: tuple[int, ...]) -> int:
    """One snapshot: the rows written are those the job recorded, by whole batches, each with its companions."""
    _, table, companions, _ = KINDS[entity]
    now = kind_counts(db, entity, job_id)
    written = now[0] - before[0]
    recorded, batches = now[-2], now[-1]
    assert written == recorded, f"{table}: every row written is recorded by the job (same transaction)"
    assert written == min(KIND_ROWS, batches * KIND_BATCH), f"{written} {table} for {batches} batches"
    for position, (companion, per_row) in enumerate(companions, start=1):
        assert now[position] - before[position] == per_row * written, f"{companion} of a partial row"
    if db.vendor == "sqlite":
        assert db.query("PRAGMA integrity_check") == [("ok",)]
    return written


@pytest.mark.parametrize("entity", list(KINDS))
def test_kill_every_kind_of_import_then_rerun(database, tmp_path, entity):
    """Issue 21: each kind keeps the guarantees of the contributions: killed during its import several times,
    it leaves whole batches only; resumed, every row is written once and accounted for."""
    db = database
    make, _, _, distinct_sql = KINDS[entity]
    path = make(tmp_path / f"{entity}.csv", KIND_ROWS)
    out = db.run(
        "import", "--file", str(path), "--entity", entity, "--workspace", str(db.workspace), "--validate-only"
    ).stdout
    assert f": {KIND_ROWS} ligne(s) : {KIND_ROWS} acceptée(s)" in out, out
    job_id = int(out.split()[1])
    before = kind_counts(db, entity, job_id)
    (distinct_before,) = db.query(distinct_sql)[0]
    rng = random.Random(int(os.environ.get("MAILLAGE_CRASH_SEED", "7")))
    batches = KIND_ROWS // KIND_BATCH
    seen = []
    for _ in range(3):
        (done,) = db.query(f"SELECT batches_done FROM exchange_importjob WHERE id = {job_id}")[0]
        target = rng.randint(done, batches - 1)
        process = db.popen(
            "import", str(job_id), MAILLAGE_IMPORT_BATCH_DELAY="0.2", MAILLAGE_IMPORT_BATCH_SIZE=str(KIND_BATCH)
        )
        deadline = time.monotonic() + 120
        while process.poll() is None and time.monotonic() < deadline:
            (done,) = db.query(f"SELECT batches_done FROM exchange_importjob WHERE id = {job_id}")[0]
            if done >= target:
                break
            time.sleep(0.02)
        time.sleep(rng.uniform(0, 0.25))
        process.send_signal(signal.SIGKILL)
        process.wait()
        seen.append(kind_invariants(db, entity, job_id, before))
    assert seen == sorted(seen), f"progress lost across kills: {seen}"
    assert any(0 < n < KIND_ROWS for n in seen), f"no kill landed during the import: {seen}"
    db.env["MAILLAGE_IMPORT_BATCH_SIZE"] = str(KIND_BATCH)
    try:
        out = db.run("import", str(job_id)).stdout
        again = db.run("import", str(job_id)).stdout  # a finished job run again writes nothing
    finally:
        del db.env["MAILLAGE_IMPORT_BATCH_SIZE"]
    assert kind_invariants(db, entity, job_id, before) == KIND_ROWS
    (distinct,) = db.query(distinct_sql)[0]
    assert distinct - distinct_before == KIND_ROWS, "no row written twice"
    assert f"sur {KIND_ROWS} ligne(s) : {KIND_ROWS} créée(s), 0 déjà dans " in out
    assert ", 0 déjà importée(s), 0 refusée(s)" in out
    assert out.split("—")[1] == again.split("—")[1]
    if entity == "donation":  # 500 people giving 6 times each: each one donor, never created twice
        (donors, keys) = db.query("SELECT COUNT(*), COUNT(DISTINCT match_key) FROM receipts_donor")[0]
        assert donors == keys == 500


def test_concurrent_imports_of_the_same_rows_write_them_once(database, tmp_path):
    db = database
    path = contributions_csv(tmp_path / "autres.csv", 3000)
    # Other descriptions than the crash test's file: rename the rows.
    path.write_text(path.read_text(encoding="utf-8").replace("Don n°", "Second don n°"), encoding="utf-8")
    (before,) = db.query("SELECT COUNT(*) FROM contributions_contribution")[0]
    args = ("import", "--file", str(path), "--entity", "contribution", "--workspace", str(db.workspace))
    first, second = (db.popen(*args, MAILLAGE_IMPORT_BATCH_SIZE="250") for _ in range(2))  # 12 batches each
    assert first.wait(timeout=300) == 0 and second.wait(timeout=300) == 0
    (after,) = db.query("SELECT COUNT(*) FROM contributions_contribution")[0]
    assert after - before == 3000
    (dupes,) = db.query(
        "SELECT COUNT(*) FROM (SELECT description FROM contributions_contribution GROUP BY description "
        "HAVING COUNT(*) > 1) AS d"
    )[0]
    assert dupes == 0


def test_backup_then_restore_into_a_fresh_database(database, tmp_path):
    db = database
    media = db.tmp / "var" / "media" / "agreements"
    media.mkdir(parents=True, exist_ok=True)
    (media / "convention.pdf").write_bytes(b"%PDF-1.4 test")
    archive = tmp_path / "sauvegarde.tar.gz"
    db.run("backup", str(archive))
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600  # password hashes and session keys inside
    fresh = Database(db.vendor, tmp_path / "fresh")
    try:
        result = fresh.run("restore", str(archive), "--yes")
        assert "identique" in result.stdout
        for table in (
            "contributions_contribution",
            "exchange_importedrow",
            "territories_commune",
            "organizations_organization",
            "alliances_party",
        ):
            assert fresh.query(f"SELECT COUNT(*) FROM {table}") == db.query(f"SELECT COUNT(*) FROM {table}"), table
        assert (fresh.tmp / "var" / "media" / "agreements" / "convention.pdf").read_bytes() == b"%PDF-1.4 test"
        # The audit journal: the backup holds the record of its own making; the restore adds its own; the
        # append-only triggers came back with the table.
        journal = "SELECT action FROM audit_auditevent WHERE action LIKE 'backup.%' ORDER BY id"
        assert fresh.query(journal) == [("backup.created",), ("backup.restored",)]
        with pytest.raises(Exception, match="ajout seul|no such function"):
            fresh.query("DELETE FROM audit_auditevent")
    finally:
        fresh.drop()
