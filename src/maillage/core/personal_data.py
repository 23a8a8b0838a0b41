"""The register of personal data: each app declares where it keeps data about people, in ``<app>/personal_data.py``.

A declaration is a :class:`Source`: the model, the fields that identify a person (searched by the finder), the
fields shown in an export, how the rows are erased (deleted, anonymised field by field, or a name written in free
text replaced), the legal hold that defers an erasure (an issued receipt is kept 6 years, LPF art. L. 102 B) and
the retention rule the daily purge applies. The app ``maillage.privacy`` reads every declaration through
:func:`sources` and offers the finder, the export, the erasure and the purge on top of them (decision 0012).

A new model holding people's data plugs in with a few lines in its app's ``personal_data.py``::

    SOURCES = [
        Source(
            key="donors",
            label="Donateurs",
            model="receipts.Donor",
            workspace="workspace",
            match=("name", "email", "address"),
            anonymise={"name": "Donateur effacé", "email": "", "address": ""},
        ),
    ]

``core`` holds only the vocabulary (this module), so that every domain app may declare its sources without
importing the privacy app above it.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.apps import apps
from django.db import models

ERASED = "[effacé]"

DELETE = "delete"  # the row goes (a contact, a presence at a meeting)
ANONYMISE = "anonymise"  # the row stays with its numbers, the fields naming the person are replaced
REDACT = "redact"  # free text: the searched name is replaced where it appears, the rest stays


@dataclass(frozen=True)
class Retention:
    """How long rows of a source are kept when nobody asks: ``expired(queryset, today)`` gives the rows past it;
    the purge erases them as the source says (``action``: its own erasure unless told). ``setting`` names the
    Django setting holding the period (configurable), ``describe`` says it in French for the register."""

    expired: Callable[[models.QuerySet[Any], date], models.QuerySet[Any]]
    describe: str
    setting: str = ""
    action: str = ""


@dataclass(frozen=True)
class Source:
    key: str  # unique, stable: used in exports (file names) and in held erasures
    label: str  # French, shown on the finder's page and in the export
    model: str  # "app_label.ModelName"
    workspace: str  # ORM path from the row to its workspace ("workspace", "interaction__workspace"…)
    match: tuple[str, ...]  # ORM paths searched (case-insensitive "contains"): the fields that identify a person
    erase: str = ANONYMISE  # DELETE, ANONYMISE or REDACT
    anonymise: dict[str, Any] = field(default_factory=dict)  # field -> value, or callable(row) -> value
    text: tuple[str, ...] = ()  # free-text fields where the searched words are replaced by ERASED (REDACT)
    show: tuple[str, ...] = ()  # fields of the export (defaults to ``match`` without lookups through relations)
    describe: Callable[[Any], str] | None = None  # a row in a few words (defaults to ``str(row)``)
    # Legal hold: the date until which the row must be kept as it is (None: no hold). The erasure of a held row
    # is recorded and done by the purge when the hold ends.
    hold_until: Callable[[Any], date | None] | None = None
    hold_reason: str = ""
    # Rows the workspace's admins may not erase themselves (a user account: its holder deletes it); said why.
    refused: str = ""
    retention: Retention | None = None
    # Replaces the generic erasure for sources that need more than field updates (files, JSON blobs):
    # custom_erase(queryset, terms) -> number of rows touched.
    custom_erase: Callable[[models.QuerySet[Any], list[str]], int] | None = None
    # Replaces the generic search for sources not searchable by SQL (file contents): custom_find(queryset, terms).
    custom_find: Callable[[models.QuerySet[Any], list[str]], models.QuerySet[Any]] | None = None
    category: str = ""  # the category of people (register of processing, docs/privacy.md)

    @property
    def model_class(self) -> type[models.Model]:
        return apps.get_model(self.model)

    def shown_fields(self) -> tuple[str, ...]:
        return self.show or tuple(path for path in self.match if "__" not in path)


def sources() -> list[Source]:
    """Every declared source, in the order of ``INSTALLED_APPS``; keys are unique."""
    found: list[Source] = []
    for config in apps.get_app_configs():
        try:
            module = importlib.import_module(f"{config.name}.personal_data")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.personal_data":
                raise
            continue
        found.extend(getattr(module, "SOURCES", []))
    keys = [s.key for s in found]
    duplicates = {k for k in keys if keys.count(k) > 1}
    if duplicates:
        raise RuntimeError(f"personal_data: sources declared twice: {sorted(duplicates)}")
    return found


def source(key: str) -> Source:
    for candidate in sources():
        if candidate.key == key:
            return candidate
    raise KeyError(key)


def redact(text: str, terms: list[str]) -> str:
    """``text`` with every term (case-insensitive) replaced by ERASED."""
    for term in terms:
        if term:
            text = re.sub(re.escape(term), ERASED, text, flags=re.IGNORECASE)
    return text


def redact_value(value: Any, terms: list[str]) -> Any:
    """A JSON value (dict, list, strings) with the terms replaced in every string it holds."""
    if isinstance(value, str):
        return redact(value, terms)
    if isinstance(value, list):
        return [redact_value(v, terms) for v in value]
    if isinstance(value, dict):
        return {k: redact_value(v, terms) for k, v in value.items()}
    return value


def years_before(today: date, years: int) -> date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def _file_mentions(name: str, terms: list[str]) -> bool:
    """Whether a stored file's name or bytes hold one of the terms (plain text, UTF-8 or Latin-1; the members of a
    ZIP container such as XLSX or DOCX are read too). A compressed PDF stream is not read: see docs/privacy.md."""
    import io
    import zipfile

    from django.core.files.storage import default_storage

    lowered = [t.lower() for t in terms if t]
    if any(t in name.lower() for t in lowered):
        return True
    try:
        with default_storage.open(name, "rb") as handle:
            data = handle.read()
    except (OSError, ValueError):
        return False
    blobs = [data]
    if data[:2] == b"PK":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                blobs += [archive.read(member) for member in archive.namelist()[:200]]
        except (zipfile.BadZipFile, OSError, RuntimeError):
            pass
    for blob in blobs:
        for encoding in ("utf-8", "latin-1"):
            text = blob.decode(encoding, errors="ignore").lower()
            if any(t in text for t in lowered):
                return True
    return False


def files_containing(field_name: str) -> Callable[[models.QuerySet[Any], list[str]], models.QuerySet[Any]]:
    """A ``custom_find`` for a FileField: the rows whose stored file names or holds a term."""

    def find(queryset: models.QuerySet[Any], terms: list[str]) -> models.QuerySet[Any]:
        rows = queryset.exclude(**{field_name: ""}).exclude(**{f"{field_name}__isnull": True})
        keep = [pk for pk, name in rows.values_list("pk", field_name) if name and _file_mentions(name, terms)]
        return queryset.filter(pk__in=keep)

    return find


def erase_files(field_name: str) -> Callable[[models.QuerySet[Any], list[str]], int]:
    """A ``custom_erase`` for a FileField: the stored file is deleted and the field emptied (the row stays)."""

    def erase(queryset: models.QuerySet[Any], terms: list[str]) -> int:
        from django.core.files.storage import default_storage

        count = 0
        for row in queryset:
            name = getattr(row, field_name).name
            if name and default_storage.exists(name):
                default_storage.delete(name)
            type(row).objects.filter(pk=row.pk).update(**{field_name: ""})
            count += 1
        return count

    return erase
