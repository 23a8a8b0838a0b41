"""Pages of personal data (GDPR): the person finder, export and erasure (workspace admins and owners), the
deletion of one's own account, and the public legal pages. No rule here: ``maillage.privacy`` holds them."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from maillage.core.personal_data import sources
from maillage.core.roles import Role
from maillage.core.tenancy import workspace_required
from maillage.privacy import actions, queries


def _results(workspace, query):
    found = queries.find_person(workspace, query)
    return [
        {
            "label": f.source.label,
            "refused": f.source.refused,
            "hold_reason": f.source.hold_reason,
            "rows": [{"text": queries.describe(f.source, row), "held": f.held.get(row.pk)} for row in f.rows[:50]],
            "count": f.count,
        }
        for f in found
    ]


@workspace_required(Role.ADMIN)
def person(request):
    raw = request.GET.get("q")
    context: dict[str, Any] = {"q": raw or "", "results": None, "errors": {}, "rules": actions.retention_rules()}
    status = 200
    if raw is not None:
        try:
            query = queries.clean_query(raw)
        except ValidationError as exc:
            context["errors"], status = exc.message_dict, 400
        else:
            context["q"], context["results"] = query, _results(request.workspace, query)
    return render(request, "web/privacy/person.html", context, status=status)


@workspace_required(Role.ADMIN)
def person_export(request):
    try:
        content = actions.export_person(
            workspace=request.workspace,
            user=request.user,
            role=request.workspace_role,
            query=request.GET.get("q", ""),
            request=request,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("web:privacy_person")
    response = HttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="donnees-personnelles-{timezone.localdate():%Y-%m-%d}.zip"'
    return response


@require_POST
@workspace_required(Role.ADMIN)
def person_erase(request):
    query = request.POST.get("q", "")
    if request.POST.get("confirm") != "oui":
        messages.error(request, "Cochez la case de confirmation pour effacer les données de cette personne.")
        return redirect(f"{_person_url()}?{urlencode({'q': query[:200]})}")
    try:
        result = actions.erase_person(
            workspace=request.workspace, user=request.user, role=request.workspace_role, query=query, request=request
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("web:privacy_person")
    erased = sum(result["erased"].values())
    messages.success(request, f"Données effacées ou anonymisées : {erased} ligne(s).")
    for label, count in result["held"].items():
        messages.warning(
            request,
            f"{label} : {count} ligne(s) conservée(s) jusqu'au {result['held_until'][label]} par obligation légale, "
            "puis effacée(s) automatiquement.",
        )
    for label, why in result["refused"].items():
        messages.warning(request, f"{label} : non effacé ici, {why}.")
    return redirect("web:privacy_person")


def _person_url():
    from django.urls import reverse

    return reverse("web:privacy_person")


@login_required
def account_delete(request):
    errors = {}
    if request.method == "POST":
        try:
            actions.delete_own_account(user=request.user, password=request.POST.get("password", ""), request=request)
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            logout(request)
            messages.success(request, "Votre compte est supprimé. Les données de vos espaces restent à ces espaces.")
            return redirect("web:home")
    return render(
        request,
        "web/privacy/account_delete.html",
        {"errors": errors, "general_errors": errors.get("__all__", [])},
        status=400 if errors else 200,
    )


def legal_notice(request):
    return render(request, "web/privacy/legal_notice.html", {"operator": settings.MAILLAGE_OPERATOR})


def privacy_policy(request):
    return render(
        request,
        "web/privacy/privacy_policy.html",
        {"operator": settings.MAILLAGE_OPERATOR, "rules": actions.retention_rules(), "sources": sources()},
    )


def cookies(request):
    return render(
        request,
        "web/privacy/cookies.html",
        {
            "session_cookie": settings.SESSION_COOKIE_NAME,
            "csrf_cookie": settings.CSRF_COOKIE_NAME,
            "operator": settings.MAILLAGE_OPERATOR,
        },
    )
