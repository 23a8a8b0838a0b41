"""Receipt numbers under concurrency: several people issue at once; the sequence stays gapless and unique.

Threads on a real transactional database (PostgreSQL: the counter row is locked with SELECT … FOR UPDATE;
SQLite: IMMEDIATE transactions serialise writers). Some threads fail on purpose (a gift already receipted): their
transaction is rolled back with the number they had reserved, so no gap appears.
"""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from maillage.receipts.actions import issue_receipt, record_individual_gift
from maillage.receipts.models import Receipt

pytestmark = pytest.mark.django_db(transaction=True)


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(threads=st.integers(min_value=2, max_value=8), duplicates=st.integers(min_value=0, max_value=3))
def test_concurrent_issue_is_gapless_and_unique(concurrent_ok, eligible, workspace_a, owner, threads, duplicates):
    gifts = [
        record_individual_gift(
            workspace=workspace_a,
            user=owner,
            donor_name=f"Donateur {i}",
            donor_address="1 rue A, 69001 Lyon",
            amount="10",
            received_on=date(2025, 1, 2),
            payment_method="cheque",
        )
        for i in range(threads)
    ]
    # Some threads try a gift another thread also issues: exactly one of them must win.
    extra = gifts[:duplicates]
    targets = gifts + extra
    barrier = threading.Barrier(len(targets))
    outcomes: list[str] = []
    lock = threading.Lock()

    def worker(gift):
        try:
            barrier.wait(timeout=30)
            issue_receipt(workspace=workspace_a, user=owner, individual_gift=gift)
            result = "issued"
        except ValidationError:
            result = "refused"
        except Exception as exc:  # pragma: no cover - reported below
            result = f"error {exc!r}"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    workers = [threading.Thread(target=worker, args=(g,)) for g in targets]
    for t in workers:
        t.start()
    for t in workers:
        t.join(timeout=120)
    assert sorted(set(outcomes)) <= ["issued", "refused"], outcomes
    assert outcomes.count("issued") == threads and outcomes.count("refused") == len(extra)
    numbers = sorted(Receipt.objects.filter(issuer=workspace_a.organization).values_list("number", flat=True))
    assert numbers == list(range(1, len(numbers) + 1))  # gapless and duplicate-free across all examples
    assert Receipt.objects.filter(individual_gift__in=gifts).count() == threads
