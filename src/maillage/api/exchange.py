"""API of the exchange area: imports from upload to report (the wizard's steps, the same actions as the pages),
undo, and exports of the workspace's lists.

An import through the API alone: ``POST /jobs`` (multipart: ``entity`` and ``file``) → ``GET /jobs/{id}/reading``
(detected encoding and separator, columns, sample values, fields and the columns guessed) → optionally
``PUT /jobs/{id}/reading`` (another encoding or separator) → ``PUT /jobs/{id}/mapping`` (the columns chosen: every
row is checked, nothing written) → ``GET /jobs/{id}`` (report, uncertain matches) → ``POST /jobs/{id}/start``
(decisions on uncertain matches) → ``GET /jobs/{id}`` until ``done``.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from ninja import Field, File, Router, Schema, Status, UploadedFile
from ninja import Form as FormField
from ninja.errors import HttpError

from maillage.api.auth import require_role
from maillage.core.roles import Role
from maillage.core.tenancy import get_visible_or_404
from maillage.exchange import actions, queries
from maillage.exchange.export import TABLES, table_response
from maillage.exchange.models import ImportJob
from maillage.exchange.readers import MAX_FILE_BYTES, FileRefused
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


class ProposalOut(Schema):
    row: int
    name: str = Field(description="le nom lu dans le fichier")
    id: int = Field(description="l'organisation de l'annuaire qui lui ressemble")
    label: str
    score: float


class ImportJobDetail(ImportJobOut):
    report: list[ReportLine]
    mapping: dict[str, str] = Field(description="colonne (son rang, à partir de 0, en texte) → champ")
    proposals: list[ProposalOut] = Field(
        default_factory=list,
        description="rapprochements incertains avec l'annuaire : à décider au lancement (decisions)",
    )
    new_rows: int | None = Field(None, description="vérifié, pas encore lancé : les lignes qui seront créées")
    can_start: bool = False


class UploadOut(ImportJobDetail):
    previous_done_at: datetime | None = Field(None, description="le même fichier a déjà été importé à cette date")
    mapping_reused: bool = Field(False, description="les colonnes choisies pour le même fichier ont été reprises")


class ColumnOut(Schema):
    index: int
    header: str
    chosen: str = Field(description="le champ choisi pour cette colonne, vide : ignorée")
    samples: list[str]


class FieldOut(Schema):
    name: str
    label: str
    required: bool


class ReadingOut(Schema):
    job_id: int
    encoding: str = Field(description="détecté ou choisi : utf-8-sig, cp1252 (vide pour un XLSX)")
    delimiter: str = Field(description="détecté ou choisi : ; , | ou tabulation (vide pour un XLSX)")
    chosen_encoding: str = Field(description="le choix de la personne, vide : détecté")
    chosen_delimiter: str = Field(description="le choix de la personne, vide : détecté")
    refused: str = Field(description="pourquoi les lignes ne se lisent pas : choisissez un autre séparateur")
    encodings: dict[str, str]
    delimiters: dict[str, str]
    columns: list[ColumnOut]
    fields: list[FieldOut]


class ReadingIn(Schema):
    encoding: str = Field("", max_length=16, description="utf-8-sig, cp1252 ou vide (détecté)")
    delimiter: str = Field("", max_length=1, description="; , | ou tabulation, ou vide (détecté)")


class MappingIn(Schema):
    mapping: dict[str, str] = Field(
        ..., max_length=500, description="colonne (son rang, à partir de 0, en texte) → nom du champ"
    )


class StartIn(Schema):
    decisions: dict[str, str] = Field(
        default_factory=dict,
        max_length=100000,
        description="ligne (en texte) → « new » pour créer l'organisation, sinon elle est liée à celle proposée",
    )


def _jobs(request):
    return ImportJob.objects.visible_to(request.workspace).defer("content")


def _job(request, job_id: int) -> ImportJob:
    return get_visible_or_404(_jobs(request), pk=job_id)


def _detail(job: ImportJob) -> dict:
    data = ImportJobOut.from_orm(job).dict()
    data["report"] = [{"row": r[0], "column": r[1], "value": str(r[2]), "message": r[3]} for r in job.report]
    data["mapping"] = dict(job.mapping)
    data["proposals"] = [
        {"row": p["row"], "name": p.get("name", ""), "id": p["id"], "label": p.get("label", ""), "score": p["score"]}
        for p in job.proposals
    ]
    data["new_rows"] = queries.new_rows(job)
    data["can_start"] = queries.can_start(job)
    return data


def _reading(job: ImportJob) -> ReadingOut:
    reading = queries.reading_of(job)
    return ReadingOut(
        job_id=job.pk,
        encoding=reading.encoding,
        delimiter=reading.delimiter,
        chosen_encoding=job.encoding,
        chosen_delimiter=job.delimiter,
        refused=reading.refused if reading.table is None else "",
        encodings=queries.ENCODING_NAMES,
        delimiters=queries.DELIMITER_NAMES,
        columns=[ColumnOut(**vars(c)) for c in reading.columns],
        fields=[FieldOut(name=f.name, label=f.label, required=f.required) for f in reading.fields],
    )


def _refused(exc: Exception, field: str = "file"):
    return ValidationError({field: [str(exc)]})


def _conflict(exc: actions.NotReady):
    return HttpError(409, " ".join(exc.messages))


@router.get("/jobs", response=list[ImportJobOut])
def list_jobs(request):
    return list(_jobs(request)[:100])


@router.post(
    "/jobs",
    response={201: UploadOut},
    summary="Déposer un fichier à importer",
    description="multipart/form-data : `entity` (organization, contact, alliance, contribution, interaction, "
    f"donation ou archive) et `file` (CSV, XLSX ou l'archive ZIP de Maillage ; {MAX_FILE_BYTES // 1024 // 1024} Mo "
    "au plus). Rien n'est écrit : le fichier est lu, ses colonnes devinées ; le même fichier déposé à nouveau "
    "reprend les colonnes choisies la fois précédente.",
)
def upload_job(
    request,
    entity: FormField[str] = "",
    file: File[UploadedFile] = None,  # type: ignore[assignment]  # optional: a missing file is refused in French
):
    require_role(request, Role.MEMBER)
    content = actions.upload_source(file)  # a large file: the temporary file's path, never read whole
    try:
        uploaded = actions.upload_import(
            workspace=request.workspace,
            user=request.user,
            entity=entity or "",
            filename=(file.name or "") if file is not None else "",
            content=content,
            size=file.size if file is not None else None,
        )
    except FileRefused as exc:
        raise _refused(exc, "entity" if str(exc).startswith("Contenu inconnu") else "file") from exc
    data = _detail(uploaded.job)
    data.update(previous_done_at=uploaded.previous_done_at, mapping_reused=uploaded.mapping_reused)
    return Status(201, data)


@router.get("/jobs/{job_id}", response=ImportJobDetail)
def get_job(request, job_id: int):
    return _detail(_job(request, job_id))


@router.get(
    "/jobs/{job_id}/reading",
    response=ReadingOut,
    summary="Comment le fichier est lu : encodage, séparateur, colonnes et champs",
)
def get_reading(request, job_id: int):
    job = _job(request, job_id)
    return _reading(ImportJob.objects.get(pk=job.pk))


@router.put(
    "/jobs/{job_id}/reading",
    response=ReadingOut,
    summary="Relire le fichier avec un autre encodage ou séparateur",
    description="Vide : détecté. Les colonnes sont devinées à nouveau et doivent être vérifiées à nouveau.",
)
def put_reading(request, job_id: int, payload: ReadingIn):
    require_role(request, Role.MEMBER)
    job = _job(request, job_id)
    try:
        job = actions.choose_reading(job=job, encoding=payload.encoding, delimiter=payload.delimiter)
    except actions.NotReady as exc:
        raise _conflict(exc) from exc
    except FileRefused as exc:
        raise _refused(exc) from exc
    return _reading(job)


@router.put(
    "/jobs/{job_id}/mapping",
    response=ImportJobDetail,
    summary="Choisir les colonnes, puis vérifier chaque ligne",
    description="Rien n'est écrit : le rapport (lignes refusées, avec la colonne et la raison), les comptes et "
    "les rapprochements incertains sont enregistrés sur l'import. Une correspondance fautive (colonne ou champ "
    "inconnu, champ choisi deux fois, champ obligatoire sans colonne) répond 422 avec la liste à corriger.",
)
def put_mapping(request, job_id: int, payload: MappingIn):
    require_role(request, Role.MEMBER)
    job = _job(request, job_id)
    try:
        job = actions.set_mapping(job=job, mapping=payload.mapping)
    except actions.NotReady as exc:
        raise _conflict(exc) from exc
    except FileRefused as exc:
        raise _refused(exc) from exc
    return _detail(job)


@router.post(
    "/jobs/{job_id}/start",
    response={202: ImportJobOut},
    summary="Lancer un import vérifié",
    description="Seul un import vérifié (ou échoué après avoir lu ses lignes, pour le reprendre) se lance ; "
    "sinon 409. Suivez sa progression par GET /jobs/{job_id}.",
)
def start_job(request, job_id: int, payload: StartIn):
    require_role(request, Role.MEMBER)
    job = _job(request, job_id)
    try:
        actions.start_import(job=job, user=request.user, decisions=payload.decisions, request=request)
    except actions.NotReady as exc:
        raise _conflict(exc) from exc
    job.refresh_from_db()
    return Status(202, job)


@router.post("/jobs/{job_id}/undo", response=ImportJobOut)
def undo_job(request, job_id: int):
    require_role(request, Role.MEMBER)
    job = _job(request, job_id)
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
