"""Contribution actions: record, mark received, add counterparts. Used by pages, API, importer and CLI."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from maillage.alliances.actions import party_of
from maillage.alliances.models import Alliance, Party
from maillage.contributions import totals
from maillage.contributions.cleaning import (  # noqa: F401 (inputs and limits are part of the actions' interface)
    MAX_AMOUNT,
    CounterpartInput,
    SkillsInput,
    clean_contribution,
    parse_decimal,
)
from maillage.contributions.models import Contribution, Counterpart, SkillsLine, Status
from maillage.contributions.valuation import to_cents


@transaction.atomic
def record_contribution(
    *,
    alliance: Alliance,
    workspace,
    user,
    giver: Party,
    receiver: Party,
    kind: str,
    description: str,
    value=None,
    valuation_method: str = "",
    status: str = Status.PROMISED,
    promised_on: date | None = None,
    received_on: date | None = None,
    evidence: str = "",
    hours=None,
    hourly_rate=None,
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


def _raise(errors: dict) -> None:
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def mark_received(*, contribution: Contribution, workspace, user, received_on: date) -> Contribution:
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
def add_counterpart(*, contribution: Contribution, workspace, user, description: str, value) -> Counterpart:
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
    counterpart = Counterpart.objects.create(
        contribution=contribution, description=description.strip()[:300], value=to_cents(amount)
    )
    total = contribution.counterparts.aggregate(total=Sum("value"))["total"] or Decimal("0")
    Contribution.objects.filter(pk=contribution.pk).update(counterparts_value=total)
    contribution.counterparts_value = total
    return counterpart
