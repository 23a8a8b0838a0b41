"""Personal data in the uploaded import files: the file itself (kept in the database, ``stored.py``) and
what the import kept of it (preview, report of rejected rows, proposals). The rows it created are erased by their
own sources; erasing here empties the stored file and what was read of it, the job's row (counts) stays."""

from __future__ import annotations

import io
import json
import zipfile

from django.conf import settings
from django.db.models import Q

from maillage.core.personal_data import Retention, Source


def _texts(job) -> list[str]:
    from maillage.exchange import stored

    content = stored.read_bytes(job)
    blobs = [content]
    if content[:2] == b"PK":
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                blobs += [archive.read(member) for member in archive.namelist()[:200]]
        except (zipfile.BadZipFile, OSError, RuntimeError):
            pass
    texts = [blob.decode("utf-8", errors="ignore") for blob in blobs]
    texts += [blob.decode("latin-1", errors="ignore") for blob in blobs]
    texts.append(json.dumps([job.preview, job.report, job.proposals, job.message, job.filename], ensure_ascii=False))
    return [t.lower() for t in texts]


def _find(queryset, terms):
    lowered = [t.lower() for t in terms if t]
    keep = [job.pk for job in queryset.iterator(chunk_size=20) if any(t in x for x in _texts(job) for t in lowered)]
    return queryset.filter(pk__in=keep)


def _empty(queryset, terms) -> int:
    from maillage.exchange import stored

    stored.erase(queryset)
    return queryset.update(content=b"", preview=[], report=[], proposals=[], decisions={}, message="")


def _old_files(queryset, today):
    from datetime import timedelta

    cutoff = today - timedelta(days=settings.MAILLAGE_RETENTION_IMPORT_DAYS)
    finished = Q(status__in=["done", "failed", "undone"], finished_at__date__lt=cutoff)
    never_run = Q(status__in=["uploaded", "validated"], created_at__date__lt=cutoff)
    from maillage.exchange import stored

    return queryset.filter(finished | never_run).filter(stored.with_file())


def _retention():
    return Retention(
        expired=_old_files,
        setting="MAILLAGE_RETENTION_IMPORT_DAYS",
        describe="fichier déposé vidé {n} jours après la fin de l'import (les lignes créées restent)",
    )


SOURCES = [
    Source(
        key="import_files",
        label="Fichiers importés",
        model="exchange.ImportJob",
        workspace="workspace",
        match=("filename",),
        show=("filename", "entity", "status", "created_at"),
        custom_find=_find,
        custom_erase=_empty,
        category="toutes les personnes présentes dans un fichier importé",
        retention=_retention(),
    ),
]
