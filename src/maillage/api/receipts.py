"""API of the receipts area."""

from ninja import Router

router = Router(tags=["receipts"])
