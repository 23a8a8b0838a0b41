"""Demo step of the observatory: a small synthetic data set around Lyon, then a refresh (idempotent)."""

from __future__ import annotations

from maillage.demo.generate import generate
from maillage.observatory.models import Cell
from maillage.observatory.refresh import refresh
from maillage.workspaces.models import Workspace


def seed(ctx: dict) -> None:
    if not Workspace.objects.filter(name__startswith="Espace synthétique").exists():
        generate(scale=0.002, seed=2026, departement="69")  # ≈ 3,000 associations in the Rhône
    # The demo's own workspaces count too once they agreed; refresh so that the pages show figures at once.
    if not Cell.objects.exists() or ctx.get("refresh_observatory", True):
        refresh()
