"""API of the exchange area: import jobs (read, undo) and exports of the workspace's lists."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from ninja import Router, Schema
from ninja.errors import HttpError

from maillage.api.auth import require_role
from maillage.core.roles import Role
from maillage.core.tenancy import get_visible_or_404
from maillage.exchange.export import TABLES, table_response
from maillage.exchange.models import ImportJob
from maillage.exchange.undo import undo_import

router = Router(tags=["Import et export"])


class ImportJobOut(Schema):
    id: int
    entity: str
    filename: str
    status: str
    total_rows: int
    processed_rows: int
    accepted_rows: int
    rejected_rows: int
    created_rows: int
    skipped_rows: int
    matched_rows: int  # already in the directory: linked to the existing organisation, not created
    batches_done: int
    batches_total: int
    percent: int
    message: str
    created_at: datetime


class ReportLine(Schema):
    row: int | str
    column: str
    value: str
    message: str


class ImportJobDetail(ImportJobOut):
    report: list[ReportLine]


def _jobs(request):
    return ImportJob.objects.visible_to(request.workspace).defer("content")


def _detail(job: ImportJob) -> dict:
    data = ImportJobOut.from_orm(job).dict()
    data["report"] = [{"row": r[0], "column": r[1], "value": str(r[2]), "message": r[3]} for r in job.report]
    return data


@router.get("/jobs", response=list[ImportJobOut])
def list_jobs(request):
    return list(_jobs(request)[:100])


@router.get("/jobs/{job_id}", response=ImportJobDetail)
def get_job(request, job_id: int):
    return _detail(get_visible_or_404(_jobs(request), pk=job_id))


@router.post("/jobs/{job_id}/undo", response=ImportJobOut)
def undo_job(request, job_id: int):
    require_role(request, Role.MEMBER)
    job = get_visible_or_404(_jobs(request), pk=job_id)
    try:
        undo_import(job=job, user=request.user, request=request)
    except ValidationError as exc:
        raise HttpError(409, " ".join(exc.messages)) from exc
    job.refresh_from_db()
    return job


@router.get("/export/{table}", response={200: None})
def export(request, table: str, format: str = "csv"):
    """A list of the workspace as CSV (default) or XLSX: organisations, contacts, alliances, parties,
    contributions, echanges."""
    if table not in TABLES or format not in {"csv", "xlsx"}:
        raise HttpError(404, f"Liste inconnue : {', '.join(TABLES)} ; format csv ou xlsx.")
    return table_response(TABLES[table], request.workspace, format, user=request.user, request=request)
