"""Throw-away PostgreSQL 15 clusters for the replica drill: a primary and its streaming replica (pg_basebackup -R).

Both live in a temporary directory owned by ``postgres``, listen on 127.0.0.1 on free ports, and are stopped and
removed afterwards; the machine's own cluster (5432) is never touched. The server binaries come from Debian's
``postgresql-15`` (``/usr/lib/postgresql/15/bin``); run as root, each command runs as ``postgres`` (``runuser``).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
TIMEOUT = 120  # seconds for any one server command


def missing() -> str:
    """Why the drill cannot run here ("" when it can)."""
    if not (BIN / "initdb").exists() or not (BIN / "pg_basebackup").exists():
        return f"binaires du serveur PostgreSQL 15 absents ({BIN}) : apt-get install postgresql-15"
    if os.geteuid() != 0 and os.environ.get("USER") != "postgres":
        return "l'exercice crée des grappes PostgreSQL en tant que postgres : lancez-le en root"
    if shutil.which("runuser") is None and os.geteuid() == 0:
        return "runuser absent (util-linux)"
    return ""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def as_postgres(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    command = list(args)
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    result = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT)
    if check and result.returncode:
        raise RuntimeError(f"{' '.join(args)} a échoué :\n{result.stdout}\n{result.stderr}")
    return result


class Cluster:
    def __init__(self, root: Path, name: str, port: int):
        self.root, self.name, self.port = root, name, port
        self.data = root / name
        self.log = root / f"{name}.log"

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/maillage"

    def start(self) -> None:
        as_postgres(str(BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        as_postgres(str(BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop", check=False)

    def sql(self, statement: str, database: str = "maillage") -> str:
        result = as_postgres(
            str(BIN / "psql"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-d",
            database,
            "-XAtqc",
            statement,
        )
        return result.stdout.strip()


SETTINGS = """
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = '{root}'
max_connections = 120
shared_buffers = 32MB
fsync = off
full_page_writes = off
synchronous_commit = off
wal_level = replica
max_wal_senders = 4
wal_keep_size = 256MB
hot_standby = on
hot_standby_feedback = on
"""


class Pair:
    """A primary and a streaming replica of it, in a temporary directory; ``close()`` removes everything."""

    def __init__(self, root: Path | None = None, ports: tuple[int, int] | None = None):
        if root is None:
            root = Path(tempfile.mkdtemp(prefix="maillage-replica-drill-"))
            if os.geteuid() == 0:
                shutil.chown(root, "postgres", "postgres")
        self.root = root
        primary_port, replica_port = ports or (free_port(), free_port())
        self.primary = Cluster(self.root, "primary", primary_port)
        self.replica = Cluster(self.root, "replica", replica_port)

    @property
    def env(self) -> dict[str, str]:
        """What the probe process needs to find the pair again (``Pair.from_env``)."""
        return {"DRILL_ROOT": str(self.root), "DRILL_PORTS": f"{self.primary.port},{self.replica.port}"}

    @classmethod
    def from_env(cls) -> Pair:
        ports = tuple(int(p) for p in os.environ["DRILL_PORTS"].split(","))
        return cls(Path(os.environ["DRILL_ROOT"]), ports)  # type: ignore[arg-type]

    def create(self) -> None:
        p, r = self.primary, self.replica
        as_postgres(
            str(BIN / "initdb"),
            "-D",
            str(p.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-locale",
            "--no-sync",
        )
        # initdb's pg_hba.conf already lets 127.0.0.1 connect for replication (trust).
        with (p.data / "postgresql.conf").open("a") as conf:
            conf.write(SETTINGS.format(port=p.port, root=self.root))
        p.start()
        p.sql("CREATE DATABASE maillage", database="postgres")
        as_postgres(
            str(BIN / "pg_basebackup"),
            "-h",
            "127.0.0.1",
            "-p",
            str(p.port),
            "-U",
            "postgres",
            "-D",
            str(r.data),
            "-R",
            "-X",
            "stream",
            "--no-sync",
            "-c",
            "fast",
        )
        with (r.data / "postgresql.conf").open("a") as conf:
            conf.write(f"port = {r.port}\n")
        r.start()
        assert r.sql("SELECT pg_is_in_recovery()") == "t", "the copy is not a standby"

    def wait_caught_up(self, timeout: float = 60) -> None:
        """Until the replica has replayed everything the primary had written when this was called."""
        target = self.primary.sql("SELECT pg_current_wal_lsn()")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.replica.sql(f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn") == "t":
                return
            time.sleep(0.05)
        raise TimeoutError(f"la réplique n'a pas rejoué jusqu'à {target} en {timeout} s")

    def close(self) -> None:
        for cluster in (self.replica, self.primary):
            if cluster.data.exists():
                cluster.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)
