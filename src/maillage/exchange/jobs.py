"""Creating an import job from an upload: checks first, the file parsed once, then the mapping guessed from the
headers; and reading it again when the person changes the encoding or the separator."""

from __future__ import annotations

from maillage.exchange.archive import read_archive
from maillage.exchange.fields import guess_mapping
from maillage.exchange.models import Entity, ImportJob, JobStatus
from maillage.exchange.parsed import parse, store
from maillage.exchange.readers import FileRefused, LayoutRefused, content_hash, sniff_format


def create_job(
    *, workspace, user, entity: str, filename: str, content: bytes, encoding: str = "", delimiter: str = ""
) -> ImportJob:
    """Refuse a bad file with a French message (``FileRefused``); otherwise an UPLOADED job with a mapping.

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
        content=content,
        encoding=encoding,
        delimiter=delimiter,
    )
    if entity == Entity.ARCHIVE:
        if file_format != "zip":
            raise FileRefused("Une archive complète est le fichier ZIP exporté par Maillage.")

        read_archive(content)
        job.save()
        return job
    if file_format == "zip":
        raise FileRefused("Ce fichier est une archive Maillage : choisissez « Archive complète ».")
    try:
        sheet = parse(job)  # the headers, encoding and separator: a file refused here makes no job
    except LayoutRefused as exc:
        sheet, job.parsed, job.mapping, job.message = None, None, {}, str(exc)
    job.save()  # the rows are stored under the job as they are read
    if sheet is not None:
        try:
            _parse_into(job, sheet)
        except BaseException:
            job.delete()
            raise
        job.save(update_fields=["parsed", "mapping", "message"])
    return job


def _parse_into(job: ImportJob, sheet=None) -> None:
    try:
        sheet = sheet or parse(job)
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
    _parse_into(job)
    job.status = JobStatus.UPLOADED
    job.save(update_fields=["encoding", "delimiter", "parsed", "mapping", "message", "status"])
