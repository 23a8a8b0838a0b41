"""Hostile input refused once, before any view: NUL bytes, malformed multipart bodies, absurdly nested JSON.

PostgreSQL cannot store a NUL character (0x00) in a text value: psycopg refuses it with ``ValueError`` and the view
answered 500. Rather than guarding every filter and field, ``HostileInputMiddleware`` refuses a NUL in the path, in
any query-string or form parameter (name or value) and in any string of a JSON body, with a clear French 400 (pages)
or 422 (API, naming the parameter or field). It also turns a multipart body Django cannot parse (no boundary, too many files) into
a 400 instead of the 500 that ``MultiPartParserError`` gives. Single-line fields (names, titles) refuse CR/LF at the
domain action, with :func:`single_line_error`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from django.core.exceptions import BadRequest, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.urls import get_resolver, get_urlconf

NUL = "\x00"
MAX_JSON_DEPTH = 64
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029\x85\x0b\x0c]")
_WHITESPACE = re.compile(r"\s+")


class HostileInput(BadRequest):
    """A 400 whose message is French and meant for the person (shown by the 400 page)."""


def nul_in_json(data: object, max_depth: int = MAX_JSON_DEPTH) -> str | None:
    """The dotted path of the first string (key or value) holding a NUL, ``None`` when there is none.

    Iterative, so that a deeply nested document cannot exhaust the stack; deeper than ``max_depth`` raises
    ``ValueError``.
    """
    stack: list[tuple[object, str, int]] = [(data, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        if depth > max_depth:
            raise ValueError(f"imbrication de plus de {max_depth} niveaux")
        if isinstance(value, str):
            if NUL in value:
                return path or "corps de la requête"
        elif isinstance(value, dict):
            for key, item in value.items():
                key_path = f"{path}.{key}" if path else str(key)
                if NUL in str(key):
                    return key_path.replace(NUL, "\\0")
                stack.append((item, key_path, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, f"{path}.{i}" if path else str(i), depth + 1) for i, item in enumerate(value))
    return None


def has_line_break(value: object) -> bool:
    return isinstance(value, str) and _LINE_BREAKS.search(value) is not None


def single_line_error(value: object, what: str) -> list[str]:
    """``[message]`` when ``value`` holds a line break (CR, LF…), else ``[]``; ``what`` is « Le nom de l'alliance ».

    Single-line fields (names, titles) refuse line breaks at the domain action, so that the page, the API and the
    importer agree: such a text is printed on one line in lists, PDFs and e-mail subjects, where a break is never
    meant and breaks the e-mail's headers.
    """
    if has_line_break(value):
        return [f"{what} tient sur une seule ligne : retirez les retours à la ligne."]
    return []


def one_line(text: str, limit: int = 200) -> str:
    """Any text made safe for an e-mail subject: whitespace (CR/LF included) collapsed, length capped."""
    flat = _WHITESPACE.sub(" ", str(text or "")).strip()
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _refusal(request: HttpRequest, message: str, *, field: str = "", status: int = 400) -> HttpResponse:
    """Pages: the project's 400 page with the message. API: JSON; 422 when a field is named (as the API answers
    for any invalid parameter), else ``status``."""
    if request.path.startswith("/api/"):
        body: dict[str, Any] = {"detail": message}
        if field:
            body["errors"] = [{"field": field, "message": message}]
            status = 422
        return JsonResponse(body, status=status)
    # The project's 400 page (handler400), with the message; the same in DEBUG as in production.
    handler: Callable[..., HttpResponse] = get_resolver(get_urlconf()).resolve_error_handler(400)
    return handler(request, HostileInput(message))


class HostileInputMiddleware:
    """Refuse NUL bytes anywhere in the parameters, malformed multipart and JSON too deep, before any view runs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refusal = self.check(request)
        return refusal if refusal is not None else self.get_response(request)

    def check(self, request: HttpRequest) -> HttpResponse | None:
        if NUL in request.path:
            return _refusal(request, "L'adresse contient un caractère nul (\\0) : retirez-le.")
        for name, values in request.GET.lists():
            if NUL in name or any(NUL in v for v in values):
                return _refusal(
                    request,
                    f"Le paramètre « {name.replace(NUL, '')} » de l'adresse contient un caractère nul (\\0) : "
                    "retirez-le.",
                    field=name.replace(NUL, ""),
                )
        if request.method not in {"POST", "PUT", "PATCH", "DELETE"}:
            return None
        content_type = request.content_type or ""
        if content_type in {"multipart/form-data", "application/x-www-form-urlencoded"}:
            try:
                form = request.POST
            except (MultiPartParserError, TooManyFilesSent, TooManyFieldsSent):
                return _refusal(
                    request,
                    "Le formulaire envoyé est mal formé (corps multipart illisible ou sans délimiteur « boundary ») : "
                    "renvoyez-le depuis la page, ou envoyez un fichier avec multipart/form-data et son délimiteur.",
                )
            for name, values in form.lists():
                if NUL in name or any(NUL in v for v in values):
                    return _refusal(
                        request,
                        f"Le champ « {name.replace(NUL, '')} » contient un caractère nul (\\0) : retirez-le.",
                        field=name.replace(NUL, ""),
                    )
        elif content_type.endswith("json") and request.body:
            try:
                data = json.loads(request.body)
            except RecursionError:
                return _refusal(request, "Le JSON envoyé est trop imbriqué.", status=400)
            except ValueError:
                return None  # not JSON: the API's own parser answers 400 with its message
            try:
                where = nul_in_json(data)
            except ValueError as exc:
                return _refusal(request, f"Le JSON envoyé est trop imbriqué ({exc}).", status=400)
            if where is not None:
                return _refusal(
                    request,
                    f"{where} : contient un caractère nul (\\u0000) ; retirez-le.",
                    field=where,
                    status=422,
                )
        return None


class PermissionsPolicyMiddleware:
    """Send ``Permissions-Policy`` on every response: no page of Maillage needs a camera, a microphone, a position…"""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        from django.conf import settings

        self.get_response = get_response
        features = getattr(settings, "PERMISSIONS_POLICY", {})
        self.header = ", ".join(f"{name}=({' '.join(allow)})" for name, allow in features.items())

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)

        if self.header:
            response.headers.setdefault("Permissions-Policy", self.header)
        return response
