"""Users, workspaces, memberships with roles, invitations and API tokens."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from typing import Self

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone

from maillage.core.roles import Role
from maillage.core.tenancy import WorkspaceScopedQuerySet


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra):
        if not email:
            raise ValueError("L'adresse e-mail est obligatoire.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        # An operator created from the command line has no link to open: the one who runs it vouches.
        extra.setdefault("email_verified_at", timezone.now())
        return self.create_user(email, password, **extra)

    def get_by_natural_key(self, username):
        # Addresses are stored in lower case (create_user, the actions): any case logs in.
        return self.get(**{self.model.USERNAME_FIELD: (username or "").strip().lower()})


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField("adresse e-mail", unique=True)
    full_name = models.CharField("nom complet", max_length=150)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # Set when the person opened the signed link sent to ``email``; until then the account acts for nobody else.
    email_verified_at = models.DateTimeField("adresse vérifiée le", null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = "utilisateur"

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None


class Workspace(models.Model):
    """The space where one organisation works on its alliances; its rows are private to it."""

    name = models.CharField("nom de l'espace", max_length=150)
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="workspaces", verbose_name="organisation"
    )
    contributes_to_observatory = models.BooleanField(
        "contribuer à l'observatoire",
        default=False,
        help_text="Compter les alliances de cet espace, agrégées et anonymes, dans l'observatoire public.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Set when a platform operator approved the workspace's claim on the organisation (decision 0008); until then
    # the workspace prepares its own work but never speaks in the organisation's name.
    verified_at = models.DateTimeField("vérifié le", null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "espace de travail"
        constraints = [
            models.UniqueConstraint(
                fields=["organization"],
                condition=Q(verified_at__isnull=False),
                name="one_verified_workspace_per_organization",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def verified(self) -> bool:
        return self.verified_at is not None


class MembershipQuerySet(WorkspaceScopedQuerySet["Membership"]):
    def active(self) -> Self:
        return self.filter(revoked_at__isnull=True, user__is_active=True)


class Membership(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField("rôle", max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "user"], name="membership_unique")]
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.user} – {self.workspace} ({self.get_role_display()})"


def _new_token() -> str:
    return secrets.token_urlsafe(32)


class Invitation(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField("adresse e-mail")
    role = models.CharField("rôle", max_length=10, choices=Role.choices, default=Role.MEMBER)
    token = models.CharField(max_length=64, unique=True, default=_new_token, editable=False)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} → {self.workspace}"

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.cancelled_at is None and self.expires_at > timezone.now()


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A personal API token, bound to one user acting in one workspace. Only its hash is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField("nom", max_length=100)
    prefix = models.CharField(max_length=8, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class EvidenceKind(models.TextChoices):
    RECEPISSE = "recepisse", "Récépissé de déclaration en préfecture"
    KBIS = "kbis", "Extrait Kbis"
    JOAFE = "joafe", "Page du Journal officiel (JOAFE)"
    DELIBERATION = "deliberation", "Délibération ou acte de nomination (organisme public)"
    OTHER = "autre", "Autre document"


class ClaimStatus(models.TextChoices):
    PENDING = "pending", "En attente d'examen"
    APPROVED = "approved", "Approuvée"
    REFUSED = "refused", "Refusée"
    SUPERSEDED = "superseded", "Close : un autre espace a été vérifié pour cette organisation"


def claim_evidence_path(instance, filename: str) -> str:
    """A random folder per file: never guessed, never served by a public URL (operators stream it)."""
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"claims/{uuid.uuid4().hex}/justificatif.{suffix[:5]}"


class OrganizationClaim(models.Model):
    """A workspace's claim to act for its organisation, with the evidence an operator examines."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="claims")
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="+", verbose_name="organisation"
    )
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    evidence_kind = models.CharField("justificatif", max_length=15, choices=EvidenceKind.choices)
    evidence = models.FileField("fichier du justificatif", upload_to=claim_evidence_path, max_length=200)
    evidence_name = models.CharField("nom du fichier déposé", max_length=200, blank=True)
    statement = models.TextField("explications", max_length=2000)
    status = models.CharField("état", max_length=12, choices=ClaimStatus.choices, default=ClaimStatus.PENDING)
    submitted_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    decision_reason = models.CharField("motif", max_length=500, blank=True)

    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = "revendication d'organisation"
        constraints = [
            models.UniqueConstraint(
                fields=["workspace"], condition=Q(status="pending"), name="one_pending_claim_per_workspace"
            )
        ]

    def __str__(self) -> str:
        return f"{self.workspace} → {self.organization} ({self.get_status_display()})"


class JoinStatus(models.TextChoices):
    PENDING = "pending", "En attente"
    ACCEPTED = "accepted", "Acceptée"
    REFUSED = "refused", "Refusée"


class JoinRequest(models.Model):
    """An account asks to join the verified workspace of an organisation (never a second seat)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="join_requests")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="join_requests")
    message = models.CharField("message", max_length=1000, blank=True)
    status = models.CharField("état", max_length=10, choices=JoinStatus.choices, default=JoinStatus.PENDING)
    role = models.CharField("rôle accordé", max_length=10, choices=Role.choices, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    decision_reason = models.CharField("motif", max_length=500, blank=True)

    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "demande pour rejoindre un espace"
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "user"], condition=Q(status="pending"), name="one_pending_join_request"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.workspace} ({self.get_status_display()})"
