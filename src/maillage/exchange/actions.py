"""Actions of the import wizard, one per step, called alike by the pages and the API (a client imports through
the API alone): upload, choose how the file is read, choose the columns (then the rows are checked), start.

Each refuses bad input with a French message: ``FileRefused`` for a file that cannot be read, ``ValidationError``
keyed by field for a wrong choice, ``NotReady`` (a ``ValidationError``) for a step the job's state does not allow.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.core.exceptions import ValidationError

from maillage.exchange import queries, runner
from maillage.exchange.jobs import create_job, read_again
from maillage.exchange.models import Entity, ImportJob
from maillage.exchange.readers import DELIMITER_NAMES, ENCODING_NAMES, MAX_FILE_BYTES, FileRefused, Source, source_size

NO_FILE = "Choisissez un fichier à importer (CSV, XLSX ou archive ZIP de Maillage)."
NOT_STARTABLE = "Cet import ne peut pas être lancé dans son état actuel."
NOT_MAPPABLE = "Les colonnes de cet import ne se choisissent plus : il est lancé, terminé ou c'est une archive."


def upload_source(upload) -> Source | None:
    """What :func:`upload_import` reads of a Django ``UploadedFile``: the path of the temporary file Django
    spooled it to (a file over ``FILE_UPLOAD_MAX_MEMORY_SIZE``: never read whole into memory), else its bytes (a
    small file, already in memory); ``b""`` for a file over the size limit (refused by its size, not read)."""
    if upload is None:
        return None
    if (upload.size or 0) > MAX_FILE_BYTES:
        return b""
    if hasattr(upload, "temporary_file_path"):
        return Path(upload.temporary_file_path())
    upload.seek(0)
    return upload.read()


class NotReady(ValidationError):
    """The job's state does not allow this step (the API answers 409)."""


@dataclass
class Uploaded:
    job: ImportJob
    previous_done_at: datetime | None  # the same file was imported then: its rows will be skipped
    mapping_reused: bool  # the columns chosen for the same file last time were taken again


def upload_import(*, workspace, user, entity: str, filename: str, content: Source | None, size: int | None = None):
    """A new import job from a file (its bytes, or its path: :func:`upload_source`): refused with a French message
    (``FileRefused``) when missing, too large or unreadable. The same file again: the columns chosen last time are reused (natural keys, hence idempotency,
    depend on them), and the date of its last import is told. An archive is checked at once."""
    if content is None:
        raise FileRefused(NO_FILE)
    size = source_size(content) if size is None else size
    if size > MAX_FILE_BYTES:
        raise FileRefused(f"Le fichier pèse {size / 1024 / 1024:.1f} Mo ; {MAX_FILE_BYTES // 1024 // 1024} Mo au plus.")
    job = create_job(workspace=workspace, user=user, entity=entity, filename=filename, content=content)
    previous = queries.previous_import(job)
    saved = queries.saved_mapping(job)
    reused = saved is not None and saved != job.mapping
    if reused:
        job.mapping = saved
        job.save(update_fields=["mapping"])
    if job.entity == Entity.ARCHIVE:
        runner.validate(job)
    return Uploaded(job=job, previous_done_at=previous.finished_at if previous else None, mapping_reused=reused)


def choose_reading(*, job: ImportJob, encoding: str = "", delimiter: str = "") -> ImportJob:
    """Read the file again with the person's encoding and separator (empty: detected); the columns are guessed
    again and must be checked again. An unknown choice is a ``ValidationError`` that lists the known ones."""
    if not queries.is_mappable(job):
        raise NotReady(NOT_MAPPABLE)
    errors = {}
    if encoding not in ENCODING_NAMES and encoding != "":
        errors["encoding"] = [f"Encodage inconnu « {encoding} » : {', '.join(ENCODING_NAMES)} ou vide (détecté)."]
    if delimiter not in DELIMITER_NAMES and delimiter != "":
        known = ", ".join(repr(d) for d in DELIMITER_NAMES)
        errors["delimiter"] = [f"Séparateur inconnu « {delimiter} » : {known} ou vide (détecté)."]
    if errors:
        raise ValidationError(errors)
    job = ImportJob.objects.get(pk=job.pk)
    read_again(job, encoding=encoding, delimiter=delimiter)
    return job


def set_mapping(*, job: ImportJob, mapping: dict[str, str]) -> ImportJob:
    """Choose the field of each column (column index as text → field name), then check every row without writing
    anything (the report, counts and uncertain matches are saved on the job). A wrong mapping is refused with the
    list of what to fix (``ValidationError`` on ``mapping``); nothing is saved then."""
    if not queries.is_mappable(job):
        raise NotReady(NOT_MAPPABLE)
    job = ImportJob.objects.defer("content").get(pk=job.pk)  # the check reads the parsed form
    reading = queries.reading_of(job)
    if reading.table is None:
        raise FileRefused(reading.refused)
    errors = queries.mapping_errors(job.entity, mapping, len(reading.table.headers))
    if errors:
        raise ValidationError({"mapping": errors})
    job.mapping = dict(mapping)
    job.save(update_fields=["mapping"])
    runner.validate(job)
    return job


def start_import(*, job: ImportJob, user, decisions: dict[str, str] | None = None, request=None) -> ImportJob:
    """Queue a checked job. ``decisions``: for each uncertain match of an organisation (``job.proposals``, by
    row number as text) "new" to create it, anything else (or nothing) to link the existing one."""
    if not queries.can_start(job):
        raise NotReady(NOT_STARTABLE)
    decisions = decisions or {}
    job.decisions = {str(p["row"]): "new" if decisions.get(str(p["row"])) == "new" else "match" for p in job.proposals}
    job.save(update_fields=["decisions"])
    runner.start(job, user=user, request=request)
    return job
