"""Diagnostic actions: the association enters (or imports) one year of its economic model."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from maillage.core.text import normalize
from maillage.diagnostic.analysis import fr
from maillage.diagnostic.models import Funder, ResourceYear, Source
from maillage.organizations.models import PUBLIC_KINDS, Organization

MAX_AMOUNT = Decimal("1000000000")
MAX_FUNDERS = 10
HUMAN_LIMITS = {
    "employees_fte": (Decimal("100000"), "Salariés (ETP)"),
    "volunteers": (Decimal("10000000"), "Bénévoles"),
    "volunteer_hours": (Decimal("100000000"), "Heures de bénévolat"),
    "skills_received_hours": (Decimal("10000000"), "Heures de compétences reçues"),
    "skills_received_value": (MAX_AMOUNT, "Valeur des compétences reçues"),
}


ACCOUNTS = {
    "expenses": "Charges de l'exercice",
    "reserves": "Fonds propres / réserves",
    "cash": "Trésorerie en fin d'exercice",
    "volunteer_value": "Valorisation du bénévolat (comptes 86/87)",
}
FULL_TIME_HOURS = Decimal("1607")  # legal yearly working time of a full-time job (code du travail, L3121-41)


def first_year() -> int:
    return 1990


def last_year() -> int:
    return timezone.localdate().year + 1


def check_year(year) -> int:
    try:
        year = int(year)
    except (TypeError, ValueError):
        year = 0
    if not first_year() <= year <= last_year():
        raise ValidationError({"year": [f"Année hors de la plage admise ({first_year()}–{last_year()})."]})
    return year


def parse_amount(raw, field: str, label: str, errors: dict, limit: Decimal = MAX_AMOUNT) -> Decimal:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return Decimal("0")
    try:
        value = Decimal(str(raw).strip().replace(",", ".").replace(" ", "").replace("\u202f", "").replace("€", ""))
    except InvalidOperation:
        errors.setdefault(field, []).append(f"{label} : « {raw} » n'est pas un nombre (écrivez par ex. 12500,50).")
        return Decimal("0")
    if isinstance(raw, bool) or not value.is_finite():
        errors.setdefault(field, []).append(f"{label} : « {raw} » n'est pas un nombre.")
        return Decimal("0")
    if value < 0:
        errors.setdefault(field, []).append(f"{label} : un montant ou un nombre ne peut pas être négatif.")
    elif value >= limit:
        errors.setdefault(field, []).append(f"{label} : valeur invraisemblable ({value}) : vérifiez la saisie.")
    return value.quantize(Decimal("0.01"))


@transaction.atomic
def save_resource_year(
    *,
    workspace,
    user,
    year,
    resources: Mapping[str, object],
    human: Mapping[str, object] | None = None,
    funders: Iterable[tuple] = (),
    notes: str = "",
    accounts: Mapping[str, object] | None = None,
    closes_on: date | str | None = None,
) -> ResourceYear:
    """Create or replace the workspace's figures for one fiscal year.

    Resources by source, accounts (expenses, reserves, cash, valued volunteering; each optional), human resources,
    funders as ``(name, source, amount)`` or ``(name, source, amount, organization_id)`` (the funder in the
    directory). Contradictory inputs are refused with a French message saying which figures disagree.
    """
    errors: dict[str, list[str]] = {}
    try:
        year = check_year(year)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    unknown = set(resources) - set(Source.values)
    if unknown:
        errors["resources"] = [f"Source(s) inconnue(s) : {', '.join(sorted(map(str, unknown)))}."]
    amounts = {s.value: parse_amount(resources.get(s.value), s.value, s.label, errors) for s in Source}
    human = dict(human or {})
    unknown_human = set(human) - set(HUMAN_LIMITS)
    if unknown_human:
        errors["human"] = [f"Champ(s) inconnu(s) : {', '.join(sorted(map(str, unknown_human)))}."]
    people: dict[str, Any] = {  # Decimal amounts; the volunteers become an int once checked
        field: parse_amount(human.get(field), field, label, errors, limit)
        for field, (limit, label) in HUMAN_LIMITS.items()
    }
    if people["volunteers"] != people["volunteers"].to_integral_value():
        errors.setdefault("volunteers", []).append("Bénévoles : un nombre entier de personnes.")
    accounts = dict(accounts or {})
    unknown_accounts = set(accounts) - set(ACCOUNTS)
    if unknown_accounts:
        errors["accounts"] = [f"Champ(s) inconnu(s) : {', '.join(sorted(map(str, unknown_accounts)))}."]
    books: dict[str, Decimal | None] = {}
    for field, label in ACCOUNTS.items():
        raw = accounts.get(field)
        empty = raw is None or (isinstance(raw, str) and not raw.strip())
        if field == "reserves" and not empty:  # negative reserves (past deficits) are possible
            value = parse_amount(str(raw).replace("-", "", 1), field, label, errors)
            books[field] = -value if str(raw).strip().startswith("-") else value
        else:
            books[field] = None if empty else parse_amount(raw, field, label, errors)
    closing = _closing_date(closes_on, errors)
    rows = []
    for index, funder in enumerate(list(funders), start=1):
        name, source, raw = funder[0], funder[1], funder[2]
        organization_id = funder[3] if len(funder) > 3 else None
        name = (name or "").strip()
        if not name and (raw in (None, "") or str(raw).strip() in ("", "0")):
            continue
        where = f"Financeur n° {index}"
        if not name or len(name) > 200:
            errors.setdefault("funders", []).append(f"{where} : indiquez son nom (200 caractères au plus).")
            continue
        if source not in Source.values:
            errors.setdefault("funders", []).append(f"{where} ({name}) : choisissez la source de ses versements.")
            continue
        amount = parse_amount(raw, "funders", f"{where} ({name})", errors)
        if amount <= 0:
            errors.setdefault("funders", []).append(f"{where} ({name}) : indiquez un montant positif.")
            continue
        linked = None
        if organization_id in (None, ""):
            linked = _directory_match(name)
        else:
            linked = Organization.objects.filter(pk=organization_id).only("id", "kind", "name").first()
            if linked is None:
                errors.setdefault("funders", []).append(
                    f"{where} ({name}) : organisation n° {organization_id} introuvable dans l'annuaire."
                )
                continue
            if source in ("public_subsidies", "public_contracts") and linked.kind not in PUBLIC_KINDS:
                errors.setdefault("funders", []).append(
                    f"{where} ({name}) : « {linked.name} » n'est pas un organisme public ; choisissez une source "
                    "privée ou un autre organisme de l'annuaire."
                )
                continue
        rows.append(Funder(name=name, source=source, amount=amount, organization=linked))
    if len(rows) > MAX_FUNDERS:
        errors.setdefault("funders", []).append(f"{MAX_FUNDERS} financeurs principaux au plus.")
    for source in Source:
        named = sum((f.amount for f in rows if f.source == source), Decimal("0"))
        if named > amounts[source]:
            errors.setdefault("funders", []).append(
                f"Les financeurs nommés en « {source.label} » totalisent {fr(named)} €, plus que le montant de cette "
                f"source ({fr(amounts[source])} €) : corrigez l'un ou l'autre."
            )
    _check_consistency(amounts, books, people, closing, year if isinstance(year, int) else None, errors)
    notes = (notes or "").strip()
    if len(notes) > 2000:
        errors["notes"] = ["Les remarques comptent 2 000 caractères au plus."]
    if errors:
        raise ValidationError(errors)
    people["volunteers"] = int(people["volunteers"])
    record, _ = ResourceYear.objects.update_or_create(
        workspace=workspace, year=year, defaults={**amounts, **people, **books, "closes_on": closing, "notes": notes}
    )
    record.funders.all().delete()
    for row in rows:
        row.resource_year = record
    Funder.objects.bulk_create(rows)
    return record


def _directory_match(name: str):
    """The directory's organisation of exactly that name (accents and case aside), if there is one and only one."""
    found = list(Organization.objects.filter(name_search=normalize(name)).only("id", "kind", "name")[:2])
    return found[0] if len(found) == 1 else None


def _closing_date(raw, errors: dict) -> date | None:
    if raw in (None, ""):
        return None
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw).strip())
    except ValueError:
        errors["closes_on"] = [f"Date de clôture « {raw} » illisible : écrivez-la AAAA-MM-JJ (par ex. 2025-06-30)."]
        return None


def _check_consistency(amounts, books, people, closing, year, errors: dict) -> None:
    """Refuse figures that cannot all be true; what is only unusual is flagged by the diagnostic instead."""
    if closing is not None and year is not None and closing.year != year:
        errors.setdefault("closes_on", []).append(
            f"L'exercice {year} doit se clore en {year} (date saisie : {closing:%d/%m/%Y}) : un exercice porte le nom "
            "de l'année où il se clôt."
        )
    volunteers, hours = people["volunteers"], people["volunteer_hours"]
    if hours and not volunteers:
        errors.setdefault("volunteers", []).append(
            f"{fr(hours)} heures de bénévolat pour 0 bénévole : indiquez le nombre de bénévoles."
        )
    if volunteers and hours > volunteers * FULL_TIME_HOURS:
        errors.setdefault("volunteer_hours", []).append(
            f"{fr(hours)} heures pour {fr(volunteers)} bénévole(s), soit plus d'un temps plein chacun "
            f"({fr(FULL_TIME_HOURS)} h par an) : vérifiez les heures ou le nombre de bénévoles."
        )
    if books["volunteer_value"] and not hours:
        errors.setdefault("volunteer_hours", []).append(
            "Vous valorisez du bénévolat sans heures de bénévolat : indiquez les heures valorisées."
        )
    if people["employees_fte"] and books["expenses"] == 0:
        errors.setdefault("expenses", []).append(
            f"{fr(people['employees_fte'])} salarié(s) ETP mais 0 € de charges : indiquez les charges de l'exercice "
            "(les salaires en font partie)."
        )


def yearly_totals(workspace, years: Iterable[int]) -> dict[int, Decimal]:
    """Total resources of the workspace per year, for the years it entered (used by evaluation indicators)."""
    return {r.year: r.total for r in ResourceYear.objects.visible_to(workspace).filter(year__in=list(years))}
