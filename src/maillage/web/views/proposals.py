"""Pages of the partnership requests: the public form (no account), and the association's list to answer them."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from maillage.audit.actions import client_ip
from maillage.core.roles import Role
from maillage.core.tenancy import get_visible_or_404, workspace_required
from maillage.organizations.models import Kind, Organization
from maillage.proposals import actions
from maillage.proposals.models import PartnershipRequest, RequestStatus
from maillage.web.forms import apply_errors
from maillage.web.forms.proposals import ProposalForm

SENT = (
    "Merci : votre proposition est transmise. Si l'association utilise Maillage, elle la recevra et vous répondra "
    "directement ; Maillage ne vous écrira pas."
)


def _target(organization_id: int) -> Organization:
    organization = Organization.objects.filter(pk=organization_id, kind=Kind.ASSOCIATION).first()
    if organization is None:
        raise Http404("Association introuvable.")
    return organization


def proposal_public(request, organization_id: int):
    """The public form: an organisation without an account proposes a partnership to an association."""
    organization = _target(organization_id)
    status = 200
    if request.method == "POST":
        form = ProposalForm(request.POST)
        if form.is_valid():
            try:
                actions.submit_request(
                    organization=organization,
                    data={
                        **form.cleaned_data,
                        "forms": form.cleaned_data["kinds"],
                        "website": request.POST.get("website", ""),
                    },
                    address=client_ip(request) or "",
                )
            except actions.RateLimited as exc:
                apply_errors(form, exc)
                status = 429
            except ValidationError as exc:
                apply_errors(form, exc)
                status = 400
            else:
                return render(request, "web/proposals/public.html", {"organization": organization, "sent": SENT})
        else:
            status = 400
    else:
        form = ProposalForm()
    return render(request, "web/proposals/public.html", {"organization": organization, "form": form}, status=status)


@workspace_required(Role.VIEWER)
def proposal_list(request):
    workspace = request.workspace
    rows = list(PartnershipRequest.objects.visible_to(workspace).select_related("alliance"))
    public_url = (
        request.build_absolute_uri(reverse("web:proposal_public", args=[workspace.organization_id]))
        if workspace.organization_id and workspace.organization.kind == Kind.ASSOCIATION
        else ""
    )
    return render(
        request,
        "web/proposals/list.html",
        {
            "pending": [r for r in rows if r.status == RequestStatus.PENDING],
            "decided": [r for r in rows if r.status != RequestStatus.PENDING],
            "public_url": public_url,
        },
    )


def _decide(request, request_id: int, run, success):
    proposal = get_visible_or_404(PartnershipRequest.objects.visible_to(request.workspace), pk=request_id)
    try:
        result = run(proposal)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("web:proposal_list")
    messages.success(request, success(result))
    return redirect("web:proposal_list")


@workspace_required(Role.MEMBER)
@require_POST
def proposal_accept(request, request_id: int):
    return _decide(
        request,
        request_id,
        lambda p: actions.accept_request(
            request=p, workspace=request.workspace, user=request.user, role=request.workspace_role
        ),
        lambda alliance: f"Proposition acceptée : l'alliance « {alliance.name} » est créée, à l'étape « identifiée ».",
    )


@workspace_required(Role.MEMBER)
@require_POST
def proposal_refuse(request, request_id: int):
    return _decide(
        request,
        request_id,
        lambda p: actions.refuse_request(
            request=p, workspace=request.workspace, user=request.user, role=request.workspace_role
        ),
        lambda p: f"Proposition de {p.proposer_name} refusée.",
    )
