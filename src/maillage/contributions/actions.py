"""Contribution actions: record, mark received, add counterparts. Used by pages, API, importer and CLI."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from maillage.alliances.actions import party_of
from maillage.alliances.models import Alliance, Party
from maillage.contributions.models import (
    METHODS_BY_KIND,
    Contribution,
    Counterpart,
    Kind,
    SkillsLine,
    Status,
    ValuationMethod,
)
from maillage.contributions.valuation import to_cents, value_skills_month
from maillage.core.legal import LEGAL_MONTHLY_HOURS

MAX_AMOUNT = Decimal("1000000000")  # 1 Md€: above it an amount is a typing error


@dataclass
class SkillsInput:
    employee_name: str
    month: date
    hours: Decimal
    monthly_cost: Decimal
    monthly_hours: Decimal = LEGAL_MONTHLY_HOURS.value
    employee_role: str = ""


@dataclass
class CounterpartInput:
    description: str
    value: Decimal


def _decimal(value, field: str, errors: dict) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        result = Decimal(str(value).replace(",", ".").replace(" ", "").replace("\u202f", ""))
    except InvalidOperation:
        errors.setdefault(field, []).append(f"« {value} » n'est pas un nombre.")
        return None
    if not result.is_finite():
        errors.setdefault(field, []).append(f"« {value} » n'est pas un nombre.")
        return None
    return result


def _check_amount(amount: Decimal | None, field: str, errors: dict, *, required: bool = True) -> None:
    if amount is None:
        if required:
            errors.setdefault(field, []).append("Le montant est obligatoire.")
        return
    if amount <= 0:
        errors.setdefault(field, []).append("Le montant doit être strictement positif.")
    elif amount >= MAX_AMOUNT:
        errors.setdefault(field, []).append(
            "Montant invraisemblable (1 milliard d'euros ou plus) : vérifiez la saisie."
        )


def _skills_lines(lines: Iterable[SkillsInput], errors: dict) -> list[SkillsLine]:
    built = []
    for index, line in enumerate(lines, start=1):
        where = f"salarié n° {index}"
        if not (line.employee_name or "").strip():
            errors.setdefault("skills_lines", []).append(
                f"{where} : le nom du salarié est obligatoire (liste nominative)."
            )
            continue
        month = line.month.replace(day=1) if line.month else None
        hours, cost, worked = (
            _decimal(line.hours, "skills_lines", errors),
            _decimal(line.monthly_cost, "skills_lines", errors),
            _decimal(line.monthly_hours, "skills_lines", errors),
        )
        if month is None or hours is None or cost is None or worked is None:
            errors.setdefault("skills_lines", []).append(f"{where} : mois, heures et coût mensuel sont obligatoires.")
            continue
        if not Decimal("0") < hours <= worked:
            errors.setdefault("skills_lines", []).append(
                f"{where} : les heures mises à disposition ({hours}) doivent être positives et ne pas dépasser les heures travaillées du mois ({worked})."
            )
            continue
        if not Decimal("0") < cost < Decimal("1000000") or not Decimal("0") < worked <= Decimal("300"):
            errors.setdefault("skills_lines", []).append(f"{where} : coût mensuel ou heures du mois invraisemblables.")
            continue
        try:
            valuation = value_skills_month(month=month, hours=hours, monthly_cost=cost, monthly_hours=worked)
        except ValueError as exc:
            errors.setdefault("skills_lines", []).append(f"{where} : {exc}")
            continue
        built.append(
            SkillsLine(
                employee_name=line.employee_name.strip()[:150],
                employee_role=(line.employee_role or "").strip()[:150],
                month=month,
                hours=hours,
                monthly_cost=cost,
                monthly_hours=worked,
                value=valuation.value,
                capped=valuation.capped,
            )
        )
    return built


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
    """Record what one party gives another, valued by the method its kind admits."""
    party_of(alliance, workspace)
    errors: dict[str, list[str]] = {}
    active = {p.pk for p in alliance.parties.all() if p.left_at is None}
    if giver.pk not in active or giver.alliance_id != alliance.pk:
        errors["giver"] = ["Le donateur n'est pas partie à cette alliance."]
    if receiver.pk not in active or receiver.alliance_id != alliance.pk:
        errors["receiver"] = ["Le bénéficiaire n'est pas partie à cette alliance."]
    if giver.pk == receiver.pk:
        errors["receiver"] = [
            "Une contribution va d'une partie à une autre : choisissez deux organisations différentes."
        ]
    if kind not in Kind.values:
        errors["kind"] = ["Nature inconnue : don financier, en nature, compétences, prestation ou bénévolat."]
        _raise(errors)
    method = valuation_method or METHODS_BY_KIND[kind][0]
    if method not in METHODS_BY_KIND[kind]:
        allowed = ", ".join(ValuationMethod(m).label.lower() for m in METHODS_BY_KIND[kind])
        errors["valuation_method"] = [f"Pour cette nature, la valorisation se fait par : {allowed}."]
    description = (description or "").strip()
    if not description or len(description) > 500:
        errors["description"] = ["Décrivez la contribution (500 caractères au plus)."]
    if status not in Status.values:
        errors["status"] = ["Statut inconnu : promise ou reçue."]
    today = timezone.localdate()
    if status == Status.RECEIVED and received_on is None:
        errors["received_on"] = ["Indiquez la date de réception."]
    if received_on and received_on > today:
        errors["received_on"] = ["La date de réception est dans le futur : enregistrez la contribution comme promise."]
    for field, day in (("promised_on", promised_on), ("received_on", received_on)):
        if day and day < date(1990, 1, 1):
            errors[field] = ["Date antérieure à 1990 : vérifiez la saisie."]
    amount = _decimal(value, "value", errors)
    lines: list[SkillsLine] = []
    parsed_hours = parsed_rate = None
    if kind == Kind.SKILLS:
        lines = _skills_lines(skills_lines, errors)
        if not lines and "skills_lines" not in errors:
            errors["skills_lines"] = [
                "Un mécénat de compétences se valorise salarié par salarié : ajoutez au moins une ligne."
            ]
        amount = to_cents(sum((line.value for line in lines), Decimal("0")))
        parsed_hours = sum((line.hours for line in lines), Decimal("0"))
    elif kind == Kind.VOLUNTEERING:
        parsed_hours = _decimal(hours, "hours", errors)
        parsed_rate = _decimal(hourly_rate, "hourly_rate", errors)
        if parsed_hours is None or not Decimal("0") < parsed_hours <= Decimal("100000"):
            errors.setdefault("hours", []).append("Indiquez un nombre d'heures de bénévolat positif.")
        if parsed_rate is None or not Decimal("0") < parsed_rate <= Decimal("1000"):
            errors.setdefault("hourly_rate", []).append(
                "Indiquez le taux horaire retenu pour valoriser le bénévolat (ex. le SMIC horaire)."
            )
        if parsed_hours and parsed_rate:
            amount = to_cents(parsed_hours * parsed_rate)
    else:
        _check_amount(amount, "value", errors)
    parsed_counterparts = []
    for index, counterpart in enumerate(counterparts, start=1):
        cp_value = _decimal(counterpart.value, "counterparts", errors)
        if not (counterpart.description or "").strip() or cp_value is None or cp_value < 0 or cp_value >= MAX_AMOUNT:
            errors.setdefault("counterparts", []).append(
                f"Contrepartie n° {index} : description et valeur positive obligatoires."
            )
            continue
        parsed_counterparts.append(
            Counterpart(description=counterpart.description.strip()[:300], value=to_cents(cp_value))
        )
    if sum((c.value for c in parsed_counterparts), Decimal("0")) >= MAX_AMOUNT:
        errors.setdefault("counterparts", []).append(
            "Total des contreparties invraisemblable (1 milliard d'euros ou plus) : vérifiez la saisie."
        )
    _raise(errors)
    contribution = Contribution.objects.create(
        alliance=alliance,
        giver=giver,
        receiver=receiver,
        kind=kind,
        status=status,
        description=description,
        value=to_cents(amount),
        valuation_method=method,
        evidence=(evidence or "").strip()[:2000],
        promised_on=promised_on,
        received_on=received_on if status == Status.RECEIVED else None,
        hours=parsed_hours,
        hourly_rate=parsed_rate,
        signed_timesheet=bool(signed_timesheet),
        counterparts_value=sum((c.value for c in parsed_counterparts), Decimal("0")),
        created_by_workspace=workspace,
        created_by=user,
    )
    for line in lines:
        line.contribution = contribution
    SkillsLine.objects.bulk_create(lines)
    for counterpart in parsed_counterparts:
        counterpart.contribution = contribution
    Counterpart.objects.bulk_create(parsed_counterparts)
    Alliance.objects.filter(pk=alliance.pk).update(updated_at=timezone.now())
    return contribution


def _raise(errors: dict) -> None:
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def mark_received(*, contribution: Contribution, workspace, user, received_on: date) -> Contribution:
    party_of(contribution.alliance, workspace)
    if contribution.status == Status.RECEIVED:
        raise ValidationError({"status": ["Cette contribution est déjà reçue."]})
    if received_on is None or received_on > timezone.localdate():
        raise ValidationError({"received_on": ["Indiquez une date de réception passée ou du jour."]})
    contribution.status = Status.RECEIVED
    contribution.received_on = received_on
    contribution.save(update_fields=["status", "received_on"])
    return contribution


@transaction.atomic
def add_counterpart(*, contribution: Contribution, workspace, user, description: str, value) -> Counterpart:
    party_of(contribution.alliance, workspace)
    errors: dict[str, list[str]] = {}
    amount = _decimal(value, "value", errors)
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
