"""Pages of imports and exports: upload, map columns, check, run in the background, undo; download lists."""

from __future__ import annotations

from pathlib import Path

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

import maillage.demo
from maillage.audit.actions import record_event
from maillage.core.roles import Role, role_at_least
from maillage.core.tenancy import get_visible_or_404, workspace_required
from maillage.exchange import runner
from maillage.exchange.archive import build_archive
from maillage.exchange.export import TABLES, table_response
from maillage.exchange.fields import FIELDS, missing_required
from maillage.exchange.jobs import create_job, read_again
from maillage.exchange.models import Entity, ImportJob, JobStatus
from maillage.exchange.parsed import load
from maillage.exchange.readers import DELIMITER_NAMES, ENCODING_NAMES, MAX_FILE_BYTES, FileRefused
from maillage.exchange.undo import undo_import

JOBS_SHOWN = 20
ENCODINGS = {"utf-8-sig": "UTF-8", "cp1252": "Windows-1252"}
DELIMITERS = {"\t": "tabulation"}
PREVIEW_LABELS = {"row": "Ligne"}  # the preview's keys are French labels, except the row number
# PostgreSQL's jsonb does not keep the order of the preview's keys: the columns are shown in this order.
PREVIEW_ORDER = {
    key: i
    for i, key in enumerate(
        ["row", "Alliance", "Organisation", "Nom", "Type", "Commune", "Annuaire", "Fonction", "E-mail"]
        + ["Formes", "Partenaires", "De", "À", "Nature", "Valeur (€)", "Statut", "Date", "Durée"]
    )
}
# Files to try the import with on the demo data, offered on the page: file name → what it holds.
SAMPLES_DIR = Path(maillage.demo.__file__).parent / "samples"
SAMPLES = {"contributions-demo.csv": Entity.CONTRIBUTION}


def _jobs(request):
    return ImportJob.objects.visible_to(request.workspace).defer("content", "parsed")


def _job(request, job_id):
    return get_visible_or_404(_jobs(request), pk=job_id)


@workspace_required(Role.VIEWER)
def exchange_home(request):
    return render(
        request,
        "web/exchange/home.html",
        {
            "jobs": list(_jobs(request).select_related("created_by")[:JOBS_SHOWN]),
            "entities": Entity.choices,
            "tables": TABLES.values(),
            "can_import": role_at_least(request.workspace_role, Role.MEMBER),
            "max_mb": MAX_FILE_BYTES // 1024 // 1024,
            "samples": [(name, Entity(entity).label) for name, entity in SAMPLES.items()],
        },
    )


@workspace_required(Role.VIEWER)
def exchange_sample(request, name):
    if name not in SAMPLES:
        raise Http404("Fichier d'exemple inconnu.")
    return FileResponse((SAMPLES_DIR / name).open("rb"), as_attachment=True, filename=name, content_type="text/csv")


@workspace_required(Role.MEMBER)
@require_POST
def import_upload(request):
    upload = request.FILES.get("file")
    entity = request.POST.get("entity", "")
    error = None
    if upload is None:
        error = "Choisissez un fichier à importer (CSV, XLSX ou archive ZIP de Maillage)."
    elif upload.size > MAX_FILE_BYTES:
        error = f"Le fichier pèse {upload.size / 1024 / 1024:.1f} Mo ; {MAX_FILE_BYTES // 1024 // 1024} Mo au plus."
    else:
        try:
            job = create_job(
                workspace=request.workspace,
                user=request.user,
                entity=entity,
                filename=upload.name,
                content=upload.read(),
            )
        except FileRefused as exc:
            error = str(exc)
    if error:
        messages.error(request, f"Fichier refusé : {error}")
        return redirect("web:exchange_home")
    same_file = _jobs(request).filter(content_hash=job.content_hash, entity=job.entity).exclude(pk=job.pk)
    previous = same_file.filter(status=JobStatus.DONE).first()
    if previous:
        messages.warning(
            request,
            f"Ce fichier a déjà été importé le {timezone.localtime(previous.finished_at):%d/%m/%Y} : les lignes "
            "déjà enregistrées seront reconnues et ne seront pas dupliquées.",
        )
    # The same file again: offer the columns chosen last time (the natural keys, hence idempotency, depend on them).
    checked = same_file.exclude(status=JobStatus.UPLOADED).only("mapping").first()
    if checked and checked.mapping != job.mapping:
        job.mapping = checked.mapping
        job.save(update_fields=["mapping"])
        messages.info(request, "Les colonnes choisies lors du dépôt précédent de ce fichier ont été reprises.")
    if job.entity == Entity.ARCHIVE:
        runner.validate(job)
        return redirect("web:import_report", job_id=job.pk)
    return redirect("web:import_mapping", job_id=job.pk)


@workspace_required(Role.MEMBER)
def import_mapping(request, job_id):
    job = _job(request, job_id)
    if job.entity == Entity.ARCHIVE or job.status not in {JobStatus.UPLOADED, JobStatus.VALIDATED}:
        return redirect("web:import_report", job_id=job.pk)
    job = ImportJob.objects.get(pk=job.pk)
    if request.method == "POST" and "reread" in request.POST:
        # The person's encoding and separator (empty: detected): read the file again, guess the columns again.
        encoding, delimiter = request.POST.get("encoding", ""), request.POST.get("delimiter", "")
        try:
            read_again(
                job,
                encoding=encoding if encoding in ENCODING_NAMES else "",
                delimiter=delimiter if delimiter in DELIMITER_NAMES else "",
            )
        except FileRefused as exc:
            messages.error(request, str(exc))
        return redirect("web:import_mapping", job_id=job.pk)
    table = None
    if job.parsed is not None or not job.message:
        try:
            table = load(job)
        except FileRefused as exc:
            job.message = str(exc)
    reading = {
        "encodings": list(ENCODING_NAMES.items()),
        "delimiters": list(DELIMITER_NAMES.items()),
        "refused": job.message if table is None else "",
    }
    if table is None:  # rows that do not fit the header: the person chooses the separator or the encoding
        return render(request, "web/exchange/mapping.html", {"job": job, "columns": [], "reading": reading})
    fields = FIELDS[job.entity]
    errors = []
    if request.method == "POST":
        valid = {f.name for f in fields}
        mapping = {}
        for index in range(len(table.headers)):
            chosen = request.POST.get(f"col-{index}", "")
            if chosen in valid:
                if chosen in mapping.values():
                    errors.append(
                        f"Le champ « {next(f.label for f in fields if f.name == chosen)} » est choisi deux fois."
                    )
                mapping[str(index)] = chosen
        missing = missing_required(job.entity, mapping)
        errors += [f"Choisissez la colonne du champ obligatoire « {f.label} »." for f in missing]
        job.mapping = mapping
        if not errors:
            job.save(update_fields=["mapping"])
            runner.validate(job)
            return redirect("web:import_report", job_id=job.pk)
    columns = [
        {
            "index": i,
            "header": h,
            "chosen": job.mapping.get(str(i), ""),
            "samples": [r[i] for r in table.rows[:3] if i < len(r)],
        }
        for i, h in enumerate(table.headers)
    ]
    return render(
        request,
        "web/exchange/mapping.html",
        {
            "job": job,
            "columns": columns,
            "fields": fields,
            "errors": errors,
            "table": table,
            "encoding": ENCODINGS.get(table.encoding, table.encoding),
            "delimiter": DELIMITERS.get(table.delimiter, table.delimiter),
            "reading": reading,
        },
    )


@workspace_required(Role.VIEWER)
def import_report(request, job_id):
    job = _job(request, job_id)
    keys = sorted(job.preview[0], key=lambda k: PREVIEW_ORDER.get(k, len(PREVIEW_ORDER))) if job.preview else []
    return render(
        request,
        "web/exchange/report.html",
        {
            "job": job,
            "preview_headers": [PREVIEW_LABELS.get(key, key) for key in keys],
            "preview_rows": [[row.get(key, "") for key in keys] for row in job.preview],
            "can_import": role_at_least(request.workspace_role, Role.MEMBER),
            "report_head": job.report[:200],
            # Checked, not yet run: the accepted rows not imported before (the others will be skipped).
            "new_rows": job.accepted_rows - job.skipped_rows if job.status == JobStatus.VALIDATED else None,
        },
    )


@workspace_required(Role.MEMBER)
@require_POST
def import_start(request, job_id):
    job = _job(request, job_id)
    if job.status not in {JobStatus.VALIDATED, JobStatus.FAILED} or (
        job.status == JobStatus.FAILED and not job.total_rows
    ):
        messages.error(request, "Cet import ne peut pas être lancé dans son état actuel.")
        return redirect("web:import_report", job_id=job.pk)
    decisions = {}
    for proposal in job.proposals:
        choice = request.POST.get(f"match-{proposal['row']}", "match")
        decisions[str(proposal["row"])] = "new" if choice == "new" else "match"
    job.decisions = decisions
    job.save(update_fields=["decisions"])
    runner.start(job, user=request.user, request=request)
    messages.success(request, "Import lancé : suivez sa progression ci-dessous.")
    return redirect("web:import_report", job_id=job.pk)


@workspace_required(Role.VIEWER)
def import_progress(request, job_id):
    job = _job(request, job_id)
    return render(request, "web/exchange/_progress.html", {"job": job})


@workspace_required(Role.VIEWER)
def import_report_csv(request, job_id):
    job = _job(request, job_id)
    from maillage.core.export import csv_response

    rows = [[r[0], r[1], r[2], r[3]] for r in job.report]
    record_event(
        action="export.downloaded",
        actor=request.user,
        workspace=request.workspace,
        target=job,
        details={"table": "rapport-import", "format": "csv", "rows": len(rows)},
        request=request,
    )
    return csv_response(f"rapport-import-{job.pk}", ["ligne", "colonne", "valeur", "problème"], rows)


@workspace_required(Role.MEMBER)
@require_POST
def import_undo(request, job_id):
    job = _job(request, job_id)
    if not request.POST.get("confirm"):
        messages.error(request, "Cochez « Je confirme la suppression » pour annuler l'import : rien n'a été supprimé.")
        return redirect("web:import_report", job_id=job.pk)
    try:
        count = undo_import(job=job, user=request.user, request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Import annulé : {count} ligne(s) supprimée(s).")
    return redirect("web:import_report", job_id=job.pk)


@workspace_required(Role.VIEWER)
def export_table(request, table, file_format):
    if table not in TABLES or file_format not in {"csv", "xlsx"}:
        raise Http404("Liste inconnue.")
    return table_response(TABLES[table], request.workspace, file_format, user=request.user, request=request)


@workspace_required(Role.VIEWER)
def export_archive(request):
    content = build_archive(request.workspace, user=request.user, request=request)
    response = HttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="maillage-espace-{request.workspace.pk}.zip"'
    return response
