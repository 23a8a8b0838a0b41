from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from maillage.core.middleware import SESSION_WORKSPACE_KEY
from maillage.core.roles import Role
from maillage.core.tenancy import get_visible_or_404, workspace_required
from maillage.observatory.actions import set_observatory_consent
from maillage.organizations.models import Organization
from maillage.web.forms import ApiTokenForm, InvitationForm, RoleForm, WorkspaceForm, apply_errors
from maillage.workspaces import actions
from maillage.workspaces.models import ApiToken, Invitation, Membership


@login_required
def workspace_list(request):
    memberships = Membership.objects.active().filter(user=request.user).select_related("workspace__organization")
    pending = Invitation.objects.filter(
        email__iexact=request.user.email, accepted_at__isnull=True, cancelled_at__isnull=True
    ).select_related("workspace")
    return render(
        request,
        "web/workspaces/list.html",
        {"memberships": memberships, "pending_invitations": [i for i in pending if i.is_pending]},
    )


@login_required
def workspace_create(request):
    initial = {}
    chosen = None
    if request.GET.get("organization", "").isdigit():
        chosen = Organization.objects.filter(pk=request.GET["organization"]).first()
        if chosen:
            initial = {"organization": chosen.pk, "name": chosen.name}
    form = WorkspaceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        chosen = Organization.objects.filter(pk=form.cleaned_data["organization"]).first()
        if chosen is None:
            form.add_error("organization", "Cette organisation n'existe pas dans l'annuaire.")
        else:
            try:
                workspace = actions.create_workspace(
                    user=request.user, name=form.cleaned_data["name"], organization=chosen
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                request.session[SESSION_WORKSPACE_KEY] = workspace.pk
                messages.success(request, f"L'espace « {workspace.name} » est créé. Invitez vos collègues !")
                return redirect("web:members")
    return render(request, "web/workspaces/create.html", {"form": form, "chosen": chosen})


@login_required
@require_POST
def workspace_switch(request, workspace_id: int):
    membership = get_visible_or_404(Membership.objects.active().filter(user=request.user), workspace_id=workspace_id)
    request.session[SESSION_WORKSPACE_KEY] = membership.workspace_id
    messages.info(request, f"Vous travaillez maintenant dans « {membership.workspace.name} ».")
    return redirect("web:home")


@workspace_required(Role.VIEWER)
def members(request):
    workspace = request.workspace
    memberships = Membership.objects.active().filter(workspace=workspace).select_related("user")
    invitations = [
        i
        for i in Invitation.objects.filter(workspace=workspace, accepted_at__isnull=True, cancelled_at__isnull=True)
        if i.is_pending
    ]
    form = InvitationForm()
    return render(
        request,
        "web/workspaces/members.html",
        {"memberships": memberships, "invitations": invitations, "form": form, "role_choices": Role.choices},
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
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"Invitation envoyée à {form.cleaned_data['email']}.")
            return redirect("web:members")
    memberships = Membership.objects.active().filter(workspace=request.workspace).select_related("user")
    return render(
        request,
        "web/workspaces/members.html",
        {"memberships": memberships, "invitations": [], "form": form, "role_choices": Role.choices},
        status=400,
    )


@workspace_required(Role.ADMIN)
@require_POST
def member_role(request, membership_id: int):
    membership = get_visible_or_404(Membership.objects.active().filter(workspace=request.workspace), pk=membership_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Rôle inconnu : choisissez lecteur, membre, administrateur ou propriétaire.")
        return redirect("web:members")
    try:
        actions.change_role(actor=request.user, membership=membership, role=form.cleaned_data["role"])
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, f"{membership.user} est maintenant {membership.get_role_display().lower()}.")
    return redirect("web:members")


@workspace_required(Role.ADMIN)
@require_POST
def member_revoke(request, membership_id: int):
    membership = get_visible_or_404(Membership.objects.active().filter(workspace=request.workspace), pk=membership_id)
    try:
        actions.revoke_membership(actor=request.user, membership=membership)
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
            membership = actions.accept_invitation(invitation=invitation, user=request.user)
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
        _, raw_key = actions.create_api_token(
            user=request.user, workspace=request.workspace, name=form.cleaned_data["name"]
        )
        form = ApiTokenForm()
    tokens = ApiToken.objects.filter(user=request.user, workspace=request.workspace, revoked_at__isnull=True)
    return render(request, "web/workspaces/tokens.html", {"form": form, "tokens": tokens, "raw_key": raw_key})


@workspace_required(Role.VIEWER)
@require_POST
def api_token_revoke(request, token_id: int):
    token = get_visible_or_404(ApiToken.objects.filter(user=request.user, workspace=request.workspace), pk=token_id)
    actions.revoke_api_token(user=request.user, token=token)
    messages.success(request, f"Le jeton « {token.name} » est révoqué.")
    return redirect("web:api_tokens")


@workspace_required(Role.ADMIN)
@require_POST
def observatory_consent(request):
    workspace = request.workspace
    set_observatory_consent(
        workspace=workspace, user=request.user, contributes=request.POST.get("contributes") == "on", request=request
    )
    messages.success(
        request,
        "Merci : les alliances de l'espace seront comptées, anonymes et agrégées, dans l'observatoire."
        if workspace.contributes_to_observatory
        else "Les alliances de l'espace ne seront plus comptées dans l'observatoire.",
    )
    return redirect("web:members")
