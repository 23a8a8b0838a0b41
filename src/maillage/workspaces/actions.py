"""Workspace actions: create a workspace, invite, accept, change a role, revoke, issue API tokens."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from maillage.core.roles import Role, role_at_least
from maillage.workspaces.models import ApiToken, Invitation, Membership, User, Workspace, hash_token


@transaction.atomic
def create_workspace(*, user: User, name: str, organization) -> Workspace:
    """A new workspace starts unverified (decision 0008): it prepares its own work until an operator verifies it.

    An organisation that already has a verified workspace gets no second seat: ask to join it
    (:func:`maillage.workspaces.claims.request_to_join`).
    """
    from maillage.workspaces.claims import require_proved_email, verified_workspace_of

    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": ["Donnez un nom à l'espace."]})
    if len(name) > 150:
        raise ValidationError({"name": ["Le nom de l'espace compte 150 caractères au plus."]})
    require_proved_email(user)
    if verified_workspace_of(organization) is not None:
        raise ValidationError(
            {
                "organization": [
                    f"{organization} a déjà un espace vérifié sur Maillage : demandez à le rejoindre plutôt que "
                    "d'en créer un second."
                ]
            },
            code="verified",
        )
    if Membership.objects.active().filter(user=user, workspace__organization=organization).exists():
        raise ValidationError({"organization": [f"Vous avez déjà un espace pour {organization}."]})
    workspace = Workspace.objects.create(name=name, organization=organization)
    Membership.objects.create(workspace=workspace, user=user, role=Role.OWNER)
    return workspace


def _role_of(user: User, workspace: Workspace) -> str | None:
    membership = Membership.objects.active().filter(user=user, workspace=workspace).first()
    return membership.role if membership else None


def _require(user: User, workspace: Workspace, minimum: str) -> str:
    role = _role_of(user, workspace)
    if not role_at_least(role, minimum):
        raise PermissionDenied("Votre rôle dans cet espace ne permet pas cette action.")
    return role  # type: ignore[return-value]


@transaction.atomic
def invite(*, workspace: Workspace, inviter: User, email: str, role: str, accept_url_builder) -> Invitation:
    """Invite someone by e-mail. Only admins and owners invite; only an owner can invite an owner."""
    inviter_role = _require(inviter, workspace, Role.ADMIN)
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationError({"email": [f"« {email} » n'est pas une adresse e-mail valide."]}) from exc
    if role not in Role.values:
        raise ValidationError({"role": [f"Rôle inconnu « {role} »."]})
    if role == Role.OWNER and inviter_role != Role.OWNER:
        raise ValidationError({"role": ["Seul un propriétaire peut inviter un autre propriétaire."]})
    if Membership.objects.active().filter(workspace=workspace, user__email=email).exists():
        raise ValidationError({"email": [f"{email} est déjà membre de cet espace."]})
    invitation = Invitation.objects.create(
        workspace=workspace,
        email=email,
        role=role,
        invited_by=inviter,
        expires_at=timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS),
    )
    url = accept_url_builder(invitation.token)
    send_mail(
        subject=f"Invitation à rejoindre « {workspace.name} » sur Maillage",
        message=(
            f"Bonjour,\n\n{inviter} vous invite à rejoindre l'espace « {workspace.name} » sur Maillage "
            f"en tant que {Role(role).label.lower()}.\n\nPour accepter, ouvrez ce lien (valable "
            f"{settings.INVITATION_VALID_DAYS} jours) :\n{url}\n\nSi vous n'attendiez pas ce message, ignorez-le."
        ),
        from_email=None,
        recipient_list=[email],
    )
    return invitation


@transaction.atomic
def accept_invitation(*, invitation: Invitation, user: User) -> Membership:
    if not invitation.is_pending:
        raise ValidationError("Cette invitation a expiré, a été annulée ou a déjà servi : demandez-en une nouvelle.")
    if invitation.email.lower() != user.email.lower():
        raise ValidationError(
            f"Cette invitation est adressée à {invitation.email} : connectez-vous avec cette adresse pour l'accepter."
        )
    membership, _ = Membership.objects.update_or_create(
        workspace=invitation.workspace, user=user, defaults={"role": invitation.role, "revoked_at": None}
    )
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    return membership


def _owners_left(workspace: Workspace, excluding: Membership) -> int:
    return Membership.objects.active().filter(workspace=workspace, role=Role.OWNER).exclude(pk=excluding.pk).count()


@transaction.atomic
def change_role(*, actor: User, membership: Membership, role: str) -> Membership:
    actor_role = _require(actor, membership.workspace, Role.ADMIN)
    if role not in Role.values:
        raise ValidationError({"role": [f"Rôle inconnu « {role} »."]})
    if Role.OWNER in (role, membership.role) and actor_role != Role.OWNER:
        raise PermissionDenied("Seul un propriétaire peut nommer ou changer un propriétaire.")
    if membership.role == Role.OWNER and role != Role.OWNER and _owners_left(membership.workspace, membership) == 0:
        raise ValidationError("L'espace doit garder au moins un propriétaire.")
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def revoke_membership(*, actor: User, membership: Membership) -> Membership:
    actor_role = _require(actor, membership.workspace, Role.ADMIN)
    if membership.role == Role.OWNER and actor_role != Role.OWNER:
        raise PermissionDenied("Seul un propriétaire peut retirer un propriétaire.")
    if membership.role == Role.OWNER and _owners_left(membership.workspace, membership) == 0:
        raise ValidationError("L'espace doit garder au moins un propriétaire.")
    membership.revoked_at = timezone.now()
    membership.save(update_fields=["revoked_at"])
    membership.user.api_tokens.filter(workspace=membership.workspace, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    return membership


def create_api_token(*, user: User, workspace: Workspace, name: str) -> tuple[ApiToken, str]:
    """Return the token and its raw key, shown once; only the key's hash is kept."""
    _require(user, workspace, Role.VIEWER)
    name = (name or "").strip() or "Jeton API"
    raw = "mlg_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, workspace=workspace, name=name[:100], prefix=raw[:8], key_hash=hash_token(raw)
    )
    return token, raw


def revoke_api_token(*, user: User, token: ApiToken) -> None:
    if token.user_id != user.pk:
        raise PermissionDenied("Ce jeton ne vous appartient pas.")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
