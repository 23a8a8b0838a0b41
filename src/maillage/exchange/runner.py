"""Validating, running and undoing an import job.

The write is done in batches of ``BATCH_SIZE`` rows (``BULK_BATCH_SIZE`` for contributions), each in one
transaction that also records the rows it created and the job's progress: a crash leaves whole batches only, and
a re-run skips every row whose natural key is already recorded (read once, before the batches). A contribution
carries its job and key itself (decision 0005); the other rows are recorded in ``ImportedRow``. Each batch first
takes the workspace's import lock (a row lock on PostgreSQL, the write lock of an IMMEDIATE transaction on
SQLite). If another import recorded some of the same rows meanwhile, the unique natural key refuses the batch as
a whole; it is then written again after a second look at the recorded keys, under the lock: two imports of the
same rows at once cannot both write them.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from maillage.exchange import bulk
from maillage.exchange.fields import label_of
from maillage.exchange.models import Entity, ImportedRow, ImportJob, JobStatus
from maillage.exchange.readers import FileRefused, read_table
from maillage.exchange.rows import IMPORTERS, Context, Planned, RowError, natural_key

logger = logging.getLogger(__name__)
BATCH_SIZE = 1000  # rows per transaction through the domain actions
BULK_BATCH_SIZE = 5000  # contributions (bulk path): fewer commits, each still all-or-nothing


def batch_size(entity: str) -> int:
    """Rows per batch; ``MAILLAGE_IMPORT_BATCH_SIZE`` overrides it (the crash test uses small batches)."""
    override = os.environ.get("MAILLAGE_IMPORT_BATCH_SIZE", "")
    if override.isdigit() and int(override) > 0:
        return int(override)
    return BULK_BATCH_SIZE if entity == Entity.CONTRIBUTION else BATCH_SIZE


PREVIEW_ROWS = 10


class Rollback(Exception):
    pass


@dataclass
class Plan:
    rows: list[Planned] = field(default_factory=list)
    report: list[list] = field(default_factory=list)  # [row, column, value, message]
    total: int = 0


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


def build_plan(job: ImportJob, ctx: Context) -> Plan:
    table = read_table(bytes(job.content))
    importer = IMPORTERS[job.entity]
    plan = Plan()
    seen: Counter = Counter()
    first_row: dict[str, int] = {}
    width = len(table.headers)  # every row has exactly this many cells
    columns = [(int(i), name) for i, name in job.mapping.items() if int(i) < width]
    entity, repeatable, plan_row, accepted = job.entity, importer.repeatable, importer.plan, plan.rows.append
    for index, cells in enumerate(table.rows):
        number = index + 2
        if not any(cells):
            continue
        plan.total += 1
        try:
            base, payload, preview, proposal = plan_row({name: cells[i] for i, name in columns}, ctx)
        except RowError as exc:
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
                plan.report.append([number, "", "", f"Doublon de la ligne {first_row[base]} : ignorée."])
                continue
            occurrence = 0
            first_row[base] = number
        accepted(Planned(number, base, payload, natural_key(entity, base, occurrence), preview, proposal))
    return plan


def _context(job: ImportJob) -> Context:
    return Context(job.workspace, job.created_by, decisions=job.decisions)


def _errors_to_report(job, headers, planned: Planned, exc: ValidationError) -> list[list]:
    messages = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
    return [[planned.row, label_of(job.entity, f) if f else "", "", m] for f, ms in messages.items() for m in ms]


def validate(job: ImportJob) -> Plan:
    """Check every row without writing anything: the report and counts are saved on the job."""
    if job.entity == Entity.ARCHIVE:
        from maillage.exchange.archive import validate_archive

        return validate_archive(job)
    ctx = _context(job)
    try:
        plan = build_plan(job, ctx)
    except FileRefused as exc:
        job.status, job.message = JobStatus.FAILED, str(exc)
        job.save(update_fields=["status", "message"])
        return Plan()
    importer = IMPORTERS[job.entity]
    if importer.dry_run_actions and plan.rows:
        kept = []
        try:
            with transaction.atomic():
                for planned in plan.rows:
                    try:
                        with transaction.atomic():
                            importer.execute(dict(planned.payload), ctx, planned.row)
                        kept.append(planned)
                    except ValidationError as exc:
                        plan.report += _errors_to_report(job, [], planned, exc)
                raise Rollback
        except Rollback:
            pass
        plan.rows = kept
    plan.report.sort(key=lambda r: r[0] if isinstance(r[0], int) else 0)
    job.report = plan.report
    job.preview = [{"row": p.row, **p.preview} for p in plan.rows[:PREVIEW_ROWS]]
    job.proposals = [{"row": p.row, "name": p.payload["data"]["name"], **p.proposal} for p in plan.rows if p.proposal]
    job.total_rows = plan.total
    job.accepted_rows = len(plan.rows)
    job.rejected_rows = len({r[0] for r in plan.report})
    # A forecast for the check page (the file, or part of it, was imported before); the run counts again.
    job.skipped_rows = len(recorded_keys(job, [p.key for p in plan.rows])) if plan.rows else 0
    job.status = JobStatus.VALIDATED
    job.message = ""
    job.save(
        update_fields=[
            "report",
            "preview",
            "proposals",
            "total_rows",
            "accepted_rows",
            "rejected_rows",
            "skipped_rows",
            "status",
            "message",
        ]
    )
    return plan


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
            from maillage.exchange.archive import run_archive

            run_archive(job)
        else:
            _run_rows(job)
    except _BatchRefused as exc:
        ImportJob.objects.filter(pk=job.pk).update(
            status=JobStatus.FAILED, message=str(exc), finished_at=timezone.now()
        )
    except FileRefused as exc:
        ImportJob.objects.filter(pk=job.pk).update(
            status=JobStatus.FAILED, message=str(exc), finished_at=timezone.now()
        )
    except Exception:
        logger.exception("import %s failed", job.pk)
        done = ImportJob.objects.get(pk=job.pk).batches_done
        ImportJob.objects.filter(pk=job.pk).update(
            status=JobStatus.FAILED,
            finished_at=timezone.now(),
            message=f"Erreur inattendue pendant l'import : {done} lot(s) enregistré(s), les autres non. "
            "Relancez l'import : les lignes déjà enregistrées ne seront pas dupliquées.",
        )
    job.refresh_from_db()
    return job


class _BatchRefused(Exception):
    pass


def _run_rows(job: ImportJob) -> None:
    ctx = _context(job)
    plan = build_plan(job, ctx)
    importer = IMPORTERS[job.entity]
    already = recorded_keys(job, [p.key for p in plan.rows])
    todo = [p for p in plan.rows if p.key not in already] if already else plan.rows
    size = batch_size(job.entity)
    batches = [todo[i : i + size] for i in range(0, len(todo), size)]
    # Rows written by this job before it was stopped: every contribution it wrote is one it created (counted in
    # the batches' transactions); the other rows are recorded, created or matched.
    ours = job.created_rows if job.entity == Entity.CONTRIBUTION else ImportedRow.objects.filter(job=job).count()
    ImportJob.objects.filter(pk=job.pk).update(
        total_rows=plan.total,
        processed_rows=len(already) + len({r[0] for r in plan.report}),
        skipped_rows=len(already) - ours,
        batches_total=job.batches_done + len(batches),
    )
    for batch in batches:
        try:
            try:
                with transaction.atomic():
                    _write_batch(job, ctx, importer, batch, recheck=False)
            except IntegrityError:
                # Another import recorded some of these rows since ``already`` was read (the unique natural
                # key refused them): nothing of the batch landed; look again under the lock, then write the rest.
                with transaction.atomic():
                    _write_batch(job, ctx, importer, batch, recheck=True)
        except (ValidationError, IntegrityError) as exc:
            landed = ImportJob.objects.get(pk=job.pk).batches_done
            detail = ""
            if isinstance(exc, ValidationError):
                detail = " ; ".join(exc.messages[:3])
            raise _BatchRefused(
                f"{landed} lot(s) de {size} lignes au plus enregistré(s) ; le lot suivant "
                f"(lignes {batch[0].row} à {batch[-1].row}) a été refusé en entier : {detail or 'conflit en base'}. "
                "Rien de ce lot n'est enregistré ; corrigez le fichier puis relancez l'import."
            ) from exc
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.DONE, finished_at=timezone.now(), message="")


def recorded_keys(job: ImportJob, keys: list[str]) -> set[str]:
    """Those of ``keys`` already imported into the job's workspace (by any import of the same entity)."""
    if job.entity == Entity.CONTRIBUTION:
        return _recorded_contributions(job, keys)
    found: set[str] = set()
    if connection.vendor == "postgresql":  # one text parameter (hex keys, no comma), not thousands of placeholders
        with connection.cursor() as cursor:
            for start in range(0, len(keys), 50_000):
                cursor.execute(
                    "SELECT natural_key FROM exchange_importedrow WHERE workspace_id = %s AND entity = %s"
                    " AND natural_key = ANY(string_to_array(%s, ','))",
                    [job.workspace_id, job.entity, ",".join(keys[start : start + 50_000])],
                )
                found.update(r[0] for r in cursor.fetchall())
        return found
    for start in range(0, len(keys), 900):
        found.update(
            ImportedRow.objects.filter(
                workspace_id=job.workspace_id, entity=job.entity, natural_key__in=keys[start : start + 900]
            ).values_list("natural_key", flat=True)
        )
    return found


def _recorded_contributions(job: ImportJob, keys: list[str]) -> set[str]:
    """The same for contributions, whose key is on the row itself (:func:`bulk.contribution_key`)."""
    by_short = {bulk.contribution_key(job.workspace_id, k): k for k in keys}
    shorts = list(by_short)
    found: set[str] = set()
    step = 50_000 if connection.vendor == "postgresql" else 900
    sql = "SELECT import_key FROM contributions_contribution WHERE import_key "
    with connection.cursor() as cursor:
        for start in range(0, len(shorts), step):
            chunk = shorts[start : start + step]
            if connection.vendor == "postgresql":  # one array parameter, not thousands of placeholders
                cursor.execute(sql + "= ANY(%s::uuid[])", [chunk])
            else:
                cursor.execute(sql + f"IN ({', '.join(['%s'] * len(chunk))})", chunk)
            found.update(by_short[str(r[0]).replace("-", "")] for r in cursor.fetchall())
    return found


def _write_batch(job: ImportJob, ctx: Context, importer, batch: list[Planned], *, recheck: bool) -> None:
    _lock_workspace(job)
    present = recorded_keys(job, [p.key for p in batch]) if recheck else set()
    fresh = [p for p in batch if p.key not in present] if present else batch
    # ImportedRow columns: job, workspace, entity, natural_key, row_number, model, object_id, created.
    head = (job.pk, job.workspace_id, job.entity)
    if job.entity == Entity.CONTRIBUTION:  # each row carries its job and key: no record of its own
        for p in fresh:
            p.payload["import_job_id"], p.payload["import_key"] = job.pk, bulk.contribution_key(job.workspace_id, p.key)
        created_count = len(
            bulk.write_contributions([p.payload for p in fresh], workspace=ctx.workspace, user=ctx.user)
        )
    else:
        records = [
            (*head, p.key, p.row, model, pk, was_created)
            for p in fresh
            for model, pk, was_created in importer.execute(dict(p.payload), ctx, p.row)
        ]
        bulk.write_records(records)
        created_count = sum(1 for r in records if r[-1])
    ImportJob.objects.filter(pk=job.pk).update(
        processed_rows=F("processed_rows") + len(batch),
        created_rows=F("created_rows") + created_count,
        skipped_rows=F("skipped_rows") + len(batch) - len(fresh),
        batches_done=F("batches_done") + 1,
    )
    _after_batch_hook(job)


def _after_batch_hook(job) -> None:
    """Tests slow batches down here (crash test) through MAILLAGE_IMPORT_BATCH_DELAY; nothing in production."""
    delay = os.environ.get("MAILLAGE_IMPORT_BATCH_DELAY")
    if delay:
        import time

        time.sleep(float(delay))


def _default_mode() -> str:
    """A subprocess, except on a test database that another process cannot reach (in memory, or a test copy)."""
    name = str(connection.settings_dict.get("NAME") or "")
    if "mode=memory" in name or name == ":memory:" or name.startswith("test_"):
        return "inline"
    return "subprocess"


def start(job: ImportJob) -> None:
    """Run the job in the background: a ``maillage import`` subprocess (default) or a thread."""
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.QUEUED, message="")
    mode = getattr(settings, "EXCHANGE_RUNNER", "") or _default_mode()
    if mode == "inline":
        run(job.pk)
    elif mode == "thread":

        def target():
            from django.db import close_old_connections

            try:
                run(job.pk)
            finally:
                close_old_connections()

        threading.Thread(target=target, daemon=True, name=f"import-{job.pk}").start()
    else:
        subprocess.Popen(  # noqa: S603 (our own command, a job id)
            [sys.executable, "-m", "maillage.cli", "import", str(job.pk)],
            env=os.environ.copy(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
