"""API of personal data (GDPR), for the workspace's admins and owners: find a person, export, erase."""

from __future__ import annotations

from datetime import date

from django.http import HttpResponse
from django.utils import timezone
from ninja import Router, Schema

from maillage.api.auth import require_role
from maillage.core.roles import Role
from maillage.privacy import actions, queries

router = Router(tags=["Données personnelles (RGPD)"])

Q_HELP = "q : nom ou adresse e-mail de la personne (3 à 200 caractères)."


class RowOut(Schema):
    id: int
    text: str
    held_until: date | None


class SourceOut(Schema):
    source: str
    label: str
    count: int
    refused: str
    hold_reason: str
    rows: list[RowOut]


class EraseIn(Schema):
    q: str
    confirm: bool = False


class EraseOut(Schema):
    erased: dict[str, int]
    held: dict[str, int]
    held_until: dict[str, str]
    refused: dict[str, str]


@router.get(
    "/people", response=list[SourceOut], summary="Tout ce que l'espace détient sur une personne", description=Q_HELP
)
def find(request, q: str = ""):
    require_role(request, Role.ADMIN)
    query = queries.clean_query(q)
    return [
        SourceOut(
            source=f.source.key,
            label=f.source.label,
            count=f.count,
            refused=f.source.refused,
            hold_reason=f.source.hold_reason,
            rows=[RowOut(id=r.pk, text=queries.describe(f.source, r), held_until=f.held.get(r.pk)) for r in f.rows],
        )
        for f in queries.find_person(request.workspace, query)
    ]


@router.get(
    "/export", response={200: None}, summary="Export des données d'une personne (ZIP : JSON et CSV)", description=Q_HELP
)
def export(request, q: str = ""):
    require_role(request, Role.ADMIN)
    content = actions.export_person(
        workspace=request.workspace, user=request.user, role=request.workspace_role, query=q, request=request
    )
    response = HttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="donnees-personnelles-{timezone.localdate():%Y-%m-%d}.zip"'
    return response


@router.post(
    "/erase",
    response=EraseOut,
    summary="Effacer ou anonymiser les données d'une personne",
    description=Q_HELP + " confirm doit valoir true. Les reçus fiscaux émis sont conservés jusqu'à la fin de leur "
    "durée légale (LPF art. L. 102 B) puis effacés par la purge quotidienne ; les comptes se suppriment par leur titulaire.",
)
def erase(request, payload: EraseIn):
    require_role(request, Role.ADMIN)
    if not payload.confirm:
        from django.core.exceptions import ValidationError

        raise ValidationError({"confirm": ["Confirmez l'effacement (confirm: true) : il est irréversible."]})
    result = actions.erase_person(
        workspace=request.workspace, user=request.user, role=request.workspace_role, query=payload.q, request=request
    )
    return EraseOut(**result)
