"""What the erasure of a person could not do at once because the law keeps the data (decision 0012).

A :class:`HeldErasure` names a row (source key + primary key) and the date until which the law keeps it; the daily
purge erases it once that date has passed. It holds no name nor address: only where the row is.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from maillage.core.tenancy import WorkspaceScopedQuerySet


class HeldErasure(models.Model):
    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    source = models.CharField("source", max_length=40)
    object_id = models.BigIntegerField()
    hold_until = models.DateField("conservé jusqu'au")
    reason = models.CharField("motif de conservation", max_length=300)
    requested_at = models.DateTimeField(auto_now_add=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        ordering = ["hold_until", "id"]
        verbose_name = "effacement différé"
        constraints = [models.UniqueConstraint(fields=["source", "object_id"], name="held_erasure_unique_row")]

    def __str__(self) -> str:
        return f"{self.source} {self.object_id} jusqu'au {self.hold_until}"
