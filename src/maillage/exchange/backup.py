"""Backup and restore of the whole instance: database + uploaded files, in one ``.tar.gz`` archive.

SQLite: the online backup API (``sqlite3.Connection.backup``), consistent while the site runs.
PostgreSQL: ``pg_dump --format=custom``, restored with ``pg_restore --clean --if-exists --single-transaction``.
The archive's ``manifest.json`` holds the row count of every table; a restore compares them after loading.
"""

from __future__ import annotations

import io
import json
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import connection
from django.utils import timezone

from maillage.core.files import private_file
from maillage.core.pgclient import ClientMissing, client_tool, pg_client

MANIFEST = "manifest.json"


class BackupError(Exception):
    pass


def row_counts() -> dict[str, int]:
    counts = {}
    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            if model._meta.proxy or not model._meta.managed:
                continue
            table = model._meta.db_table
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608 (table names from the models)
            counts[table] = cursor.fetchone()[0]
    return counts


def _pg_env(db: dict) -> tuple[list[str], dict]:
    return pg_client(db)


def _tool(name: str) -> str:
    try:
        return client_tool(name)
    except ClientMissing as exc:
        raise BackupError(str(exc)) from exc


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(timezone.now().timestamp())
    tar.addfile(info, io.BytesIO(data))


def backup(output: Path) -> dict:
    db = connection.settings_dict
    vendor = connection.vendor
    manifest = {"format": "maillage-backup", "version": 1, "vendor": vendor, "created_at": timezone.now().isoformat()}
    with tempfile.TemporaryDirectory() as tmp:
        dump = Path(tmp) / ("database.sqlite3" if vendor == "sqlite" else "database.pgdump")
        if vendor == "sqlite":
            connection.ensure_connection()
            target = sqlite3.connect(dump)
            with target:
                connection.connection.backup(target)
            target.close()
        elif vendor == "postgresql":
            args, env = _pg_env(db)
            result = subprocess.run(  # noqa: S603 (fixed program, arguments from settings)
                [
                    _tool("pg_dump"),
                    "--format=custom",
                    "--no-owner",
                    *args,
                    "-f",
                    str(dump),
                    db["NAME"],
                ],
                env=env,
                capture_output=True,
                text=True,
            )
            if result.returncode:
                raise BackupError(f"pg_dump a échoué : {result.stderr.strip()}")
        else:
            raise BackupError(f"Base « {vendor} » non prise en charge (SQLite ou PostgreSQL).")
        manifest["counts"] = row_counts()
        media = Path(settings.MEDIA_ROOT)
        # Password hashes and live session keys inside: the archive is 0600 from its first byte.
        with private_file(output) as handle, tarfile.open(fileobj=handle, mode="w:gz") as tar:
            _add_bytes(tar, MANIFEST, json.dumps(manifest, indent=1).encode())
            tar.add(dump, arcname=dump.name)
            if media.is_dir():
                tar.add(media, arcname="media")
    return manifest


def _safe_members(tar: tarfile.TarFile):
    for member in tar.getmembers():
        name = member.name
        if name.startswith("/") or ".." in Path(name).parts or not (member.isfile() or member.isdir()):
            raise BackupError(f"Élément suspect dans l'archive : {name}")
        yield member


def restore(archive: Path) -> dict:
    """Load the archive into the configured database (emptied first) and media folder; returns the differences."""
    with tempfile.TemporaryDirectory() as tmp, tarfile.open(archive, "r:gz") as tar:
        tar.extractall(tmp, members=list(_safe_members(tar)), filter="data")  # noqa: S202 (members checked)
        manifest = json.loads((Path(tmp) / MANIFEST).read_text())
        if manifest.get("format") != "maillage-backup":
            raise BackupError("Ce fichier n'est pas une sauvegarde Maillage.")
        vendor = connection.vendor
        if manifest["vendor"] != vendor:
            raise BackupError(
                f"Sauvegarde {manifest['vendor']} : elle se restaure dans une base {manifest['vendor']}, pas {vendor}."
            )
        db = connection.settings_dict
        connection.close()
        if vendor == "sqlite":
            name = str(db["NAME"])
            if name == ":memory:" or "mode=memory" in name:
                raise BackupError("La base SQLite configurée est en mémoire : restauration impossible.")
            source = sqlite3.connect(Path(tmp) / "database.sqlite3")
            target = sqlite3.connect(name)
            with target:
                source.backup(target)
            source.close()
            target.close()
        else:
            args, env = _pg_env(db)
            result = subprocess.run(  # noqa: S603 (fixed program, arguments from settings)
                [
                    _tool("pg_restore"),
                    "--clean",
                    "--if-exists",
                    "--no-owner",
                    "--single-transaction",
                    *args,
                    "-d",
                    db["NAME"],
                    str(Path(tmp) / "database.pgdump"),
                ],
                env=env,
                capture_output=True,
                text=True,
            )
            if result.returncode:
                raise BackupError(f"pg_restore a échoué : {result.stderr.strip()[:2000]}")
        media_src = Path(tmp) / "media"
        if media_src.is_dir():
            media = Path(settings.MEDIA_ROOT)
            media.mkdir(parents=True, exist_ok=True)
            shutil.copytree(media_src, media, dirs_exist_ok=True)
        counts = row_counts()
    expected = manifest["counts"]
    return {t: (n, counts.get(t)) for t, n in expected.items() if counts.get(t) != n}
