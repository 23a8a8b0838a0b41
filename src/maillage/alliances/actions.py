"""Alliance actions: one function per change of state, used by pages, API, importer and CLI alike.

Every action takes the acting ``workspace`` (and ``user``), checks that the workspace is an active party of the
alliance, validates its input with French messages keyed by field, and writes in one transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from maillage.alliances import totals
from maillage.alliances.corrections import correct_agreement as correct_agreement
from maillage.alliances.corrections import correct_interaction as correct_interaction
from maillage.alliances.handover import hand_over_lead as hand_over_lead
from maillage.alliances.handover import tell_the_lead
from maillage.alliances.lead import (  # re-exported: the area's actions in one place
    NotLead as NotLead,
)
from maillage.alliances.lead import is_lead as is_lead
from maillage.alliances.lead import lead_parties as lead_parties
from maillage.alliances.lead import require_lead
from maillage.alliances.lifecycle import Stage, allowed_moves, is_allowed
from maillage.alliances.models import (
    Agreement,
    AgreementKind,
    Alliance,
    AllianceNote,
    Attendance,
    Form,
    Interaction,
    InteractionKind,
    Party,
    PartyInvitation,
    PartyRole,
    Proposal,
    ProposalKind,
    ProposalStatus,
    StageChange,
    TerritoryLevel,
    WorkspaceSettings,
)
from maillage.alliances.queries import cold_after_days, my_party
from maillage.audit.actions import record_event
from maillage.core.hostile import single_line_error
from maillage.core.mail import send_after_commit
from maillage.core.roles import Role, role_at_least
from maillage.organizations.models import Contact, Organization
from maillage.territories.models import Commune, Departement, Epci, Region
from maillage.workspaces.claims import is_verified, require_verified
from maillage.workspaces.models import Membership

logger = logging.getLogger(__name__)

MAX_DURATION_MINUTES = 24 * 60 * 14  # a fortnight: beyond it, split the interaction
MAX_PDF_BYTES = 10 * 1024 * 1024
MAX_AGREEMENT_AMOUNT = 1_000_000_000  # 1 Md€: above it an amount is a typing error
MIN_COLD_AFTER_DAYS, MAX_COLD_AFTER_DAYS = 1, 3650


def _errors(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError(errors)


def party_of(alliance: Alliance, workspace) -> Party:
    """The active party through which ``workspace`` acts in ``alliance``, or 404 (existence not disclosed)."""
    party = my_party(alliance, workspace)
    if party is None:
        raise Http404("Alliance introuvable.")
    return party


def _clean_forms(forms: Iterable[str]) -> list[str]:
    forms = list(dict.fromkeys(forms or []))
    unknown = [f for f in forms if f not in Form.values]
    if unknown:
        raise ValidationError({"forms": [f"Forme(s) inconnue(s) : {', '.join(map(str, unknown))}."]})
    if not forms:
        raise ValidationError({"forms": ["Choisissez au moins une forme d'alliance."]})
    return [f for f in Form.values if f in forms]


def resolve_territory(level: str, code: str) -> dict:
    """Name, département and région of an alliance's territory, from the real reference data."""
    if not level and not code:
        return {"territory_level": "", "territory_code": "", "territory_name": "", "departement": None, "region": None}
    if level not in TerritoryLevel.values:
        raise ValidationError({"territory_level": ["Échelle inconnue : commune, epci, departement ou region."]})
    code = (code or "").strip().upper()
    found: dict[str, Any] | None = None
    if level == TerritoryLevel.COMMUNE:
        commune = Commune.objects.filter(code=code).select_related("departement").first()
        if commune:
            found = {"territory_name": commune.name, "departement": commune.departement, "region_id": commune.region_id}
    elif level == TerritoryLevel.EPCI:
        epci = Epci.objects.filter(siren=code).first()
        member = epci.communes.order_by("-population").first() if epci else None
        if epci:
            found = {
                "territory_name": epci.name,
                "departement": member.departement if member else None,
                "region_id": member.region_id if member else None,
            }
    elif level == TerritoryLevel.DEPARTEMENT:
        departement = Departement.objects.filter(code=code).first()
        if departement:
            found = {"territory_name": departement.name, "departement": departement, "region_id": departement.region_id}
    else:
        region = Region.objects.filter(code=code).first()
        if region:
            found = {"territory_name": region.name, "departement": None, "region_id": region.code}
    if not found:
        raise ValidationError(
            {
                "territory_code": [
                    f"Aucun territoire de type « {TerritoryLevel(level).label.lower()} » n'a le code « {code} »."
                ]
            }
        )
    region = Region.objects.get(code=found.pop("region_id")) if found.get("region_id") else None
    return {"territory_level": level, "territory_code": code, "region": region, **found}


def _clean_dates(starts_on: date | None, ends_on: date | None) -> None:
    if starts_on and ends_on and ends_on < starts_on:
        raise ValidationError({"ends_on": ["La date de fin précède la date de début : corrigez l'une des deux."]})
    for field, value in (("starts_on", starts_on), ("ends_on", ends_on)):
        if value and not (date(1990, 1, 1) <= value <= date(2100, 12, 31)):
            raise ValidationError({field: ["Date hors de la plage admise (1990–2100)."]})


def check_alliance(
    *,
    workspace,
    name: str,
    forms: Iterable[str],
    partners: Iterable[tuple[Any, str, str]] = (),
    own_role: str = PartyRole.LEAD,
    own_commitment: str = "",
    purpose: str = "",
    territory_level: str = "",
    territory_code: str = "",
    starts_on: date | None = None,
    ends_on: date | None = None,
    territories: dict | None = None,
) -> dict:
    """The checks of :func:`create_alliance`, without writing: what :func:`create_alliances` writes.

    ``partners`` are (organisation, role, commitment), the organisation anything with ``pk`` and ``kind``;
    ``territories`` (optional) keeps the territories already resolved, by (level, code), across calls."""
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = ["Donnez un nom à l'alliance."]
    elif len(name) > 200:
        errors["name"] = ["Le nom compte 200 caractères au plus."]
    elif single_line_error(name, "Le nom de l'alliance"):
        errors["name"] = single_line_error(name, "Le nom de l'alliance")
    if len(purpose or "") > 5000:
        errors["purpose"] = ["L'objet compte 5 000 caractères au plus."]
    try:
        forms = _clean_forms(forms)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    territory: dict = {}
    try:
        if territories is None:
            territory = resolve_territory(territory_level, territory_code)
        else:
            where = (territory_level, (territory_code or "").strip().upper())
            if where not in territories:
                try:
                    territories[where] = resolve_territory(territory_level, territory_code)
                except ValidationError as exc:
                    territories[where] = exc
            found = territories[where]
            if isinstance(found, ValidationError):
                raise ValidationError(found.message_dict)
            territory = dict(found)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        _clean_dates(starts_on, ends_on)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    partners = list(partners)
    roles = [own_role] + [role for _, role, _ in partners]
    if any(role not in PartyRole.values for role in roles):
        errors["parties"] = ["Rôle inconnu : pilote, partenaire, financeur, opérateur ou évaluateur."]
    organizations = [workspace.organization_id] + [org.pk for org, _, _ in partners]
    if len(set(organizations)) != len(organizations):
        errors.setdefault("parties", []).append("Une même organisation ne peut être partie deux fois.")
    if len(organizations) < 2:
        errors.setdefault("parties", []).append(
            "Une alliance réunit au moins deux organisations : ajoutez un partenaire."
        )
    _errors(errors)
    return {
        "alliance": {
            "name": name,
            "purpose": (purpose or "").strip(),
            "forms": forms,
            "starts_on": starts_on,
            "ends_on": ends_on,
            **territory,
        },
        "own": (own_role, own_commitment),
        "partners": [(org.pk, org.kind, role, commitment or "") for org, role, commitment in partners],
    }


@transaction.atomic
def create_alliance(
    *,
    workspace,
    user,
    name: str,
    forms: Iterable[str],
    partners: Iterable[tuple[Organization, str, str]] = (),
    own_role: str = PartyRole.LEAD,
    own_commitment: str = "",
    purpose: str = "",
    territory_level: str = "",
    territory_code: str = "",
    starts_on: date | None = None,
    ends_on: date | None = None,
) -> Alliance:
    """Create an alliance at stage ``identified``; the acting workspace's organisation is its first party.

    ``partners`` are (organisation, role, commitment) for the other parties; an alliance has two parties at least.
    """
    checked = check_alliance(
        workspace=workspace,
        name=name,
        forms=forms,
        partners=partners,
        own_role=own_role,
        own_commitment=own_commitment,
        purpose=purpose,
        territory_level=territory_level,
        territory_code=territory_code,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    return create_alliances(workspace=workspace, user=user, checked=[checked])[0]


@transaction.atomic
def create_alliances(*, workspace, user, checked: list[dict]) -> list[Alliance]:
    """Alliances checked by :func:`check_alliance` (one, or an import's batch), written together: the alliances,
    their parties (the acting workspace's organisation first) and their first stage, one ``INSERT`` each."""
    if not checked:
        return []
    alliances = Alliance.objects.bulk_create(
        [Alliance(created_by_workspace=workspace, created_by=user, **c["alliance"]) for c in checked]
    )
    now = timezone.now()
    own_kind = workspace.organization.kind
    parties = []
    for alliance, c in zip(alliances, checked, strict=True):
        own_role, own_commitment = c["own"]
        parties.append(
            Party(
                alliance=alliance,
                organization_id=workspace.organization_id,
                organization_kind=own_kind,
                role=own_role,
                commitment=own_commitment,
                workspace=workspace,
                joined_at=now,
            )
        )
        parties += [
            Party(alliance=alliance, organization_id=pk, organization_kind=kind, role=role, commitment=commitment)
            for pk, kind, role, commitment in c["partners"]
        ]
    Party.objects.bulk_create(parties)
    StageChange.objects.bulk_create(
        StageChange(alliance=a, to_stage=Stage.IDENTIFIED, by=user, by_workspace=workspace, reason="Création")
        for a in alliances
    )
    return alliances


@transaction.atomic
def update_alliance(*, alliance: Alliance, workspace, user, **changes) -> Alliance:
    """Edit the description of an alliance (never its stage: see :func:`move_alliance`); the lead decides."""
    party_of(alliance, workspace)
    require_lead(alliance, workspace, "de la description de l'alliance")
    allowed = {"name", "purpose", "forms", "territory_level", "territory_code", "starts_on", "ends_on"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError({field: ["Ce champ ne se modifie pas ici."] for field in unknown})
    errors: dict[str, list[str]] = {}
    if "name" in changes:
        name = (changes["name"] or "").strip()
        if not name or len(name) > 200:
            errors["name"] = ["Le nom est obligatoire (200 caractères au plus)."]
        elif single_line_error(name, "Le nom de l'alliance"):
            errors["name"] = single_line_error(name, "Le nom de l'alliance")
        alliance.name = name
    if "purpose" in changes:
        alliance.purpose = (changes["purpose"] or "").strip()[:5000]
    if "forms" in changes:
        try:
            alliance.forms = _clean_forms(changes["forms"])
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if "territory_level" in changes or "territory_code" in changes:
        try:
            territory = resolve_territory(
                changes.get("territory_level", alliance.territory_level),
                changes.get("territory_code", alliance.territory_code),
            )
            for key, value in territory.items():
                setattr(alliance, key, value)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    alliance.starts_on = changes.get("starts_on", alliance.starts_on)
    alliance.ends_on = changes.get("ends_on", alliance.ends_on)
    try:
        _clean_dates(alliance.starts_on, alliance.ends_on)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    _errors(errors)
    alliance.save()
    return alliance


@transaction.atomic
def move_alliance(*, alliance: Alliance, workspace, user, to_stage: str, reason: str = "") -> Alliance:
    """Move an alliance to the next stage, if the lifecycle allows it; the lead decides; the move is logged."""
    return record_stage_move(
        alliance=alliance, workspace=workspace, user=user, to_stage=to_stage, reason=reason
    ).alliance


@transaction.atomic
def record_stage_move(*, alliance: Alliance, workspace, user, to_stage: str, reason: str = "") -> StageChange:
    """``move_alliance``, answering the log entry it wrote (the API shows it: not the latest-dated one of the log,
    which an imported or restored entry dated later would be)."""
    party_of(alliance, workspace)
    require_lead(alliance, workspace, "de l'étape de l'alliance")
    alliance = Alliance.objects.select_for_update().get(pk=alliance.pk)
    reason = (reason or "").strip()
    if to_stage not in Stage.values:
        raise ValidationError({"to_stage": [f"Étape inconnue « {to_stage} »."]})
    if not is_allowed(alliance.stage, to_stage):
        possible = ", ".join(Stage(s).label.lower() for s in allowed_moves(alliance.stage)) or "aucune (étape finale)"
        raise ValidationError(
            {
                "to_stage": [
                    f"Passage interdit de « {Stage(alliance.stage).label} » à « {Stage(to_stage).label} ». "
                    f"Étapes possibles : {possible}."
                ]
            }
        )
    if to_stage == Stage.ABANDONED and not reason:
        raise ValidationError({"reason": ["Indiquez pourquoi l'alliance est abandonnée."]})
    if len(reason) > 2000:
        raise ValidationError({"reason": ["La raison compte 2 000 caractères au plus."]})
    change = StageChange.objects.create(
        alliance=alliance, from_stage=alliance.stage, to_stage=to_stage, reason=reason, by=user, by_workspace=workspace
    )
    alliance.stage = to_stage
    alliance.stage_changed_at = timezone.now()
    if to_stage == Stage.ABANDONED:
        alliance.abandon_reason = reason
    alliance.save(update_fields=["stage", "stage_changed_at", "abandon_reason", "updated_at"])
    return change


@transaction.atomic
def add_party(
    *, alliance: Alliance, workspace, user, organization: Organization, role: str, commitment: str = ""
) -> Party:
    party_of(alliance, workspace)
    if role not in PartyRole.values:
        raise ValidationError({"role": ["Rôle inconnu : pilote, partenaire, financeur, opérateur ou évaluateur."]})
    existing = alliance.parties.filter(organization=organization).first()
    if existing is not None and existing.left_at is None:
        raise ValidationError({"organization": [f"{organization} est déjà partie à cette alliance."]})
    if existing is not None:  # it left and comes back: same row, history kept
        existing.left_at, existing.role, existing.commitment = None, role, commitment
        existing.save(update_fields=["left_at", "role", "commitment"])
        return existing
    return Party.objects.create(
        alliance=alliance,
        organization=organization,
        organization_kind=organization.kind,
        role=role,
        commitment=commitment or "",
    )


@transaction.atomic
def invite_party(
    *, alliance: Alliance, workspace, user, party: Party, email: str = "", request=None
) -> PartyInvitation:
    """Invite the workspace of another party to share the alliance (its admins accept it)."""
    party_of(alliance, workspace)
    require_verified(workspace, "inviter une autre organisation au nom de la vôtre")
    if party.alliance_id != alliance.pk:
        raise Http404("Partie introuvable.")
    if party.workspace_id is not None and party.left_at is None:
        raise ValidationError({"party": [f"{party.organization} partage déjà cette alliance."]})
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationError({"email": [f"« {email} » n'est pas une adresse e-mail valide."]}) from None
    if party.invitations.filter(accepted_at__isnull=True, declined_at__isnull=True).exists():
        raise ValidationError({"party": [f"Une invitation attend déjà la réponse de {party.organization}."]})
    invitation = PartyInvitation.objects.create(
        party=party, invited_by_workspace=workspace, invited_by=user, email=email or ""
    )
    record_event(
        action="sharing.invitation_sent",
        actor=user,
        workspace=workspace,
        target=invitation,
        target_label=f"{alliance.name} → {party.organization}",
        details={"alliance": alliance.pk, "organization": party.organization_id, "email": email or ""},
        request=request,
    )
    recipients = [email] if email else []

    # Only the organisation's verified workspace hears of it (decision 0008): never a stranger's claim.
    recipients += list(
        Membership.objects.active()
        .filter(
            workspace__organization=party.organization,
            workspace__verified_at__isnull=False,
            role__in=[Role.OWNER, Role.ADMIN],
        )
        .values_list("user__email", flat=True)
    )
    if recipients:
        send_after_commit(
            subject=f"{workspace.organization} vous invite à partager l'alliance « {alliance.name} »",
            message=(
                f"Bonjour,\n\n{user} ({workspace.organization}) invite {party.organization} à partager l'alliance "
                f"« {alliance.name} » sur Maillage.\n\nConnectez-vous à l'espace de {party.organization} et ouvrez "
                "« Alliances › Invitations » pour accepter."
            ),
            from_email=None,
            recipient_list=sorted(set(recipients)),
        )
    return invitation


ANSWER_INVITATIONS = "voir ni accepter les invitations d'alliance adressées à l'organisation"


def pending_invitations_for(workspace):
    """Invitations that the workspace's organisation may accept: none for an unverified workspace (decision 0008)."""
    if not is_verified(workspace):
        return PartyInvitation.objects.none()
    return PartyInvitation.objects.filter(
        party__organization_id=workspace.organization_id, accepted_at__isnull=True, declined_at__isnull=True
    ).select_related("party__alliance", "party__organization", "invited_by_workspace__organization")


@transaction.atomic
def accept_party_invitation(*, invitation: PartyInvitation, workspace, user, request=None) -> Party:
    require_verified(workspace, ANSWER_INVITATIONS)
    if invitation.party.organization_id != workspace.organization_id:
        raise Http404("Invitation introuvable.")
    if not invitation.is_pending:
        raise ValidationError("Cette invitation a déjà reçu une réponse.")
    party = invitation.party
    party.workspace = workspace
    party.joined_at = timezone.now()
    party.left_at = None
    party.save(update_fields=["workspace", "joined_at", "left_at"])
    invitation.accepted_at = timezone.now()
    invitation.accepted_by_workspace = workspace
    invitation.save(update_fields=["accepted_at", "accepted_by_workspace"])
    _record_answer(invitation, "sharing.invitation_accepted", workspace, user, request)
    return party


@transaction.atomic
def decline_party_invitation(*, invitation: PartyInvitation, workspace, user, request=None) -> None:
    require_verified(workspace, ANSWER_INVITATIONS)
    if invitation.party.organization_id != workspace.organization_id:
        raise Http404("Invitation introuvable.")
    if not invitation.is_pending:
        raise ValidationError("Cette invitation a déjà reçu une réponse.")
    invitation.declined_at = timezone.now()
    invitation.save(update_fields=["declined_at"])
    _record_answer(invitation, "sharing.invitation_declined", workspace, user, request)


def _record_answer(invitation: PartyInvitation, action: str, workspace, user, request) -> None:
    alliance = invitation.party.alliance
    record_event(
        action=action,
        actor=user,
        workspace=workspace,
        target=invitation,
        target_label=f"{alliance.name} (invitée par {invitation.invited_by_workspace.organization})",
        details={"alliance": alliance.pk, "invited_by_workspace": invitation.invited_by_workspace_id},
        request=request,
    )


@transaction.atomic
def leave_alliance(*, alliance: Alliance, workspace, user) -> Party:
    """The workspace's party leaves: its members lose access; the history (contributions, moves) stays."""
    party = party_of(alliance, workspace)
    others = [p for p in alliance.parties.all() if p.pk != party.pk and p.workspace_id and p.left_at is None]
    if not others:
        raise ValidationError(
            "Vous êtes la dernière organisation à partager cette alliance : abandonnez-la ou terminez-la plutôt que de la quitter."
        )
    party.left_at = timezone.now()
    party.save(update_fields=["left_at"])
    return party


def _a_year_from(day: date) -> date:
    """The same day next year (28 February when the day is a 29 February)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


def _clean_interaction(kind: str, occurred_on: date | None, duration_minutes: int | None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if kind not in InteractionKind.values:
        errors["kind"] = ["Type inconnu : réunion, appel, visite, événement, e-mail ou visite de terrain."]
    if occurred_on is None:
        errors["occurred_on"] = ["Indiquez la date de l'échange."]
    elif not (date(1990, 1, 1) <= occurred_on <= _a_year_from(timezone.localdate())):
        errors["occurred_on"] = ["Date hors de la plage admise (de 1990 à l'an prochain)."]
    if duration_minutes is None or duration_minutes < 0:
        errors["duration_minutes"] = ["La durée doit être un nombre de minutes positif ou nul."]
    elif duration_minutes > MAX_DURATION_MINUTES:
        errors["duration_minutes"] = ["Durée invraisemblable (plus de 14 jours) : découpez l'échange."]
    return errors


@transaction.atomic
def log_interaction(
    *,
    alliance: Alliance,
    workspace,
    user,
    kind: str,
    occurred_on: date,
    duration_minutes: int,
    subject: str = "",
    notes: str = "",
    attendance: dict[int, int] | None = None,
    contacts: Iterable[Contact] = (),
) -> Interaction:
    """Log a meeting, call, visit… ``attendance`` maps party id → people present (the acting party by default)."""
    own = party_of(alliance, workspace)
    errors = _clean_interaction(kind, occurred_on, duration_minutes)
    parties = {p.pk: p for p in alliance.parties.all()}
    attendance = dict(attendance or {own.pk: 1})
    for party_id, people in attendance.items():
        if party_id not in parties:
            errors.setdefault("attendance", []).append("Une organisation présente n'est pas partie à cette alliance.")
        elif not isinstance(people, int) or not 0 <= people <= 500:
            errors.setdefault("attendance", []).append(
                "Le nombre de personnes présentes doit être compris entre 0 et 500."
            )
    contacts = list(contacts)
    if any(c.workspace_id != workspace.pk for c in contacts):
        errors["contacts"] = ["Un contact choisi n'appartient pas à votre espace."]
    errors.update(_subject_errors(subject))
    _errors(errors)
    interaction = Interaction.objects.create(
        alliance=alliance,
        workspace=workspace,
        kind=kind,
        occurred_on=occurred_on,
        duration_minutes=duration_minutes,
        subject=(subject or "").strip(),
        notes=(notes or "").strip(),
        created_by=user,
    )
    Attendance.objects.bulk_create(
        Attendance(interaction=interaction, party_id=pid, people=people, minutes=people * duration_minutes)
        for pid, people in attendance.items()
        if people
    )
    totals.add_minutes({pid: people * duration_minutes for pid, people in attendance.items()})
    interaction.contacts.set(contacts)
    if alliance.last_interaction_on is None or occurred_on > alliance.last_interaction_on:
        Alliance.objects.filter(pk=alliance.pk).update(last_interaction_on=occurred_on, updated_at=timezone.now())
        alliance.last_interaction_on = occurred_on
    return interaction


def _subject_errors(subject: str) -> dict[str, list[str]]:
    if len(subject or "") > 200:
        return {"subject": ["L'objet compte 200 caractères au plus."]}
    return {"subject": message} if (message := single_line_error(subject, "L'objet de l'échange")) else {}


def check_interaction(
    *, kind: str, occurred_on: date | None, duration_minutes: int | None, subject: str = ""
) -> dict[str, list[str]]:
    """The checks of :func:`log_interaction` on its values (no database): the errors by field, or nothing."""
    return {**_clean_interaction(kind, occurred_on, duration_minutes), **_subject_errors(subject)}


@transaction.atomic
def log_interactions(*, workspace, user, rows: list[dict]) -> list[Interaction]:
    """Interactions of an import's batch, each attended by the acting party, written together.

    Each row: ``alliance`` (its parties loaded), ``kind``, ``occurred_on``, ``duration_minutes``, ``subject``,
    ``notes``. Checked as :func:`log_interaction` checks them; any error refuses the whole batch."""
    owns = []
    for row in rows:
        own = party_of(row["alliance"], workspace)
        _errors(
            check_interaction(
                kind=row["kind"],
                occurred_on=row["occurred_on"],
                duration_minutes=row["duration_minutes"],
                subject=row["subject"],
            )
        )
        owns.append(own)
    interactions = Interaction.objects.bulk_create(
        Interaction(
            alliance=row["alliance"],
            workspace=workspace,
            kind=row["kind"],
            occurred_on=row["occurred_on"],
            duration_minutes=row["duration_minutes"],
            subject=(row["subject"] or "").strip(),
            notes=(row["notes"] or "").strip(),
            created_by=user,
        )
        for row in rows
    )
    Attendance.objects.bulk_create(
        Attendance(interaction=i, party_id=own.pk, people=1, minutes=i.duration_minutes)
        for i, own in zip(interactions, owns, strict=True)
    )
    minutes: dict[int, int] = {}
    latest: dict[int, date] = {}
    for row, own in zip(rows, owns, strict=True):
        minutes[own.pk] = minutes.get(own.pk, 0) + row["duration_minutes"]
        pk = row["alliance"].pk
        latest[pk] = max(latest.get(pk, row["occurred_on"]), row["occurred_on"])
    totals.add_minutes(minutes)
    now = timezone.now()
    for pk, day in latest.items():
        Alliance.objects.filter(Q(last_interaction_on__isnull=True) | Q(last_interaction_on__lt=day), pk=pk).update(
            last_interaction_on=day, updated_at=now
        )
    return interactions


def _check_pdf(upload) -> None:
    if upload is None:
        return
    if upload.size > MAX_PDF_BYTES:
        raise ValidationError({"file": [f"Le fichier pèse {upload.size // 1024 // 1024} Mo ; 10 Mo au plus."]})
    head = upload.read(5)
    upload.seek(0)
    if head != b"%PDF-":
        raise ValidationError(
            {
                "file": [
                    "Le fichier n'est pas un PDF (son contenu ne commence pas par %PDF) : exportez le document signé en PDF."
                ]
            }
        )


@transaction.atomic
def record_agreement(
    *,
    alliance: Alliance,
    workspace,
    user,
    kind: str,
    title: str,
    signed_on: date,
    duration_months: int | None = None,
    amount=None,
    renewal_on: date | None = None,
    file=None,
) -> Agreement:
    party_of(alliance, workspace)
    errors: dict[str, list[str]] = {}
    if kind not in AgreementKind.values:
        errors["kind"] = ["Type inconnu : mécénat, partenariat, prestation ou convention pluriannuelle d'objectifs."]
    title = (title or "").strip()
    if not title or len(title) > 200:
        errors["title"] = ["Donnez un intitulé (200 caractères au plus)."]
    elif single_line_error(title, "L'intitulé de l'accord"):
        errors["title"] = single_line_error(title, "L'intitulé de l'accord")
    if signed_on is None:
        errors["signed_on"] = ["Indiquez la date de signature."]
    if renewal_on and signed_on and renewal_on < signed_on:
        errors["renewal_on"] = ["La date de renouvellement précède la signature."]
    if duration_months is not None and not 0 < duration_months <= 240:
        errors["duration_months"] = ["La durée doit être comprise entre 1 et 240 mois."]
    if amount is not None and (amount < 0 or amount >= MAX_AGREEMENT_AMOUNT):  # the column holds < 10 Md€
        errors["amount"] = ["Le montant doit être positif et vraisemblable."]
    try:
        _check_pdf(file)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    _errors(errors)
    agreement = Agreement(
        alliance=alliance,
        kind=kind,
        title=title,
        signed_on=signed_on,
        duration_months=duration_months,
        amount=amount,
        renewal_on=renewal_on,
        created_by_workspace=workspace,
    )
    if file is not None:
        agreement.file.save("convention.pdf", file, save=False)
    agreement.save()
    Alliance.objects.filter(pk=alliance.pk).update(updated_at=timezone.now())
    return agreement


def add_alliance_note(*, alliance: Alliance, workspace, user, text: str) -> AllianceNote:
    party_of(alliance, workspace)
    text = (text or "").strip()
    if not text or len(text) > 5000:
        raise ValidationError({"text": ["La note est vide ou dépasse 5 000 caractères."]})
    return AllianceNote.objects.create(alliance=alliance, workspace=workspace, author=user, text=text)


def require_writer(role: str | None) -> None:
    if not role_at_least(role, Role.MEMBER):
        raise PermissionDenied("Votre rôle dans cet espace ne permet pas cette action (lecture seule).")


RENEWAL_NOTICE_DAYS = 30


def send_agreement_reminders(*, today: date | None = None, days: int = RENEWAL_NOTICE_DAYS) -> int:
    """E-mail the admins of every sharing workspace about agreements to renew within ``days``; once each.

    Returns how many agreements were reminded. Run daily by the worker's schedule (or ``maillage remind_agreements``). The e-mails
    leave after each agreement's commit; one that fails is logged and left to be retried, the others go on.
    """
    today = today or timezone.localdate()
    due = (
        Agreement.objects.filter(
            renewal_on__isnull=False, renewal_on__lte=today + timedelta(days=days), renewal_on__gte=today
        )
        .filter(reminder_sent_on__isnull=True)
        .exclude(alliance__stage__in=["closed", "abandoned"])
        .select_related("alliance")
    )
    count = 0
    for agreement in due:
        try:
            with transaction.atomic():
                locked = Agreement.objects.select_for_update().filter(pk=agreement.pk, reminder_sent_on__isnull=True)
                if not locked.update(reminder_sent_on=today):
                    continue
                _remind_agreement(agreement)
        except Exception:
            # One agreement that fails (its e-mail refused…) must not stop the others': logged, retried tomorrow.
            logger.exception(
                "Rappel de renouvellement de l'accord %s non envoyé ; les suivants continuent.", agreement.pk
            )
            Agreement.objects.filter(pk=agreement.pk, reminder_sent_on=today).update(reminder_sent_on=None)
            continue
        count += 1
    return count


def _remind_agreement(agreement: Agreement) -> None:
    """E-mail the admins of every workspace sharing the agreement's alliance, once the reminder is saved."""

    workspaces = Party.objects.filter(
        alliance=agreement.alliance, left_at__isnull=True, workspace__isnull=False
    ).values("workspace")
    recipients = sorted(
        set(
            Membership.objects.active()
            .filter(workspace__in=workspaces, role__in=[Role.OWNER, Role.ADMIN])
            .values_list("user__email", flat=True)
        )
    )
    if recipients:
        send_after_commit(
            subject=f"À renouveler avant le {agreement.renewal_on:%d/%m/%Y} : {agreement.title}",
            message=(
                f"Bonjour,\n\nL'accord « {agreement.title} » ({agreement.get_kind_display().lower()}) de "
                f"l'alliance « {agreement.alliance.name} » arrive à échéance le "
                f"{agreement.renewal_on:%d/%m/%Y}.\n\nPréparez son renouvellement avec vos partenaires : "
                "ouvrez l'alliance dans Maillage pour retrouver la convention signée et son historique."
            ),
            from_email=None,
            recipient_list=recipients,
        )


@transaction.atomic
def set_cold_after_days(*, workspace, user, days: int, request=None) -> bool:
    """Set after how many days without an interaction the workspace's relationships are "going cold".

    Admins decide; the value is checked here (French message keyed by field), journaled
    (``alliance_settings.changed``, before and after) when it changes. Returns whether it changed.
    """
    membership = Membership.objects.visible_to(workspace).active().filter(user=user).first()
    if not role_at_least(membership.role if membership else None, Role.ADMIN):
        raise PermissionDenied("Seuls les administrateurs de l'espace règlent les alliances.")
    if isinstance(days, bool) or not isinstance(days, int):
        raise ValidationError({"cold_after_days": ["Indiquez un nombre entier de jours."]})
    if days < MIN_COLD_AFTER_DAYS:
        raise ValidationError({"cold_after_days": ["Indiquez au moins 1 jour."]})
    if days > MAX_COLD_AFTER_DAYS:
        raise ValidationError({"cold_after_days": ["Indiquez au plus 3 650 jours (10 ans)."]})
    before = cold_after_days(workspace)
    WorkspaceSettings.objects.update_or_create(workspace=workspace, defaults={"cold_after_days": days})
    if before == days:
        return False
    record_event(
        action="alliance_settings.changed",
        actor=user,
        workspace=workspace,
        details={"cold_after_days": {"before": before, "after": days}},
        request=request,
    )
    return True


# --- proposals: a party that does not lead proposes, the lead decides (decision 0016, the rule in lead.py) ----------

DESCRIPTION_FIELDS = ("name", "purpose", "forms", "territory_level", "territory_code", "starts_on", "ends_on")


def _clean_changes(changes: dict) -> dict:
    unknown = set(changes) - set(DESCRIPTION_FIELDS)
    if unknown:
        raise ValidationError({field: ["Ce champ ne se propose pas ici."] for field in sorted(unknown)})
    cleaned = {}
    for key, value in changes.items():
        cleaned[key] = value.isoformat() if isinstance(value, date) else value
    if "name" in cleaned and not (cleaned["name"] or "").strip():
        raise ValidationError({"name": ["Le nom est obligatoire (200 caractères au plus)."]})
    if not cleaned:
        raise ValidationError({"changes": ["Indiquez au moins un changement à proposer."]})
    return cleaned


@transaction.atomic
def propose_change(
    *, alliance: Alliance, workspace, user, to_stage: str = "", changes: dict | None = None, reason: str = ""
) -> Proposal:
    """A party that does not lead proposes a stage (``to_stage``) or a new description (``changes``)."""
    party = party_of(alliance, workspace)
    if is_lead(alliance, workspace):
        raise ValidationError(
            "Votre organisation pilote cette alliance : changez directement son étape ou sa description."
        )
    reason = (reason or "").strip()
    if len(reason) > 2000:
        raise ValidationError({"reason": ["La raison compte 2 000 caractères au plus."]})
    if to_stage:
        if to_stage not in Stage.values:
            raise ValidationError({"to_stage": [f"Étape inconnue « {to_stage[:40]} »."]})
        if not is_allowed(alliance.stage, to_stage):
            possible = ", ".join(Stage(s).label.lower() for s in allowed_moves(alliance.stage)) or "aucune"
            raise ValidationError(
                {
                    "to_stage": [
                        f"Passage impossible depuis « {Stage(alliance.stage).label} ». Étapes possibles : {possible}."
                    ]
                }
            )
        if to_stage == Stage.ABANDONED and not reason:
            raise ValidationError({"reason": ["Indiquez pourquoi vous proposez d'abandonner l'alliance."]})
        proposal = Proposal(alliance=alliance, kind=ProposalKind.STAGE, to_stage=to_stage)
    else:
        proposal = Proposal(alliance=alliance, kind=ProposalKind.DESCRIPTION, changes=_clean_changes(changes or {}))
    proposal.reason, proposal.by_workspace, proposal.by = reason, workspace, user
    proposal.save()
    record_event(
        action="sharing.proposal_made",
        actor=user,
        workspace=workspace,
        target=alliance,
        details={"proposal": proposal.pk, "kind": proposal.kind, "to_stage": to_stage, "party": party.pk},
    )
    tell_the_lead(proposal, workspace, user)
    return proposal


def _pending(proposal: Proposal, workspace, what: str) -> Proposal:
    require_lead(proposal.alliance, workspace, what)
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if not proposal.is_pending:
        raise ValidationError(f"Cette proposition a déjà reçu sa réponse ({proposal.get_status_display().lower()}).")
    return proposal


@transaction.atomic
def accept_proposal(*, proposal: Proposal, workspace, user, answer: str = "") -> Proposal:
    """The lead accepts: the change is made in its name (the proposer is named in the stage log's reason)."""
    alliance = proposal.alliance
    proposal = _pending(proposal, workspace, "des propositions")
    proposer = proposal.by_workspace.organization.name if proposal.by_workspace else "une partie"
    if proposal.kind == ProposalKind.STAGE:
        reason = f"Proposé par {proposer}" + (f" : {proposal.reason}" if proposal.reason else "")
        move_alliance(
            alliance=alliance, workspace=workspace, user=user, to_stage=proposal.to_stage, reason=reason[:2000]
        )
    else:
        changes = dict(proposal.changes)
        for key in ("starts_on", "ends_on"):
            if changes.get(key):
                changes[key] = date.fromisoformat(changes[key])
        update_alliance(alliance=alliance, workspace=workspace, user=user, **changes)
    return _decide(proposal, ProposalStatus.ACCEPTED, workspace, user, answer, "sharing.proposal_accepted")


@transaction.atomic
def refuse_proposal(*, proposal: Proposal, workspace, user, answer: str = "") -> Proposal:
    proposal = _pending(proposal, workspace, "des propositions")
    return _decide(proposal, ProposalStatus.REFUSED, workspace, user, answer, "sharing.proposal_refused")


def _decide(proposal: Proposal, status: str, workspace, user, answer: str, action: str) -> Proposal:
    answer = (answer or "").strip()
    if len(answer) > 2000:
        raise ValidationError({"answer": ["La réponse compte 2 000 caractères au plus."]})
    proposal.status, proposal.answer = status, answer
    proposal.decided_by_workspace, proposal.decided_by, proposal.decided_at = workspace, user, timezone.now()
    proposal.save(update_fields=["status", "answer", "decided_by_workspace", "decided_by", "decided_at"])
    record_event(
        action=action,
        actor=user,
        workspace=workspace,
        target=proposal.alliance,
        details={"proposal": proposal.pk, "kind": proposal.kind, "answer": answer[:200]},
    )
    return proposal
