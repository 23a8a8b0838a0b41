"""A throw-away PostgreSQL cluster of the test's own, on another port, that a drill may stop and start.

Made with the server programs of the machine (``initdb``, ``pg_ctl``), in a temporary folder, as the ``postgres``
account when the tests run as root (PostgreSQL refuses to run as root). The drill is skipped (failed on CI), with the reason, only
where those programs or that account are missing.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
from pathlib import Path

from tests.operations.serving.conftest import skip_drill


def server_programs() -> Path | None:
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.access(Path(candidate) / "pg_ctl", os.X_OK) and os.access(Path(candidate) / "initdb", os.X_OK):
            return Path(candidate)
    found = shutil.which("pg_ctl")
    return Path(found).resolve().parent if found and shutil.which("initdb") else None


class Cluster:
    def __init__(self, folder: Path, port: int):
        self.bin = server_programs()
        if self.bin is None:
            skip_drill("PostgreSQL (initdb, pg_ctl) n'est pas installé : exercice de panne ignoré")
        self.run_as: list[str] = []
        if os.geteuid() == 0:
            try:
                account = pwd.getpwnam("postgres")
            except KeyError:
                skip_drill("lancé en root sans compte « postgres » pour faire tourner PostgreSQL : exercice ignoré")
            runuser = shutil.which("runuser")
            if runuser is None:
                skip_drill("runuser est absent : impossible de lancer PostgreSQL sous le compte postgres")
            self.run_as = [runuser, "-u", "postgres", "--"]
            os.chown(folder, account.pw_uid, account.pw_gid)
        self.folder = folder
        self.data = folder / "data"
        self.port = port

    def _run(self, program: str, *args: str, timeout: float = 120) -> None:
        command = [*self.run_as, str(self.bin / program), *args]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=self.folder)
        if result.returncode != 0:
            log = (self.folder / "server.log").read_text() if (self.folder / "server.log").exists() else ""
            raise AssertionError(f"{program} {' '.join(args)} a échoué :\n{result.stdout}\n{result.stderr}\n{log}")

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c full_page_writes=off -c synchronous_commit=off"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "server.log"), "-o", options, "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def createdb(self, name: str) -> str:
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def running(self) -> bool:
        command = [*self.run_as, str(self.bin / "pg_ctl"), "-D", str(self.data), "status"]
        return subprocess.run(command, capture_output=True, timeout=30).returncode == 0
