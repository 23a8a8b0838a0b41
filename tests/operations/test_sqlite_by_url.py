"""``DATABASE_URL=sqlite:///…`` gets the same safe settings as the default SQLite file.

Two processes issue receipts at once on such a file (the issue saw 147 of 340 fail with "database is locked"
when the URL lost WAL, IMMEDIATE transactions and the busy timeout): none fails, and the numbers are gapless.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from maillage import settings as maillage_settings

SCRIPT = Path(__file__).with_name("sqlite_receipts.py")
ROOT = Path(__file__).resolve().parents[2]
GIFTS = 340


def test_one_function_builds_the_default_file_and_the_url():
    from_url = maillage_settings.database_from_url("sqlite:////srv/maillage/base.sqlite3")
    default = maillage_settings.sqlite_database("/srv/maillage/base.sqlite3")
    assert from_url == default
    assert from_url["OPTIONS"] == {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; "
        "PRAGMA secure_delete=ON;",
    }


def test_two_processes_issuing_receipts_on_a_sqlite_url_never_find_it_locked(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DATABASE_REPLICA_URLS"}}
    path = tmp_path / "maillage.sqlite3"
    env["DATABASE_URL"] = f"sqlite:///{path}"
    env["MAILLAGE_VAR_DIR"] = str(tmp_path / "var")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT), env.get("PYTHONPATH", "")])
    maillage = str(Path(sys.executable).with_name("maillage"))

    def run(*args: str) -> str:
        result = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300, cwd=ROOT)
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout

    run(maillage, "migrate", "--no-input")
    ids = json.loads(run(sys.executable, str(SCRIPT), "seed", str(GIFTS)).strip().splitlines()[-1])
    halves = [ids[0::2], ids[1::2]]
    processes = [
        subprocess.Popen(
            [sys.executable, str(SCRIPT), "issue", ",".join(map(str, half))],
            env=env,
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for half in halves
    ]
    for process in processes:  # both connected and ready...
        assert process.stdout.readline().strip() == "ready", process.stderr.read()[-3000:]
    for process in processes:  # ...then both go
        process.stdin.write("go\n")
        process.stdin.flush()
    summaries = []
    for process in processes:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err[-3000:]
        summaries.append(json.loads(out.strip().splitlines()[-1]))
    print(summaries)

    for summary in summaries:
        assert summary["pragmas"] == {"journal_mode": "wal", "synchronous": 2}
        assert summary["options"]["transaction_mode"] == "IMMEDIATE"
    outcomes = [s["outcomes"] for s in summaries]
    assert outcomes == [{"issued": GIFTS // 2}, {"issued": GIFTS // 2}], outcomes
    db = sqlite3.connect(path)
    try:
        numbers = [n for (n,) in db.execute("SELECT number FROM receipts_receipt ORDER BY number")]
    finally:
        db.close()
    assert numbers == list(range(1, GIFTS + 1))
