"""The fast path for contributions: the validation of ``record_contribution``, row by row, then bulk inserts.

``clean_contribution`` applies, in the same order and with the same messages, the checks of
:func:`maillage.contributions.actions.record_contribution` for every kind a spreadsheet can carry (all but
skills, which are valued employee by employee), reusing that module's own helpers (``_decimal``,
``_check_amount``, ``METHODS_BY_KIND``, ``to_cents``). ``tests/exchange/test_bulk_equivalence.py`` feeds the
same inputs to both and asserts identical rows and identical errors. ``write_contributions`` then inserts the
rows in one statement per batch, inside the import's batch transaction.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from maillage.alliances.models import Alliance
from maillage.contributions import actions as contribution_actions
from maillage.contributions.models import METHODS_BY_KIND, Contribution, Kind, Status, ValuationMethod
from maillage.contributions.valuation import to_cents

KIND_VALUES = frozenset(Kind.values)  # ``Kind.values`` rebuilds a list at every call: same members, once
STATUS_VALUES = frozenset(Status.values)


def clean_contribution(
    *,
    alliance: Alliance,
    giver,
    receiver,
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
    today: date | None = None,
    active: set[int] | None = None,
) -> dict:
    """The field values ``record_contribution`` would write, or its ``ValidationError``. ``alliance.parties``
    must be prefetched (no query is made here); ``active`` (the ids of its active parties) may be given once
    for many rows of the same alliance."""
    errors: dict[str, list[str]] = {}
    if active is None:
        active = {p.pk for p in alliance.parties.all() if p.left_at is None}
    if giver.pk not in active or giver.alliance_id != alliance.pk:
        errors["giver"] = ["Le donateur n'est pas partie à cette alliance."]
    if receiver.pk not in active or receiver.alliance_id != alliance.pk:
        errors["receiver"] = ["Le bénéficiaire n'est pas partie à cette alliance."]
    if giver.pk == receiver.pk:
        errors["receiver"] = [
            "Une contribution va d'une partie à une autre : choisissez deux organisations différentes."
        ]
    if kind not in KIND_VALUES:
        errors["kind"] = ["Nature inconnue : don financier, en nature, compétences, prestation ou bénévolat."]
        raise ValidationError(errors)
    if kind == Kind.SKILLS:
        errors["kind"] = [
            "Un mécénat de compétences se valorise salarié par salarié : saisissez-le dans Maillage "
            "(ou importez l'archive complète), pas dans un tableau d'une ligne par contribution."
        ]
    method = valuation_method or METHODS_BY_KIND[kind][0]
    if method not in METHODS_BY_KIND[kind]:
        allowed = ", ".join(ValuationMethod(m).label.lower() for m in METHODS_BY_KIND[kind])
        errors["valuation_method"] = [f"Pour cette nature, la valorisation se fait par : {allowed}."]
    description = (description or "").strip()
    if not description or len(description) > 500:
        errors["description"] = ["Décrivez la contribution (500 caractères au plus)."]
    if status not in STATUS_VALUES:
        errors["status"] = ["Statut inconnu : promise ou reçue."]
    today = today or timezone.localdate()
    if status == Status.RECEIVED and received_on is None:
        errors["received_on"] = ["Indiquez la date de réception."]
    if received_on and received_on > today:
        errors["received_on"] = ["La date de réception est dans le futur : enregistrez la contribution comme promise."]
    for field, day in (("promised_on", promised_on), ("received_on", received_on)):
        if day and day < date(1990, 1, 1):
            errors[field] = ["Date antérieure à 1990 : vérifiez la saisie."]
    amount = contribution_actions._decimal(value, "value", errors)
    parsed_hours = parsed_rate = None
    if kind == Kind.VOLUNTEERING:
        parsed_hours = contribution_actions._decimal(hours, "hours", errors)
        parsed_rate = contribution_actions._decimal(hourly_rate, "hourly_rate", errors)
        if parsed_hours is None or not Decimal("0") < parsed_hours <= Decimal("100000"):
            errors.setdefault("hours", []).append("Indiquez un nombre d'heures de bénévolat positif.")
        if parsed_rate is None or not Decimal("0") < parsed_rate <= Decimal("1000"):
            errors.setdefault("hourly_rate", []).append(
                "Indiquez le taux horaire retenu pour valoriser le bénévolat (ex. le SMIC horaire)."
            )
        if parsed_hours and parsed_rate:
            amount = to_cents(parsed_hours * parsed_rate)
    elif kind != Kind.SKILLS:
        contribution_actions._check_amount(amount, "value", errors)
    if errors:
        raise ValidationError(errors)
    return {
        "alliance_id": alliance.pk,
        "giver_id": giver.pk,
        "receiver_id": receiver.pk,
        "kind": kind,
        "status": status,
        "description": description,
        "value": to_cents(amount),
        "valuation_method": method,
        "evidence": (evidence or "").strip()[:2000],
        "promised_on": promised_on,
        "received_on": received_on if status == Status.RECEIVED else None,
        "hours": parsed_hours,
        "hourly_rate": parsed_rate,
        "signed_timesheet": False,
        "counterparts_value": Decimal("0"),
    }


def write_contributions(rows: list[dict], *, workspace, user) -> list[int]:
    """Insert validated rows (from :func:`clean_contribution`) in bulk; returns their ids in order.

    On PostgreSQL the ids are drawn from the table's sequence and the rows sent with ``COPY`` (the same columns
    and values ``bulk_create`` would send, ``created_at`` included); elsewhere ``bulk_create``.
    """
    if not rows:
        return []
    now = timezone.now()
    extra = {"created_by_workspace_id": workspace.pk, "created_by_id": user.pk if user else None, "created_at": now}
    if connection.vendor == "postgresql":
        ids = copy_insert(Contribution, [{**row, **extra} for row in rows])
    else:
        objects = [Contribution(**row, created_by_workspace=workspace, created_by=user) for row in rows]
        Contribution.objects.bulk_create(objects, batch_size=2000)
        ids = [o.pk for o in objects]
    Alliance.objects.filter(pk__in={row["alliance_id"] for row in rows}).update(updated_at=now)
    return ids


def copy_insert(model, rows: list[dict]) -> list[int]:
    """PostgreSQL: ids from the sequence in one query, then every row in one ``COPY``. Missing fields get their
    model default."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, len(rows)]
        )
        ids = [r[0] for r in cursor.fetchall()]
        columns = ", ".join(connection.ops.quote_name(c) for c in ["id", *(f.column for f in fields)])
        defaults = {f.attname: f.get_default() for f in fields}
        with cursor.cursor.copy(f"COPY {connection.ops.quote_name(table)} ({columns}) FROM STDIN") as copy:
            for pk, row in zip(ids, rows, strict=True):
                copy.write_row([pk, *(row.get(f.attname, defaults[f.attname]) for f in fields)])
    return ids
