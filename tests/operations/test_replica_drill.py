"""Replica drill: a streaming replica of a primary, both PostgreSQL 15 clusters of our own on free ports.

Checks, through the pages of a Maillage process configured with ``DATABASE_REPLICA_URLS``: the router's reads
land on the replica (``pg_is_in_recovery()`` on the connection used), a write followed by a read in the same
session sees the write while the replica lags (its replay paused), another session reads the replica, and
stopping the replica degrades nothing (every page still 200, reads back on the primary).

Skipped, with the reason, when PostgreSQL's server binaries are absent. About 1–2 minutes (migrating the fresh
primary is most of it); everything is removed afterwards.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.operations.clusters import Pair, missing

PROBE = Path(__file__).with_name("replica_probe.py")
ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(bool(missing()), reason=missing() or "ok")


def maillage_env(pair: Pair, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DATABASE_REPLICA_URLS", "CACHE_URL"}}
    env.update(pair.env)
    env["DATABASE_URL"] = pair.primary.url
    env["DATABASE_REPLICA_URLS"] = pair.replica.url
    env["MAILLAGE_VAR_DIR"] = str(tmp_path / "var")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT), env.get("PYTHONPATH", "")])
    return env


@pytest.fixture
def pair():
    pair = Pair()
    try:
        pair.create()
        yield pair
    finally:
        pair.close()
    assert not pair.root.exists()


def test_reads_on_the_replica_read_your_writes_and_fallback(pair, tmp_path):
    env = maillage_env(pair, tmp_path)
    maillage = str(Path(sys.executable).with_name("maillage"))
    migrated = subprocess.run([maillage, "migrate", "--no-input"], env=env, capture_output=True, text=True, timeout=300)
    assert migrated.returncode == 0, migrated.stderr[-3000:]
    run = subprocess.run([sys.executable, str(PROBE)], env=env, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-5000:]
    line = next(line for line in run.stdout.splitlines() if line.startswith("DRILL "))
    report = json.loads(line.removeprefix("DRILL "))
    print(json.dumps(report, indent=1, ensure_ascii=False))

    assert report["aliases"] == ["default", "replica_1"]
    directory = report["directory"]
    assert directory["status"] == 200
    assert directory["replica_in_recovery"] is True and directory["primary_in_recovery"] is False
    assert "organizations_organization" in directory["replica_tables"]  # the search ran on the replica
    assert "django_session" in directory["primary_tables"]  # who is logged in: the primary
    assert "workspaces_membership" in directory["primary_tables"]
    assert not {"django_session", "workspaces_membership"} & set(directory["replica_tables"])

    listing = report["list_page"]
    assert listing["status"] == 200
    assert any(t.startswith("alliances_") for t in listing["replica_tables"]), listing
    assert "workspaces_membership" not in listing["replica_tables"]

    ryw = report["read_your_writes"]
    assert ryw["post_status"] == 302
    assert ryw["pin_cookie_max_age"] == 5
    assert ryw["writer_status"] == 200 and ryw["writer_sees_it"], "the writer must read its own write"
    assert ryw["other_status_while_replica_lags"] == 404, "another session reads the (paused) replica"
    assert ryw["other_status_after_replay"] == 200

    stopped = report["replica_stopped"]
    assert set(stopped["statuses"].values()) == {200}, stopped
    assert stopped["replica_left_alone"] and stopped["directory_read_on_primary"]
    assert stopped["seconds"] < 10
