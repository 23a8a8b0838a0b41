"""API of the alliances area."""

from ninja import Router

router = Router(tags=["alliances"])
