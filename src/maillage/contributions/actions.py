"""Contribution actions: record, mark received, add counterparts. Used by pages, API, importer and CLI."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from maillage.alliances.actions import party_of
from maillage.alliances.models import Alliance, Party
from maillage.audit.actions import record_event
from maillage.contributions import totals
from maillage.contributions.cleaning import (  # inputs and limits are part of the actions' interface: re-exported
    MAX_AMOUNT,
    ZERO,
    check_amount,
    clean_contribution,
    parse_decimal,
)
from maillage.contributions.cleaning import MAX_VOLUNTEER_HOURS as MAX_VOLUNTEER_HOURS
from maillage.contributions.cleaning import CounterpartInput as CounterpartInput
from maillage.contributions.cleaning import SkillsInput as SkillsInput
from maillage.contributions.models import Contribution, Counterpart, Kind, SkillsLine, Status
from maillage.contributions.valuation import to_cents

if TYPE_CHECKING:
    from maillage.receipts.models import Receipt
    from maillage.workspaces.models import User, Workspace


@transaction.atomic
def record_contribution(
    *,
    alliance: Alliance,
    workspace: Workspace,
    user: User | None,
    giver: Party,
    receiver: Party,
    kind: str,
    description: str,
    value: object = None,
    valuation_method: str = "",
    status: str = Status.PROMISED,
    promised_on: date | None = None,
    received_on: date | None = None,
    evidence: str = "",
    hours: object = None,
    hourly_rate: object = None,
    signed_timesheet: bool = False,
    skills_lines: Iterable[SkillsInput] = (),
    counterparts: Iterable[CounterpartInput] = (),
) -> Contribution:
    """Record what one party gives another, valued by the method its kind admits (checks: ``clean_contribution``)."""
    party_of(alliance, workspace)
    cleaned = clean_contribution(
        alliance=alliance,
        giver=giver,
        receiver=receiver,
        kind=kind,
        description=description,
        value=value,
        valuation_method=valuation_method,
        status=status,
        promised_on=promised_on,
        received_on=received_on,
        evidence=evidence,
        hours=hours,
        hourly_rate=hourly_rate,
        signed_timesheet=signed_timesheet,
        skills_lines=skills_lines,
        counterparts=counterparts,
    )
    values = {k: v for k, v in cleaned.fields.items() if k not in {"alliance_id", "giver_id", "receiver_id"}}
    contribution = Contribution.objects.create(
        alliance=alliance, giver=giver, receiver=receiver, created_by_workspace=workspace, created_by=user, **values
    )
    for line in cleaned.skills_lines:
        line.contribution = contribution
    SkillsLine.objects.bulk_create(cleaned.skills_lines)
    for counterpart in cleaned.counterparts:
        counterpart.contribution = contribution
    Counterpart.objects.bulk_create(cleaned.counterparts)
    totals.add_received([totals.item(contribution)])
    Alliance.objects.filter(pk=alliance.pk).update(updated_at=timezone.now())
    return contribution


def _raise(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def mark_received(
    *, contribution: Contribution, workspace: Workspace, user: User | None, received_on: date
) -> Contribution:
    party_of(contribution.alliance, workspace)
    # Locked and read again: two requests marking it at once must not both move its value in the sums.
    status = Contribution.objects.select_for_update().values_list("status", flat=True).get(pk=contribution.pk)
    if status == Status.RECEIVED:
        raise ValidationError({"status": ["Cette contribution est déjà reçue."]})
    if received_on is None or received_on > timezone.localdate():
        raise ValidationError({"received_on": ["Indiquez une date de réception passée ou du jour."]})
    contribution.status = Status.RECEIVED
    contribution.received_on = received_on
    contribution.save(update_fields=["status", "received_on"])
    receiver_id, giver_kind, kind, _status, value = totals.item(contribution)
    totals.add_received(
        [
            (receiver_id, giver_kind, kind, Status.PROMISED, -value),
            (receiver_id, giver_kind, kind, Status.RECEIVED, value),
        ]
    )
    return contribution


@transaction.atomic
def add_counterpart(
    *, contribution: Contribution, workspace: Workspace, user: User | None, description: str, value: object
) -> Counterpart:
    party_of(contribution.alliance, workspace)
    errors: dict[str, list[str]] = {}
    amount = parse_decimal(value, "value", errors)
    if amount is None or amount < 0 or amount >= MAX_AMOUNT:
        errors.setdefault("value", []).append("La valeur de la contrepartie doit être un montant positif.")
    if not (description or "").strip():
        errors["description"] = ["Décrivez la contrepartie."]
    if amount is not None and contribution.counterparts_value + amount >= MAX_AMOUNT:
        errors.setdefault("value", []).append(
            "Total des contreparties invraisemblable (1 milliard d'euros ou plus) : vérifiez la saisie."
        )
    _raise(errors)
    assert amount is not None  # refused above
    counterpart = Counterpart.objects.create(
        contribution=contribution, description=description.strip()[:300], value=to_cents(amount)
    )
    total = contribution.counterparts.aggregate(total=Sum("value"))["total"] or Decimal("0")
    Contribution.objects.filter(pk=contribution.pk).update(counterparts_value=total)
    contribution.counterparts_value = total
    return counterpart


# --- corrections (decision 0016) ---------------------------------------------------------------------------------

CORRECTABLE = (
    "description",
    "value",
    "evidence",
    "promised_on",
    "received_on",
    "signed_timesheet",
    "hours",
    "hourly_rate",
)


class ReceiptLocked(ValidationError):
    """The contribution has an active receipt: only cancelling the receipt unlocks it."""

    def __init__(self, receipt: Receipt) -> None:
        self.receipt = receipt
        super().__init__(
            f"Un reçu fiscal (n° {receipt.reference}) est émis pour cette contribution : elle ne se corrige "
            "plus. Pour la corriger, l'association qui l'a émis annule d'abord le reçu (page du reçu), "
            "puis émet un reçu rectificatif une fois la contribution corrigée."
        )


def _snapshot(contribution: Contribution) -> dict[str, object]:
    values: dict[str, object] = {}
    for name in CORRECTABLE:
        value = getattr(contribution, name)
        values[name] = (
            value.isoformat() if isinstance(value, date) else str(value) if isinstance(value, Decimal) else value
        )
    return values


@transaction.atomic
def correct_contribution(
    *, contribution: Contribution, workspace: Workspace, user: User | None, changes: dict[str, Any], reason: str = ""
) -> Contribution:
    """Correct what a workspace recorded; every change is kept (who, when, before and after) in the journal.

    Only the workspace that recorded the contribution corrects it, while it is an active party. A contribution with
    an active receipt is locked (:class:`ReceiptLocked`). The sums kept on write move by the difference.
    """
    party_of(contribution.alliance, workspace)
    contribution = Contribution.objects.select_for_update().select_related("alliance").get(pk=contribution.pk)
    if contribution.created_by_workspace_id != workspace.pk:
        raise PermissionDenied(
            "Seul l'espace qui a enregistré cette contribution la corrige : demandez-lui la correction."
        )
    receipt = contribution.receipts.active().first()  # the receipts area's rows, read only
    if receipt is not None:
        raise ReceiptLocked(receipt)
    unknown = set(changes) - set(CORRECTABLE)
    if unknown:
        raise ValidationError({name: ["Ce champ ne se corrige pas ici."] for name in sorted(unknown)})
    errors: dict[str, list[str]] = {}
    before = _snapshot(contribution)
    old_item = totals.item(contribution)
    if "description" in changes:
        text = (changes["description"] or "").strip()
        if not text or len(text) > 500:
            errors["description"] = ["La description est obligatoire (500 caractères au plus)."]
        contribution.description = text
    if "evidence" in changes:
        contribution.evidence = (changes["evidence"] or "").strip()[:2000]
    for name in ("promised_on", "received_on"):
        if name in changes:
            setattr(contribution, name, changes[name] or None)
    if contribution.received_on and contribution.received_on > timezone.localdate():
        errors["received_on"] = ["Indiquez une date de réception passée ou du jour."]
    if contribution.status == Status.RECEIVED and not contribution.received_on:
        errors["received_on"] = ["Une contribution reçue garde sa date de réception."]
    if "signed_timesheet" in changes:
        contribution.signed_timesheet = bool(changes["signed_timesheet"]) and contribution.kind == Kind.SKILLS
    if contribution.kind == Kind.VOLUNTEERING and ({"hours", "hourly_rate"} & set(changes)):
        hours = parse_decimal(changes.get("hours", contribution.hours), "hours", errors)
        rate = parse_decimal(changes.get("hourly_rate", contribution.hourly_rate), "hourly_rate", errors)
        if hours is None or not ZERO < hours <= MAX_VOLUNTEER_HOURS:
            errors.setdefault("hours", []).append("Indiquez un nombre d'heures de bénévolat positif.")
        elif rate is not None:
            contribution.hours, contribution.hourly_rate = hours, rate
            contribution.value = to_cents(hours * rate)
    elif "value" in changes and contribution.kind in (Kind.MONEY, Kind.IN_KIND, Kind.SERVICE):
        amount = parse_decimal(changes["value"], "value", errors)
        check_amount(amount, "value", errors)
        if amount is not None and "value" not in errors:
            contribution.value = to_cents(amount)
    elif "value" in changes and Decimal(str(changes["value"] or "0")) != contribution.value:
        errors["value"] = [
            "La valeur d'un mécénat de compétences se calcule à partir des lignes (salarié × mois) : "
            "enregistrez une nouvelle contribution pour la corriger."
        ]
    _raise(errors)
    after = _snapshot(contribution)
    changed = {k: (before[k], after[k]) for k in CORRECTABLE if before[k] != after[k]}
    if not changed:
        raise ValidationError("Rien n'a changé : modifiez au moins un champ.")
    contribution.save(update_fields=[k for k in CORRECTABLE if k in changed])
    totals.add_received([old_item], sign=-1)
    totals.add_received([totals.item(contribution)])
    record_event(
        action="contribution.corrected",
        actor=user,
        workspace=workspace,
        target=contribution,
        details={
            "before": {k: v[0] for k, v in changed.items()},
            "after": {k: v[1] for k, v in changed.items()},
            "reason": (reason or "").strip()[:500],
        },
    )
    return contribution
