"""Import of individuals' gifts (dons de particuliers), for their tax receipts: a CSV/XLSX of the association's own,
or the export file of an online collection tool (HelloAsso first: its donors' first and last names, address,
amount, date and means of payment, one line per payment).

Each row is checked by :func:`maillage.receipts.actions.clean_individual_gift` (the checks of ``record_individual_gift``,
the page's) and written batch by batch by ``record_individual_gifts``; its donor is found again among the workspace's donors (name and e-mail, else name and address) or created: an import
never duplicates a donor. The natural key is the tool's reference when the file has one (a re-import of the same
export skips the payments already imported), else donor, date and amount. Registered in ``fields.FIELDS`` and
``importers.IMPORTERS`` (entity ``donation``). Undo deletes the gifts it created (never a receipted one: the receipt
protects it); the donor records stay.

HelloAsso's column names are taken as synonyms below; they were not checked against a real export file of 2026.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError

from maillage.core import formats
from maillage.core.text import normalize
from maillage.exchange.fields import parse_date_in_range, parse_decimal
from maillage.exchange.individual_gift_fields import FIELDS  # noqa: F401 (registered by fields.py)
from maillage.exchange.models import Entity
from maillage.exchange.rows import Planned, RowError, _collect
from maillage.receipts.actions import clean_individual_gift, record_individual_gifts

METHODS = {
    "cheque": "cheque",
    "especes": "especes",
    "liquide": "especes",
    "cash": "especes",
}
# The gift's fields as the domain names them → the import's columns (for the report).
GIFT_FIELDS = {"donor_name": "last_name", "donor_address": "street", "donor_email": "email"}
REFUSED_STATUSES = ("refuse", "rembourse", "annule", "echec", "en attente", "refused", "refunded", "canceled")


def payment_method(value: str) -> str:
    key = normalize(value or "")
    if not key:
        return "virement"  # online collection tools take cards and transfers
    for word, method in METHODS.items():
        if word in key:
            return method
    if any(w in key for w in ("carte", "cb", "card", "virement", "prelevement", "transfer", "sepa", "paypal")):
        return "virement"
    raise ValueError(f"Mode de versement inconnu « {value} » : chèque, espèces, carte, virement ou prélèvement.")


class IndividualGiftRows:
    entity = Entity.DONATION
    repeatable = True  # the same person may give the same amount twice the same day
    dry_run_actions = False  # checked by clean_individual_gift in plan; donors and the yearly ceiling when written

    def plan(self, v: dict, ctx) -> tuple[str, dict, dict, None]:
        errors: dict[str, list[str]] = {}
        name = " ".join(p for p in (v.get("first_name", "").strip(), v.get("last_name", "").strip()) if p)
        if not v.get("last_name", "").strip():
            errors["last_name"] = ["Le nom du donateur est obligatoire (il figure sur le reçu)."]
        street, postal, city = (v.get(f, "").strip() for f in ("street", "postal_code", "city"))
        if not (street and (postal or city)) and not (street and "," in street):
            errors["street"] = [
                "L'adresse complète du donateur (voie, code postal, ville) est obligatoire pour son reçu."
            ]
        amount = _collect(errors, "amount", parse_decimal, v.get("amount", ""))
        if amount is not None and amount <= 0:
            errors["amount"] = ["Le montant doit être positif."]
        if not v.get("amount", "").strip():
            errors["amount"] = ["Le montant est obligatoire."]
        day = _collect(errors, "received_on", parse_date_in_range, v.get("received_on", ""))
        if day is None and "received_on" not in errors:
            errors["received_on"] = ["La date du don est obligatoire."]
        method = _collect(errors, "payment_method", payment_method, v.get("payment_method", ""))
        status = normalize(v.get("status", ""))
        if status and any(s in status for s in REFUSED_STATUSES):
            errors["status"] = [f"Paiement « {v['status']} » : pas un don reçu, ligne ignorée."]
        counterparts = _collect(errors, "counterparts_value", parse_decimal, v.get("counterparts_value", ""))
        if errors:
            raise RowError(errors)
        address = ", ".join(p for p in (street, f"{postal} {city}".strip()) if p)
        email = v.get("email", "").strip().lower()
        reference = v.get("reference", "").strip()
        base = f"ref:{reference}" if reference else f"{normalize(name)}:{email}:{day.isoformat()}:{amount}"
        try:
            fields = clean_individual_gift(
                donor_name=name,
                donor_address=address,
                donor_email=email,
                amount=amount,
                received_on=day,
                payment_method=method,
                counterparts_value=counterparts or "0",
                import_key=reference,
                today=ctx.today,
            )
        except ValidationError as exc:
            raise RowError({GIFT_FIELDS.get(k, k): m for k, m in exc.message_dict.items()}) from exc
        payload = {
            "fields": fields,
            "donor": {"full_name": name, "email": email, "street": street, "postal_code": postal, "city": city},
        }
        preview = {"Donateur": name, "Adresse": address, "Montant": formats.money(amount), "Date": f"{day:%d/%m/%Y}"}
        return base, payload, preview, None

    # ---- the check's decisions kept for the run (decision 0011) ----

    revises_by_chunk = True

    def mark(self) -> int:
        return 0  # a gift refers to nothing the check read: its donor and the yearly ceiling are the write's

    def kept(self, planned: Planned) -> list:
        """[row, key, the gift's fields (JSON: amounts as text, the date in ISO), the donor as written]."""
        fields = dict(planned.payload["fields"])
        fields["amount"], fields["counterparts_value"] = str(fields["amount"]), str(fields["counterparts_value"])
        fields["received_on"] = fields["received_on"].isoformat()
        return [planned.row, planned.key, fields, planned.payload["donor"]]

    def revise(self, rows: list[list], ctx, since: int) -> list[Planned]:
        """The kept rows as the check decided them: nothing in them depends on what may change before the run
        (the donor is found again or created, and the yearly ceiling checked, when the batch is written; a date
        not in the future at the check is not at the run)."""
        planned = []
        for row, key, fields, donor in rows:
            fields = {
                **fields,
                "amount": Decimal(fields["amount"]),
                "counterparts_value": Decimal(fields["counterparts_value"]),
                "received_on": date.fromisoformat(fields["received_on"]),
            }
            planned.append(Planned(row, "", {"fields": fields, "donor": donor}, key))
        return planned

    def execute(self, payload: dict, ctx, row: int) -> list[tuple[str, int, bool]]:
        return self.write([(payload, row)], ctx)[0]

    def write(self, items: list[tuple[dict, int]], ctx) -> list[list[tuple[str, int, bool]]]:
        """A batch at once: its donors found again or created together, its gifts written together."""
        rows = [{**payload, "row": row} for payload, row in items]
        try:
            gifts = record_individual_gifts(workspace=ctx.workspace, user=ctx.user, rows=rows)
        except ValidationError as exc:
            messages = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
            raise ValidationError(
                {k or f"lignes {items[0][1]} à {items[-1][1]}": m for k, m in messages.items()}
            ) from exc
        return [[("receipts.IndividualGift", gift.pk, True)] for gift in gifts]
