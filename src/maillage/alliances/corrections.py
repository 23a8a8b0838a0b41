"""Corrections of an alliance's records (decision 0016): interactions and agreements.

The workspace that recorded an interaction or an agreement corrects it while it is an active party; every change
is kept in the audit journal (who, when, before and after, why) and shown on the record's page, as for the
contributions (:func:`maillage.contributions.actions.correct_contribution`). Re-exported by
:mod:`maillage.alliances.actions`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from maillage.alliances import totals
from maillage.alliances.models import Agreement, AgreementKind, Alliance, Attendance, Interaction, InteractionKind
from maillage.audit.actions import record_event
from maillage.audit.history import Correction
from maillage.audit.history import corrections_of as _corrections_of
from maillage.core import formats
from maillage.core.hostile import single_line_error

INTERACTION_FIELDS = {
    "kind": "Type",
    "occurred_on": "Date",
    "duration_minutes": "Durée (minutes)",
    "subject": "Objet",
    "notes": "Compte rendu",
}
AGREEMENT_FIELDS = {
    "kind": "Type",
    "title": "Intitulé",
    "signed_on": "Signée le",
    "duration_months": "Durée (mois)",
    "amount": "Montant",
    "renewal_on": "À renouveler le",
}
_KIND_LABELS = {**dict(InteractionKind.choices), **dict(AgreementKind.choices)}


def _plain(value):
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _snapshot(obj, names) -> dict:
    return {name: _plain(getattr(obj, name)) for name in names}


def shown(name: str, value) -> str:
    """A value of the history as the pages print it (French dates, amounts, the type's label)."""
    if value in (None, ""):
        return "—"
    if name == "kind":
        return _KIND_LABELS.get(value, value)
    if name == "amount":
        return formats.money(value)
    if name in ("occurred_on", "signed_on", "renewal_on"):
        year, month, day = str(value).split("-")
        return f"{day}/{month}/{year}"
    return str(value)


def _check_author(obj_workspace_id: int, workspace, what: str) -> None:
    if obj_workspace_id != workspace.pk:
        raise PermissionDenied(f"Seul l'espace qui a enregistré {what} le corrige : demandez-lui la correction.")


def _journal(*, action: str, obj, workspace, user, before: dict, after: dict, reason: str) -> None:
    changed = [k for k in after if before[k] != after[k]]
    if not changed:
        raise ValidationError("Rien n'a changé : modifiez au moins un champ.")
    record_event(
        action=action,
        actor=user,
        workspace=workspace,
        target=obj,
        details={
            "before": {k: before[k] for k in changed},
            "after": {k: after[k] for k in changed},
            "reason": (reason or "").strip()[:500],
        },
    )


def _unknown(changes: dict, allowed) -> dict[str, list[str]]:
    return {name: ["Ce champ ne se corrige pas ici."] for name in sorted(set(changes) - set(allowed))}


@transaction.atomic
def correct_interaction(*, interaction: Interaction, workspace, user, changes: dict, reason: str = "") -> Interaction:
    """Correct an exchange the workspace logged: type, date, duration, subject, report.

    A new duration moves each party's time by the difference (attendances and the sums kept on write); a new
    date moves the alliance's « last exchange » to the latest remaining one.
    """
    from maillage.alliances.actions import _clean_interaction, party_of

    party_of(interaction.alliance, workspace)
    interaction = Interaction.objects.select_for_update().select_related("alliance").get(pk=interaction.pk)
    _check_author(interaction.workspace_id, workspace, "cet échange")
    errors = _unknown(changes, INTERACTION_FIELDS)
    before = _snapshot(interaction, INTERACTION_FIELDS)
    for name in ("kind", "occurred_on", "duration_minutes"):
        if name in changes:
            setattr(interaction, name, changes[name])
    duration: int | None = interaction.duration_minutes
    if "duration_minutes" in changes:
        try:
            duration = int(changes["duration_minutes"])
        except (TypeError, ValueError):
            duration = None
        interaction.duration_minutes = duration if duration is not None else -1
    errors.update(_clean_interaction(interaction.kind, interaction.occurred_on, duration))
    if "subject" in changes:
        subject = (changes["subject"] or "").strip()
        if len(subject) > 200:
            errors["subject"] = ["L'objet compte 200 caractères au plus."]
        elif single_line_error(subject, "L'objet de l'échange"):
            errors["subject"] = single_line_error(subject, "L'objet de l'échange")
        interaction.subject = subject
    if "notes" in changes:
        notes = (changes["notes"] or "").strip()
        if len(notes) > 10000:
            errors["notes"] = ["Le compte rendu compte 10 000 caractères au plus."]
        interaction.notes = notes
    if errors:
        raise ValidationError(errors)
    after = _snapshot(interaction, INTERACTION_FIELDS)
    _journal(
        action="interaction.corrected",
        obj=interaction,
        workspace=workspace,
        user=user,
        before=before,
        after=after,
        reason=reason,
    )
    interaction.save(update_fields=list(INTERACTION_FIELDS))
    if before["duration_minutes"] != after["duration_minutes"]:
        deltas = {}
        for attendance in Attendance.objects.filter(interaction=interaction):
            minutes = attendance.people * interaction.duration_minutes
            deltas[attendance.party_id] = minutes - attendance.minutes
            attendance.minutes = minutes
            attendance.save(update_fields=["minutes"])
        totals.add_minutes(deltas)
    if before["occurred_on"] != after["occurred_on"]:
        latest = Interaction.objects.filter(alliance_id=interaction.alliance_id).aggregate(m=Max("occurred_on"))["m"]
        Alliance.objects.filter(pk=interaction.alliance_id).update(
            last_interaction_on=latest, updated_at=timezone.now()
        )
    return interaction


@transaction.atomic
def correct_agreement(*, agreement: Agreement, workspace, user, changes: dict, reason: str = "") -> Agreement:
    """Correct an agreement the workspace recorded (not its signed PDF: record the new version instead).

    A new renewal date sends its reminder again when it comes."""
    from maillage.alliances.actions import MAX_AGREEMENT_AMOUNT, party_of

    party_of(agreement.alliance, workspace)
    agreement = Agreement.objects.select_for_update().select_related("alliance").get(pk=agreement.pk)
    _check_author(agreement.created_by_workspace_id, workspace, "cet accord")
    errors = _unknown(changes, AGREEMENT_FIELDS)
    before = _snapshot(agreement, AGREEMENT_FIELDS)
    if "kind" in changes:
        if changes["kind"] not in AgreementKind.values:
            errors["kind"] = [
                "Type inconnu : mécénat, partenariat, prestation ou convention pluriannuelle d'objectifs."
            ]
        agreement.kind = changes["kind"]
    if "title" in changes:
        title = (changes["title"] or "").strip()
        if not title or len(title) > 200:
            errors["title"] = ["Donnez un intitulé (200 caractères au plus)."]
        elif single_line_error(title, "L'intitulé de l'accord"):
            errors["title"] = single_line_error(title, "L'intitulé de l'accord")
        agreement.title = title
    for name in ("signed_on", "renewal_on"):
        if name in changes:
            setattr(agreement, name, changes[name] or None)
    if agreement.signed_on is None:
        errors["signed_on"] = ["Indiquez la date de signature."]
    if agreement.renewal_on and agreement.signed_on and agreement.renewal_on < agreement.signed_on:
        errors["renewal_on"] = ["La date de renouvellement précède la signature."]
    if "duration_months" in changes:
        months = changes["duration_months"]
        if months in ("", None):
            agreement.duration_months = None
        else:
            try:
                agreement.duration_months = int(months)
            except (TypeError, ValueError):
                agreement.duration_months = -1
            if not 0 < agreement.duration_months <= 240:
                errors["duration_months"] = ["La durée doit être comprise entre 1 et 240 mois."]
    if "amount" in changes:
        amount = changes["amount"]
        if amount in ("", None):
            agreement.amount = None
        else:
            try:
                agreement.amount = Decimal(str(amount).replace(",", ".").replace(" ", "")).quantize(Decimal("0.01"))
            except InvalidOperation:
                errors["amount"] = ["Indiquez un montant en euros, par exemple 1500 ou 1500,50."]
            else:
                if agreement.amount < 0 or agreement.amount >= MAX_AGREEMENT_AMOUNT:
                    errors["amount"] = ["Le montant doit être positif et vraisemblable."]
    if errors:
        raise ValidationError(errors)
    after = _snapshot(agreement, AGREEMENT_FIELDS)
    _journal(
        action="agreement.corrected",
        obj=agreement,
        workspace=workspace,
        user=user,
        before=before,
        after=after,
        reason=reason,
    )
    fields = list(AGREEMENT_FIELDS)
    if before["renewal_on"] != after["renewal_on"]:
        agreement.reminder_sent_on = None
        fields.append("reminder_sent_on")
    agreement.save(update_fields=fields)
    Alliance.objects.filter(pk=agreement.alliance_id).update(updated_at=timezone.now())
    return agreement


def interaction_corrections(interaction: Interaction) -> list[Correction]:
    return _corrections_of(interaction, "interaction.corrected", INTERACTION_FIELDS, shown)


def agreement_corrections(agreement: Agreement) -> list[Correction]:
    return _corrections_of(agreement, "agreement.corrected", AGREEMENT_FIELDS, shown)
