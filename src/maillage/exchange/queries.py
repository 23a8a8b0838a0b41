"""Reads of the import wizard, shared by the pages and the API: what a client needs to go from an upload to a
report (the columns as read, the detected encoding and separator, the job that already imported the same file,
whether a job may start, how many rows are new)."""

from __future__ import annotations

from dataclasses import dataclass, field

from maillage.exchange.fields import FIELDS, Field, missing_required
from maillage.exchange.models import Entity, ImportJob, JobStatus
from maillage.exchange.parsed import load
from maillage.exchange.readers import DELIMITER_NAMES, ENCODING_NAMES, FileRefused, Table

SAMPLES_SHOWN = 3
# The wizard's steps where the columns may still be chosen.
MAPPABLE = frozenset({JobStatus.UPLOADED, JobStatus.VALIDATED})


def import_jobs(workspace):
    """The workspace's import jobs, newest first, without their (large) file and parsed form."""
    return ImportJob.objects.visible_to(workspace).defer("content", "parsed")


def same_file_jobs(job: ImportJob):
    """The workspace's other jobs of the same content and file (same hash)."""
    return import_jobs(job.workspace).filter(content_hash=job.content_hash, entity=job.entity).exclude(pk=job.pk)


def previous_import(job: ImportJob) -> ImportJob | None:
    """The last finished import of the same file, if any: its rows will be recognised, not duplicated."""
    return same_file_jobs(job).filter(status=JobStatus.DONE).first()


def saved_mapping(job: ImportJob) -> dict[str, str] | None:
    """The columns chosen the last time the same file was checked (its natural keys, hence idempotency, depend
    on them), or None."""
    checked = same_file_jobs(job).exclude(status=JobStatus.UPLOADED).only("mapping").first()
    return checked.mapping if checked else None


def is_mappable(job: ImportJob) -> bool:
    """Whether the columns of the job may still be chosen (a table, not yet started)."""
    return job.entity != Entity.ARCHIVE and job.status in MAPPABLE


def can_start(job: ImportJob) -> bool:
    """Checked (or failed after reading some rows, to resume): the only states from which a job starts."""
    return job.status == JobStatus.VALIDATED or (job.status == JobStatus.FAILED and bool(job.total_rows))


def new_rows(job: ImportJob) -> int | None:
    """Checked, not yet run: the accepted rows not imported before (the others will be skipped)."""
    return job.accepted_rows - job.skipped_rows if job.status == JobStatus.VALIDATED else None


@dataclass
class Column:
    index: int
    header: str
    chosen: str
    samples: list[str]


@dataclass
class Reading:
    """How the file was read: its table (None when its rows do not fit the header) and why."""

    table: Table | None
    refused: str = ""
    columns: list[Column] = field(default_factory=list)
    fields: tuple[Field, ...] = ()

    @property
    def encoding(self) -> str:
        return self.table.encoding if self.table else ""

    @property
    def delimiter(self) -> str:
        return self.table.delimiter if self.table else ""


def reading_of(job: ImportJob) -> Reading:
    """The job's file as read (detected or chosen encoding and separator), its columns with the field chosen for
    each and a few sample values, the fields the entity accepts."""
    table = None
    refused = ""
    if job.parsed is not None or not job.message:
        try:
            table = load(job)
        except FileRefused as exc:
            refused = str(exc)
    else:
        refused = job.message
    if table is None:
        return Reading(table=None, refused=refused or job.message)
    head = table.rows[:SAMPLES_SHOWN]  # read once (the parsed form's first chunk), not once per column
    columns = [
        Column(
            index=i,
            header=h,
            chosen=job.mapping.get(str(i), ""),
            samples=[r[i] for r in head if i < len(r)],
        )
        for i, h in enumerate(table.headers)
    ]
    return Reading(table=table, columns=columns, fields=FIELDS[job.entity])


def mapping_errors(entity: str, mapping: dict[str, str], columns: int | None = None) -> list[str]:
    """What is wrong with a mapping (column index as text → field name), in French; empty when it may be
    checked: unknown column or field, a field chosen twice, a required field without a column."""
    fields = {f.name: f for f in FIELDS[entity]}
    errors = []
    seen: set[str] = set()
    valid: dict[str, str] = {}
    for index, chosen in sorted(mapping.items(), key=lambda item: (len(item[0]), item[0])):
        if not index.isdigit() or (columns is not None and int(index) >= columns):
            errors.append(f"Colonne « {index} » inconnue : les colonnes sont numérotées de 0 à {(columns or 1) - 1}.")
            continue
        if chosen not in fields:
            errors.append(f"Champ « {chosen} » inconnu : choisissez parmi {', '.join(fields)}.")
            continue
        if chosen in seen:
            errors.append(f"Le champ « {fields[chosen].label} » est choisi deux fois.")
        seen.add(chosen)
        valid[index] = chosen
    errors += [f"Choisissez la colonne du champ obligatoire « {f.label} »." for f in missing_required(entity, valid)]
    return errors


__all__ = [
    "DELIMITER_NAMES",
    "ENCODING_NAMES",
    "can_start",
    "import_jobs",
    "is_mappable",
    "mapping_errors",
    "new_rows",
    "previous_import",
    "reading_of",
    "saved_mapping",
]
