"""API of the exchange area."""

from ninja import Router

router = Router(tags=["exchange"])
