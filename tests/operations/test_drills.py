"""Fault drills: ``maillage worker`` killed (SIGKILL) in the middle of a batch of receipts and of an import, on a
SQLite file or on a dedicated PostgreSQL database (the one the suite runs on). Restarted, the worker queues the
killed task again (its process is gone) and the task resumes from its job rows: numbering stays gapless, no row is
written twice, no e-mail is sent twice. Every wait polls the database with a deadline."""

from __future__ import annotations

import email
import email.header
import random
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
from django.db import connection

from tests.exchange.processes import MAILLAGE, Database, contributions_csv

ROOT = Path(__file__).resolve().parents[2]
GIFTS = 30
CHUNK = 10  # receipts per transaction in the drill: 3 chunks
ROWS, BATCH = 6000, 1000  # import: 6 batches
DEADLINE = 240  # seconds, for any one wait

SEED_GIFTS = r"""
from datetime import date
from maillage.receipts.actions import declare_eligibility, record_individual_gift
from maillage.receipts.batch import start_batch
from tests.receipts.factories import signature_file
from maillage.workspaces.models import User, Workspace
ws = Workspace.objects.select_related("organization").get(name="Crash")
user = User.objects.get(email="crash@test")
declare_eligibility(workspace=ws, user=user, data={
    "status": "interet_general", "art_200": True, "art_238_bis": True, "art_978": False,
    "evidence_kind": "rescrit", "evidence_reference": "RES-2021-0042", "evidence_date": date(2021, 3, 15),
    "helps_people_in_difficulty": False, "purpose": "Créer et animer des jardins partagés",
    "address": "12 rue des Jardins, 69100 Villeurbanne", "signatory_name": "Claire Dubois",
    "signatory_role": "Présidente"}, signature=signature_file())
for i in range(%(gifts)d):
    record_individual_gift(workspace=ws, user=user, donor_name=f"Donateur {i}", donor_address="1 rue A, 69001 Lyon",
        amount="50", received_on=date(2025, 3, 1), payment_method="cheque", donor_email=f"donateur{i}@drill.test")
print(start_batch(workspace=ws, user=user, year=2025, send_emails=True).pk)
"""

START_IMPORT = r"""
from maillage.exchange import runner
from maillage.exchange.models import ImportJob
runner.start(ImportJob.objects.get(pk=%(job)d))
"""


class Drill:
    def __init__(self, db: Database, tmp: Path):
        self.db = db
        self.mail_dir = tmp / "mail"
        self.mail_dir.mkdir()
        self.env = {
            **db.env,
            "DJANGO_SETTINGS_MODULE": "tests.operations.drill_settings",
            "PYTHONPATH": f"{ROOT}:{ROOT / 'src'}",
            "MAILLAGE_DRILL_MAIL_DIR": str(self.mail_dir),
        }
        self.worker: subprocess.Popen | None = None

    def shell(self, code: str) -> str:
        script = self.db.tmp / f"drill-{random.getrandbits(32)}.py"
        script.write_text(code)
        result = subprocess.run(
            [MAILLAGE, "shell", "-c", f"exec(open({str(script)!r}).read())"],
            env=self.env,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""

    def start_worker(self, **extra) -> None:
        self.worker = subprocess.Popen(
            [MAILLAGE, "worker", "--no-startup-delay", "--no-scheduler", "--interval", "0.1", "--beat", "1"],
            env={**self.env, **extra},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def kill_worker(self) -> None:
        assert self.worker is not None and self.worker.poll() is None, "the worker ended before the kill"
        self.worker.send_signal(signal.SIGKILL)
        self.worker.wait()

    def stop_worker(self) -> None:
        if self.worker is not None and self.worker.poll() is None:
            self.worker.send_signal(signal.SIGTERM)
            try:
                self.worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.worker.kill()
                self.worker.wait()

    def until(self, sql: str, condition, what: str):
        """Poll ``sql`` (one value) until ``condition`` holds; fail after the deadline."""
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            (value,) = self.db.query(sql)[0]
            if condition(value):
                return value
            assert self.worker is None or self.worker.poll() is None, f"the worker died while waiting for {what}"
            time.sleep(0.05)
        raise AssertionError(f"{what}: not reached in {DEADLINE} s")

    def sent_references(self) -> list[str]:
        references = []
        for path in sorted(self.mail_dir.iterdir()):
            for chunk in path.read_bytes().split(b"-" * 79):
                if not chunk.strip():
                    continue
                subject = str(
                    email.header.make_header(
                        email.header.decode_header(email.message_from_bytes(chunk.lstrip())["Subject"])
                    )
                )
                references.append(re.search(r"n° (\S+)", subject).group(1))
        return references


@pytest.fixture(scope="module")
def database(tmp_path_factory, django_db_blocker):
    with django_db_blocker.unblock():
        vendor = connection.vendor
    db = Database(vendor, tmp_path_factory.mktemp("drilldb"))
    db.workspace = db.setup()
    yield db
    db.drop()


@pytest.fixture
def drill(database, tmp_path):
    drill = Drill(database, tmp_path)
    yield drill
    drill.stop_worker()


def receipts_invariants(drill: Drill, kills: int) -> int:
    numbers = [n for (n,) in drill.db.query("SELECT number FROM receipts_receipt ORDER BY number")]
    assert numbers == list(range(1, len(numbers) + 1)), f"numbering has a gap or a duplicate: {numbers}"
    (per_gift,) = drill.db.query(
        "SELECT COUNT(*) FROM (SELECT individual_gift_id FROM receipts_receipt GROUP BY individual_gift_id"
        " HAVING COUNT(*) > 1) AS d"
    )[0]
    assert per_gift == 0, "a gift got two receipts"
    sent = drill.sent_references()
    assert len(sent) == len(set(sent)), f"an e-mail went twice: {sorted(sent)}"
    marked = {r for (r,) in drill.db.query("SELECT reference FROM receipts_receipt WHERE emailed_at IS NOT NULL")}
    assert set(sent) <= marked, "an e-mail went without its mark"
    # A kill between the mark (committed) and the message loses that one e-mail, never sends it twice.
    assert len(marked) - len(sent) <= kills
    if drill.db.vendor == "sqlite":
        assert drill.db.query("PRAGMA integrity_check") == [("ok",)]
    return len(numbers)


def test_kill_the_worker_during_a_batch_of_receipts(drill):
    run_id = int(drill.shell(SEED_GIFTS % {"gifts": GIFTS}))
    env = {"MAILLAGE_RECEIPTS_CHUNK": str(CHUNK), "MAILLAGE_RECEIPTS_CHUNK_DELAY": "0.5"}
    emailed = "SELECT COUNT(*) FROM receipts_receipt WHERE emailed_at IS NOT NULL"
    issued = "SELECT COUNT(*) FROM receipts_receipt"
    seen = []
    # 1. While the first chunk's receipts are e-mailed (each with its PDF).
    drill.start_worker(**env)
    drill.until(emailed, lambda n: n >= 3, "three e-mails")
    drill.kill_worker()
    seen.append(receipts_invariants(drill, kills=1))
    # 2. Restarted: the killed task runs again; killed once more inside the next chunk's transaction.
    drill.start_worker(**env)
    drill.until(emailed, lambda n: n >= CHUNK, "the first chunk e-mailed")
    time.sleep(0.2)  # placing the kill (not waiting): the next chunk holds its transaction for 0.5 s
    drill.kill_worker()
    seen.append(receipts_invariants(drill, kills=2))
    # 3. Restarted again: the batch ends.
    drill.start_worker(**env)
    status = drill.until(f"SELECT status FROM receipts_batchrun WHERE id = {run_id}", lambda s: s != "running", "end")
    assert status == "done"
    assert receipts_invariants(drill, kills=2) == GIFTS
    assert seen == sorted(seen) and seen[0] >= CHUNK
    (issued_count, emailed_count, total) = drill.db.query(
        f"SELECT issued, emailed, total FROM receipts_batchrun WHERE id = {run_id}"
    )[0]
    assert issued_count == total == GIFTS and emailed_count == drill.db.query(emailed)[0][0]
    assert drill.db.query(issued)[0][0] == GIFTS
    print(f"receipts after each kill: {seen}; e-mails sent: {len(drill.sent_references())} of {GIFTS}")


def import_invariants(drill: Drill, job_id: int) -> int:
    (count, recorded, batches) = drill.db.query(
        "SELECT (SELECT COUNT(*) FROM contributions_contribution WHERE import_job_id IS NOT NULL),"
        f" (SELECT COUNT(*) FROM contributions_contribution WHERE import_job_id = {job_id}),"
        f" (SELECT batches_done FROM exchange_importjob WHERE id = {job_id})"
    )[0]
    assert count == recorded
    assert count == min(ROWS, batches * BATCH), f"{count} rows for {batches} batches: a partial batch is visible"
    (dupes,) = drill.db.query(
        "SELECT COUNT(*) FROM (SELECT description FROM contributions_contribution WHERE import_job_id IS NOT NULL"
        " GROUP BY description HAVING COUNT(*) > 1) AS d"
    )[0]
    assert dupes == 0
    return count


def test_kill_the_worker_during_an_import(drill, tmp_path):
    path = contributions_csv(tmp_path / "dons.csv", ROWS)
    path.write_text(path.read_text(encoding="utf-8").replace("Don n°", "Don de l'exercice n°"), encoding="utf-8")
    out = drill.db.run(
        "import", "--file", str(path), "--entity", "contribution", "--workspace", str(drill.db.workspace),
        "--validate-only",
    ).stdout  # fmt: skip
    job_id = int(out.split()[1])
    drill.shell(START_IMPORT % {"job": job_id})
    env = {"MAILLAGE_IMPORT_BATCH_SIZE": str(BATCH), "MAILLAGE_IMPORT_BATCH_DELAY": "0.3"}
    done = f"SELECT batches_done FROM exchange_importjob WHERE id = {job_id}"
    seen = []
    for target in (2, 4):
        drill.start_worker(**env)
        drill.until(done, lambda n, target=target: n >= target, f"{target} batches")
        time.sleep(random.Random(target).uniform(0, 0.3))  # placing the kill inside the next batch, often
        drill.kill_worker()
        seen.append(import_invariants(drill, job_id))
    drill.start_worker(**env)
    status = drill.until(
        f"SELECT status FROM exchange_importjob WHERE id = {job_id}", lambda s: s in {"done", "failed"}, "end"
    )
    assert status == "done"
    assert import_invariants(drill, job_id) == ROWS
    assert seen == sorted(seen) and 0 < seen[0] < ROWS
    (tasks,) = drill.db.query("SELECT COUNT(*) FROM django_tasks_database_dbtaskresult WHERE status = 'SUCCESSFUL'")[0]
    assert tasks >= 1
    print(f"contributions after each kill: {seen}")
