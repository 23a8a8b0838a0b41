"""Who acts for an organisation (decision 0008): verified claims, join requests, and the check that guards
everything that speaks in an organisation's name.

An unverified workspace prepares its own work; only the one verified workspace of an organisation sees its
receipt eligibility, issues receipts in its series, answers the alliance invitations addressed to it and feeds the
observatory. Operators (``is_staff``) approve or refuse claims on evidence; the verified workspace's owners and
admins accept or refuse those who ask to join it.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from maillage.audit.actions import record_event
from maillage.core.roles import Role, role_at_least
from maillage.workspaces.models import (
    ClaimStatus,
    EvidenceKind,
    JoinRequest,
    JoinStatus,
    Membership,
    OrganizationClaim,
    User,
    Workspace,
)

CLAIM_PAGE = "Espace › Vérification (/espace/verification/)"
EMAIL_NOT_PROVED = (
    "Votre adresse e-mail n'est pas encore confirmée : ouvrez le lien de l'e-mail de confirmation que nous vous "
    "avons envoyé (ou demandez-en un nouveau depuis votre compte), puis recommencez."
)
ALLOWED_EVIDENCE = {b"%PDF-": "pdf", b"\x89PNG": "png", b"\xff\xd8\xff": "jpg"}


class UnverifiedWorkspace(PermissionDenied):
    """Raised when an unverified workspace tries to act in its organisation's name (API: 403; pages explain)."""


class EmailNotProved(PermissionDenied):
    pass


# --- reads and checks ------------------------------------------------------------------------------------------


def is_verified(workspace) -> bool:
    return workspace is not None and workspace.verified_at is not None


def unverified_message(workspace, what: str) -> str:
    return (
        f"L'espace « {workspace.name} » n'est pas encore vérifié comme représentant de {workspace.organization} : "
        f"il ne peut pas {what}. Déposez un justificatif (récépissé, Kbis, JOAFE, délibération) dans {CLAIM_PAGE} ; "
        "un opérateur de la plateforme l'examine."
    )


def require_verified(workspace, what: str) -> None:
    """Refuse an action in the organisation's name to an unverified workspace, with a French message."""
    if not is_verified(workspace):
        raise UnverifiedWorkspace(unverified_message(workspace, what))


def require_proved_email(user) -> None:
    if not getattr(user, "email_verified", False):
        raise EmailNotProved(EMAIL_NOT_PROVED)


def verified_workspace_of(organization) -> Workspace | None:
    organization_id = getattr(organization, "pk", organization)
    return Workspace.objects.filter(organization_id=organization_id, verified_at__isnull=False).first()


def pending_claim_of(workspace) -> OrganizationClaim | None:
    return workspace.claims.filter(status=ClaimStatus.PENDING).first()


def _role_of(user, workspace) -> str | None:
    membership = Membership.objects.active().filter(user=user, workspace=workspace).first()
    return membership.role if membership else None


def _operators() -> list[str]:
    return list(User.objects.filter(is_staff=True, is_active=True).order_by("email").values_list("email", flat=True))


def _owners_and_admins(workspace, roles=(Role.OWNER, Role.ADMIN)) -> list[str]:
    return sorted(
        Membership.objects.active()
        .filter(workspace=workspace, role__in=list(roles))
        .values_list("user__email", flat=True)
    )


def mail_after_commit(*, subject: str, message: str, recipients: list[str]) -> None:
    """Send once the transaction is committed: nothing leaves for a change that was rolled back."""
    recipients = sorted({r for r in recipients if r})
    if not recipients:
        return
    subject = " ".join(subject.split())  # no CR/LF in a header, whatever the names hold
    transaction.on_commit(
        lambda: send_mail(subject=subject, message=message, from_email=None, recipient_list=recipients)
    )


# --- claims ----------------------------------------------------------------------------------------------------


def _check_evidence(evidence) -> str:
    if evidence is None:
        raise ValidationError({"evidence": ["Joignez le justificatif (PDF, PNG ou JPEG)."]})
    limit = settings.CLAIM_EVIDENCE_MAX_BYTES
    if evidence.size is None or evidence.size == 0:
        raise ValidationError({"evidence": ["Le fichier déposé est vide."]})
    if evidence.size > limit:
        raise ValidationError(
            {"evidence": [f"Fichier trop lourd ({evidence.size // 1024} Ko) : {limit // (1024 * 1024)} Mo au plus."]}
        )
    head = evidence.read(8)
    evidence.seek(0)
    for magic, suffix in ALLOWED_EVIDENCE.items():
        if head.startswith(magic):
            return suffix
    raise ValidationError(
        {"evidence": ["Le justificatif doit être un PDF, une image PNG ou JPEG (scan ou photo lisible)."]}
    )


@transaction.atomic
def submit_claim(
    *, workspace: Workspace, user, evidence_kind: str, evidence, statement: str, request=None
) -> OrganizationClaim:
    """An owner or admin of an unverified workspace asks the operators to verify it, with evidence."""
    workspace = Workspace.objects.select_for_update(of=("self",)).select_related("organization").get(pk=workspace.pk)
    if not role_at_least(_role_of(user, workspace), Role.ADMIN):
        raise PermissionDenied("Seuls les propriétaires et administrateurs de l'espace déposent un justificatif.")
    require_proved_email(user)
    if workspace.verified_at is not None:
        raise ValidationError("Cet espace est déjà vérifié : rien à déposer.")
    other = verified_workspace_of(workspace.organization_id)
    if other is not None:
        raise ValidationError(
            f"{workspace.organization} a déjà un espace vérifié : demandez à le rejoindre depuis « Nouvel espace »."
        )
    if pending_claim_of(workspace) is not None:
        raise ValidationError("Un justificatif attend déjà l'examen d'un opérateur pour cet espace.")
    errors: dict[str, list[str]] = {}
    if evidence_kind not in EvidenceKind.values:
        errors["evidence_kind"] = ["Choisissez le type de justificatif (récépissé, Kbis, JOAFE, délibération…)."]
    statement = (statement or "").strip()
    if len(statement) < 10:
        errors["statement"] = [
            "Expliquez en quelques mots qui vous êtes dans l'organisation (fonction, mandat) : 10 caractères au moins."
        ]
    elif len(statement) > 2000:
        errors["statement"] = ["2 000 caractères au plus."]
    try:
        suffix = _check_evidence(evidence)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        suffix = ""
    if errors:
        raise ValidationError(errors)
    claim = OrganizationClaim(
        workspace=workspace,
        organization=workspace.organization,
        submitted_by=user,
        evidence_kind=evidence_kind,
        evidence_name=(getattr(evidence, "name", "") or "")[-200:],
        statement=statement,
    )
    claim.evidence.save(f"justificatif.{suffix}", evidence, save=False)
    claim.save()
    record_event(
        action="claim.submitted",
        actor=user,
        workspace=workspace,
        target=claim,
        details={"evidence_kind": evidence_kind, "file": claim.evidence_name},
        request=request,
    )
    mail_after_commit(
        subject=f"Maillage : revendication à examiner ({workspace.organization})",
        message=(
            f"Bonjour,\n\n{user} ({user.email}) demande que l'espace « {workspace.name} » soit vérifié comme "
            f"représentant de {workspace.organization}.\nJustificatif : {claim.get_evidence_kind_display()}.\n\n"
            "Examinez-le dans la file des opérateurs : /operateurs/revendications/"
        ),
        recipients=_operators(),
    )
    return claim


def _require_operator(user) -> None:
    if not (getattr(user, "is_authenticated", False) and user.is_staff and user.is_active):
        raise PermissionDenied("Seuls les opérateurs de la plateforme examinent les revendications.")


def _claimant_emails(claim: OrganizationClaim) -> list[str]:
    return [claim.submitted_by.email] if claim.submitted_by else _owners_and_admins(claim.workspace)


@transaction.atomic
def approve_claim(*, claim: OrganizationClaim, operator, request=None) -> OrganizationClaim:
    """Verify the claim's workspace; the other waiting claims on the same organisation are closed."""
    _require_operator(operator)
    # Lock every workspace of the organisation: two approvals at once serialise here.
    workspaces = list(
        Workspace.objects.select_for_update().filter(organization_id=claim.organization_id).order_by("pk")
    )
    claim = (
        OrganizationClaim.objects.select_for_update(of=("self",))
        .select_related("workspace", "submitted_by")
        .get(pk=claim.pk)
    )
    if claim.status != ClaimStatus.PENDING:
        raise ValidationError(f"Cette revendication est déjà close ({claim.get_status_display().lower()}).")
    if any(w.verified_at is not None for w in workspaces):
        raise ValidationError(
            f"{claim.organization} a déjà un espace vérifié : refusez cette revendication (le demandeur pourra "
            "demander à rejoindre l'espace vérifié)."
        )
    now = timezone.now()
    workspace = claim.workspace
    workspace.verified_at = now
    try:
        with transaction.atomic():
            workspace.save(update_fields=["verified_at"])
    except IntegrityError as exc:  # the constraint, last safeguard
        raise ValidationError(f"{claim.organization} a déjà un espace vérifié.") from exc
    claim.status, claim.decided_at, claim.decided_by = ClaimStatus.APPROVED, now, operator
    claim.save(update_fields=["status", "decided_at", "decided_by"])
    record_event(action="claim.approved", actor=operator, workspace=workspace, target=claim, request=request)
    mail_after_commit(
        subject=f"Maillage : l'espace « {workspace.name} » est vérifié",
        message=(
            f"Bonjour,\n\nUn opérateur de Maillage a vérifié votre justificatif : l'espace « {workspace.name} » agit "
            f"désormais pour {claim.organization}. Vous pouvez déclarer l'habilitation à émettre des reçus fiscaux, "
            "émettre des reçus et répondre aux invitations adressées à votre organisation."
        ),
        recipients=_claimant_emails(claim),
    )
    others = OrganizationClaim.objects.select_related("workspace", "submitted_by").filter(
        organization_id=claim.organization_id, status=ClaimStatus.PENDING
    )
    for other in others:
        other.status, other.decided_at, other.decided_by = ClaimStatus.SUPERSEDED, now, operator
        other.decision_reason = f"Un autre espace a été vérifié pour {claim.organization}."
        other.save(update_fields=["status", "decided_at", "decided_by", "decision_reason"])
        record_event(
            action="claim.superseded", actor=operator, workspace=other.workspace, target=other, request=request
        )
        mail_after_commit(
            subject=f"Maillage : votre demande pour {claim.organization} est close",
            message=(
                f"Bonjour,\n\nUn autre espace a été vérifié comme représentant de {claim.organization}. Votre espace "
                f"« {other.workspace.name} » garde ses brouillons mais ne peut pas agir au nom de l'organisation.\n"
                "Pour travailler avec l'espace vérifié, demandez à le rejoindre : Espaces › Nouvel espace, puis "
                "choisissez la même organisation ; ses propriétaires accepteront ou non votre demande."
            ),
            recipients=_claimant_emails(other),
        )
    return claim


@transaction.atomic
def refuse_claim(*, claim: OrganizationClaim, operator, reason: str, request=None) -> OrganizationClaim:
    _require_operator(operator)
    claim = (
        OrganizationClaim.objects.select_for_update(of=("self",))
        .select_related("workspace", "submitted_by")
        .get(pk=claim.pk)
    )
    if claim.status != ClaimStatus.PENDING:
        raise ValidationError(f"Cette revendication est déjà close ({claim.get_status_display().lower()}).")
    reason = " ".join((reason or "").split())
    if len(reason) < 5:
        raise ValidationError(
            {"reason": ["Indiquez le motif du refus (5 caractères au moins) : il est envoyé au demandeur."]}
        )
    if len(reason) > 500:
        raise ValidationError({"reason": ["500 caractères au plus."]})
    claim.status, claim.decided_at, claim.decided_by = ClaimStatus.REFUSED, timezone.now(), operator
    claim.decision_reason = reason
    claim.save(update_fields=["status", "decided_at", "decided_by", "decision_reason"])
    record_event(
        action="claim.refused",
        actor=operator,
        workspace=claim.workspace,
        target=claim,
        details={"reason": reason},
        request=request,
    )
    mail_after_commit(
        subject=f"Maillage : justificatif refusé pour « {claim.workspace.name} »",
        message=(
            f"Bonjour,\n\nUn opérateur de Maillage n'a pas pu vérifier que l'espace « {claim.workspace.name} » "
            f"représente {claim.organization}.\nMotif : {reason}\n\nVous pouvez déposer un autre justificatif dans "
            f"{CLAIM_PAGE}."
        ),
        recipients=_claimant_emails(claim),
    )
    return claim


# --- join requests ---------------------------------------------------------------------------------------------


@transaction.atomic
def request_to_join(*, user, organization, message: str = "", request=None) -> JoinRequest:
    """Ask to join the verified workspace of ``organization``; a pending request is returned as it is."""
    require_proved_email(user)
    target = verified_workspace_of(organization)
    if target is None:
        raise ValidationError(
            {
                "organization": [
                    f"{organization} n'a pas encore d'espace vérifié : créez-en un et déposez un justificatif."
                ]
            }
        )
    if Membership.objects.active().filter(workspace=target, user=user).exists():
        raise ValidationError({"organization": [f"Vous êtes déjà membre de l'espace « {target.name} »."]})
    existing = JoinRequest.objects.filter(workspace=target, user=user, status=JoinStatus.PENDING).first()
    if existing is not None:
        return existing
    message = " ".join((message or "").split())[:1000]
    join = JoinRequest.objects.create(workspace=target, user=user, message=message)
    record_event(
        action="join_request.made",
        actor=user,
        workspace=target,
        target=join,
        target_label=f"{user.email} → {target.name}",
        request=request,
    )
    mail_after_commit(
        subject=f"Maillage : {user.email} demande à rejoindre « {target.name} »",
        message=(
            f"Bonjour,\n\n{user} ({user.email}) demande à rejoindre l'espace « {target.name} » de {organization}."
            + (f"\nSon message : {message}" if message else "")
            + "\n\nAcceptez (en choisissant son rôle) ou refusez dans Espace › Membres."
        ),
        recipients=_owners_and_admins(target, roles=(Role.OWNER,)),
    )
    return join


def _decidable(join_request: JoinRequest, actor) -> tuple[JoinRequest, str]:
    join = (
        JoinRequest.objects.select_for_update(of=("self",)).select_related("workspace", "user").get(pk=join_request.pk)
    )
    actor_role = _role_of(actor, join.workspace)
    if actor_role is None or not role_at_least(actor_role, Role.ADMIN):
        raise PermissionDenied("Seuls les propriétaires et administrateurs de l'espace répondent aux demandes.")
    if join.status != JoinStatus.PENDING:
        raise ValidationError(f"Cette demande a déjà reçu une réponse ({join.get_status_display().lower()}).")
    return join, actor_role


@transaction.atomic
def accept_join_request(*, join_request: JoinRequest, actor, role: str, request=None) -> Membership:
    join, actor_role = _decidable(join_request, actor)
    if role not in Role.values:
        raise ValidationError({"role": [f"Rôle inconnu « {role} » : lecteur, membre, administrateur ou propriétaire."]})
    if role == Role.OWNER and actor_role != Role.OWNER:
        raise ValidationError({"role": ["Seul un propriétaire peut accorder le rôle de propriétaire."]})
    if not join.user.is_active:
        raise ValidationError("Ce compte est désactivé.")
    membership, _ = Membership.objects.update_or_create(
        workspace=join.workspace, user=join.user, defaults={"role": role, "revoked_at": None}
    )
    join.status, join.role, join.decided_at, join.decided_by = JoinStatus.ACCEPTED, role, timezone.now(), actor
    join.save(update_fields=["status", "role", "decided_at", "decided_by"])
    record_event(
        action="join_request.accepted",
        actor=actor,
        workspace=join.workspace,
        target=join,
        target_label=f"{join.user.email} → {join.workspace.name}",
        details={"role": role},
        request=request,
    )
    mail_after_commit(
        subject=f"Maillage : vous avez rejoint « {join.workspace.name} »",
        message=(
            f"Bonjour,\n\nVotre demande est acceptée : vous êtes {Role(role).label.lower()} de l'espace "
            f"« {join.workspace.name} ». Choisissez-le dans « Espaces » pour y travailler."
        ),
        recipients=[join.user.email],
    )
    return membership


@transaction.atomic
def refuse_join_request(*, join_request: JoinRequest, actor, reason: str = "", request=None) -> JoinRequest:
    join, _ = _decidable(join_request, actor)
    reason = " ".join((reason or "").split())[:500]
    join.status, join.decided_at, join.decided_by = JoinStatus.REFUSED, timezone.now(), actor
    join.decision_reason = reason
    join.save(update_fields=["status", "decided_at", "decided_by", "decision_reason"])
    record_event(
        action="join_request.refused",
        actor=actor,
        workspace=join.workspace,
        target=join,
        target_label=f"{join.user.email} → {join.workspace.name}",
        details={"reason": reason},
        request=request,
    )
    mail_after_commit(
        subject=f"Maillage : demande refusée pour « {join.workspace.name} »",
        message=(
            f"Bonjour,\n\nLes responsables de l'espace « {join.workspace.name} » n'ont pas accepté votre demande."
            + (f"\nMotif : {reason}" if reason else "")
        ),
        recipients=[join.user.email],
    )
    return join
