"""Pages of imports and exports: upload, map columns, check, run in the background, undo; download lists."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from maillage.audit.actions import record_event
from maillage.core.roles import Role, role_at_least
from maillage.core.tenancy import get_visible_or_404, workspace_required
from maillage.exchange import actions, queries
from maillage.exchange.archive import build_archive
from maillage.exchange.export import TABLES, table_response
from maillage.exchange.fields import FIELDS
from maillage.exchange.models import Entity, ImportJob
from maillage.exchange.readers import DELIMITER_NAMES, ENCODING_NAMES, MAX_FILE_BYTES, FileRefused
from maillage.exchange.sample_files import SAMPLES, SAMPLES_DIR
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


def _jobs(request):
    return queries.import_jobs(request.workspace)


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
    # A large file is read from the temporary file Django received it into, never whole into memory; a file too
    # large is not read at all: the action refuses it by its size.
    content = actions.upload_source(upload)
    try:
        uploaded = actions.upload_import(
            workspace=request.workspace,
            user=request.user,
            entity=request.POST.get("entity", ""),
            filename=upload.name if upload else "",
            content=content,
            size=upload.size if upload else None,
        )
    except FileRefused as exc:
        messages.error(request, f"Fichier refusé : {exc}")
        return redirect("web:exchange_home")
    job = uploaded.job
    if uploaded.previous_done_at:
        messages.warning(
            request,
            f"Ce fichier a déjà été importé le {timezone.localtime(uploaded.previous_done_at):%d/%m/%Y} : les lignes "
            "déjà enregistrées seront reconnues et ne seront pas dupliquées.",
        )
    if uploaded.mapping_reused:
        messages.info(request, "Les colonnes choisies lors du dépôt précédent de ce fichier ont été reprises.")
    if job.entity == Entity.ARCHIVE:
        return redirect("web:import_report", job_id=job.pk)
    return redirect("web:import_mapping", job_id=job.pk)


@workspace_required(Role.MEMBER)
def import_mapping(request, job_id):
    job = _job(request, job_id)
    if not queries.is_mappable(job):
        return redirect("web:import_report", job_id=job.pk)
    job = ImportJob.objects.defer("content").get(pk=job.pk)  # the file: read only to parse it again
    if request.method == "POST" and "reread" in request.POST:
        # The person's encoding and separator (empty: detected): read the file again, guess the columns again.
        encoding, delimiter = request.POST.get("encoding", ""), request.POST.get("delimiter", "")
        try:
            actions.choose_reading(
                job=job,
                encoding=encoding if encoding in ENCODING_NAMES else "",
                delimiter=delimiter if delimiter in DELIMITER_NAMES else "",
            )
        except FileRefused as exc:
            messages.error(request, str(exc))
        return redirect("web:import_mapping", job_id=job.pk)
    errors = []
    if request.method == "POST":
        valid = {f.name for f in FIELDS[job.entity]}
        reading = queries.reading_of(job)
        columns = len(reading.table.headers) if reading.table else 0
        mapping: dict[str, str] = {}
        for index in range(columns):
            chosen = request.POST.get(f"col-{index}", "")
            if chosen in valid:
                mapping.setdefault(str(index), chosen)
        try:
            actions.set_mapping(job=job, mapping=mapping)
        except ValidationError as exc:
            errors = exc.message_dict.get("mapping", exc.messages) if hasattr(exc, "error_dict") else exc.messages
            job.mapping = mapping  # shown again as chosen, not saved
        except FileRefused:
            pass  # shown below with the choice of separator and encoding
        else:
            return redirect("web:import_report", job_id=job.pk)
    reading = queries.reading_of(job)
    context = {
        "encodings": list(ENCODING_NAMES.items()),
        "delimiters": list(DELIMITER_NAMES.items()),
        "refused": reading.refused if reading.table is None else "",
    }
    if reading.table is None:  # rows that do not fit the header: the person chooses the separator or the encoding
        return render(request, "web/exchange/mapping.html", {"job": job, "columns": [], "reading": context})
    table = reading.table
    return render(
        request,
        "web/exchange/mapping.html",
        {
            "job": job,
            "columns": [vars(c) for c in reading.columns],
            "fields": reading.fields,
            "errors": errors,
            "table": table,
            "encoding": ENCODINGS.get(table.encoding, table.encoding),
            "delimiter": DELIMITERS.get(table.delimiter, table.delimiter),
            "reading": context,
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
            "new_rows": queries.new_rows(job),
        },
    )


@workspace_required(Role.MEMBER)
@require_POST
def import_start(request, job_id):
    job = _job(request, job_id)
    decisions = {str(p["row"]): request.POST.get(f"match-{p['row']}", "match") for p in job.proposals}
    try:
        actions.start_import(job=job, user=request.user, decisions=decisions, request=request)
    except actions.NotReady as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("web:import_report", job_id=job.pk)
    messages.success(request, "Import lancé : suivez sa progression ci-dessous.")
    return redirect("web:import_report", job_id=job.pk)


@workspace_required(Role.VIEWER)
def import_progress(request, job_id):
    job = _job(request, job_id)
    return render(request, "web/exchange/_progress.html", {"job": job})


@workspace_required(Role.VIEWER)
def import_report_csv(request, job_id):
    job = _job(request, job_id)
    from maillage.core.spreadsheets import csv_response

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
