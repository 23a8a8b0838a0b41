"""The operators' pages (``is_staff`` users): the queue of organisation claims, their evidence, the decisions.

Anyone else gets 404: the area does not exist for them. The decisions are taken by
:mod:`maillage.workspaces.claims` (approve, refuse), which journal them and e-mail the claimant after the commit.
"""

from __future__ import annotations

import mimetypes
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from maillage.core.tenancy import get_visible_or_404
from maillage.web.forms.operators import RefuseForm
from maillage.workspaces import claims
from maillage.workspaces.models import ClaimStatus, OrganizationClaim, Workspace


def operator_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not (request.user.is_staff and request.user.is_active):
            raise Http404("Page introuvable.")
        return view(request, *args, **kwargs)

    return wrapper


def _claims():
    return OrganizationClaim.objects.select_related("workspace", "organization", "submitted_by", "decided_by")


@operator_required
def claim_queue(request):
    pending = list(_claims().filter(status=ClaimStatus.PENDING).order_by("submitted_at", "pk")[:200])
    decided = list(_claims().exclude(status=ClaimStatus.PENDING).order_by("-decided_at", "-pk")[:50])
    return render(request, "web/operators/queue.html", {"pending": pending, "decided": decided})


def _detail(request, claim: OrganizationClaim, form: RefuseForm | None = None, status: int = 200):
    siblings = (
        Workspace.objects.filter(organization_id=claim.organization_id)
        .exclude(pk=claim.workspace_id)
        .order_by("created_at")
    )
    return render(
        request,
        "web/operators/claim.html",
        {
            "claim": claim,
            "form": form or RefuseForm(),
            "siblings": siblings,
            "verified_workspace": claims.verified_workspace_of(claim.organization_id),
            "history": _claims().filter(workspace=claim.workspace).exclude(pk=claim.pk),
        },
        status=status,
    )


@operator_required
def claim_detail(request, claim_id: int):
    return _detail(request, get_visible_or_404(_claims(), pk=claim_id))


@operator_required
def claim_evidence(request, claim_id: int):
    """The evidence, streamed to operators only (never under a public URL), as a download."""
    claim = get_visible_or_404(_claims(), pk=claim_id)
    try:
        handle = claim.evidence.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404("Le fichier du justificatif est introuvable sur le serveur.") from exc
    suffix = claim.evidence.name.rsplit(".", 1)[-1]
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"justificatif-{claim.pk}.{suffix}",
        content_type=mimetypes.types_map.get(f".{suffix}", "application/octet-stream"),
    )
    response["Cache-Control"] = "private, no-store"
    return response


@operator_required
@require_POST
def claim_approve(request, claim_id: int):
    claim = get_visible_or_404(_claims(), pk=claim_id)
    try:
        claims.approve_claim(claim=claim, operator=request.user, request=request)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, "Revendication non approuvée : " + " ".join(getattr(exc, "messages", [str(exc)])))
        return redirect("web:operator_claim", claim.pk)
    messages.success(request, f"« {claim.workspace.name} » est vérifié pour {claim.organization}.")
    return redirect("web:operator_claims")


@operator_required
@require_POST
def claim_refuse(request, claim_id: int):
    claim = get_visible_or_404(_claims(), pk=claim_id)
    form = RefuseForm(request.POST)
    if form.is_valid():
        try:
            claims.refuse_claim(claim=claim, operator=request.user, reason=form.cleaned_data["reason"], request=request)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc.messages)
        else:
            messages.success(
                request, f"Revendication de « {claim.workspace.name} » refusée ; le demandeur est prévenu."
            )
            return redirect("web:operator_claims")
    return _detail(request, claim, form, status=400)
