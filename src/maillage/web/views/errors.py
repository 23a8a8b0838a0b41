"""Error pages in French. API paths answer JSON, pages answer HTML."""

from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import render

from maillage.core.hostile import HostileInput

MESSAGES = {
    400: ("Requête invalide", "La requête est mal formée. Revenez en arrière et réessayez."),
    403: ("Accès refusé", "Votre rôle dans cet espace ne permet pas cette action."),
    404: ("Page introuvable", "Cette page n'existe pas, ou elle ne fait pas partie de votre espace."),
    500: ("Erreur interne", "Une erreur inattendue est survenue ; elle a été consignée. Réessayez dans un instant."),
}


def _respond(request, status: int, detail: str | None = None):
    title, message = MESSAGES[status]
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": detail or message}, status=status)
    return render(
        request, "web/error.html", {"title": title, "message": detail or message, "status": status}, status=status
    )


def bad_request(request, exception=None):
    # Hostile input (NUL byte, malformed multipart) carries a French message meant for the person.
    detail = str(exception) if isinstance(exception, HostileInput) else None
    return _respond(request, 400, detail)


def forbidden(request, exception=None):
    detail = str(exception) if exception and str(exception) else None
    return _respond(request, 403, detail)


def not_found(request, exception=None):
    return _respond(request, 404)


def server_error(request):
    return _respond(request, 500)
