"""What the alliance routes share: the router, input text and amount types, pagination, scoped look-ups.

Amounts (``Decimal`` euros): accepted as a JSON number (``1500.5``) or a decimal string with a point
(``"1500.50"``); always answered as a string with two decimals (``"1500.50"``), never as a float.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from ninja import Field, Router, Schema
from ninja.errors import HttpError
from pydantic import BeforeValidator

from maillage.alliances.models import Alliance, Party
from maillage.core import ids
from maillage.core.tenancy import get_visible_or_404

router = Router(tags=["Alliances"])

MAX_ID = ids.MAX_ID  # the bound of a row id, the same for pages and API
MAX_PAGE = 10_000
AMOUNT_DOC = (
    "Montant en euros : nombre JSON ou chaîne décimale avec un point (« 1500.50 ») ; "
    "toujours renvoyé comme chaîne à deux décimales."
)
_SURROGATES = re.compile("[\ud800-\udfff]")


def _clean_text(value):
    """Text as the database can store it: NUL characters dropped, lone surrogates refused."""
    if isinstance(value, str):
        if _SURROGATES.search(value):
            raise ValueError("caractère invalide")
        return value.replace("\x00", "")
    return value


Text = Annotated[str, BeforeValidator(_clean_text)]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Amount = Annotated[Decimal, Field(allow_inf_nan=False, description=AMOUNT_DOC)]


def clean_query(value: str, max_length: int) -> str:
    """A query-string filter, bounded and without characters the database refuses."""
    value = _SURROGATES.sub("", value or "").replace("\x00", "")
    return value.strip()[:max_length]


class MessageOut(Schema):
    detail: str


def check_page(page: int, page_size: int) -> None:
    if not 1 <= page <= MAX_PAGE:
        raise HttpError(422, "page : doit être compris entre 1 et 10 000.")
    if not 1 <= page_size <= 100:
        raise HttpError(422, "page_size : doit être compris entre 1 et 100.")


def paginate(queryset: QuerySet, page: int, page_size: int, *, count: bool = True) -> tuple[list, dict]:
    """One page of rows and its counters: two queries (count and page) plus the queryset's prefetches.

    ``count=False`` (searches whose count would cost a second scan): one query, one row more than the page to
    know ``has_next``, and no ``total``.
    """
    check_page(page, page_size)
    start = (page - 1) * page_size
    if not count:
        rows = list(queryset[start : start + page_size + 1])
        return rows[:page_size], {"page": page, "page_size": page_size, "has_next": len(rows) > page_size}
    total = queryset.count()
    rows = list(queryset[start : start + page_size])
    return rows, {"page": page, "page_size": page_size, "total": total, "has_next": start + len(rows) < total}


def check_choice(value: str, field: str, choices) -> str:
    if value and value not in choices.values:
        raise HttpError(
            422, f"{field} : valeur inconnue « {value} » ; valeurs possibles : {', '.join(choices.values)}."
        )
    return value


def parties_prefetch() -> Prefetch:
    return Prefetch("parties", queryset=Party.objects.select_related("organization"))


def visible_alliance(request, alliance_id: int) -> Alliance:
    """The alliance if the request's workspace is one of its active parties, else 404 (never 403)."""
    if not 1 <= alliance_id <= MAX_ID:
        raise Http404("Alliance introuvable.")
    queryset = Alliance.objects.visible_to(request.workspace).prefetch_related(parties_prefetch())
    return get_visible_or_404(queryset.select_related("departement", "region"), pk=alliance_id)


def alliance_party(alliance: Alliance, party_id: int, field: str | None = None) -> Party:
    """A party of the alliance (from its prefetched parties); unknown → 404, or 422 on ``field`` when given."""
    party = next((p for p in alliance.parties.all() if p.pk == party_id), None)
    if party is None:
        if field is None:
            raise Http404("Partie introuvable.")
        raise ValidationError({field: [f"La partie n° {party_id} n'est pas partie à cette alliance."]})
    return party


class PartySummary(Schema):
    id: int
    organization_id: int
    organization_name: str
    organization_kind: str
    role: str
    role_label: str
    shared: bool = Field(description="vrai quand l'espace de cette organisation a rejoint l'alliance")
    left_at: datetime | None


def party_summary(p: Party) -> PartySummary:
    return PartySummary(
        id=p.pk,
        organization_id=p.organization_id,
        organization_name=p.organization.name,
        organization_kind=p.organization.kind,
        role=p.role,
        role_label=p.get_role_display(),
        shared=p.workspace_id is not None and p.left_at is None,
        left_at=p.left_at,
    )
