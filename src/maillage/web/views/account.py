"""« Mon compte »: name, proof of the address, change of address, change of password; and the cancel button of a
pending invitation. The rules live in ``maillage.workspaces.actions``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.views.decorators.http import require_POST

from maillage.core.roles import Role
from maillage.core.tenancy import get_visible_or_404, workspace_required
from maillage.web.forms import EmailChangeForm, ProfileForm, apply_errors
from maillage.web.views.auth import proof_url_builder
from maillage.workspaces import actions, tokens
from maillage.workspaces.models import Invitation


def _account_page(request, *, profile_form=None, email_form=None, status=200):
    user = request.user
    return render(
        request,
        "web/account/account.html",
        {
            "profile_form": profile_form or ProfileForm(initial={"full_name": user.full_name}),
            "email_form": email_form or EmailChangeForm(),
        },
        status=status,
    )


@login_required
def account(request):
    return _account_page(request)


@login_required
@require_POST
def account_profile(request):
    form = ProfileForm(request.POST)
    if form.is_valid():
        try:
            actions.update_profile(user=request.user, full_name=form.cleaned_data["full_name"], request=request)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Votre nom est enregistré.")
            return redirect("web:account")
    return _account_page(request, profile_form=form, status=400)


@login_required
def email_verification(request):
    """What to do to prove the address, and the button that sends the link again."""
    if request.method == "POST":
        try:
            actions.send_email_proof(user=request.user, proof_url_builder=proof_url_builder(request), request=request)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"Un nouveau lien est parti à {request.user.email}.")
        return redirect("web:email_verification")
    return render(request, "web/account/verification.html")


def _link_refused(request, exc: ValidationError, title: str):
    return render(
        request,
        "web/account/link_refused.html",
        {"title": title, "reason": " ".join(exc.messages), "code": getattr(exc, "code", "")},
        status=400,
    )


@login_required
def email_verify(request, token: str):
    """The link of the proof e-mail: a page with one button, so that a mail scanner opening links proves nothing."""
    title = "Confirmer votre adresse e-mail"
    if request.user.email_verified:
        messages.info(request, "Votre adresse est déjà confirmée.")
        return redirect("web:account")
    if request.method == "POST":
        try:
            actions.verify_email(user=request.user, token=token, request=request)
        except ValidationError as exc:
            return _link_refused(request, exc, title)
        messages.success(
            request,
            "Merci, votre adresse est confirmée. Les invitations qui vous sont adressées apparaissent ci-dessous.",
        )
        return redirect("web:workspace_list")
    try:
        tokens.read_token(token, salt=tokens.PROOF_SALT, user=request.user)
    except tokens.LinkError as exc:
        return _link_refused(request, ValidationError(actions.LINK_MESSAGES[exc.reason], code=exc.reason), title)
    return render(request, "web/account/confirm_link.html", {"title": title, "button": "Confirmer mon adresse"})


@login_required
@require_POST
def email_change(request):
    form = EmailChangeForm(request.POST)
    if form.is_valid():
        try:
            new_email = actions.request_email_change(
                user=request.user,
                new_email=form.cleaned_data["new_email"],
                password=form.cleaned_data["password"],
                confirm_url_builder=lambda token: request.build_absolute_uri(
                    reverse("web:email_change_confirm", args=[token])
                ),
                request=request,
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                exc = ValidationError({"new_email" if k == "email" else k: v for k, v in exc.error_dict.items()})
            apply_errors(form, exc)
        else:
            messages.success(
                request,
                f"Un lien est parti à {new_email} : ouvrez-le pour confirmer. D'ici là, votre adresse reste "
                f"{request.user.email}.",
            )
            return redirect("web:account")
    return _account_page(request, email_form=form, status=400)


@login_required
def email_change_confirm(request, token: str):
    title = "Confirmer votre nouvelle adresse e-mail"
    if request.method == "POST":
        try:
            user = actions.confirm_email_change(user=request.user, token=token, request=request)
        except ValidationError as exc:
            return _link_refused(request, exc, title)
        messages.success(request, f"Votre adresse est désormais {user.email}. Connectez-vous avec elle à l'avenir.")
        return redirect("web:account")
    try:
        data = tokens.read_token(token, salt=tokens.CHANGE_SALT, user=request.user)
    except tokens.LinkError as exc:
        return _link_refused(request, ValidationError(actions.LINK_MESSAGES[exc.reason], code=exc.reason), title)
    return render(
        request,
        "web/account/confirm_link.html",
        {"title": title, "button": "Confirmer la nouvelle adresse", "new_email": data.new_email},
    )


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's view: the current session stays, every other session of the account ends."""

    template_name = "web/account/password_change.html"
    success_url = reverse_lazy("web:account")
    title = "Changer de mot de passe"

    def form_valid(self, form):
        response = super().form_valid(form)
        actions.complete_password_change(user=form.user, request=self.request)
        messages.success(self.request, "Votre mot de passe est changé ; vos autres sessions sont fermées.")
        return response


@workspace_required(Role.ADMIN)
@require_POST
def invitation_cancel(request, invitation_id: int):
    invitation = get_visible_or_404(Invitation.objects.visible_to(request.workspace), pk=invitation_id)
    try:
        actions.cancel_invitation(actor=request.user, invitation=invitation, request=request)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, f"L'invitation de {invitation.email} est annulée.")
    return redirect("web:members")
