"""The file of an import as it was uploaded, kept in the database a slice at a time (``UploadChunk``).

Django receives a large upload into a temporary file (``FILE_UPLOAD_MAX_MEMORY_SIZE``); :func:`save` copies it
into the job's chunks a slice at a time and the reader parses it from that file: the web process never holds the
whole file (decision 0011). The steps after the upload read the parsed form (``parsed.py``), not the file; the
file is read again only to parse it with another encoding or separator, to replay an archive, or to search and
erase personal data: :func:`local_copy` writes it back to a temporary file for the readers. The jobs uploaded
before the chunks keep their file in ``ImportJob.content``, read as it is.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

from django.db.models import Q

from maillage.exchange.models import ImportJob, UploadChunk
from maillage.exchange.readers import Source, source_slices

CHUNK_BYTES = 1024 * 1024
SAVE_CHUNKS = 2  # chunks written per INSERT: a few megabytes in flight, whatever the file's size


def save(job: ImportJob, source: Source) -> None:
    """Write ``source`` (bytes or a file's path) as ``job``'s chunks, replacing any, a slice at a time."""
    UploadChunk.objects.filter(job_id=job.pk).delete()
    pending: list[UploadChunk] = []
    for index, piece in enumerate(source_slices(source, CHUNK_BYTES)):
        pending.append(UploadChunk(job_id=job.pk, index=index, data=piece))
        if len(pending) == SAVE_CHUNKS:
            UploadChunk.objects.bulk_create(pending)
            pending = []
    if pending:
        UploadChunk.objects.bulk_create(pending)


def _legacy(job: ImportJob) -> bytes:
    content = ImportJob.objects.filter(pk=job.pk).values_list("content", flat=True).first()
    return bytes(content or b"")


def _blobs(job: ImportJob) -> Iterator[bytes]:
    query = UploadChunk.objects.filter(job_id=job.pk).order_by("index").values_list("data", flat=True)
    for blob in query.iterator(chunk_size=1):
        yield bytes(blob)


@contextlib.contextmanager
def local_copy(job: ImportJob) -> Iterator[Source]:
    """The job's file for the readers: a temporary file written from its chunks (removed on leaving), or the
    bytes of a job uploaded before the chunks; ``b""`` when the file was erased."""
    legacy = _legacy(job)
    if legacy or not UploadChunk.objects.filter(job_id=job.pk).exists():
        yield legacy
        return
    with tempfile.NamedTemporaryFile(prefix="maillage-import-", suffix=".upload") as copy:
        for blob in _blobs(job):
            copy.write(blob)
        copy.flush()
        yield Path(copy.name)


def read_bytes(job: ImportJob) -> bytes:
    """The whole file in memory (an archive to replay, personal data to search: not the tables' path)."""
    return _legacy(job) or b"".join(_blobs(job))


def with_file() -> Q:
    """The jobs whose file is still kept (not erased)."""
    return ~Q(content=b"") | Q(pk__in=UploadChunk.objects.values("job_id"))


def erase(jobs) -> None:
    """Remove the files of ``jobs`` (a queryset of ``ImportJob``)."""
    UploadChunk.objects.filter(job_id__in=jobs.values("pk")).delete()
