"""The start page « À faire »: what waits for the workspace today, with the dashboard's key figures.

The landing page after login (``LOGIN_REDIRECT_URL``). Each block is one bounded read of its area: agreements to
renew within 30 days, relationships going cold, evaluations to answer (open, the workspace's party has not
submitted), to close, or to send (a twelve-month period of an alliance it leads ended without one), received gifts without a receipt (receiving side), alliance invitations and join requests
waiting, proposals waiting for the lead's answer.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Exists, OuterRef
from django.shortcuts import render
from django.utils import timezone

from maillage.alliances import queries
from maillage.alliances.actions import RENEWAL_NOTICE_DAYS, pending_invitations_for
from maillage.alliances.models import Agreement, Proposal
from maillage.contributions import overview
from maillage.contributions.models import GIFT_KINDS, Contribution, Status
from maillage.contributions.queries import given_by, is_giver_side, own_parties
from maillage.core.roles import Role, role_at_least
from maillage.core.tenancy import workspace_required
from maillage.evaluation.models import Evaluation, EvaluationStatus, Response
from maillage.evaluation.queries import periods_to_send
from maillage.receipts.queries import has_active_receipt
from maillage.workspaces.models import JoinRequest, JoinStatus

LIMIT = 10


@workspace_required(Role.VIEWER)
def todo(request):
    workspace = request.workspace
    today = timezone.localdate()
    alliances = queries.visible_alliances(workspace)
    parties = own_parties(workspace)
    renewals = list(
        Agreement.objects.filter(
            alliance__in=alliances,
            renewal_on__gte=today,
            renewal_on__lte=today + timedelta(days=RENEWAL_NOTICE_DAYS),
        )
        .select_related("alliance")
        .order_by("renewal_on")[:LIMIT]
    )
    days = queries.cold_after_days(workspace)
    cold = queries.cold_list(workspace, days=days, limit=LIMIT)
    open_evaluations = Evaluation.objects.visible_to(workspace).filter(status=EvaluationStatus.OPEN)
    to_answer = list(
        open_evaluations.exclude(
            Exists(Response.objects.filter(evaluation=OuterRef("pk"), party__in=parties, submitted_at__isnull=False))
        )
        .select_related("alliance")
        .order_by("period_end")[:LIMIT]
    )
    to_close = list(
        open_evaluations.filter(opened_by_workspace=workspace, period_end__lt=today)
        .select_related("alliance")
        .order_by("period_end")[:LIMIT]
    )
    to_send = periods_to_send(workspace, today=today, limit=LIMIT)
    giver_side = is_giver_side(workspace.organization)
    unreceipted = []
    if not giver_side:
        unreceipted = list(
            Contribution.objects.filter(receiver__in=parties, kind__in=list(GIFT_KINDS), status=Status.RECEIVED)
            .exclude(has_active_receipt())
            .select_related("giver__organization", "alliance")
            .order_by("-received_on")[:LIMIT]
        )
    is_admin = role_at_least(request.workspace_role, Role.ADMIN)
    context = {
        "renewals": renewals,
        "cold": cold,
        "cold_after_days": days,
        "to_answer": to_answer,
        "to_close": to_close,
        "to_send": to_send,
        "unreceipted": unreceipted,
        "invitations": list(pending_invitations_for(workspace)[:LIMIT]) if is_admin else [],
        "join_requests": list(
            JoinRequest.objects.visible_to(workspace).filter(status=JoinStatus.PENDING).select_related("user")[:LIMIT]
        )
        if is_admin
        else [],
        "proposals": list(
            Proposal.objects.filter(alliance__in=alliances, status="pending")
            .exclude(by_workspace=workspace)
            .select_related("alliance", "by_workspace__organization")[:LIMIT]
        ),
        "figures": overview.dashboard(workspace, top=0),
        "given": given_by(workspace) if giver_side else None,
        "giver_side": giver_side,
    }
    return render(request, "web/todo.html", context)
