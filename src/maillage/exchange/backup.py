"""Backup and restore of the whole instance: database + uploaded files, in one ``.tar.gz`` archive.

The uploaded files are read and written through Django's storage API (``default_storage``): the local disk
(``MEDIA_ROOT``) or an S3-compatible store alike; the archive holds them under ``media/``.

SQLite: the online backup API (``sqlite3.Connection.backup``), consistent while the site runs.
PostgreSQL: ``pg_dump --format=custom``, restored with ``pg_restore --clean --if-exists --single-transaction``.
The archive's ``manifest.json`` holds the row count of every table; a restore compares them after loading.
"""

from __future__ import annotations

import io
import json
import posixpath
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path

from django.apps import apps
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone

from maillage.audit.actions import record_event
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


def stored_files(storage=None, folder: str = ""):
    """Every file name in the storage (``default_storage``), walking its folders."""
    storage = storage or default_storage
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:  # the local disk before the first upload: no media folder yet
        return
    for name in sorted(files):
        yield posixpath.join(folder, name)
    for sub in sorted(folders):
        yield from stored_files(storage, posixpath.join(folder, sub))


def add_media(tar: tarfile.TarFile) -> int:
    """Copy every uploaded file into the archive (``media/<name>``); returns how many."""
    count = 0
    for name in stored_files():
        with default_storage.open(name, "rb") as handle:
            _add_bytes(tar, f"media/{name}", handle.read())
        count += 1
    return count


def restore_media(folder: Path) -> int:
    """Put the archive's files back in the storage under their own names (replacing what is there)."""
    count = 0
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = path.relative_to(folder).as_posix()
        if default_storage.exists(name):
            default_storage.delete(name)
        with path.open("rb") as handle:
            saved = default_storage.save(name, File(handle, name=name))
        if saved != name:
            raise BackupError(
                f"Le fichier {name} a été enregistré sous un autre nom ({saved}) : restauration incomplète."
            )
        count += 1
    return count


def backup(output: Path) -> dict:
    """Journaled first (``backup.created``, no workspace: it is the whole instance), so that the archive holds the
    record of its own making."""
    db = connection.settings_dict
    vendor = connection.vendor
    if vendor in {"sqlite", "postgresql"}:
        record_event(action="backup.created", details={"file": output.name, "vendor": vendor})
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
        output.parent.mkdir(parents=True, exist_ok=True)
        # Password hashes and live session keys inside: the archive is 0600 from its first byte.
        with private_file(output) as handle, tarfile.open(fileobj=handle, mode="w:gz") as tar:
            tar.add(dump, arcname=dump.name)
            manifest["media_files"] = add_media(tar)
            _add_bytes(tar, MANIFEST, json.dumps(manifest, indent=1).encode())
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
            restore_media(media_src)
        counts = row_counts()
    expected = manifest["counts"]
    return {t: (n, counts.get(t)) for t, n in expected.items() if counts.get(t) != n}
