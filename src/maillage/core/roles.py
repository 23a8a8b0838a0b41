"""Workspace roles, from the least to the most powerful."""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    VIEWER = "viewer", "Lecteur"
    MEMBER = "member", "Membre"
    ADMIN = "admin", "Administrateur"
    OWNER = "owner", "Propriétaire"


RANK = {Role.VIEWER: 0, Role.MEMBER: 1, Role.ADMIN: 2, Role.OWNER: 3}


def role_at_least(role: str | None, minimum: str) -> bool:
    return role is not None and RANK[Role(role)] >= RANK[Role(minimum)]
