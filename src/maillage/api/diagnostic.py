"""API of the diagnostic area."""

from ninja import Router

router = Router(tags=["diagnostic"])
