"""Partnership requests: submitted from a public form (anti-abuse), accepted or refused by the association.

Thinking like an attacker:
- **No enumeration**: the public form answers the same « transmise » whether or not the association uses Maillage;
  nothing private (workspace, members, e-mails) is ever shown; only associations of the public directory are
  addressed.
- **No e-mail bombing**: nothing is ever sent to the address typed in the form (it could be anyone's); the
  association's owners and admins are told by e-mail, and each association receives at most
  ``PER_TARGET_PER_DAY`` requests a day; an address sends ``PER_EMAIL_PER_DAY`` a day and a connection
  ``PER_IP_PER_HOUR`` an hour (counted in the database, so alike across processes; the address is kept hashed).
- **Bots**: a honeypot field (hidden to people) filled means a robot: the form says « transmise » and keeps nothing.
- **No shared-directory pollution**: the proposer becomes an organisation of the directory only when the
  association accepts (or is matched by its SIREN).
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from maillage.alliances.actions import create_alliance
from maillage.alliances.models import Form
from maillage.core.hostile import single_line_error
from maillage.core.mail import send_after_commit
from maillage.core.roles import Role, role_at_least
from maillage.organizations.actions import DuplicateOrganization, create_organization
from maillage.organizations.models import Kind, Organization
from maillage.proposals.models import PartnershipRequest, RequestStatus
from maillage.workspaces.claims import require_verified
from maillage.workspaces.models import Membership, Workspace

PER_IP_PER_HOUR = 5
PER_EMAIL_PER_DAY = 3
PER_TARGET_PER_DAY = 10
PROPOSER_KINDS = [Kind.COMPANY, Kind.FOUNDATION, Kind.ASSOCIATION, Kind.COMMUNE, Kind.EPCI, Kind.DEPARTEMENT]
RECEIVING_KINDS = {Kind.ASSOCIATION}


class RateLimited(ValidationError):
    pass


def ip_hash(address: str) -> str:
    return hashlib.sha256(f"{settings.SECRET_KEY}:{address}".encode()).hexdigest()


def receives_requests(organization: Organization) -> bool:
    return organization.kind in RECEIVING_KINDS


def _verified_workspace(organization: Organization):
    return Workspace.objects.filter(organization=organization, verified_at__isnull=False).first()


def _clean(data: dict) -> dict:
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {
        k: str(data.get(k) or "").strip() for k in ("proposer_name", "contact_name", "email", "phone")
    }
    cleaned["message"] = str(data.get("message") or "").strip()
    cleaned["proposer_kind"] = str(data.get("proposer_kind") or "")
    cleaned["proposer_siren"] = str(data.get("proposer_siren") or "").replace(" ", "")
    for field, label, limit in (
        ("proposer_name", "Le nom de votre organisation", 200),
        ("contact_name", "Votre nom", 150),
        ("phone", "Le téléphone", 30),
    ):
        value = cleaned[field]
        if field != "phone" and not value:
            errors[field] = [f"{label} est obligatoire."]
        elif len(value) > limit:
            errors[field] = [f"{label} compte {limit} caractères au plus."]
        elif value and single_line_error(value, label):
            errors[field] = single_line_error(value, label)
    try:
        validate_email(cleaned["email"])
    except ValidationError:
        errors["email"] = ["Adresse e-mail invalide : vérifiez-la (par exemple prenom.nom@exemple.fr)."]
    if cleaned["proposer_kind"] not in PROPOSER_KINDS:
        errors["proposer_kind"] = ["Choisissez le type de votre organisation dans la liste."]
    if cleaned["proposer_siren"] and not (cleaned["proposer_siren"].isdigit() and len(cleaned["proposer_siren"]) == 9):
        errors["proposer_siren"] = ["Le SIREN compte 9 chiffres (laissez vide si vous ne le connaissez pas)."]
    if len(cleaned["message"]) < 20:
        errors["message"] = ["Décrivez votre proposition en quelques phrases (20 caractères au moins)."]
    elif len(cleaned["message"]) > 3000:
        errors["message"] = ["La proposition compte 3 000 caractères au plus : résumez-la."]
    forms = [f for f in dict.fromkeys(data.get("forms") or []) if f in Form.values]
    if len(forms) != len(list(dict.fromkeys(data.get("forms") or []))):
        errors["forms"] = ["Forme de partenariat inconnue : choisissez dans la liste."]
    cleaned["forms"] = forms or [Form.MECENAT_FINANCIER]
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def submit_request(*, organization: Organization, data: dict, address: str) -> PartnershipRequest | None:
    """Record a request from the public form. ``None`` when the honeypot says it is a robot (nothing kept)."""
    if str(data.get("website") or "").strip():
        return None
    if not receives_requests(organization):
        raise ValidationError({"organization": ["Les propositions de partenariat s'adressent à une association."]})
    cleaned = _clean(data)
    now = timezone.now()
    hashed = ip_hash(address or "")
    recent = PartnershipRequest.objects.select_for_update().filter(created_at__gte=now - timedelta(days=1))
    if recent.filter(ip_hash=hashed, created_at__gte=now - timedelta(hours=1)).count() >= PER_IP_PER_HOUR:
        raise RateLimited(
            {"__all__": ["Trop de propositions envoyées depuis votre connexion : réessayez dans une heure."]}
        )
    if recent.filter(email__iexact=cleaned["email"]).count() >= PER_EMAIL_PER_DAY:
        raise RateLimited({"__all__": ["Vous avez déjà envoyé plusieurs propositions aujourd'hui : réessayez demain."]})
    if recent.filter(organization=organization).count() >= PER_TARGET_PER_DAY:
        raise RateLimited(
            {"__all__": ["Cette association a reçu beaucoup de propositions aujourd'hui : réessayez demain."]}
        )
    workspace = _verified_workspace(organization)
    request = PartnershipRequest.objects.create(
        organization=organization,
        workspace=workspace,
        ip_hash=hashed,
        status=RequestStatus.PENDING if workspace else RequestStatus.UNDELIVERED,
        **cleaned,
    )
    if workspace is not None:
        _notify(request, workspace)
    return request


def _notify(request: PartnershipRequest, workspace) -> None:
    recipients = sorted(
        set(
            Membership.objects.active()
            .filter(workspace=workspace, role__in=[Role.OWNER, Role.ADMIN])
            .values_list("user__email", flat=True)
        )
    )
    if not recipients:
        return
    send_after_commit(
        subject=f"Proposition de partenariat de {request.proposer_name}",
        message=(
            f"Bonjour,\n\n{request.proposer_name} propose un partenariat à {request.organization.name} depuis le "
            "formulaire public de Maillage.\n\nConnectez-vous à Maillage, puis ouvrez « Propositions de "
            "partenariat » pour la lire, l'accepter (elle devient une alliance « identifiée ») ou la refuser.\n\n"
            "Maillage n'a pas vérifié l'identité de l'expéditeur : vérifiez-la avant de donner suite."
        ),
        recipient_list=recipients,
    )


def _decidable(request: PartnershipRequest, workspace, role: str | None) -> None:
    if not role_at_least(role, Role.MEMBER):
        raise PermissionDenied("Votre rôle dans cet espace ne permet pas cette action (lecture seule).")
    require_verified(workspace, "répondre aux propositions de partenariat")
    if request.status != RequestStatus.PENDING:
        raise ValidationError({"request": [f"Cette proposition est déjà {request.get_status_display().lower()}."]})


@transaction.atomic
def accept_request(*, request: PartnershipRequest, workspace, user, role: str | None):
    """Accept: the proposer joins the directory (or is found by its SIREN) and an identified alliance is created."""
    request = PartnershipRequest.objects.select_for_update().get(pk=request.pk, workspace=workspace)
    _decidable(request, workspace, role)
    data = {"kind": request.proposer_kind, "name": request.proposer_name}
    if request.proposer_siren:
        data["siren"] = request.proposer_siren
    try:
        proposer = create_organization(data=data, created_by=user, workspace=workspace)
    except DuplicateOrganization as duplicate:
        proposer = duplicate.existing
    except ValidationError:
        proposer = create_organization(
            data={"kind": request.proposer_kind, "name": request.proposer_name}, created_by=user, workspace=workspace
        )
    if proposer.pk == request.organization_id:
        raise ValidationError({"request": ["L'organisation qui propose est votre propre organisation."]})
    alliance = create_alliance(
        workspace=workspace,
        user=user,
        name=f"Partenariat proposé par {request.proposer_name}"[:200],
        forms=request.forms,
        partners=[(proposer, "partner", "")],
        purpose=(
            f"{request.message}\n\n— Proposition reçue le {timezone.localtime(request.created_at):%d/%m/%Y} par le "
            f"formulaire public, de {request.contact_name} ({request.email}"
            f"{', ' + request.phone if request.phone else ''})."
        )[:5000],
    )
    request.status, request.decided_at, request.decided_by, request.alliance = (
        RequestStatus.ACCEPTED,
        timezone.now(),
        user,
        alliance,
    )
    request.save(update_fields=["status", "decided_at", "decided_by", "alliance"])
    return alliance


@transaction.atomic
def refuse_request(*, request: PartnershipRequest, workspace, user, role: str | None) -> PartnershipRequest:
    request = PartnershipRequest.objects.select_for_update().get(pk=request.pk, workspace=workspace)
    _decidable(request, workspace, role)
    request.status, request.decided_at, request.decided_by = RequestStatus.REFUSED, timezone.now(), user
    request.save(update_fields=["status", "decided_at", "decided_by"])
    return request
