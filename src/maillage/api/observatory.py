"""API of the observatory area."""

from ninja import Router

router = Router(tags=["observatory"])
