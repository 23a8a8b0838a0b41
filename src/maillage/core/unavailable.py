"""A database that is down, restarting or full answers a French 503 page (JSON under ``/api/``), never a 500.

Django turns an exception into a response at every layer of the middleware stack, so this module catches a
database error in three places:

- ``process_exception``: raised by a view or while rendering its template (most cases);
- the ``got_request_exception`` signal: raised by another middleware (loading the session, the current workspace)
  and answered by the 500 handler: the request is marked, and the outermost middleware swaps that 500 for a 503;
- ``__call__``: raised by the 500 handler itself (its page reads the user, so the database again) and so escaping
  every inner layer.

The 503 page is rendered without the request's context processors, so it reads nothing from the database. Django
closes a connection that failed and was found unusable at the end of the request; with ``CONN_HEALTH_CHECKS``
(settings) a persistent connection is checked before its first use. Maillage therefore recovers by itself as soon
as the database answers again, with no restart (``tests/operations/serving/test_outage.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

logger = logging.getLogger("maillage.unavailable")

DATABASE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30
_MARK = "_maillage_database_error"

UNAVAILABLE = (
    "Service momentanément indisponible",
    "La base de données ne répond pas (redémarrage ou maintenance en cours). Rien n'a été enregistré par cette "
    "demande : réessayez dans une minute. Si cela dure, prévenez l'administrateur de l'instance.",
)
DISK_FULL = (
    "Espace disque plein",
    "Le serveur n'a plus de place pour écrire : rien n'a été enregistré par cette demande. Prévenez "
    "l'administrateur de l'instance (il faut libérer de l'espace disque), puis réessayez.",
)


def is_disk_full(exc: BaseException) -> bool:
    text = str(exc).lower()
    cause = exc.__cause__
    return (
        "disk is full" in text  # SQLite: "database or disk is full"
        or "no space left on device" in text  # PostgreSQL: could not extend file…
        or type(cause).__name__ == "DiskFull"  # psycopg's class for SQLSTATE 53100
    )


def unavailable_response(request: HttpRequest, exc: BaseException) -> HttpResponse:
    title, message = DISK_FULL if is_disk_full(exc) else UNAVAILABLE
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"detail": f"{title}. {message}"}, status=503)
    else:
        html = render_to_string("core/unavailable.html", {"title": title, "message": message})
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def _mark_database_error(sender: object, request: HttpRequest | None = None, **kwargs: object) -> None:
    import sys

    exc = sys.exc_info()[1]
    if request is not None and isinstance(exc, DATABASE_ERRORS):
        setattr(request, _MARK, exc)


got_request_exception.connect(_mark_database_error, dispatch_uid="maillage-database-unavailable")


class DatabaseUnavailableMiddleware:
    """First in ``MIDDLEWARE``: turns a database error anywhere below it into a 503 page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            response = self.get_response(request)
        except DATABASE_ERRORS as exc:
            self._log(request, exc)
            return unavailable_response(request, exc)
        marked: Exception | None = getattr(request, _MARK, None)
        if marked is not None and response.status_code == 500:
            return unavailable_response(request, marked)

        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DATABASE_ERRORS):
            self._log(request, exception)
            return unavailable_response(request, exception)
        return None

    @staticmethod
    def _log(request: HttpRequest, exc: BaseException) -> None:
        logger.warning(
            "503 %s %s: base de données indisponible (%s: %s)", request.method, request.path, type(exc).__name__, exc
        )
