"""Diagnostic actions: the association enters (or imports) one year of its economic model."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from maillage.diagnostic.analysis import fr
from maillage.diagnostic.models import Funder, ResourceYear, Source

MAX_AMOUNT = Decimal("1000000000")
MAX_FUNDERS = 10
HUMAN_LIMITS = {
    "employees_fte": (Decimal("100000"), "Salariés (ETP)"),
    "volunteers": (Decimal("10000000"), "Bénévoles"),
    "volunteer_hours": (Decimal("100000000"), "Heures de bénévolat"),
    "skills_received_hours": (Decimal("10000000"), "Heures de compétences reçues"),
    "skills_received_value": (MAX_AMOUNT, "Valeur des compétences reçues"),
}


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
    funders: Iterable[tuple[str, str, object]] = (),
    notes: str = "",
) -> ResourceYear:
    """Create or replace the workspace's figures for one year (resources by source, human resources, funders)."""
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
    people = {
        field: parse_amount(human.get(field), field, label, errors, limit)
        for field, (limit, label) in HUMAN_LIMITS.items()
    }
    if people["volunteers"] != people["volunteers"].to_integral_value():
        errors.setdefault("volunteers", []).append("Bénévoles : un nombre entier de personnes.")
    rows = []
    for index, (name, source, raw) in enumerate(list(funders), start=1):
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
        rows.append(Funder(name=name, source=source, amount=amount))
    if len(rows) > MAX_FUNDERS:
        errors.setdefault("funders", []).append(f"{MAX_FUNDERS} financeurs principaux au plus.")
    for source in Source:
        named = sum((f.amount for f in rows if f.source == source), Decimal("0"))
        if named > amounts[source]:
            errors.setdefault("funders", []).append(
                f"Les financeurs nommés en « {source.label} » totalisent {fr(named)} €, plus que le montant de cette "
                f"source ({fr(amounts[source])} €) : corrigez l'un ou l'autre."
            )
    notes = (notes or "").strip()
    if len(notes) > 2000:
        errors["notes"] = ["Les remarques comptent 2 000 caractères au plus."]
    if errors:
        raise ValidationError(errors)
    people["volunteers"] = int(people["volunteers"])
    record, _ = ResourceYear.objects.update_or_create(
        workspace=workspace, year=year, defaults={**amounts, **people, "notes": notes}
    )
    record.funders.all().delete()
    for row in rows:
        row.resource_year = record
    Funder.objects.bulk_create(rows)
    return record


def yearly_totals(workspace, years: Iterable[int]) -> dict[int, Decimal]:
    """Total resources of the workspace per year, for the years it entered (used by evaluation indicators)."""
    return {r.year: r.total for r in ResourceYear.objects.visible_to(workspace).filter(year__in=list(years))}
