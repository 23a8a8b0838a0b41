"""Reads of the directory."""

from __future__ import annotations

from maillage.audit.history import Correction
from maillage.audit.history import corrections_of as _corrections_of
from maillage.organizations.actions import CORRECTABLE


def _shown(name: str, value) -> str:
    if value in (None, ""):
        return "—"
    return str(value)


def corrections_of(organization) -> list[Correction]:
    """Every correction of an organisation's entry (who, when, before and after), newest first. One query."""
    return _corrections_of(organization, "organization.corrected", CORRECTABLE, _shown)
