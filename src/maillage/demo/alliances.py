"""Demo step: alliances of every form and stage around the two demo workspaces (filled in below)."""

from __future__ import annotations


def seed(ctx: dict) -> None:
    """Placeholder until the alliances demo lands: nothing to add yet."""
