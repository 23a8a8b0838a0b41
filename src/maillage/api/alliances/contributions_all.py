"""Contributions across all the alliances of my workspace, mounted at /api/v1/contributions (its own router; the
contributions of one alliance are in ``contributions.py`` beside it).

A contribution is seen through its alliance: only by the workspaces of the alliance's active parties (others: 404).
Recording one is done under its alliance (POST /api/v1/alliances/{id}/contributions).
"""

from __future__ import annotations

from datetime import date

from django.http import Http404
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from maillage.api.alliances.common import AMOUNT_DOC, MAX_ID, Amount, Text, paginate
from maillage.api.alliances.contributions import (
    ContributionOut,
    ContributionPage,
    CounterpartOut,
    contribution_out,
    filter_contributions,
    with_details,
)
from maillage.api.auth import require_role
from maillage.contributions import actions
from maillage.contributions.models import Contribution
from maillage.core.tenancy import get_visible_or_404

router = Router(tags=["Contributions"])


class ReceivedIn(Schema):
    received_on: date = Field(description="date de réception (passée ou du jour)")


class CounterpartIn(Schema):
    description: Text = Field(..., max_length=300)
    value: Amount


def visible_contribution(request, contribution_id: int) -> Contribution:
    if not 1 <= contribution_id <= MAX_ID:
        raise Http404("Contribution introuvable.")
    return get_visible_or_404(with_details(Contribution.objects.visible_to(request.workspace)), pk=contribution_id)


@router.get(
    "",
    response=ContributionPage,
    summary="Les contributions de toutes mes alliances",
    description="Filtres : kind, status, alliance (identifiant), direction (given : données par mon organisation ; "
    "received : reçues par elle), since et until (date de réception, ou de promesse à défaut). Pagination : page, "
    "page_size (100 au plus). " + AMOUNT_DOC,
)
def list_contributions(
    request,
    kind: str = "",
    status: str = "",
    alliance: int | None = None,
    direction: str = "",
    since: date | None = None,
    until: date | None = None,
    page: int = 1,
    page_size: int = 20,
):
    queryset = filter_contributions(Contribution.objects.visible_to(request.workspace), kind, status)
    if alliance is not None:
        queryset = queryset.filter(alliance_id=alliance if 1 <= alliance <= MAX_ID else 0)
    mine = request.workspace.organization_id
    if direction == "given":
        queryset = queryset.filter(giver__organization_id=mine)
    elif direction == "received":
        queryset = queryset.filter(receiver__organization_id=mine)
    elif direction:
        raise HttpError(422, "direction : valeur inconnue ; valeurs possibles : given, received.")
    if since is not None:
        queryset = queryset.exclude(received_on__lt=since).exclude(received_on__isnull=True, promised_on__lt=since)
    if until is not None:
        queryset = queryset.exclude(received_on__gt=until).exclude(received_on__isnull=True, promised_on__gt=until)
    rows, counters = paginate(with_details(queryset), page, page_size)
    return ContributionPage(items=[contribution_out(c) for c in rows], **counters)


@router.get("/{int:contribution_id}", response=ContributionOut, summary="Une contribution")
def get_contribution(request, contribution_id: int):
    return contribution_out(visible_contribution(request, contribution_id))


class CorrectionIn(Schema):
    description: Text | None = Field(None, max_length=500)
    value: Amount | None = Field(None, description=AMOUNT_DOC + " Dons financiers, en nature, prestations.")
    evidence: Text | None = Field(None, max_length=2000)
    promised_on: date | None = None
    received_on: date | None = None
    signed_timesheet: bool | None = Field(None, description="compétences : la liste des jours signée est arrivée")
    hours: Amount | None = Field(None, description="bénévolat")
    hourly_rate: Amount | None = Field(None, description="bénévolat")
    reason: Text = Field("", max_length=500, description="pourquoi cette correction (gardé dans l'historique)")


@router.patch(
    "/{int:contribution_id}",
    response=ContributionOut,
    summary="Corriger une contribution (seuls les champs envoyés changent ; l'historique garde avant et après)",
    description="Par l'espace qui l'a enregistrée (403 sinon) ; 422 si un reçu fiscal actif la couvre : "
    "l'association l'annule d'abord.",
)
def correct_contribution(request, contribution_id: int, payload: CorrectionIn):
    contribution = visible_contribution(request, contribution_id)
    require_role(request)
    changes = payload.dict(exclude_unset=True)
    reason = changes.pop("reason", "")
    actions.correct_contribution(
        contribution=contribution, workspace=request.workspace, user=request.user, changes=changes, reason=reason
    )
    return contribution_out(visible_contribution(request, contribution_id))


@router.post(
    "/{int:contribution_id}/received",
    response=ContributionOut,
    summary="Marquer une contribution promise comme reçue",
)
def mark_received(request, contribution_id: int, payload: ReceivedIn):
    contribution = visible_contribution(request, contribution_id)
    require_role(request)
    actions.mark_received(
        contribution=contribution, workspace=request.workspace, user=request.user, received_on=payload.received_on
    )
    return contribution_out(visible_contribution(request, contribution_id))


@router.post(
    "/{int:contribution_id}/counterparts",
    response={201: CounterpartOut},
    summary="Ajouter une contrepartie",
    description="Ce que la partie bénéficiaire donne en retour, valorisé ; au-delà de 25 % de la valeur d'un don, "
    "la contribution est signalée comme parrainage (is_sponsoring). " + AMOUNT_DOC,
)
def add_counterpart(request, contribution_id: int, payload: CounterpartIn):
    contribution = visible_contribution(request, contribution_id)
    require_role(request)
    counterpart = actions.add_counterpart(
        contribution=contribution,
        workspace=request.workspace,
        user=request.user,
        description=payload.description,
        value=payload.value,
    )
    return Status(201, CounterpartOut(id=counterpart.pk, description=counterpart.description, value=counterpart.value))
