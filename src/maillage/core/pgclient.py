"""PostgreSQL's client programs (``pg_dump``, ``pg_restore``, ``psql``), pointed at the settings' database."""

from __future__ import annotations

import os
import shutil
from typing import Any


class ClientMissing(RuntimeError):
    pass


def pg_client(db: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    """Connection arguments and environment for a client program, from a ``DATABASES`` entry."""
    args = [
        "-h",
        str(db.get("HOST") or "127.0.0.1"),
        "-p",
        str(db.get("PORT") or 5432),
        "-U",
        str(db.get("USER") or "postgres"),
    ]
    env = os.environ.copy()
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


def client_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise ClientMissing(f"{name} est introuvable : installez le paquet postgresql-client de la même version.")
    return path
