from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.views import LoginView, LogoutView
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from maillage.web.forms import LoginForm, SignupForm
from maillage.workspaces.models import User


class MaillageLoginView(LoginView):
    template_name = "web/auth/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class MaillageLogoutView(LogoutView):
    pass


def signup(request):
    if request.user.is_authenticated:
        return redirect("web:home")
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = User.objects.create_user(
            form.cleaned_data["email"], form.cleaned_data["password"], full_name=form.cleaned_data["full_name"]
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, "Bienvenue sur Maillage ! Créez l'espace de votre organisation pour commencer.")
        if next_url and url_has_allowed_host_and_scheme(
            next_url, {request.get_host()}, require_https=request.is_secure()
        ):
            return redirect(next_url)
        return redirect("web:workspace_list")
    return render(request, "web/auth/signup.html", {"form": form, "next": next_url})
