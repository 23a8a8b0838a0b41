"""API of the evaluation area."""

from ninja import Router

router = Router(tags=["evaluation"])
