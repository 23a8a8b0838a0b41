"""The audit journal: who did what, when and from where, in a workspace. Rows are only ever added.

Append-only in the database too: triggers refuse UPDATE and DELETE (``guard.py``, migration 0002).
Actor and workspace are kept as plain references (no database constraint, nothing cascades), with a text copy
of their names, so that deleting or anonymising a user never has to touch the journal.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditEvent(models.Model):
    workspace = models.ForeignKey(
        "workspaces.Workspace",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="espace",
    )
    organization = models.ForeignKey(
        "organizations.Organization",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="organisation",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="auteur",
    )
    actor_label = models.CharField("auteur (au moment des faits)", max_length=255, blank=True)
    action = models.CharField("action", max_length=64)
    target_type = models.CharField("objet", max_length=64, blank=True)
    target_id = models.CharField("identifiant de l'objet", max_length=64, blank=True)
    target_label = models.CharField("désignation de l'objet", max_length=255, blank=True)
    details = models.JSONField("détails", default=dict, blank=True)
    ip_address = models.GenericIPAddressField("adresse IP", null=True, blank=True)
    user_agent = models.CharField("navigateur", max_length=255, blank=True)
    created_at = models.DateTimeField("date", default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "événement du journal"
        verbose_name_plural = "journal d'audit"
        indexes = [
            models.Index(fields=["workspace", "-created_at"], name="audit_workspace_idx"),
            # The journal of a workspace also shows its members' authentication events (workspace=None).
            models.Index(fields=["actor", "-created_at"], name="audit_actor_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"
