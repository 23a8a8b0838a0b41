"""The checks of a contribution, in one pure function: the pages, the API, the CLI and the importer all use it.

:func:`clean_contribution` reads nothing from the database (the alliance's parties must be prefetched, or their
active ids given) and writes nothing: it returns the values to write, or raises the French ``ValidationError``
that :func:`maillage.contributions.actions.record_contribution` shows. The importer calls it once per row, so the
accepted path stays lean: no model instance for a plain contribution, no exception, constants built once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, NamedTuple

from django.core.exceptions import ValidationError
from django.utils import timezone

from maillage.contributions.models import (
    METHODS_BY_KIND,
    Counterpart,
    Kind,
    SkillsLine,
    Status,
    ValuationMethod,
)
from maillage.contributions.valuation import to_cents, value_skills_month
from maillage.core.legal import LEGAL_MONTHLY_HOURS

if TYPE_CHECKING:
    from maillage.alliances.models import Alliance, Party


MAX_AMOUNT = Decimal("1000000000")  # 1 Md€: above it an amount is a typing error
ZERO = Decimal("0")
MAX_VOLUNTEER_HOURS = Decimal("100000")
MAX_HOURLY_RATE = Decimal("1000")
MAX_MONTHLY_COST = Decimal("1000000")
MAX_MONTHLY_HOURS = Decimal("300")
EARLIEST = date(1990, 1, 1)
KINDS = frozenset(Kind.values)  # ``Kind.values`` builds a new list at every call
STATUSES = frozenset(Status.values)
RECEIVED, VOLUNTEERING, SKILLS = Status.RECEIVED.value, Kind.VOLUNTEERING.value, Kind.SKILLS.value
DEFAULT_METHOD = {kind: methods[0] for kind, methods in METHODS_BY_KIND.items()}


@dataclass
class SkillsInput:
    """One employee-month as typed (numbers as text, or missing: checked by ``clean_contribution``)."""

    employee_name: str
    month: date | None
    hours: Decimal | str | None
    monthly_cost: Decimal | str | None
    monthly_hours: Decimal | str | None = LEGAL_MONTHLY_HOURS.value
    employee_role: str = ""


@dataclass
class CounterpartInput:
    description: str
    value: Decimal


class CleanContribution(NamedTuple):
    fields: dict[str, Any]  # Contribution's values by attribute name (``alliance_id``…), all but its author
    skills_lines: list[SkillsLine]  # unsaved, without their contribution
    counterparts: list[Counterpart]  # unsaved, without their contribution


def parse_decimal(value: object, field: str, errors: dict[str, list[str]]) -> Decimal | None:
    """A number typed by a person (``12,5``, ``1 000``), or ``None`` when empty; an error on ``field`` otherwise."""
    if isinstance(value, Decimal):
        if value.is_finite():
            return value
    elif value is None or value == "":
        return None
    else:
        try:
            value_ = Decimal(str(value).replace(",", ".").replace(" ", "").replace("\u202f", ""))
        except InvalidOperation:
            value_ = None
        if value_ is not None and value_.is_finite():
            return value_
    errors.setdefault(field, []).append(f"« {value} » n'est pas un nombre.")
    return None


def check_amount(amount: Decimal | None, field: str, errors: dict[str, list[str]], *, required: bool = True) -> None:
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


def _skills_lines(lines: Iterable[SkillsInput], errors: dict[str, list[str]]) -> list[SkillsLine]:
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
            parse_decimal(line.hours, "skills_lines", errors),
            parse_decimal(line.monthly_cost, "skills_lines", errors),
            parse_decimal(line.monthly_hours, "skills_lines", errors),
        )
        if month is None or hours is None or cost is None or worked is None:
            errors.setdefault("skills_lines", []).append(f"{where} : mois, heures et coût mensuel sont obligatoires.")
            continue
        if not ZERO < hours <= worked:
            errors.setdefault("skills_lines", []).append(
                f"{where} : les heures mises à disposition ({hours}) doivent être positives et ne pas dépasser les heures travaillées du mois ({worked})."
            )
            continue
        if not ZERO < cost < MAX_MONTHLY_COST or not ZERO < worked <= MAX_MONTHLY_HOURS:
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


def _counterparts(counterparts: Iterable[CounterpartInput], errors: dict[str, list[str]]) -> list[Counterpart]:
    parsed = []
    for index, counterpart in enumerate(counterparts, start=1):
        cp_value = parse_decimal(counterpart.value, "counterparts", errors)
        if not (counterpart.description or "").strip() or cp_value is None or cp_value < 0 or cp_value >= MAX_AMOUNT:
            errors.setdefault("counterparts", []).append(
                f"Contrepartie n° {index} : description et valeur positive obligatoires."
            )
            continue
        parsed.append(Counterpart(description=counterpart.description.strip()[:300], value=to_cents(cp_value)))
    if sum((c.value for c in parsed), ZERO) >= MAX_AMOUNT:
        errors.setdefault("counterparts", []).append(
            "Total des contreparties invraisemblable (1 milliard d'euros ou plus) : vérifiez la saisie."
        )
    return parsed


def clean_contribution(
    *,
    alliance: Alliance,
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
    today: date | None = None,
    active: set[int] | frozenset[int] | None = None,
) -> CleanContribution:
    """What one party gives another, checked and valued by the method its kind admits; or ``ValidationError``.

    ``active`` (the ids of the alliance's active parties) and ``today`` may be given once for many rows;
    otherwise they come from ``alliance.parties.all()`` (to prefetch) and the local date.
    """
    errors: dict[str, list[str]] = {}
    alliance_id, giver_id, receiver_id = alliance.pk, giver.pk, receiver.pk
    if active is None:
        active = {p.pk for p in alliance.parties.all() if p.left_at is None}
    if giver_id not in active or giver.alliance_id != alliance_id:
        errors["giver"] = ["Le donateur n'est pas partie à cette alliance."]
    if receiver_id not in active or receiver.alliance_id != alliance_id:
        errors["receiver"] = ["Le bénéficiaire n'est pas partie à cette alliance."]
    if giver_id == receiver_id:
        errors["receiver"] = [
            "Une contribution va d'une partie à une autre : choisissez deux organisations différentes."
        ]
    if kind not in KINDS:
        errors["kind"] = ["Nature inconnue : don financier, en nature, compétences, prestation ou bénévolat."]
        raise ValidationError(errors)
    method = valuation_method or DEFAULT_METHOD[kind]
    if method not in METHODS_BY_KIND[kind]:
        allowed = ", ".join(ValuationMethod(m).label.lower() for m in METHODS_BY_KIND[kind])
        errors["valuation_method"] = [f"Pour cette nature, la valorisation se fait par : {allowed}."]
    description = (description or "").strip()
    if not description or len(description) > 500:
        errors["description"] = ["Décrivez la contribution (500 caractères au plus)."]
    if status not in STATUSES:
        errors["status"] = ["Statut inconnu : promise ou reçue."]
    if status == RECEIVED and received_on is None:
        errors["received_on"] = ["Indiquez la date de réception."]
    if received_on and received_on > (today or timezone.localdate()):
        errors["received_on"] = ["La date de réception est dans le futur : enregistrez la contribution comme promise."]
    if promised_on and promised_on < EARLIEST:
        errors["promised_on"] = ["Date antérieure à 1990 : vérifiez la saisie."]
    if received_on and received_on < EARLIEST:
        errors["received_on"] = ["Date antérieure à 1990 : vérifiez la saisie."]
    amount = parse_decimal(value, "value", errors)
    lines: list[SkillsLine] = []
    parsed_hours = parsed_rate = None
    if kind == SKILLS:
        lines = _skills_lines(skills_lines, errors)
        if not lines and "skills_lines" not in errors:
            errors["skills_lines"] = [
                "Un mécénat de compétences se valorise salarié par salarié : ajoutez au moins une ligne."
            ]
        amount = to_cents(sum((line.value for line in lines), ZERO))
        parsed_hours = sum((line.hours for line in lines), ZERO)
    elif kind == VOLUNTEERING:
        parsed_hours = parse_decimal(hours, "hours", errors)
        parsed_rate = parse_decimal(hourly_rate, "hourly_rate", errors)
        if parsed_hours is None or not ZERO < parsed_hours <= MAX_VOLUNTEER_HOURS:
            errors.setdefault("hours", []).append("Indiquez un nombre d'heures de bénévolat positif.")
        if parsed_rate is None or not ZERO < parsed_rate <= MAX_HOURLY_RATE:
            errors.setdefault("hourly_rate", []).append(
                "Indiquez le taux horaire retenu pour valoriser le bénévolat (ex. le SMIC horaire)."
            )
        if parsed_hours and parsed_rate:
            amount = to_cents(parsed_hours * parsed_rate)
    else:
        check_amount(amount, "value", errors)
    parsed_counterparts = _counterparts(counterparts, errors) if counterparts else []
    if errors:
        raise ValidationError(errors)
    assert amount is not None  # each kind above refused a missing amount (errors raised)
    fields: dict[str, Any] = {
        "alliance_id": alliance_id,
        "giver_id": giver_id,
        "giver_kind": giver.organization_kind,
        "receiver_id": receiver_id,
        "kind": kind,
        "status": status,
        "description": description,
        "value": to_cents(amount),
        "valuation_method": method,
        "evidence": evidence.strip()[:2000] if evidence else "",
        "promised_on": promised_on,
        "received_on": received_on if status == RECEIVED else None,
        "hours": parsed_hours,
        "hourly_rate": parsed_rate,
        "signed_timesheet": bool(signed_timesheet),
        "counterparts_value": sum((c.value for c in parsed_counterparts), ZERO) if parsed_counterparts else ZERO,
    }
    return CleanContribution(fields, lines, parsed_counterparts)
