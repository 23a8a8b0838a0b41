"""Reads of the privacy area: find everything about a person in a workspace's data, through the register of
sources each app declares (``<app>/personal_data.py``, ``maillage.core.personal_data``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import reduce
from operator import or_
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import Model, Q, QuerySet
from django.utils import timezone

from maillage.core.hostile import single_line_error
from maillage.core.personal_data import Source, sources

MIN_LENGTH = 3
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MAX_LENGTH = 200


def clean_query(raw: str | None) -> str:
    """The name or e-mail searched: 3 to 200 characters on one line; French message otherwise."""
    value = " ".join((raw or "").split())
    error = single_line_error(raw or "", "Le nom ou l'adresse recherché")
    if error:
        raise ValidationError({"q": error})
    if len(value) < MIN_LENGTH:
        raise ValidationError({"q": [f"Saisissez au moins {MIN_LENGTH} caractères du nom ou de l'adresse e-mail."]})
    if len(value) > MAX_LENGTH:
        raise ValidationError({"q": [f"Au plus {MAX_LENGTH} caractères."]})
    return value


@dataclass
class Found:
    source: Source
    rows: list[Model]
    held: dict[int, date] = field(default_factory=dict)  # pk -> kept until (legal hold)

    @property
    def count(self) -> int:
        return len(self.rows)


def scoped(source: Source, workspace) -> QuerySet:
    """The rows of the source that belong to the workspace (never another workspace's)."""
    model = source.model_class
    own = model._default_manager.filter(**{source.workspace: workspace}).values("pk")
    return model._default_manager.filter(pk__in=own)


def matching(source: Source, queryset: QuerySet, terms: list[str]) -> QuerySet:
    if source.custom_find is not None:
        return source.custom_find(queryset, terms)
    condition = reduce(or_, (Q(**{f"{path}__icontains": term}) for path in source.match for term in terms))
    return queryset.filter(condition)


def held_until(source: Source, row, today: date) -> date | None:
    if source.hold_until is None:
        return None
    until = source.hold_until(row)
    return until if until is not None and until >= today else None


def emails_of(found: list[Found]) -> set[str]:
    """The e-mail addresses on the rows found: an address designates one person (a name may have homonyms), so the
    rows that carry it are that person's too (the invitation sent to the address of the contact searched by name)."""
    emails = set()
    for f in found:
        if f.source.erase == "redact" or f.source.custom_find is not None or f.source.refused:
            continue
        for row in f.rows:
            for path in f.source.match:
                value = getattr(row, path, None) if "__" not in path else None
                if isinstance(value, str) and EMAIL.fullmatch(value.strip()):
                    emails.add(value.strip().lower())
    return emails


def find_person(workspace, query: str, *, terms: list[str] | None = None) -> list[Found]:
    """Every row of the workspace's data that names the person, grouped by source (sources with no row left out):
    the rows matching the query, then those matching an e-mail address found on them."""
    if terms is None:
        found = _find(workspace, [query])
        extra = emails_of(found) - {query.lower()}
        return _find(workspace, [query, *sorted(extra)]) if extra else found
    return _find(workspace, terms)


def _find(workspace, terms: list[str]) -> list[Found]:
    today = timezone.localdate()
    found = []
    for source in sources():
        rows = list(matching(source, scoped(source, workspace), terms).order_by("pk")[:1000])
        if rows:
            held = {row.pk: until for row in rows if (until := held_until(source, row, today))}
            found.append(Found(source=source, rows=rows, held=held))
    return found


def _resolve(row, path: str) -> Any:
    value = row
    for part in path.split("__"):
        if value is None:
            return None
        display = getattr(value, f"get_{part}_display", None)
        value = display() if display is not None and getattr(value, part) else getattr(value, part)
    if hasattr(value, "name") and hasattr(value, "storage"):  # a stored file: its name
        return value.name or ""
    if isinstance(value, Model):
        return str(value)
    return value


def field_label(model, path: str) -> str:
    parts = path.split("__")
    try:
        for part in parts[:-1]:
            model = model._meta.get_field(part).related_model
        label = str(model._meta.get_field(parts[-1]).verbose_name)
    except (FieldDoesNotExist, AttributeError):
        return path
    return label[:1].upper() + label[1:]


def describe(source: Source, row) -> str:
    return source.describe(row) if source.describe else str(row)


def rows_as_dicts(found: Found) -> list[dict[str, Any]]:
    """The rows with French labels as keys (the export's content)."""
    model = found.source.model_class
    fields = found.source.shown_fields()
    return [{field_label(model, path): _resolve(row, path) for path in fields} for row in found.rows]
