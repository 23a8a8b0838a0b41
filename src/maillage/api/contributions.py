"""API of the contributions area."""

from ninja import Router

router = Router(tags=["contributions"])
