from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from maillage.core.middleware import SESSION_WORKSPACE_KEY
from maillage.core.roles import Role, role_at_least
from maillage.core.tenancy import get_visible_or_404, workspace_required
from maillage.observatory.actions import set_observatory_consent
from maillage.organizations.models import Organization
from maillage.web.forms import ApiTokenForm, InvitationForm, RoleForm, WorkspaceForm, apply_errors
from maillage.web.forms.workspaces import ClaimForm, JoinDecisionForm, JoinRefusalForm
from maillage.workspaces import actions, claims
from maillage.workspaces.models import (
    ApiToken,
    ClaimStatus,
    Invitation,
    JoinRequest,
    JoinStatus,
    Membership,
)


def unverified_page(request, exc: PermissionDenied):
    """What an unverified workspace sees where the organisation speaks: why, and the way to the claim page.

    A page read (GET) answers 200 with the explanation; a refused change (POST) answers 403 with the same page.
    """
    status = 200 if request.method in ("GET", "HEAD") else 403
    return render(request, "web/workspaces/unverified.html", {"reason": str(exc)}, status=status)


def verified_required(what: str):
    """View decorator (under ``workspace_required``): an unverified workspace gets the explanation page instead."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not claims.is_verified(request.workspace):
                return unverified_page(
                    request, claims.UnverifiedWorkspace(claims.unverified_message(request.workspace, what))
                )
            try:
                return view(request, *args, **kwargs)
            except claims.UnverifiedWorkspace as exc:
                return unverified_page(request, exc)

        return wrapper

    return decorator


def _messages(exc) -> str:
    return " ".join(getattr(exc, "messages", None) or [str(exc)])


@login_required
def workspace_list(request):
    memberships = Membership.objects.active().filter(user=request.user).select_related("workspace__organization")
    # Invitations go to an address: an account that has not proved its address sees none (accounts, issue 16).
    pending = Invitation.objects.filter(
        email__iexact=request.user.email, accepted_at__isnull=True, cancelled_at__isnull=True
    ).select_related("workspace")
    if not request.user.email_verified:
        pending = pending.none()
    join_requests = JoinRequest.objects.filter(user=request.user).select_related("workspace__organization")[:20]
    return render(
        request,
        "web/workspaces/list.html",
        {
            "memberships": memberships,
            "pending_invitations": [i for i in pending if i.is_pending],
            "join_requests": join_requests,
        },
    )


@login_required
def workspace_create(request):
    """Create the first workspace of an organisation (unverified), or ask to join its verified one (decision 0008)."""
    initial = {}
    chosen = None
    if request.GET.get("organization", "").isdigit():
        chosen = Organization.objects.filter(pk=request.GET["organization"]).first()
        if chosen:
            initial = {"organization": chosen.pk, "name": chosen.name}
    form = WorkspaceForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        chosen = Organization.objects.filter(pk=form.cleaned_data["organization"]).first()
        if chosen is None:
            form.add_error("organization", "Cette organisation n'existe pas dans l'annuaire.")
        elif claims.verified_workspace_of(chosen) is not None:
            try:
                join = claims.request_to_join(
                    user=request.user,
                    organization=chosen,
                    message=request.POST.get("message", ""),
                    request=request,
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, _messages(exc))
            else:
                messages.info(
                    request,
                    f"{chosen} a déjà un espace vérifié, « {join.workspace.name} » : votre demande pour le rejoindre "
                    "est envoyée à ses propriétaires. Vous serez prévenu par e-mail de leur réponse.",
                )
                return redirect("web:workspace_list")
        else:
            try:
                workspace = actions.create_workspace(
                    user=request.user, name=form.cleaned_data["name"], organization=chosen
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, _messages(exc))
            else:
                request.session[SESSION_WORKSPACE_KEY] = workspace.pk
                messages.success(
                    request,
                    f"L'espace « {workspace.name} » est créé. Préparez votre travail et déposez un justificatif : "
                    "un opérateur vérifiera que vous représentez bien l'organisation.",
                )
                return redirect("web:workspace_claim")
        status = 400
    verified = claims.verified_workspace_of(chosen) if chosen else None
    return render(
        request,
        "web/workspaces/create.html",
        {
            "form": form,
            "chosen": chosen,
            "verified_workspace": verified,
            "email_proved": request.user.email_verified,
        },
        status=status,
    )


@login_required
@require_POST
def workspace_switch(request, workspace_id: int):
    membership = get_visible_or_404(Membership.objects.active().filter(user=request.user), workspace_id=workspace_id)
    request.session[SESSION_WORKSPACE_KEY] = membership.workspace_id
    messages.info(request, f"Vous travaillez maintenant dans « {membership.workspace.name} ».")
    return redirect("web:home")


def _members_context(request, **extra) -> dict:
    workspace = request.workspace
    can_admin = role_at_least(request.workspace_role, Role.ADMIN)
    join_requests = (
        list(
            JoinRequest.objects.visible_to(workspace)
            .filter(status=JoinStatus.PENDING)
            .select_related("user")
            .order_by("created_at", "pk")
        )
        if can_admin
        else []
    )
    return {
        "memberships": Membership.objects.visible_to(workspace).active().select_related("user"),
        "invitations": [
            i
            for i in Invitation.objects.visible_to(workspace).filter(
                accepted_at__isnull=True, cancelled_at__isnull=True
            )
            if i.is_pending
        ],
        "form": InvitationForm(),
        "role_choices": Role.choices,
        "join_requests": join_requests,
        "can_admin": can_admin,
        **extra,
    }


@workspace_required(Role.VIEWER)
def members(request):
    return render(request, "web/workspaces/members.html", _members_context(request))


def _join_request(request, join_request_id: int) -> JoinRequest:
    return get_visible_or_404(
        JoinRequest.objects.visible_to(request.workspace).filter(status=JoinStatus.PENDING).select_related("user"),
        pk=join_request_id,
    )


@workspace_required(Role.ADMIN)
@require_POST
def join_request_accept(request, join_request_id: int):
    join = _join_request(request, join_request_id)
    form = JoinDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Rôle inconnu : choisissez lecteur, membre, administrateur ou propriétaire.")
        return redirect("web:members")
    try:
        membership = claims.accept_join_request(
            join_request=join, actor=request.user, role=form.cleaned_data["role"], request=request
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, "Demande non acceptée : " + _messages(exc))
    else:
        messages.success(request, f"{join.user} a rejoint l'espace ({membership.get_role_display().lower()}).")
    return redirect("web:members")


@workspace_required(Role.ADMIN)
@require_POST
def join_request_refuse(request, join_request_id: int):
    join = _join_request(request, join_request_id)
    form = JoinRefusalForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        claims.refuse_join_request(join_request=join, actor=request.user, reason=reason, request=request)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, "Demande non refusée : " + _messages(exc))
    else:
        messages.success(request, f"La demande de {join.user} est refusée ; elle en est prévenue par e-mail.")
    return redirect("web:members")


@workspace_required(Role.VIEWER)
def workspace_claim(request):
    """The workspace's verification: its state, the claims made, and the evidence upload (owners and admins)."""
    workspace = request.workspace
    can_submit = role_at_least(request.workspace_role, Role.ADMIN)
    form = ClaimForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if not can_submit:
            raise PermissionDenied("Seuls les propriétaires et administrateurs de l'espace déposent un justificatif.")
        if form.is_valid():
            try:
                claims.submit_claim(
                    workspace=workspace,
                    user=request.user,
                    evidence_kind=form.cleaned_data["evidence_kind"],
                    evidence=form.cleaned_data["evidence"],
                    statement=form.cleaned_data["statement"],
                    request=request,
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, _messages(exc))
            else:
                messages.success(
                    request, "Justificatif déposé : un opérateur l'examine ; vous serez prévenu par e-mail."
                )
                return redirect("web:workspace_claim")
        status = 400
    history = list(workspace.claims.select_related("submitted_by").order_by("-submitted_at", "-pk")[:20])
    pending = next((c for c in history if c.status == ClaimStatus.PENDING), None)
    verified_elsewhere = None if workspace.verified else claims.verified_workspace_of(workspace.organization_id)
    return render(
        request,
        "web/workspaces/claim.html",
        {
            "form": form,
            "history": history,
            "pending": pending,
            "can_submit": can_submit and not workspace.verified and pending is None and verified_elsewhere is None,
            "verified_elsewhere": verified_elsewhere,
            "email_proved": request.user.email_verified,
        },
        status=status,
    )


@workspace_required(Role.ADMIN)
@require_POST
def invite(request):
    form = InvitationForm(request.POST)
    if form.is_valid():
        try:
            actions.invite(
                workspace=request.workspace,
                inviter=request.user,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                accept_url_builder=lambda token: request.build_absolute_uri(
                    reverse("web:invitation_accept", args=[token])
                ),
                request=request,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"Invitation envoyée à {form.cleaned_data['email']}.")
            return redirect("web:members")
    return render(request, "web/workspaces/members.html", _members_context(request, form=form), status=400)


@workspace_required(Role.ADMIN)
@require_POST
def member_role(request, membership_id: int):
    membership = get_visible_or_404(Membership.objects.visible_to(request.workspace).active(), pk=membership_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Rôle inconnu : choisissez lecteur, membre, administrateur ou propriétaire.")
        return redirect("web:members")
    try:
        actions.change_role(actor=request.user, membership=membership, role=form.cleaned_data["role"], request=request)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, f"{membership.user} est maintenant {membership.get_role_display().lower()}.")
    return redirect("web:members")


@workspace_required(Role.ADMIN)
@require_POST
def member_revoke(request, membership_id: int):
    membership = get_visible_or_404(Membership.objects.visible_to(request.workspace).active(), pk=membership_id)
    try:
        actions.revoke_membership(actor=request.user, membership=membership, request=request)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, f"{membership.user} n'a plus accès à cet espace.")
    return redirect("web:members")


@login_required
def invitation_accept(request, token: str):
    invitation = get_visible_or_404(Invitation.objects.select_related("workspace"), token=token)
    if request.method == "POST":
        try:
            membership = actions.accept_invitation(invitation=invitation, user=request.user, request=request)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            request.session[SESSION_WORKSPACE_KEY] = membership.workspace_id
            messages.success(request, f"Vous avez rejoint « {membership.workspace.name} ».")
            return redirect("web:home")
    return render(request, "web/workspaces/invitation.html", {"invitation": invitation})


@workspace_required(Role.VIEWER)
def api_tokens(request):
    form = ApiTokenForm(request.POST or None)
    raw_key = None
    if request.method == "POST" and form.is_valid():
        try:
            _, raw_key = actions.create_api_token(
                user=request.user, workspace=request.workspace, name=form.cleaned_data["name"], request=request
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            form = ApiTokenForm()
    tokens = ApiToken.objects.visible_to(request.workspace).filter(user=request.user, revoked_at__isnull=True)
    return render(request, "web/workspaces/tokens.html", {"form": form, "tokens": tokens, "raw_key": raw_key})


@workspace_required(Role.VIEWER)
@require_POST
def api_token_revoke(request, token_id: int):
    token = get_visible_or_404(ApiToken.objects.visible_to(request.workspace).filter(user=request.user), pk=token_id)
    actions.revoke_api_token(user=request.user, token=token, request=request)
    messages.success(request, f"Le jeton « {token.name} » est révoqué.")
    return redirect("web:api_tokens")


@workspace_required(Role.ADMIN)
@require_POST
def observatory_consent(request):
    workspace = request.workspace
    try:
        set_observatory_consent(
            workspace=workspace, user=request.user, contributes=request.POST.get("contributes") == "on", request=request
        )
    except claims.UnverifiedWorkspace as exc:
        return unverified_page(request, exc)
    messages.success(
        request,
        "Merci : les alliances de l'espace seront comptées, anonymes et agrégées, dans l'observatoire."
        if workspace.contributes_to_observatory
        else "Les alliances de l'espace ne seront plus comptées dans l'observatoire.",
    )
    return redirect("web:members")
