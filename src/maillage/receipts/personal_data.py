"""Personal data of the receipts: individual donors (name, address, e-mail, gifts) as recorded with their gift
and as copied on each issued receipt.

Legal hold: an issued receipt is kept as it is, with the donor's data on it, for 6 years (LPF art. L. 102 B,
``Receipt.retain_until``); a gift that has a receipt is kept with it. Their erasure is recorded and done by the
daily purge when the hold ends.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connections, models, transaction
from django.db.models import ProtectedError, QuerySet

from maillage.core.personal_data import DELETE, Retention, Source, years_before
from maillage.receipts.guard import purge_allowed

if TYPE_CHECKING:
    from maillage.receipts.models import Donor, IndividualGift


def _gift_hold(gift: IndividualGift) -> date | None:
    dates = [r.retain_until for r in gift.receipts.all()]
    return max(dates) if dates else None


def _old_gifts(queryset: QuerySet[Any], today: date) -> QuerySet[Any]:
    return queryset.filter(received_on__lt=years_before(today, settings.MAILLAGE_RETENTION_ACCOUNTING_YEARS)).exclude(
        donor_name="Donateur effacé"
    )


def _donor_hold(donor: Donor) -> date | None:
    dates = [r.retain_until for gift in donor.gifts.all() for r in gift.receipts.all()]
    return max(dates) if dates else None


def _old_donors(queryset: QuerySet[Any], today: date) -> QuerySet[Any]:
    """Donors none of whose gifts is younger than the accounting period (a donor without gifts goes too)."""
    cutoff = years_before(today, settings.MAILLAGE_RETENTION_ACCOUNTING_YEARS)
    return queryset.exclude(gifts__received_on__gte=cutoff).exclude(full_name="Donateur effacé")


def _expired_receipts(queryset: QuerySet[Any], today: date) -> QuerySet[Any]:
    return queryset.filter(retain_until__lt=today)


def _delete_receipts(queryset: QuerySet[Any], terms: list[str]) -> int:
    """Receipts go only past their retention (the hold is checked before); a receipt replaced by a kept one stays
    (PROTECT) until its replacement goes too."""
    deleted = 0
    for receipt in queryset.order_by("-issued_at"):
        try:
            # The ORM's refusal is bypassed here, the database's triggers by ``purge_allowed`` (receipts/guard.py).
            with transaction.atomic(using=queryset.db), purge_allowed(connections[queryset.db]):
                count, _ = models.QuerySet.delete(type(receipt).objects.filter(pk=receipt.pk))
            deleted += count
        except ProtectedError:
            continue
    return deleted


RECEIPT_HOLD = "reçu fiscal émis : conservé 6 ans avec les données du donateur (LPF art. L. 102 B)"

SOURCES = [
    Source(
        key="donors",
        label="Donateurs particuliers",
        model="receipts.Donor",
        workspace="workspace",
        match=("full_name", "email", "street"),
        show=("full_name", "street", "postal_code", "city", "email", "created_at"),
        anonymise={
            "full_name": "Donateur effacé",
            "street": "",
            "postal_code": "",
            "city": "",
            "email": "",
            "match_key": "",
        },
        hold_until=_donor_hold,
        hold_reason=RECEIPT_HOLD,
        category="donateurs particuliers",
        retention=Retention(
            expired=_old_donors,
            setting="MAILLAGE_RETENTION_ACCOUNTING_YEARS",
            describe="fiche du donateur anonymisée {n} ans après son dernier don (pièces comptables, C. com. art. "
            "L. 123-22), pas avant la fin de conservation de ses reçus",
        ),
    ),
    Source(
        key="individual_gifts",
        label="Dons de particuliers",
        model="receipts.IndividualGift",
        workspace="workspace",
        match=("donor_name", "donor_email", "donor_address"),
        show=("donor_name", "donor_address", "donor_email", "amount", "received_on", "payment_method"),
        # The amount stays (totals, declaration, accounting keep their numbers); the donor is no longer named.
        anonymise={"donor_name": "Donateur effacé", "donor_address": "", "donor_email": "", "description": ""},
        hold_until=_gift_hold,
        hold_reason=RECEIPT_HOLD,
        category="donateurs particuliers",
        retention=Retention(
            expired=_old_gifts,
            setting="MAILLAGE_RETENTION_ACCOUNTING_YEARS",
            describe="donateur anonymisé {n} ans après le don (pièces comptables, C. com. art. L. 123-22), "
            "pas avant la fin de conservation de ses reçus",
        ),
    ),
    Source(
        key="receipts",
        label="Reçus fiscaux émis",
        model="receipts.Receipt",
        workspace="workspace",
        match=("donor_name", "donor_email", "donor_address", "skills_detail"),
        show=("reference", "donor_name", "donor_address", "donor_email", "amount", "gift_date", "retain_until"),
        erase=DELETE,
        custom_erase=_delete_receipts,
        hold_until=lambda receipt: receipt.retain_until,
        hold_reason=RECEIPT_HOLD,
        category="donateurs particuliers",
        retention=Retention(
            expired=_expired_receipts,
            describe="supprimé à la fin de sa conservation (6 ans, LPF art. L. 102 B ; `retain_until`)",
        ),
    ),
]
