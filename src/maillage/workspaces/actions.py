"""Workspace and account actions.

Workspaces: create a workspace, invite, cancel or accept an invitation, change a role, revoke a membership, issue
and revoke API tokens. Accounts: sign up, prove the address, change it (with a new proof), change the name, and
what follows a password reset or change. Every change of rights or of an account is written to the audit journal
(``record_event``) in the same transaction; every e-mail leaves after the commit.
"""

from __future__ import annotations

import secrets
import unicodedata
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from maillage.audit.actions import record_event
from maillage.audit.models import AuditEvent
from maillage.core.roles import Role, role_at_least
from maillage.workspaces import tokens
from maillage.workspaces.claims import require_proved_email, verified_workspace_of
from maillage.workspaces.models import ApiToken, Invitation, Membership, User, Workspace, hash_token

UrlBuilder = Callable[[str], str]


def refuse_control_characters(value: str, *, field: str, label: str) -> None:
    """A single-line field (a name, a title) refuses line breaks and control characters: they would break the
    e-mail headers and the exports the value ends up in."""
    if any(unicodedata.category(c) in {"Cc", "Zl", "Zp"} for c in value):
        raise ValidationError(
            {field: [f"{label} doit tenir sur une seule ligne : retirez les retours à la ligne et tabulations."]}
        )


def _mail_after_commit(*, subject: str, body: str, to: str) -> None:
    """Send one e-mail once the transaction is committed (never for a change that was rolled back)."""
    subject = " ".join(subject.split())  # a header never holds a line break

    def send() -> None:
        send_mail(subject=subject, message=body, from_email=None, recipient_list=[to])

    transaction.on_commit(send, robust=True)


@transaction.atomic
def create_workspace(*, user: User, name: str, organization) -> Workspace:
    """A new workspace starts unverified (decision 0008): it prepares its own work until an operator verifies it.

    An organisation that already has a verified workspace gets no second seat: ask to join it
    (:func:`maillage.workspaces.claims.request_to_join`).
    """

    name = (name or "").strip()
    refuse_control_characters(name, field="name", label="Le nom de l'espace")
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
    if role is None or not role_at_least(role, minimum):
        raise PermissionDenied("Votre rôle dans cet espace ne permet pas cette action.")
    return role


UNPROVED_ADDRESS = (
    "confirmez d'abord votre adresse e-mail : ouvrez le lien que nous vous avons envoyé "
    "(ou demandez-en un nouveau depuis « Mon compte »)."
)


@transaction.atomic
def invite(
    *,
    workspace: Workspace,
    inviter: User,
    email: str,
    role: str,
    accept_url_builder: UrlBuilder,
    request: HttpRequest | None = None,
) -> Invitation:
    """Invite someone by e-mail. Only admins and owners invite; only an owner can invite an owner."""
    inviter_role = _require(inviter, workspace, Role.ADMIN)
    if not inviter.email_verified:
        raise ValidationError(f"Pour inviter quelqu'un, {UNPROVED_ADDRESS}")
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationError({"email": [f"« {email} » n'est pas une adresse e-mail valide."]}) from exc
    if role not in Role.values:
        raise ValidationError({"role": [f"Rôle inconnu « {role} »."]})
    if role == Role.OWNER and inviter_role != Role.OWNER:
        raise ValidationError({"role": ["Seul un propriétaire peut inviter un autre propriétaire."]})
    if Membership.objects.active().filter(workspace=workspace, user__email__iexact=email).exists():
        raise ValidationError({"email": [f"{email} est déjà membre de cet espace."]})
    invitation = Invitation.objects.create(
        workspace=workspace,
        email=email,
        role=role,
        invited_by=inviter,
        expires_at=timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS),
    )
    record_event(
        action="invitation.sent",
        actor=inviter,
        workspace=workspace,
        target=invitation,
        target_label=email,
        details={"email": email, "role": role},
        request=request,
    )
    url = accept_url_builder(invitation.token)
    _mail_after_commit(
        subject=f"Invitation à rejoindre « {workspace.name} » sur Maillage",
        body=(
            f"Bonjour,\n\n{inviter} vous invite à rejoindre l'espace « {workspace.name} » sur Maillage "
            f"en tant que {Role(role).label.lower()}.\n\nPour accepter, ouvrez ce lien (valable "
            f"{settings.INVITATION_VALID_DAYS} jours) :\n{url}\n\nVous devrez vous connecter (ou créer votre compte) "
            f"avec l'adresse {email}, puis la confirmer.\n\nSi vous n'attendiez pas ce message, ignorez-le."
        ),
        to=email,
    )
    return invitation


@transaction.atomic
def cancel_invitation(*, actor: User, invitation: Invitation, request: HttpRequest | None = None) -> Invitation:
    _require(actor, invitation.workspace, Role.ADMIN)
    if not invitation.is_pending:
        raise ValidationError("Cette invitation n'est plus en attente : elle a déjà servi, expiré ou été annulée.")
    invitation.cancelled_at = timezone.now()
    invitation.save(update_fields=["cancelled_at"])
    record_event(
        action="invitation.cancelled",
        actor=actor,
        workspace=invitation.workspace,
        target=invitation,
        target_label=invitation.email,
        details={"email": invitation.email, "role": invitation.role},
        request=request,
    )
    return invitation


@transaction.atomic
def accept_invitation(*, invitation: Invitation, user: User, request: HttpRequest | None = None) -> Membership:
    """Join the inviting workspace. Only an account whose address is proved may: the invitation is addressed to an
    address, and an unproved account does not show it owns it."""
    invitation = Invitation.objects.select_for_update().select_related("workspace").get(pk=invitation.pk)
    if not invitation.is_pending:
        raise ValidationError("Cette invitation a expiré, a été annulée ou a déjà servi : demandez-en une nouvelle.")
    if invitation.email.lower() != user.email.lower():
        raise ValidationError(
            f"Cette invitation est adressée à {invitation.email} : connectez-vous avec cette adresse pour l'accepter."
        )
    if not user.email_verified:
        raise ValidationError(f"Pour rejoindre « {invitation.workspace.name} », {UNPROVED_ADDRESS}")
    membership, _ = Membership.objects.update_or_create(
        workspace=invitation.workspace, user=user, defaults={"role": invitation.role, "revoked_at": None}
    )
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    record_event(
        action="invitation.accepted",
        actor=user,
        workspace=invitation.workspace,
        target=membership,
        target_label=user.email,
        details={"email": invitation.email, "role": invitation.role, "invitation_id": invitation.pk},
        request=request,
    )
    return membership


def _owners_left(workspace: Workspace, excluding: Membership) -> int:
    return Membership.objects.active().filter(workspace=workspace, role=Role.OWNER).exclude(pk=excluding.pk).count()


@transaction.atomic
def change_role(*, actor: User, membership: Membership, role: str, request: HttpRequest | None = None) -> Membership:
    actor_role = _require(actor, membership.workspace, Role.ADMIN)
    if role not in Role.values:
        raise ValidationError({"role": [f"Rôle inconnu « {role} »."]})
    if Role.OWNER in (role, membership.role) and actor_role != Role.OWNER:
        raise PermissionDenied("Seul un propriétaire peut nommer ou changer un propriétaire.")
    if membership.role == Role.OWNER and role != Role.OWNER and _owners_left(membership.workspace, membership) == 0:
        raise ValidationError("L'espace doit garder au moins un propriétaire.")
    previous = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    if previous != role:
        record_event(
            action="membership.role_changed",
            actor=actor,
            workspace=membership.workspace,
            target=membership,
            target_label=membership.user.email,
            details={"email": membership.user.email, "from": previous, "to": role},
            request=request,
        )
    return membership


@transaction.atomic
def revoke_membership(*, actor: User, membership: Membership, request: HttpRequest | None = None) -> Membership:
    actor_role = _require(actor, membership.workspace, Role.ADMIN)
    if membership.role == Role.OWNER and actor_role != Role.OWNER:
        raise PermissionDenied("Seul un propriétaire peut retirer un propriétaire.")
    if membership.role == Role.OWNER and _owners_left(membership.workspace, membership) == 0:
        raise ValidationError("L'espace doit garder au moins un propriétaire.")
    membership.revoked_at = timezone.now()
    membership.save(update_fields=["revoked_at"])
    tokens_revoked = membership.user.api_tokens.filter(workspace=membership.workspace, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    record_event(
        action="membership.revoked",
        actor=actor,
        workspace=membership.workspace,
        target=membership,
        target_label=membership.user.email,
        details={"email": membership.user.email, "role": membership.role, "api_tokens_revoked": tokens_revoked},
        request=request,
    )
    return membership


@transaction.atomic
def create_api_token(
    *, user: User, workspace: Workspace, name: str, request: HttpRequest | None = None
) -> tuple[ApiToken, str]:
    """Return the token and its raw key, shown once; only the key's hash is kept."""
    _require(user, workspace, Role.VIEWER)
    name = (name or "").strip() or "Jeton API"
    refuse_control_characters(name, field="name", label="Le nom du jeton")
    raw = "mlg_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, workspace=workspace, name=name[:100], prefix=raw[:8], key_hash=hash_token(raw)
    )
    record_event(
        action="api_token.created",
        actor=user,
        workspace=workspace,
        target=token,
        details={"name": token.name, "prefix": token.prefix},
        request=request,
    )
    return token, raw


@transaction.atomic
def revoke_api_token(*, user: User, token: ApiToken, request: HttpRequest | None = None) -> None:
    if token.user_id != user.pk:
        raise PermissionDenied("Ce jeton ne vous appartient pas.")
    if token.revoked_at is not None:
        return
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    record_event(
        action="api_token.revoked",
        actor=user,
        workspace=token.workspace,
        target=token,
        details={"name": token.name, "prefix": token.prefix},
        request=request,
    )


# ---------------------------------------------------------------------------------------------------------------
# Accounts

# At most this many e-mails of one kind per account and hour, and one a minute: the site never becomes a way to
# flood someone's mailbox. Counted in the audit journal (its ``created_at`` index keeps the count cheap).
MAILS_PER_HOUR = 5
MAIL_INTERVAL = timedelta(seconds=60)

LINK_MESSAGES = {
    "invalid": "Ce lien est incomplet ou a été modifié. Copiez-le en entier depuis l'e-mail, ou demandez-en un "
    "nouveau depuis « Mon compte ».",
    "expired": f"Ce lien a expiré : il est valable {tokens.LINK_VALID_DAYS} jours. Demandez-en un nouveau depuis "
    "« Mon compte ».",
    "other_account": "Ce lien a été envoyé pour un autre compte que celui avec lequel vous êtes connecté·e. "
    "Déconnectez-vous, connectez-vous avec le bon compte, puis ouvrez-le à nouveau.",
    "stale": "Ce lien ne vaut plus : l'adresse du compte a changé ou a été confirmée depuis son envoi. "
    "Utilisez le lien du dernier e-mail reçu, ou demandez-en un nouveau depuis « Mon compte ».",
}


def normalize_email(email: str) -> str:
    """Addresses are kept and compared in lower case: ``Admin@A.test`` is the account ``admin@a.test``."""
    return (email or "").strip().lower()


def _clean_full_name(full_name: str) -> str:
    full_name = (full_name or "").strip()
    refuse_control_characters(full_name, field="full_name", label="Le nom")
    if not full_name:
        raise ValidationError({"full_name": ["Indiquez votre nom : vos collègues le verront."]})
    if len(full_name) > 150:
        raise ValidationError({"full_name": ["Le nom compte 150 caractères au plus."]})
    return full_name


def _clean_new_address(email: str, *, user: User | None = None) -> str:
    email = normalize_email(email)
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationError({"email": [f"« {email} » n'est pas une adresse e-mail valide."]}) from exc
    if user is not None and email == user.email:
        raise ValidationError({"email": ["C'est déjà l'adresse de votre compte."]})
    others = User.objects.filter(email__iexact=email)
    if user is not None:
        others = others.exclude(pk=user.pk)
    if others.exists():
        raise ValidationError(
            {"email": ["Un compte existe déjà avec cette adresse : connectez-vous, ou choisissez-en une autre."]}
        )
    return email


def _recent(user: User, action: str) -> list:
    """When the account's recent events of this kind happened, the latest first (last hour only)."""
    since = timezone.now() - timedelta(hours=1)
    return list(
        AuditEvent.objects.filter(created_at__gte=since, actor_id=user.pk, action=action)
        .order_by("-created_at")
        .values_list("created_at", flat=True)[:MAILS_PER_HOUR]
    )


def _throttle(user: User, action: str, what: str) -> None:
    recent = _recent(user, action)
    if recent and timezone.now() - recent[0] < MAIL_INTERVAL:
        raise ValidationError(
            f"{what} vient de partir, il y a moins d'une minute : regardez dans votre boîte de réception (et dans "
            "les indésirables), puis réessayez dans un instant si rien n'arrive."
        )
    if len(recent) >= MAILS_PER_HOUR:
        raise ValidationError(
            f"{MAILS_PER_HOUR} e-mails de ce type sont partis dans l'heure : attendez une heure avant d'en demander "
            "un autre, et vérifiez l'adresse et le dossier des indésirables."
        )


def _send_proof(user: User, proof_url_builder: UrlBuilder, request: HttpRequest | None) -> None:
    url = proof_url_builder(tokens.make_proof_token(user))
    record_event(action="auth.email_verification_sent", actor=user, details={"email": user.email}, request=request)
    _mail_after_commit(
        subject="Confirmez votre adresse e-mail sur Maillage",
        body=(
            f"Bonjour {user.full_name},\n\nPour confirmer que l'adresse {user.email} est bien la vôtre, ouvrez ce "
            f"lien (valable {tokens.LINK_VALID_DAYS} jours), connecté·e à votre compte Maillage, puis cliquez sur "
            f"« Confirmer mon adresse » :\n{url}\n\nTant que l'adresse n'est pas confirmée, votre compte ne peut "
            "ni rejoindre un espace, ni inviter quelqu'un, ni agir pour une organisation.\n\nSi vous n'avez pas "
            "créé de compte sur Maillage, ignorez ce message : sans ce lien, personne ne peut utiliser votre "
            "adresse."
        ),
        to=user.email,
    )


@transaction.atomic
def sign_up(
    *,
    full_name: str,
    email: str,
    password: str,
    proof_url_builder: UrlBuilder,
    request: HttpRequest | None = None,
) -> User:
    """Create an account, not yet proved, and send it the link that proves its address."""
    errors: dict[str, list[str]] = {}
    try:
        full_name = _clean_full_name(full_name)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        email = _clean_new_address(email)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        password_validation.validate_password(password or "", User(email=email, full_name=full_name))
    except ValidationError as exc:
        errors["password"] = exc.messages
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            user = User.objects.create_user(email, password, full_name=full_name)
    except IntegrityError as exc:
        raise ValidationError(
            {"email": ["Un compte existe déjà avec cette adresse : connectez-vous, ou choisissez-en une autre."]}
        ) from exc
    record_event(action="auth.signed_up", actor=user, details={"email": email}, request=request)
    _send_proof(user, proof_url_builder, request)
    return user


@transaction.atomic
def send_email_proof(*, user: User, proof_url_builder: UrlBuilder, request: HttpRequest | None = None) -> None:
    """Send again the link that proves the account's address (at most one a minute, five an hour)."""
    if user.email_verified:
        raise ValidationError("Votre adresse est déjà confirmée : il n'y a rien à faire.")
    _throttle(user, "auth.email_verification_sent", "Un lien de confirmation")
    _send_proof(user, proof_url_builder, request)


def _read_link(token: str, *, salt: str, user: User) -> tokens.LinkData:
    try:
        return tokens.read_token(token, salt=salt, user=user)
    except tokens.LinkError as exc:
        raise ValidationError(LINK_MESSAGES[exc.reason], code=exc.reason) from exc


@transaction.atomic
def verify_email(*, user: User, token: str, request: HttpRequest | None = None) -> User:
    """Mark the address proved: ``token`` comes from the link sent to it, opened by the account's holder."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.email_verified:
        return user
    _read_link(token, salt=tokens.PROOF_SALT, user=user)
    user.email_verified_at = timezone.now()
    user.save(update_fields=["email_verified_at"])
    record_event(action="auth.email_verified", actor=user, details={"email": user.email}, request=request)
    return user


def request_email_change(
    *,
    user: User,
    new_email: str,
    password: str,
    confirm_url_builder: UrlBuilder,
    request: HttpRequest | None = None,
) -> str:
    """Send a link to the new address; the account's address changes only when that link is opened.

    The current password is asked (a session left open is not enough); wrong passwords are journaled outside the
    transaction, and five an hour stop the form.
    """
    if len(_recent(user, "auth.email_change_refused")) >= MAILS_PER_HOUR:
        raise ValidationError({"password": ["Trop d'essais avec un mauvais mot de passe : réessayez dans une heure."]})
    if not user.check_password(password or ""):
        record_event(action="auth.email_change_refused", actor=user, details={"reason": "password"}, request=request)
        raise ValidationError({"password": ["Mot de passe incorrect : c'est celui avec lequel vous vous connectez."]})
    with transaction.atomic():
        return _request_email_change(
            user=user, new_email=new_email, confirm_url_builder=confirm_url_builder, request=request
        )


def _request_email_change(
    *, user: User, new_email: str, confirm_url_builder: UrlBuilder, request: HttpRequest | None
) -> str:
    new_email = _clean_new_address(new_email, user=user)
    _throttle(user, "auth.email_change_requested", "Un lien de confirmation de la nouvelle adresse")
    url = confirm_url_builder(tokens.make_change_token(user, new_email))
    record_event(
        action="auth.email_change_requested",
        actor=user,
        details={"email": user.email, "new_email": new_email},
        request=request,
    )
    _mail_after_commit(
        subject="Confirmez votre nouvelle adresse e-mail sur Maillage",
        body=(
            f"Bonjour {user.full_name},\n\nVous avez demandé que votre compte Maillage utilise désormais l'adresse "
            f"{new_email}. Pour le confirmer, ouvrez ce lien (valable {tokens.LINK_VALID_DAYS} jours), connecté·e "
            f"à votre compte, puis cliquez sur « Confirmer la nouvelle adresse » :\n{url}\n\nJusque-là, rien ne "
            f"change : vous vous connectez toujours avec {user.email}.\n\nSi vous n'avez rien demandé, ignorez ce "
            "message."
        ),
        to=new_email,
    )
    return new_email


@transaction.atomic
def confirm_email_change(*, user: User, token: str, request: HttpRequest | None = None) -> User:
    """Switch the account to the new address proved by the link; the old address is told."""
    user = User.objects.select_for_update().get(pk=user.pk)
    data = _read_link(token, salt=tokens.CHANGE_SALT, user=user)
    try:
        new_email = _clean_new_address(data.new_email, user=user)
    except ValidationError as exc:
        raise ValidationError(
            "Cette adresse est entre-temps devenue celle d'un autre compte : choisissez-en une autre depuis "
            "« Mon compte ».",
            code="taken",
        ) from exc
    old_email = user.email
    user.email = new_email
    user.email_verified_at = timezone.now()
    try:
        with transaction.atomic():
            user.save(update_fields=["email", "email_verified_at"])
    except IntegrityError as exc:
        raise ValidationError(
            "Cette adresse est entre-temps devenue celle d'un autre compte : choisissez-en une autre.", code="taken"
        ) from exc
    record_event(
        action="auth.email_changed",
        actor=user,
        details={"old_email": old_email, "new_email": new_email},
        request=request,
    )
    _mail_after_commit(
        subject="L'adresse de votre compte Maillage a changé",
        body=(
            f"Bonjour {user.full_name},\n\nL'adresse de connexion de votre compte Maillage est désormais "
            f"{new_email} (elle était {old_email}). Les e-mails du site partiront à cette nouvelle adresse.\n\n"
            "Si vous n'êtes pas à l'origine de ce changement, prévenez sans attendre l'administrateur de votre "
            "espace et l'équipe qui exploite Maillage : votre compte a peut-être été utilisé par quelqu'un d'autre."
        ),
        to=old_email,
    )
    return user


@transaction.atomic
def update_profile(*, user: User, full_name: str, request: HttpRequest | None = None) -> User:
    full_name = _clean_full_name(full_name)
    if full_name != user.full_name:
        previous = user.full_name
        user.full_name = full_name
        user.save(update_fields=["full_name"])
        record_event(
            action="auth.profile_changed",
            actor=user,
            details={"from": previous, "to": full_name},
            request=request,
        )
    return user


def may_send_password_reset(*, user: User, request: HttpRequest | None = None) -> bool:
    """Record a request for a reset link; ``False`` when the account already had its share this hour."""
    recent = _recent(user, "auth.password_reset_requested")
    if len(recent) >= MAILS_PER_HOUR or (recent and timezone.now() - recent[0] < MAIL_INTERVAL):
        return False
    record_event(action="auth.password_reset_requested", actor=user, details={"email": user.email}, request=request)
    return True


def _password_changed_mail(user: User, how: str) -> None:
    _mail_after_commit(
        subject="Votre mot de passe Maillage a changé",
        body=(
            f"Bonjour {user.full_name},\n\nLe mot de passe de votre compte Maillage ({user.email}) vient d'être "
            f"{how}. Vos autres sessions ouvertes sont fermées ; vos jetons d'API restent valables (révoquez-les "
            "depuis « Jetons d'API » si besoin).\n\nSi vous n'êtes pas à l'origine de ce changement, utilisez "
            "« Mot de passe oublié ? » sur la page de connexion et prévenez l'administrateur de votre espace."
        ),
        to=user.email,
    )


@transaction.atomic
def complete_password_reset(*, user: User, request: HttpRequest | None = None) -> None:
    """After a password was set through the reset link: that link came by e-mail, so the address is proved."""
    if not user.email_verified:
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])
        record_event(
            action="auth.email_verified",
            actor=user,
            details={"email": user.email, "through": "password_reset"},
            request=request,
        )
    record_event(action="auth.password_reset", actor=user, details={"email": user.email}, request=request)
    _password_changed_mail(user, "réinitialisé par le lien envoyé à cette adresse")


@transaction.atomic
def complete_password_change(*, user: User, request: HttpRequest | None = None) -> None:
    record_event(action="auth.password_changed", actor=user, details={"email": user.email}, request=request)
    _password_changed_mail(user, "changé depuis la page « Mon compte »")
