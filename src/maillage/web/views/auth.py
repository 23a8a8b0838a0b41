"""Sign-up, login and logout, and Django's own password reset views in French."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme

from maillage.web.forms import LoginForm, PasswordResetRequestForm, SignupForm, apply_errors
from maillage.workspaces import actions


class MaillageLoginView(auth_views.LoginView):
    template_name = "web/auth/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        # The writes of one login (the new session, the last login, the journal's entry, django-axes' attempts)
        # commit together: one wait for the disk instead of five, which is what 50 people signing in at the same
        # moment queue on with PostgreSQL (bench/load.py, docs/capacity.md).
        with transaction.atomic():
            return super().post(request, *args, **kwargs)


class MaillageLogoutView(auth_views.LogoutView):
    pass


def proof_url_builder(request):
    """The absolute link that proves an address, for the e-mail."""
    return lambda token: request.build_absolute_uri(reverse("web:email_verify", args=[token]))


def signup(request):
    if request.user.is_authenticated:
        return redirect("web:home")
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = actions.sign_up(
                full_name=form.cleaned_data["full_name"],
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                proof_url_builder=proof_url_builder(request),
                request=request,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request,
                f"Bienvenue sur Maillage ! Nous avons envoyé un lien à {user.email} : ouvrez-le pour confirmer "
                "votre adresse.",
            )
            if next_url and url_has_allowed_host_and_scheme(
                next_url, {request.get_host()}, require_https=request.is_secure()
            ):
                return redirect(next_url)
            return redirect("web:workspace_list")
    return render(request, "web/auth/signup.html", {"form": form, "next": next_url})


class PasswordResetView(auth_views.PasswordResetView):
    form_class = PasswordResetRequestForm
    template_name = "web/auth/password_reset_form.html"
    email_template_name = "web/auth/password_reset_email.txt"
    subject_template_name = "web/auth/password_reset_subject.txt"
    success_url = reverse_lazy("web:password_reset_done")
    title = "Mot de passe oublié"


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "web/auth/password_reset_done.html"
    title = "Lien envoyé"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "web/auth/password_reset_confirm.html"
    success_url = reverse_lazy("web:password_reset_complete")
    title = "Nouveau mot de passe"

    def form_valid(self, form):
        response = super().form_valid(form)  # the password hash changes: every session of the account ends
        actions.complete_password_reset(user=form.user, request=self.request)
        return response

    def render_to_response(self, context, **kwargs):
        if not context.get("validlink"):
            kwargs["status"] = 400  # an expired, used or altered link: said in French, never a form
        return super().render_to_response(context, **kwargs)


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "web/auth/password_reset_complete.html"
    title = "Mot de passe changé"
