"""Full-disk drill on SQLite: the database file lives on a small filesystem of its own (tmpfs, mounted by the
test) that fills up. A write then answers a French 503 saying the disk is full, nothing of it is written, the file
stays sound (``PRAGMA integrity_check``), and the same write succeeds once space is freed, with no restart."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.operations.serving.conftest import base_env, skip_drill

DRILL = r"""
import json, os, sys
from pathlib import Path
import django
django.setup()
from django.test import Client
from maillage.workspaces.models import User

mount = Path(sys.argv[1])
form = {"full_name": "Inès Dupont", "email": "ines@exemple.fr", "password": "un-long-secret-2026"}
client = Client(raise_request_exception=False)
result = {"before": client.get("/").status_code, "users_before": User.objects.count()}
# Fill the filesystem: the write-ahead log of SQLite cannot grow any more.
with open(mount / "remplissage", "wb") as filler:
    try:
        while True:
            filler.write(b"\0" * 65536)
            filler.flush()
    except OSError:
        pass
full = client.post("/compte/inscription/", form)
result.update(full_status=full.status_code, full_page=full.content.decode(),
              written_while_full=User.objects.filter(email="ines@exemple.fr").exists())
os.remove(mount / "remplissage")
again = client.post("/compte/inscription/", form)
result.update(again_status=again.status_code, users_after=User.objects.count())
print(json.dumps(result))
"""


@pytest.fixture
def small_filesystem(demo_var_dir):
    """A tmpfs of the database's size plus 1 MiB, holding a copy of the demo database."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        skip_drill("monter un petit système de fichiers (tmpfs) demande root et mount : exercice disque plein ignoré")
    mount = Path(tempfile.mkdtemp(prefix="maillage-disk-full-"))
    database = demo_var_dir / "maillage.sqlite3"
    size = database.stat().st_size + 1024 * 1024
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)], capture_output=True)
    if mounted.returncode != 0:
        shutil.rmtree(mount, ignore_errors=True)
        skip_drill(f"mount -t tmpfs refusé ({mounted.stderr.decode().strip()}) : exercice disque plein ignoré")
    try:
        # A consistent copy (the demo file is in WAL mode).
        subprocess.run(
            [
                sys.executable,
                "-c",
                f"import sqlite3; sqlite3.connect({str(database)!r}).backup(sqlite3.connect({str(mount / 'maillage.sqlite3')!r}))",
            ],
            check=True,
        )
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)
        shutil.rmtree(mount, ignore_errors=True)


def test_a_full_disk_answers_a_clear_503_and_writes_nothing(small_filesystem):
    env = base_env(MAILLAGE_VAR_DIR=str(small_filesystem), DEBUG="false", DJANGO_SETTINGS_MODULE="maillage.settings")
    run = subprocess.run(
        [sys.executable, "-c", DRILL, str(small_filesystem)], env=env, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])

    assert result["before"] == 200
    assert result["full_status"] == 503
    assert "Espace disque plein" in result["full_page"] and "rien n&#x27;a été enregistré" in result["full_page"]
    assert result["written_while_full"] is False
    assert result["again_status"] == 302  # space freed: the same form goes through, no restart
    assert result["users_after"] == result["users_before"] + 1

    import sqlite3

    database = sqlite3.connect(small_filesystem / "maillage.sqlite3")
    try:
        assert database.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert database.execute("PRAGMA foreign_key_check").fetchall() == []
        assert (
            database.execute("SELECT count(*) FROM workspaces_user WHERE email = ?", ["ines@exemple.fr"]).fetchone()[0]
            == 1
        )
    finally:
        database.close()
