"""Validating, running and undoing an import job.

The write is done in batches of ``BATCH_SIZE`` rows (``BULK_BATCH_SIZE`` for contributions), each in one
transaction that also records the rows it created and the job's progress: a crash leaves whole batches only, and
a re-run skips every row whose natural key is already recorded. Each batch first takes the workspace's import
lock (a row lock on PostgreSQL, the write lock of an IMMEDIATE transaction on SQLite).

- Organisations, contacts, alliances, interactions, individual gifts: the check's decisions read back and revised
  (decision 0011), else the file checked again, as a stream; the recorded keys read a batch at a time, and the
  batches of rows not imported yet written through the domain actions as they come, each row recorded in
  ``ImportedRow``. If another import
  recorded some of the same rows meanwhile, the unique natural key refuses the batch as a whole; it is then
  written again after a second look at the recorded keys, under the lock.
- Contributions carry their job and key themselves (decision 0005) and are written in bulk. A thread checks the
  rows while the previous batch is written (decision 0006); each batch looks for its keys under the lock.

Either way, two imports of the same rows at once cannot both write them.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import queue
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from maillage.audit.actions import record_event
from maillage.exchange import batch_writes
from maillage.exchange.archive import run_archive, validate_archive
from maillage.exchange.fields import label_of
from maillage.exchange.importers import IMPORTERS
from maillage.exchange.models import CheckedChunk, Entity, ImportedRow, ImportJob, JobStatus, ParsedChunk
from maillage.exchange.outcomes import BatchRefused, Plan, record_outcome
from maillage.exchange.parsed import _compress as compress
from maillage.exchange.parsed import _decompress as decompress
from maillage.exchange.parsed import load
from maillage.exchange.readers import FileRefused, Table
from maillage.exchange.rows import Context, Planned, RowError, natural_key

logger = logging.getLogger(__name__)
BATCH_SIZE = 1000  # rows per transaction through the domain actions
BULK_BATCH_SIZE = 10_000  # contributions (bulk path): fewer commits, each still all-or-nothing
ORGANIZATION_BATCH_SIZE = 5000  # organisations: written set-based too (create_organizations), fewer commits


def batch_size(entity: str) -> int:
    """Rows per batch; ``MAILLAGE_IMPORT_BATCH_SIZE`` overrides it (the crash test uses small batches)."""
    override = os.environ.get("MAILLAGE_IMPORT_BATCH_SIZE", "")
    if override.isdigit() and int(override) > 0:
        return int(override)
    if entity == Entity.ORGANIZATION:
        return ORGANIZATION_BATCH_SIZE
    return BULK_BATCH_SIZE if entity == Entity.CONTRIBUTION else BATCH_SIZE


PREVIEW_ROWS = 10


class Rollback(Exception):
    pass


def _column(job: ImportJob, headers: list[str], field_name: str) -> str:
    for index, name in job.mapping.items():
        if name == field_name and int(index) < len(headers):
            return headers[int(index)]
    return label_of(job.entity, field_name)


def _value_of(job: ImportJob, cells: list[str], field_name: str) -> str:
    for index, name in job.mapping.items():
        if name == field_name and int(index) < len(cells):
            return cells[int(index)]
    return ""


def _roomy_cache() -> None:
    """SQLite: a page cache of 64 MB for this connection (SQLite's default is 2 MB), so that checking and writing
    a file read and write the directory's indexes in memory, not page by page from the file; the pages are
    taken as used, at most that much per process."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -65536")


def build_plan(job: ImportJob, ctx: Context) -> Plan:
    _roomy_cache()
    plan = Plan()
    plan.rows = list(_planned(job, ctx, load(job), plan))
    return plan


def _planned(job: ImportJob, ctx: Context, table: Table, plan: Plan) -> Iterator[Planned]:
    """Check each row of ``table`` in turn and yield the accepted ones; the refused ones go to ``plan.report``
    (and ``plan.refused``), every non-empty row to ``plan.total``."""
    importer = IMPORTERS[job.entity]
    seen: Counter = Counter()
    first_row: dict[str, int] = {}
    width = len(table.headers)  # every row has exactly this many cells
    columns = [(int(i), name) for i, name in job.mapping.items() if int(i) < width]
    entity, repeatable, plan_row = job.entity, importer.repeatable, importer.plan
    for number, message in table.row_errors:  # rows the reader could not read (an unbalanced quote)
        plan.total += 1
        plan.refused += 1
        plan.report.append([number, "", "", message])
    prepare = getattr(importer, "prepare", None)
    if prepare is not None:  # set-based look-ups of the whole file before the rows are checked one by one
        prepare(_mapped_columns(table, columns), ctx)
    numbers = table.numbers
    for index, cells in enumerate(table.rows):
        number = numbers[index] if numbers else index + 2
        if not any(cells):
            continue
        plan.total += 1
        try:
            base, payload, preview, proposal = plan_row({name: cells[i] for i, name in columns}, ctx)
        except RowError as exc:
            plan.refused += 1
            for field_name, messages in exc.errors.items():
                for message in messages:
                    plan.report.append(
                        [number, _column(job, table.headers, field_name), _value_of(job, cells, field_name), message]
                    )
            continue
        if repeatable:
            occurrence = seen[base]
            seen[base] = occurrence + 1
        else:
            if base in first_row:
                plan.refused += 1
                plan.report.append([number, "", "", f"Doublon de la ligne {first_row[base]} : ignorée."])
                continue
            occurrence = 0
            first_row[base] = number
        yield Planned(number, base, payload, natural_key(entity, base, occurrence), preview, proposal)


def _mapped_columns(table: Table, columns: list[tuple[int, str]]) -> dict[str, list[str]]:
    """The mapped columns' cells, row by row, for a kind's ``prepare``: one pass over the parsed rows (each pass
    decompresses every chunk), not one per column."""
    values: dict[str, list[str]] = {name: [] for _, name in columns}
    appenders = [(i, values[name].append) for i, name in columns]
    for cells in table.rows:
        for i, append in appenders:
            append(cells[i])
    return values


def _context(job: ImportJob) -> Context:
    return Context(job.workspace, job.created_by, decisions=job.decisions)


def _errors_to_report(job, headers, planned: Planned, exc: ValidationError) -> list[list]:
    messages = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
    return [[planned.row, label_of(job.entity, f) if f else "", "", m] for f, ms in messages.items() for m in ms]


KEYS_AT_ONCE = 50_000  # natural keys looked up together by the check (``recorded_keys``)


def validate(job: ImportJob) -> Plan:
    """Check every row without writing anything: the report and counts are saved on the job.

    The accepted rows are consumed as a stream: only their counts, the few previews the check page shows, the
    proposals to confirm and the refused rows' reasons are kept (the returned plan's ``rows`` stays empty), so the
    check's memory does not grow with the file's accepted rows."""
    if job.entity == Entity.ARCHIVE:
        return validate_archive(job)
    ctx = _context(job)
    importer = IMPORTERS[job.entity]
    matched = getattr(importer, "matched", None)
    keep = _Keeping(job, importer)
    plan = Plan()
    preview: list[dict] = []
    proposals: list[dict] = []
    accepted = matched_rows = skipped = 0
    keys: list[str] = []

    def look_up_keys() -> int:
        found = len(recorded_keys(job, keys)) if keys else 0
        keys.clear()
        return found

    def count(planned: Planned) -> None:
        nonlocal accepted, matched_rows, skipped
        accepted += 1
        if len(preview) < PREVIEW_ROWS:
            preview.append({"row": planned.row, **planned.preview})
        if planned.proposal:
            proposals.append({"row": planned.row, "name": planned.payload["data"]["name"], **planned.proposal})
        if matched and matched(planned.payload):
            matched_rows += 1
        keys.append(planned.key)
        keep.add(planned)
        if len(keys) >= KEYS_AT_ONCE:
            # A forecast for the check page (the file, or part of it, was imported before); the run counts again.
            skipped += look_up_keys()

    try:
        if job.entity != Entity.CONTRIBUTION:  # contributions look up a few alliances: the cache would hold the chunks
            _roomy_cache()
        stream = _planned(job, ctx, load(job), plan)
        if importer.dry_run_actions:
            try:
                with transaction.atomic():
                    for planned in stream:
                        try:
                            with transaction.atomic():
                                importer.execute(dict(planned.payload), ctx, planned.row)
                        except ValidationError as exc:
                            plan.report += _errors_to_report(job, [], planned, exc)
                            continue
                        count(planned)
                    raise Rollback
            except Rollback:
                pass
        else:
            for planned in stream:
                count(planned)
        skipped += look_up_keys()
    except FileRefused as exc:
        job.status, job.message = JobStatus.FAILED, str(exc)
        job.save(update_fields=["status", "message"])
        return Plan()
    plan.report.sort(key=lambda r: r[0] if isinstance(r[0], int) else 0)
    job.report = plan.report
    job.preview = preview
    job.proposals = proposals
    job.total_rows = plan.total
    job.accepted_rows = accepted
    job.matched_rows = matched_rows
    job.rejected_rows = len({r[0] for r in plan.report})
    job.skipped_rows = skipped
    job.status = JobStatus.VALIDATED
    job.message = ""
    job.checked = keep.close(plan, accepted)
    job.save(
        update_fields=[
            "checked",
            "report",
            "preview",
            "proposals",
            "total_rows",
            "accepted_rows",
            "rejected_rows",
            "skipped_rows",
            "matched_rows",
            "status",
            "message",
        ]
    )
    return plan


CHECKED_ROWS = 2000  # accepted rows per CheckedChunk


class _Keeping:
    """The check's decisions on the accepted rows, kept for the run (a kind with ``revise``, decision 0011): in
    ``CheckedChunk`` records of ``CHECKED_ROWS`` rows as they are checked, and in ``ImportJob.checked`` what they
    were decided on (the mapping, the parsed chunks, the kind's ``mark``: the directory's last id before the check)."""

    def __init__(self, job: ImportJob, importer):
        self.job, self.kept = job, getattr(importer, "kept", None)
        CheckedChunk.objects.filter(job_id=job.pk).delete()
        if job.checked:
            ImportJob.objects.filter(pk=job.pk).update(checked={})
        self.mark = importer.mark() if self.kept is not None else None
        self.rows: list[list] = []
        self.index = 0

    def add(self, planned: Planned) -> None:
        if self.kept is not None:
            self.rows.append(self.kept(planned))
            if len(self.rows) == CHECKED_ROWS:
                self._flush()

    def _flush(self) -> None:
        CheckedChunk.objects.create(job_id=self.job.pk, index=self.index, rows=compress(self.rows))
        self.index += 1
        self.rows = []

    def close(self, plan: Plan, accepted: int) -> dict:
        """What ``ImportJob.checked`` keeps (empty: nothing kept, the run checks the file again)."""
        if self.kept is None:
            return {}
        if self.rows:
            self._flush()
        return {
            "mapping": self.job.mapping,
            "chunks": _parsed_chunks(self.job),
            "mark": self.mark,
            "total": plan.total,
            "refused": plan.refused,
            "accepted": accepted,
        }


def _parsed_chunks(job: ImportJob) -> list[int]:
    """The ids of the job's parsed chunks: new ones each time the file is parsed again (ids are never reused)."""
    return list(ParsedChunk.objects.filter(job_id=job.pk).order_by("index").values_list("pk", flat=True))


def kept_plan(job: ImportJob, ctx: Context) -> Plan | None:
    """The check's plan read back and re-verified by the kind (``revise``: only what may have changed since), or
    None when there is none for the job's present mapping and parsed file (the run then checks the file again)."""
    plan = Plan()
    stream = _kept_stream(job, ctx, plan)
    if stream is None:
        return None
    plan.rows = list(stream)
    return plan


def _kept_stream(job: ImportJob, ctx: Context, plan: Plan) -> Iterator[Planned] | None:
    """The check's decisions read back (:func:`kept_plan`) as a stream: a kind with ``revises_by_chunk`` revises
    them a ``CheckedChunk`` at a time (the rows it refuses now go to ``plan.report`` and ``plan.refused`` as they
    are found); the organisations revise the whole file at once. None: nothing kept for this mapping and file."""
    importer = IMPORTERS[job.entity]
    checked, revise = job.checked, getattr(importer, "revise", None)
    if not checked or revise is None or checked["mapping"] != job.mapping or checked["chunks"] != _parsed_chunks(job):
        return None
    chunks = CheckedChunk.objects.filter(job_id=job.pk).order_by("index")
    plan.total, plan.refused = checked["total"], checked["refused"]
    if not getattr(importer, "revises_by_chunk", False):
        rows: list[list] = []
        for blob in chunks.values_list("rows", flat=True):
            rows.extend(decompress(blob))  # type: ignore[arg-type]
        if len(rows) != checked["accepted"]:
            return None
        return iter(revise(rows, ctx, checked["mark"]))
    # Every chunk the check wrote (``CHECKED_ROWS`` rows each but the last), counted without reading them.
    indexes = list(chunks.values_list("index", flat=True))
    if indexes != list(range(math.ceil(checked["accepted"] / CHECKED_ROWS))):
        return None
    return _revised(job, ctx, plan, list(chunks.values_list("pk", flat=True)), revise, checked["mark"])


def _revised(job: ImportJob, ctx: Context, plan: Plan, chunk_ids: list[int], revise, mark: int) -> Iterator[Planned]:
    for pk in chunk_ids:  # one chunk's rows in memory at a time
        rows = decompress(CheckedChunk.objects.values_list("rows", flat=True).get(pk=pk))
        yield from revise(rows, ctx, mark)
        refused = ctx.prepared.pop("refused", [])
        plan.refused += len({r[0] for r in refused})
        plan.report += [[row, label_of(job.entity, f) if f else "", value, m] for row, f, value, m in refused]


def _lock_workspace(job: ImportJob) -> None:
    from maillage.workspaces.models import Workspace

    if connection.vendor == "postgresql":
        Workspace.objects.select_for_update().filter(pk=job.workspace_id).first()


def run(job_id: int) -> ImportJob:
    """Write the accepted rows of a validated job, batch by batch. Safe to call again after a crash."""
    job = ImportJob.objects.select_related("workspace", "created_by").get(pk=job_id)
    if job.status in {JobStatus.DONE, JobStatus.UNDONE}:
        return job
    ImportJob.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, started_at=job.started_at or timezone.now(), worker_pid=os.getpid()
    )
    try:
        if job.entity == Entity.ARCHIVE:
            run_archive(job)
        else:
            _run_rows(job)
    except BatchRefused as exc:
        _failed(job, message=str(exc))
    except FileRefused as exc:
        _failed(job, message=str(exc))
    except Exception:
        logger.exception("import %s failed", job.pk)
        done = ImportJob.objects.get(pk=job.pk).batches_done
        _failed(
            job,
            message=f"Erreur inattendue pendant l'import : {done} lot(s) enregistré(s), les autres non. "
            "Relancez l'import : les lignes déjà enregistrées ne seront pas dupliquées.",
        )
    job.refresh_from_db()
    return job


def _finished(job: ImportJob, **fields) -> None:
    """The job's final state and its journal event, in one transaction."""
    with transaction.atomic():
        ImportJob.objects.filter(pk=job.pk).update(**fields)
        record_outcome(job, fields["status"], fields.get("message", ""))


def _failed(job: ImportJob, *, message: str) -> None:
    _finished(job, status=JobStatus.FAILED, message=message, finished_at=timezone.now())


def _run_rows(job: ImportJob) -> None:
    """The accepted rows as a stream (the check's decisions revised, else the file checked again), written as they
    come in batches of ``batch_size`` rows not imported yet: the first batch is written before the rest of the
    file is planned, and the process holds two batches of rows at most."""
    ctx = _context(job)
    if job.entity == Entity.CONTRIBUTION:
        _run_contributions(job, ctx)
        return
    _roomy_cache()
    importer = IMPORTERS[job.entity]
    plan = Plan()
    stream = _kept_stream(job, ctx, plan)  # the check's decisions
    kept = stream is not None
    if stream is None:  # else the file checked again, as it is written
        stream = _planned(job, ctx, load(job), plan)
    size = batch_size(job.entity)
    # Counted again as the batches go: a row written by this job before it was stopped is not "already there";
    # the number of batches is a forecast (the rows imported before are known batch by batch), exact at the end.
    ImportJob.objects.filter(pk=job.pk).update(
        processed_rows=0,
        skipped_rows=0,
        matched_rows=ImportedRow.objects.filter(job=job, created=False).count(),
        batches_total=job.batches_done + math.ceil(job.accepted_rows / size),
    )
    todo: list[Planned] = []
    looked: list[Planned] = []
    counted_refused = 0

    def look() -> None:
        """The rows of ``looked`` some import already recorded are left out, counted as done."""
        nonlocal counted_refused
        owners = recorded_by(job, [p.key for p in looked])
        todo.extend(p for p in looked if p.key not in owners)
        done = len(owners) + plan.refused - counted_refused
        if done:
            ImportJob.objects.filter(pk=job.pk).update(
                processed_rows=F("processed_rows") + done,
                skipped_rows=F("skipped_rows") + sum(1 for owner in owners.values() if owner != job.pk),
            )
        counted_refused = plan.refused
        looked.clear()

    for planned in stream:
        looked.append(planned)
        if len(looked) == size:
            look()
            while len(todo) >= size:
                _write_or_refuse(job, ctx, importer, todo[:size], size)
                del todo[:size]
    look()
    while todo:
        _write_or_refuse(job, ctx, importer, todo[:size], size)
        del todo[:size]
    fields: dict[str, object] = {"total_rows": plan.total, "rejected_rows": plan.refused, "processed_rows": plan.total}
    if plan.report and kept:  # rows the run refused after the check kept them: in the check's report
        report = sorted(job.report + plan.report, key=lambda r: r[0] if isinstance(r[0], int) else 0)
        fields["report"] = report
    _finished(
        job, status=JobStatus.DONE, finished_at=timezone.now(), message="", batches_total=F("batches_done"), **fields
    )


def _write_or_refuse(job: ImportJob, ctx: Context, importer, batch: list[Planned], size: int) -> None:
    try:
        try:
            with transaction.atomic():
                _write_batch(job, ctx, importer, batch, recheck=False)
        except IntegrityError:
            # Another import recorded some of these rows since they were looked up (the unique natural key
            # refused them): nothing of the batch landed; look again under the lock, then write the rest.
            with transaction.atomic():
                _write_batch(job, ctx, importer, batch, recheck=True)
    except (ValidationError, IntegrityError) as exc:
        raise _refused(job, size, batch, exc) from exc


def _refused(job: ImportJob, size: int, batch: list[Planned], exc: Exception) -> BatchRefused:
    landed = ImportJob.objects.get(pk=job.pk).batches_done
    detail = " ; ".join(exc.messages[:3]) if isinstance(exc, ValidationError) else ""
    return BatchRefused(
        f"{landed} lot(s) de {size} lignes au plus enregistré(s) ; le lot suivant "
        f"(lignes {batch[0].row} à {batch[-1].row}) a été refusé en entier : {detail or 'conflit en base'}. "
        "Rien de ce lot n'est enregistré ; corrigez le fichier puis relancez l'import."
    )


def recorded_keys(job: ImportJob, keys: list[str]) -> set[str]:
    """Those of ``keys`` already imported into the job's workspace (by any import of the same entity)."""
    if job.entity == Entity.CONTRIBUTION:
        by_short = {batch_writes.contribution_key(job.workspace_id, k): k for k in keys}
        return {by_short[short] for short in _imported_contributions(list(by_short))}
    return set(recorded_by(job, keys))


def recorded_by(job: ImportJob, keys: list[str]) -> dict[str, int | None]:
    """{key: the job that recorded it} for those of ``keys`` already imported into the job's workspace (by any
    import of the same entity; a row recorded several times, e.g. an organisation and its match, once)."""
    found: dict[str, int | None] = {}
    if not keys:
        return found
    if connection.vendor == "postgresql":  # one text parameter (hex keys, no comma), not thousands of placeholders
        with connection.cursor() as cursor:
            for start in range(0, len(keys), 50_000):
                cursor.execute(
                    "SELECT natural_key, job_id FROM exchange_importedrow WHERE workspace_id = %s AND entity = %s"
                    " AND natural_key = ANY(string_to_array(%s, ','))",
                    [job.workspace_id, job.entity, ",".join(keys[start : start + 50_000])],
                )
                found.update(cursor.fetchall())
        return found
    with connection.cursor() as cursor:  # raw: no lookup compiled for each of thousands of keys
        for start in range(0, len(keys), 900):
            chunk = keys[start : start + 900]
            placeholders = ", ".join(["%s"] * len(chunk))
            sql = "SELECT natural_key, job_id FROM exchange_importedrow WHERE workspace_id = %s AND entity = %s"
            cursor.execute(f"{sql} AND natural_key IN ({placeholders})", [job.workspace_id, job.entity, *chunk])  # noqa: S608
            found.update(cursor.fetchall())
    return found


def _imported_contributions(import_keys: list[str]) -> dict[str, int | None]:
    """{import key: its import job} of the contributions already carrying one of ``import_keys``
    (:func:`batch_writes.contribution_key`: the workspace is in the key)."""
    found: dict[str, int | None] = {}
    step = 50_000 if connection.vendor == "postgresql" else 900
    sql = "SELECT import_key, import_job_id FROM contributions_contribution WHERE import_key "
    with connection.cursor() as cursor:
        for start in range(0, len(import_keys), step):
            chunk = import_keys[start : start + step]
            if connection.vendor == "postgresql":  # one array parameter, not thousands of placeholders
                cursor.execute(sql + "= ANY(%s::uuid[])", [chunk])
            else:
                cursor.execute(sql + f"IN ({', '.join(['%s'] * len(chunk))})", chunk)
            found.update((str(key).replace("-", ""), job_id) for key, job_id in cursor.fetchall())
    return found


def _write_batch(job: ImportJob, ctx: Context, importer, batch: list[Planned], *, recheck: bool) -> None:
    _lock_workspace(job)
    present = recorded_keys(job, [p.key for p in batch]) if recheck else set()
    fresh = [p for p in batch if p.key not in present] if present else batch
    # ImportedRow columns: job, workspace, entity, natural_key, row_number, model, object_id, created.
    head = (job.pk, job.workspace_id, job.entity)
    write = getattr(importer, "write", None)  # a kind that writes a batch at once (set-based)
    if write is not None:
        results = write([(dict(p.payload), p.row) for p in fresh], ctx)
    else:
        results = [importer.execute(dict(p.payload), ctx, p.row) for p in fresh]
    records = [
        (*head, p.key, p.row, model, pk, was_created)
        for p, result in zip(fresh, results, strict=True)
        for model, pk, was_created in result
    ]
    batch_writes.write_records(records)
    ImportJob.objects.filter(pk=job.pk).update(
        processed_rows=F("processed_rows") + len(batch),
        created_rows=F("created_rows") + sum(1 for r in records if r[-1]),
        matched_rows=F("matched_rows") + sum(1 for r in records if not r[-1]),
        skipped_rows=F("skipped_rows") + len(batch) - len(fresh),
        batches_done=F("batches_done") + 1,
    )
    _after_batch_hook(job)


# Contributions: checked in a thread while the previous batch is written (decision 0006).


@dataclass(slots=True)
class _Batch:
    rows: list[Planned]
    prepared: batch_writes.Prepared
    refused: int  # rows refused by the checks since the previous batch


_END = object()


class _Checking:
    """Checks the file's rows in a thread and hands them over in batches, already formatted for the database
    (:func:`batch_writes.prepare_contributions`), so that checking the next batch overlaps PostgreSQL's work on this one.

    The thread reads no database: the alliances named in the file are looked up before it starts, and their
    parties come with them. It stops at the next row when :meth:`close` is called (a batch refused, a crash).
    While it runs, Python's switch interval goes from 5 ms to 1 ms: the writing thread, woken by each answer of
    PostgreSQL, takes the interpreter back sooner (measured in decision 0006)."""

    SWITCH_INTERVAL = 0.001

    def __init__(self, job: ImportJob, ctx: Context, table: Table, size: int):
        self.job, self.ctx, self.table, self.size = job, ctx, table, size
        self.plan = Plan()
        self.batches: queue.Queue = queue.Queue(maxsize=2)
        self.stopping = threading.Event()
        self.switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(min(self.switch_interval, self.SWITCH_INTERVAL))
        self.thread = threading.Thread(target=self._work, name=f"import-{job.pk}-checks", daemon=True)
        self.thread.start()

    def _put(self, item) -> None:
        while not self.stopping.is_set():
            try:
                self.batches.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def _work(self) -> None:
        job, plan = self.job, self.plan
        user_id = self.ctx.user.pk if self.ctx.user else None
        rows: list[Planned] = []
        refused = 0

        def hand_over() -> None:
            nonlocal rows, refused
            for p in rows:
                p.payload["import_job_id"] = job.pk
                p.payload["import_key"] = batch_writes.contribution_key(job.workspace_id, p.key)
            prepared = batch_writes.prepare_contributions(
                [p.payload for p in rows], workspace_id=job.workspace_id, user_id=user_id
            )
            self._put(_Batch(rows, prepared, plan.refused - refused))
            rows, refused = [], plan.refused

        try:
            for planned in _planned(job, self.ctx, self.table, plan):
                if self.stopping.is_set():
                    return
                rows.append(planned)
                if len(rows) == self.size:
                    hand_over()
            if rows:
                hand_over()
            self._put(_END)
        except BaseException as exc:  # handed to the writing thread, which raises it
            self._put(exc)

    def __iter__(self) -> Iterator[_Batch]:
        while True:
            item = self.batches.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def close(self) -> None:
        self.stopping.set()
        self.thread.join()
        sys.setswitchinterval(self.switch_interval)


def _look_up_alliances(job: ImportJob, ctx: Context, table: Table) -> None:
    """Every alliance the file names, with its parties, before the checking thread starts (it reads no
    database). Unknown names are remembered as such; the thread reports them row by row."""
    for index, name in job.mapping.items():
        if name == "alliance" and int(index) < len(table.headers):
            for cell in {cells[int(index)] for cells in table.rows}:
                with contextlib.suppress(RowError):
                    ctx.alliance(cell)


def _run_contributions(job: ImportJob, ctx: Context) -> None:
    table = load(job, detached=True)  # the checking thread reads no database
    _look_up_alliances(job, ctx, table)
    size = batch_size(job.entity)
    # Counted again as the batches go: a row written by this job before it was stopped is not "already there";
    # the number of batches is a forecast (rows imported before are only known batch by batch), exact at the end.
    ImportJob.objects.filter(pk=job.pk).update(
        total_rows=sum(1 for cells in table.rows if any(cells)) + len(table.row_errors),
        processed_rows=0,
        skipped_rows=0,
        batches_total=job.batches_done + math.ceil(job.accepted_rows / size),
    )
    # A file imported for the first time meets no row imported before: its batches are written without looking.
    # Once the unique import key refuses one (a re-run, a file imported twice, another import of the same rows
    # at once), nothing of that batch landed; it is written again, and every batch after it, looking first.
    look = False
    checking = _Checking(job, ctx, table, size)
    try:
        for batch in checking:
            try:
                try:
                    with transaction.atomic():
                        _write_contributions(job, batch, look=look)
                except IntegrityError:
                    if look:
                        raise
                    look = True
                    with transaction.atomic():
                        _write_contributions(job, batch, look=True)
            except (ValidationError, IntegrityError) as exc:
                raise _refused(job, size, batch.rows, exc) from exc
    finally:
        checking.close()
    _finished(
        job,
        status=JobStatus.DONE,
        finished_at=timezone.now(),
        message="",
        processed_rows=F("total_rows"),
        batches_total=F("batches_done"),
    )


def _write_contributions(job: ImportJob, batch: _Batch, *, look: bool) -> None:
    """One batch, under the workspace's lock; with ``look``, the rows some import already wrote are left out
    (looked up under the lock, so that two imports of the same rows at once cannot both write them)."""
    _lock_workspace(job)
    present = _imported_contributions([p.payload["import_key"] for p in batch.rows]) if look else {}
    keep = [p.payload["import_key"] not in present for p in batch.rows] if present else None
    created = batch_writes.write_prepared(batch.prepared, keep)
    ImportJob.objects.filter(pk=job.pk).update(
        processed_rows=F("processed_rows") + len(batch.rows) + batch.refused,
        created_rows=F("created_rows") + created,
        skipped_rows=F("skipped_rows") + sum(1 for owner in present.values() if owner != job.pk),
        batches_done=F("batches_done") + (1 if created else 0),
    )
    _after_batch_hook(job)


def _after_batch_hook(job) -> None:
    """Tests slow batches down here (crash test) through MAILLAGE_IMPORT_BATCH_DELAY; nothing in production."""
    delay = os.environ.get("MAILLAGE_IMPORT_BATCH_DELAY")
    if delay:
        import time

        time.sleep(float(delay))


def mark_started(job: ImportJob, *, user=None, request=None) -> None:
    """The job is queued; journaled (``import.started``) by whoever launched it, page, API or CLI."""
    with transaction.atomic():
        ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.QUEUED, message="")
        record_event(
            action="import.started",
            actor=user,
            workspace=job.workspace,
            target=job,
            details={"filename": job.filename, "entity": job.entity},
            request=request,
        )


def start(job: ImportJob, *, user=None, request=None) -> None:
    """Queue the job for ``maillage worker`` (the ``run_import`` task, written with the job's status and its
    ``import.started`` event: all or nothing). The web process never runs it itself; after a worker's crash the
    task is run again and resumes."""
    from maillage.exchange.tasks import run_import

    with transaction.atomic():
        mark_started(job, user=user, request=request)
        run_import.enqueue(job.pk)
