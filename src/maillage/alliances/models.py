"""Alliances shared by their parties: parties, forms, lifecycle log, interactions, agreements, private notes.

An alliance is seen by the workspaces of its active parties (``Alliance.objects.visible_to(workspace)``); what
one workspace writes privately (``AllianceNote``, the contacts present at an interaction) is seen by it alone.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef

from maillage.alliances.lifecycle import Stage
from maillage.core.tenancy import WorkspaceScopedQuerySet


class Form(models.TextChoices):
    MECENAT_FINANCIER = "mecenat_financier", "Mécénat financier"
    MECENAT_NATURE = "mecenat_nature", "Mécénat en nature"
    MECENAT_COMPETENCES = "mecenat_competences", "Mécénat de compétences"
    PRATIQUES_RESPONSABLES = "pratiques_responsables", "Pratiques responsables"
    COOPERATION_ECONOMIQUE = "cooperation_economique", "Coopération économique"
    INNOVATION_SOCIALE = "innovation_sociale", "Innovation sociale"


MECENAT_FORMS = frozenset({Form.MECENAT_FINANCIER, Form.MECENAT_NATURE, Form.MECENAT_COMPETENCES})


class PartyRole(models.TextChoices):
    LEAD = "lead", "Pilote"
    PARTNER = "partner", "Partenaire"
    FUNDER = "funder", "Financeur"
    OPERATOR = "operator", "Opérateur"
    EVALUATOR = "evaluator", "Évaluateur"


class TerritoryLevel(models.TextChoices):
    COMMUNE = "commune", "Commune"
    EPCI = "epci", "Intercommunalité"
    DEPARTEMENT = "departement", "Département"
    REGION = "region", "Région"


class AllianceQuerySet(WorkspaceScopedQuerySet):
    def scope(self, workspace) -> Exists:
        """Alliances in which the workspace is an active party (``visible_to(None)`` sees nothing)."""
        return Exists(Party.objects.visible_to(workspace).filter(alliance=OuterRef("pk"), left_at__isnull=True))


class Alliance(models.Model):
    name = models.CharField("nom", max_length=200)
    purpose = models.TextField("objet", max_length=5000, blank=True)
    forms = models.JSONField("formes", default=list, help_text="codes de Form, une ou plusieurs")
    stage = models.CharField("étape", max_length=20, choices=Stage.choices, default=Stage.IDENTIFIED, editable=False)
    stage_changed_at = models.DateTimeField(auto_now_add=True, editable=False)
    abandon_reason = models.TextField("raison de l'abandon", blank=True, editable=False)
    territory_level = models.CharField("échelle", max_length=12, choices=TerritoryLevel.choices, blank=True)
    territory_code = models.CharField("territoire (code)", max_length=9, blank=True)
    territory_name = models.CharField("territoire", max_length=200, blank=True)
    # Denormalised for filters (board, observatory): the département and région the territory lies in.
    departement = models.ForeignKey(
        "territories.Departement", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    region = models.ForeignKey("territories.Region", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    starts_on = models.DateField("début", null=True, blank=True)
    ends_on = models.DateField("fin", null=True, blank=True)
    last_interaction_on = models.DateField(null=True, blank=True, editable=False)
    created_by_workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AllianceQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = "alliance"
        indexes = [models.Index(fields=["stage", "updated_at"], name="alliance_stage_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def form_labels(self) -> list[str]:
        return [Form(code).label for code in self.forms if code in Form.values]

    @property
    def is_mecenat(self) -> bool:
        return bool(MECENAT_FORMS & set(self.forms))


class Party(models.Model):
    """An organisation taking part in an alliance, and the workspace that acts for it there (once it accepted)."""

    alliance = models.ForeignKey(Alliance, on_delete=models.CASCADE, related_name="parties")
    organization = models.ForeignKey("organizations.Organization", on_delete=models.PROTECT, related_name="parties")
    # A copy of ``organization.kind``, which never changes once the organisation exists: the board's partner-kind
    # filter and the dashboard's per-kind sums read it without joining the (large) directory table.
    organization_kind = models.CharField("type d'organisation", max_length=20, editable=False, db_default="")
    role = models.CharField("rôle", max_length=10, choices=PartyRole.choices, default=PartyRole.PARTNER)
    commitment = models.TextField("engagement", max_length=3000, blank=True)
    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.PROTECT, null=True, blank=True, related_name="parties"
    )
    joined_at = models.DateTimeField(null=True, blank=True)
    left_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = "partie"
        constraints = [models.UniqueConstraint(fields=["alliance", "organization"], name="party_unique_organization")]
        indexes = [models.Index(fields=["workspace", "alliance"], name="party_workspace_idx")]

    def __str__(self) -> str:
        return f"{self.organization} ({self.get_role_display()})"

    @property
    def is_active(self) -> bool:
        return self.left_at is None


class PartyInvitation(models.Model):
    """An invitation, sent by a party's workspace, for the workspace of another party to join the shared space."""

    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="invitations")
    invited_by_workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    email = models.EmailField("e-mail du destinataire", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by_workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    declined_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation de {self.party.organization} à {self.party.alliance}"

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.declined_at is None


class StageChange(models.Model):
    """The log of the lifecycle: who moved the alliance, from where to where, when and why."""

    alliance = models.ForeignKey(Alliance, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.CharField(max_length=20, choices=Stage.choices, blank=True)
    to_stage = models.CharField(max_length=20, choices=Stage.choices)
    reason = models.TextField("pourquoi", max_length=2000, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    by_workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.SET_NULL, null=True, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_stage} → {self.to_stage}"


class InteractionKind(models.TextChoices):
    MEETING = "meeting", "Réunion"
    CALL = "call", "Appel"
    VISIT = "visit", "Visite"
    EVENT = "event", "Événement"
    EMAIL = "email", "E-mail"
    SITE_VISIT = "site_visit", "Visite de terrain"


class Interaction(models.Model):
    """A moment spent building the relationship. Shared with the parties, but its contacts stay private."""

    alliance = models.ForeignKey(Alliance, on_delete=models.CASCADE, related_name="interactions")
    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("type", max_length=12, choices=InteractionKind.choices)
    occurred_on = models.DateField("date")
    duration_minutes = models.PositiveIntegerField("durée (minutes)")
    subject = models.CharField("objet", max_length=200, blank=True)
    notes = models.TextField("compte rendu", max_length=10000, blank=True)
    contacts = models.ManyToManyField("organizations.Contact", blank=True, related_name="interactions")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_on", "-id"]
        indexes = [models.Index(fields=["alliance", "occurred_on"], name="interaction_alliance_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} du {self.occurred_on:%d/%m/%Y}"


class Attendance(models.Model):
    """How many people of a party took part in an interaction: the time that party invested."""

    interaction = models.ForeignKey(Interaction, on_delete=models.CASCADE, related_name="attendances")
    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="attendances")
    people = models.PositiveSmallIntegerField("personnes", default=1)
    # Denormalised = interaction duration × people, so that sums need no join.
    minutes = models.PositiveIntegerField(editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["interaction", "party"], name="attendance_unique")]
        indexes = [models.Index(fields=["party", "minutes"], name="attendance_party_idx")]

    def __str__(self) -> str:
        return f"{self.party} × {self.people}"


class PartyTime(models.Model):
    """The time a party invested, kept up to date on write: the sum of its ``Attendance.minutes``.

    The dashboard reads it instead of summing every attendance of the workspace's history. It is changed by
    additions only (:mod:`maillage.alliances.totals`, called by the actions that write attendances), never
    recomputed under a live write; ``rebuild`` recomputes it all for bulk loads and migrations.
    """

    party = models.OneToOneField(Party, on_delete=models.CASCADE, primary_key=True, related_name="time")
    minutes = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "temps investi par une partie"

    def __str__(self) -> str:
        return f"{self.party_id} : {self.minutes} min"


class AgreementKind(models.TextChoices):
    MECENAT = "mecenat", "Convention de mécénat"
    PARTENARIAT = "partenariat", "Convention de partenariat"
    PRESTATION = "prestation", "Contrat de prestation"
    CPO = "cpo", "Convention pluriannuelle d'objectifs"


def agreement_upload_to(instance, filename: str) -> str:
    return f"agreements/{instance.alliance_id}/{instance.signed_on:%Y}-{instance.kind}.pdf"


class Agreement(models.Model):
    alliance = models.ForeignKey(Alliance, on_delete=models.CASCADE, related_name="agreements")
    kind = models.CharField("type", max_length=12, choices=AgreementKind.choices)
    title = models.CharField("intitulé", max_length=200)
    signed_on = models.DateField("signée le")
    duration_months = models.PositiveSmallIntegerField("durée (mois)", null=True, blank=True)
    amount = models.DecimalField("montant (€)", max_digits=12, decimal_places=2, null=True, blank=True)
    renewal_on = models.DateField("à renouveler le", null=True, blank=True)
    reminder_sent_on = models.DateField(null=True, blank=True, editable=False)
    file = models.FileField("document signé (PDF)", upload_to=agreement_upload_to, blank=True)
    created_by_workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-signed_on", "-id"]

    def __str__(self) -> str:
        return self.title


class AllianceNote(models.Model):
    """What one workspace writes about an alliance for itself: the other parties never see it."""

    alliance = models.ForeignKey(Alliance, on_delete=models.CASCADE, related_name="private_notes")
    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    text = models.TextField("note", max_length=5000)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.text[:60]


class WorkspaceSettings(models.Model):
    """A workspace's own settings for its alliances (kept here: the workspaces app is not ours to change)."""

    workspace = models.OneToOneField("workspaces.Workspace", on_delete=models.CASCADE, related_name="alliance_settings")
    cold_after_days = models.PositiveSmallIntegerField("relation qui refroidit après (jours sans échange)", default=60)

    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "réglages des alliances"

    def __str__(self) -> str:
        return f"Réglages de {self.workspace}"


class ProposalKind(models.TextChoices):
    STAGE = "stage", "Changement d'étape"
    DESCRIPTION = "description", "Changement de description"


class ProposalStatus(models.TextChoices):
    PENDING = "pending", "En attente de la réponse du pilote"
    ACCEPTED = "accepted", "Acceptée"
    REFUSED = "refused", "Refusée"


class Proposal(models.Model):
    """A change that a party which does not lead the alliance proposes to its lead (decision 0016).

    The lead party's workspace decides the stage and the description; the others propose, and the lead accepts
    (the change is then made by :func:`~maillage.alliances.actions.move_alliance` or
    :func:`~maillage.alliances.actions.update_alliance` in its name) or refuses, with an answer. Both are on the
    timeline.
    """

    alliance = models.ForeignKey(Alliance, on_delete=models.CASCADE, related_name="proposals")
    kind = models.CharField("nature", max_length=12, choices=ProposalKind.choices)
    to_stage = models.CharField("étape proposée", max_length=20, choices=Stage.choices, blank=True)
    changes = models.JSONField("changements proposés", default=dict, blank=True)
    reason = models.TextField("pourquoi", max_length=2000, blank=True)
    by_workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.SET_NULL, null=True, related_name="+")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=10, choices=ProposalStatus.choices, default=ProposalStatus.PENDING)
    answer = models.TextField("réponse du pilote", max_length=2000, blank=True)
    decided_by_workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "proposition au pilote"
        indexes = [models.Index(fields=["alliance", "status"], name="proposal_alliance_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_status_display()})"

    @property
    def is_pending(self) -> bool:
        return self.status == ProposalStatus.PENDING
