"""Access matrix of the accessibility statement: public to everyone."""

from __future__ import annotations

from tests.access.common import PUBLIC


def extend_world(world) -> None:
    pass


def web_matrix(w) -> dict:
    return {"accessibility": ("get", {}, {}, PUBLIC)}


def api_matrix(w) -> dict:
    return {}
