"""Creating an import job from an upload: checks first, the file parsed once, then the mapping guessed from the
headers; and reading it again when the person changes the encoding or the separator."""

from __future__ import annotations

from maillage.exchange import stored
from maillage.exchange.archive import read_archive
from maillage.exchange.fields import guess_mapping
from maillage.exchange.models import Entity, ImportJob, JobStatus
from maillage.exchange.parsed import parse, store
from maillage.exchange.readers import FileRefused, LayoutRefused, Source, content_hash, sniff_format


def create_job(
    *, workspace, user, entity: str, filename: str, content: Source, encoding: str = "", delimiter: str = ""
) -> ImportJob:
    """Refuse a bad file with a French message (``FileRefused``); otherwise an UPLOADED job with a mapping.

    ``content``: the file's bytes, or the path of the file on disk (an upload Django spooled to a temporary file):
    it is stored in the job's chunks and parsed a slice at a time, never held whole (``stored.py``).

    A CSV whose rows do not fit its header under the detected separator (``LayoutRefused``) still makes a job,
    with the refusal as its message and no mapping: the person chooses the separator or the encoding on the
    mapping page, nothing is guessed."""
    if entity not in Entity.values:
        raise FileRefused(f"Contenu inconnu « {entity} » : choisissez parmi {', '.join(Entity.values)}.")
    file_format = sniff_format(content)
    job = ImportJob(
        workspace=workspace,
        created_by=user,
        entity=entity,
        filename=(filename or "fichier")[:255],
        file_format=file_format,
        content_hash=content_hash(content),
        content=b"",
        encoding=encoding,
        delimiter=delimiter,
    )
    if entity == Entity.ARCHIVE:
        if file_format != "zip":
            raise FileRefused("Une archive complète est le fichier ZIP exporté par Maillage.")

        read_archive(content)
        job.save()
        stored.save(job, content)
        return job
    if file_format == "zip":
        raise FileRefused("Ce fichier est une archive Maillage : choisissez « Archive complète ».")
    try:
        sheet = parse(job, content)  # the headers, encoding and separator: a file refused here makes no job
    except LayoutRefused as exc:
        sheet, job.parsed, job.mapping, job.message = None, None, {}, str(exc)
    job.save()  # the file and the rows are stored under the job as they are read
    try:
        stored.save(job, content)
        if sheet is not None:
            _parse_into(job, content, sheet)
            job.save(update_fields=["parsed", "mapping", "message"])
    except BaseException:
        job.delete()
        raise
    return job


def _parse_into(job: ImportJob, content: Source, sheet=None) -> None:
    try:
        sheet = sheet or parse(job, content)
        job.parsed = store(job, sheet)
    except LayoutRefused as exc:
        job.parsed, job.mapping, job.message = None, {}, str(exc)
        return
    job.message = ""
    job.mapping = guess_mapping(job.entity, sheet.headers)


def read_again(job: ImportJob, *, encoding: str, delimiter: str) -> None:
    """The person's encoding and separator (empty: detected): the file is parsed again, the mapping guessed
    again, the check to redo. Raises ``FileRefused`` for an unknown choice."""
    job.encoding, job.delimiter = encoding, delimiter
    with stored.local_copy(job) as content:
        _parse_into(job, content)
    job.status = JobStatus.UPLOADED
    job.save(update_fields=["encoding", "delimiter", "parsed", "mapping", "message", "status"])
