"""Receipt numbers: sequential per issuer and calendar year, with no gap and no duplicate, under concurrency.

The counter row of (issuer, year) is locked with ``SELECT … FOR UPDATE`` inside the transaction that inserts the
receipts (PostgreSQL); SQLite serialises writers already (``transaction_mode = IMMEDIATE``: the write lock is taken
at ``BEGIN``). Numbers are taken and receipts inserted in the same transaction: a rollback gives the numbers back,
so no gap appears; the unique constraint (issuer, year, number) is the last safeguard against a duplicate.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from maillage.receipts.models import ReceiptCounter


def reserve_numbers(*, issuer_id: int, year: int, count: int = 1) -> int:
    """Reserve ``count`` consecutive numbers and return the first. Must run inside ``transaction.atomic``."""
    if count < 1:
        raise ValueError("count must be positive")
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("reserve_numbers must run inside the transaction that inserts the receipts")
    counter = ReceiptCounter.objects.select_for_update().filter(issuer_id=issuer_id, year=year).first()
    if counter is None:
        try:
            with transaction.atomic():  # savepoint: another writer may create the row at the same time
                ReceiptCounter.objects.create(issuer_id=issuer_id, year=year, last_number=0)
        except IntegrityError:
            pass
        counter = ReceiptCounter.objects.select_for_update().get(issuer_id=issuer_id, year=year)
    first = counter.last_number + 1
    counter.last_number += count
    counter.save(update_fields=["last_number"])
    return first
