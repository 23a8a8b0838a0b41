"""Partnership requests sent from a public form by an organisation without an account, to an association.

A request is private to the association's verified workspace (``PartnershipRequest.objects.visible_to``); accepted,
it becomes an alliance at stage « identifiée » with the proposer as partner; refused, it stays as refused.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from maillage.core.tenancy import WorkspaceScopedQuerySet


class RequestStatus(models.TextChoices):
    PENDING = "pending", "À examiner"
    ACCEPTED = "accepted", "Acceptée"
    REFUSED = "refused", "Refusée"
    # No verified workspace acts for the association: nobody can read it. Kept (for the rate limits) and purged.
    UNDELIVERED = "undelivered", "Non remise"


class PartnershipRequestQuerySet(WorkspaceScopedQuerySet):
    def scope(self, workspace) -> models.Q:
        """The requests addressed to the workspace, except those never delivered."""
        return models.Q(workspace=workspace) & ~models.Q(status=RequestStatus.UNDELIVERED)


class PartnershipRequest(models.Model):
    organization = models.ForeignKey("organizations.Organization", on_delete=models.CASCADE, related_name="+")
    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    proposer_name = models.CharField("organisation qui propose", max_length=200)
    proposer_kind = models.CharField("type d'organisation", max_length=20)
    proposer_siren = models.CharField("SIREN", max_length=9, blank=True)
    contact_name = models.CharField("personne à contacter", max_length=150)
    email = models.EmailField("e-mail")
    phone = models.CharField("téléphone", max_length=30, blank=True)
    forms = models.JSONField("formes envisagées", default=list)
    message = models.TextField("proposition", max_length=3000)
    ip_hash = models.CharField(max_length=64, db_index=True)
    status = models.CharField(max_length=12, choices=RequestStatus.choices, default=RequestStatus.PENDING)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    alliance = models.ForeignKey(
        "alliances.Alliance", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = PartnershipRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "created_at"], name="proposal_target_idx")]

    def __str__(self) -> str:
        return f"{self.proposer_name} → {self.organization}"
