"""Every API error answers JSON in French: what is wrong, where, and how to fix it. Never a 500 for bad input."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.http.request import RawPostDataException
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

PYDANTIC_MESSAGES = {
    "missing": "champ obligatoire absent",
    "string_type": "doit être une chaîne de caractères",
    "int_type": "doit être un nombre entier",
    "int_parsing": "doit être un nombre entier",
    "float_parsing": "doit être un nombre",
    "decimal_parsing": "doit être un nombre décimal",
    "bool_parsing": "doit valoir true ou false",
    "bool_type": "doit valoir true ou false",
    "list_type": "doit être une liste",
    "dict_type": "doit être un objet JSON",
    "model_attributes_type": "doit être un objet JSON",
    "string_too_long": "trop long",
    "string_too_short": "trop court",
    "too_long": "trop d'éléments",
    "greater_than_equal": "trop petit",
    "less_than_equal": "trop grand",
    "greater_than": "trop petit",
    "less_than": "trop grand",
    "enum": "valeur non autorisée",
    "literal_error": "valeur non autorisée",
    "date_parsing": "doit être une date AAAA-MM-JJ",
    "date_from_datetime_parsing": "doit être une date AAAA-MM-JJ",
    "json_invalid": "JSON mal formé",
    "value_error": "valeur invalide",
    "extra_forbidden": "champ inconnu",
}


BAD_JSON = "Le corps de la requête n'est pas du JSON valide : vérifiez les guillemets, virgules et accolades."


def _location(loc) -> str:
    parts = [str(p) for p in loc if p not in ("body", "payload", "query", "path")]
    return ".".join(parts) or "corps de la requête"


def translate(errors: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    out = []
    for error in errors:
        kind = error.get("type", "")
        message = PYDANTIC_MESSAGES.get(kind, "valeur invalide")
        ctx = error.get("ctx") or {}
        if kind == "string_too_long" and "max_length" in ctx:
            message = f"trop long ({ctx['max_length']} caractères au plus)"
        if kind in {"greater_than_equal", "greater_than"} and ("ge" in ctx or "gt" in ctx):
            message = f"doit être supérieur ou égal à {ctx.get('ge', ctx.get('gt'))}"
        if kind in {"less_than_equal", "less_than"} and ("le" in ctx or "lt" in ctx):
            message = f"doit être inférieur ou égal à {ctx.get('le', ctx.get('lt'))}"
        if kind in {"enum", "literal_error"} and "expected" in ctx:
            message = f"valeur non autorisée ; valeurs possibles : {ctx['expected']}"
        field = _location(error.get("loc", ()))
        out.append({"field": field, "message": f"{field} : {message}."})
    return out


def install(api) -> None:
    @api.exception_handler(NinjaValidationError)
    def on_validation(request, exc):
        errors = translate(exc.errors)
        return api.create_response(
            request,
            {"detail": "Données invalides : " + " ".join(e["message"] for e in errors), "errors": errors},
            status=422,
        )

    # A body django-ninja cannot parse arrives as its HttpError 400 « Cannot parse request body » (ninja 1.7 has no
    # ParseError class): translated in on_http_error below.

    @api.exception_handler(ValidationError)
    def on_domain_validation(request, exc):
        if hasattr(exc, "error_dict"):
            errors = [{"field": f, "message": f"{f} : {m}"} for f, msgs in exc.message_dict.items() for m in msgs]
        else:
            errors = [{"field": "", "message": m} for m in exc.messages]
        body: dict[str, Any] = {"detail": " ".join(e["message"] for e in errors), "errors": errors}
        existing = getattr(exc, "existing", None)
        if existing is not None:
            body["existing"] = {"id": existing.pk, "name": existing.name, "url": f"/api/v1/organizations/{existing.pk}"}
            return api.create_response(request, body, status=409)
        return api.create_response(request, body, status=422)

    @api.exception_handler(RawPostDataException)
    def on_form_body(request, exc):
        # A form (multipart or urlencoded) sent to an operation that reads a JSON body: the hostile-input middleware
        # has read it as a form to look for NUL bytes, so its raw bytes are gone — it was not JSON anyway.
        return api.create_response(
            request,
            {
                "detail": "Le corps de la requête doit être du JSON : envoyez-le avec l'en-tête "
                "« Content-Type: application/json »."
            },
            status=400,
        )

    @api.exception_handler(PermissionDenied)
    def on_forbidden(request, exc):
        return api.create_response(request, {"detail": str(exc) or "Action non autorisée."}, status=403)

    @api.exception_handler(Http404)
    def on_not_found(request, exc):
        return api.create_response(request, {"detail": "Objet introuvable."}, status=404)

    @api.exception_handler(AuthenticationError)
    def on_auth(request, exc):
        return api.create_response(
            request,
            {
                "detail": "Authentification requise : envoyez l'en-tête « Authorization: Bearer <jeton> » (jeton créé dans Espace › Jetons API)."
            },
            status=401,
        )

    @api.exception_handler(HttpError)
    def on_http_error(request, exc):
        detail = str(exc)
        if detail.startswith("Cannot parse request body"):  # django-ninja's own words for a body it cannot parse
            detail = BAD_JSON
        return api.create_response(request, {"detail": detail}, status=exc.status_code)
