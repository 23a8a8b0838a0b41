"""Retention: receipts are kept at least 6 years (LPF art. L. 102 B); only then may they be purged."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import connection, models, transaction

from maillage.core.legal import RECEIPT_RETENTION_YEARS
from maillage.receipts.guard import purge_allowed
from maillage.receipts.models import Receipt, ReceiptLine


def earliest_purgeable_issue_year(today: date) -> int:
    """Receipts issued in a year up to this one have passed their retention at ``today``."""
    return today.year - int(RECEIPT_RETENTION_YEARS.value) - 1


@transaction.atomic
def purge_receipts(*, issued_before_year: int, today: date) -> int:
    """Delete receipts issued before ``issued_before_year``; refuse when any of them is still to be kept."""
    limit = earliest_purgeable_issue_year(today)
    if issued_before_year - 1 > limit:
        raise ValidationError(
            f"Refusé : les reçus émis après {limit} doivent être conservés au moins "
            f"{int(RECEIPT_RETENTION_YEARS.value)} ans (LPF art. L. 102 B)."
        )
    queryset = Receipt.objects.filter(issued_at__year__lt=issued_before_year, retain_until__lt=today)
    if queryset.filter(replaced_by__isnull=False).exclude(replaced_by__issued_at__year__lt=issued_before_year).exists():
        raise ValidationError("Refusé : un reçu à purger est remplacé par un reçu encore conservé.")
    with purge_allowed(connection):  # the database triggers refuse DELETE anywhere else (guard.py)
        models.QuerySet.delete(ReceiptLine.objects.filter(receipt__in=queryset))  # a summary's gifts, first
        deleted, _ = models.QuerySet.delete(
            queryset.order_by("-issued_at")
        )  # bypasses ReceiptQuerySet.delete on purpose
    return deleted
