"""Benchmark of the audit journal's page reads on a large journal (a benchmark, not a test).

The journal of a workspace is an OR of its own events and of its members' authentication events (while members):
this prints the time of the page's two queries (count, then one page) for a workspace among many, next to a
primary-key lookup measured in the same run.

    .venv/bin/python bench/audit_journal.py --events 300000            # SQLite, in a temporary folder
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/maillage_bench_audit .venv/bin/python bench/audit_journal.py

On PostgreSQL, the database named in DATABASE_URL must exist and is migrated; its journal is not emptied.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from random import Random


def timed(func, repeat: int) -> tuple[float, float]:
    func()
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        runs.append((time.perf_counter() - start) * 1000)
    runs.sort()
    return statistics.median(runs), runs[int(len(runs) * 0.9) - 1]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--members", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args(argv)
    if not os.environ.get("DATABASE_URL"):
        os.environ["MAILLAGE_VAR_DIR"] = tempfile.mkdtemp(prefix="bench-audit-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maillage.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from maillage.audit.models import AuditEvent
    from maillage.organizations.models import Organization
    from maillage.workspaces import journal as queries
    from maillage.workspaces.models import Membership, User, Workspace

    call_command("migrate", verbosity=0)
    rng = Random(1)
    org = Organization.objects.create(kind="association", name="Banc d'essai du journal")
    workspace = Workspace.objects.create(name="Banc d'essai", organization=org)
    users = [User.objects.create_user(f"bench-{i}-{rng.random()}@audit.test", None) for i in range(args.members)]
    for user in users:
        Membership.objects.create(workspace=workspace, user=user, role="owner")
    Membership.objects.filter(workspace=workspace).update(created_at=timezone.now() - timedelta(days=400))
    member_ids = [u.pk for u in users]
    now = timezone.now()
    start = time.perf_counter()
    batch = []
    for _ in range(args.events):
        roll = rng.random()
        when = now - timedelta(minutes=rng.randrange(0, 365 * 24 * 60))
        if roll < 0.05:  # this workspace's own events
            event = AuditEvent(workspace_id=workspace.pk, action="receipt.issued", actor_id=rng.choice(member_ids))
        elif roll < 0.08:  # its members' logins
            event = AuditEvent(action="auth.login", actor_id=rng.choice(member_ids))
        elif roll < 0.3:  # everybody else's logins
            event = AuditEvent(action="auth.login", actor_id=10_000_000 + rng.randrange(200_000))
        else:  # other workspaces' events
            event = AuditEvent(workspace_id=10_000_000 + rng.randrange(5_000), action="export.downloaded")
        event.created_at = when
        batch.append(event)
        if len(batch) == 10_000:
            AuditEvent.objects.bulk_create(batch)
            batch = []
    AuditEvent.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"{connection.vendor}: {args.events} events loaded in {time.perf_counter() - start:.1f} s")

    journal = queries.journal(workspace)
    count = journal.count()
    print(f"journal of the workspace: {count} events")
    pk = AuditEvent.objects.order_by("id").values_list("id", flat=True)[args.events // 2]
    base, _ = timed(lambda: AuditEvent.objects.get(pk=pk), args.repeat)
    print(f"primary-key lookup: {base:.2f} ms (baseline)")
    cases = {
        "count": lambda: queries.journal(workspace).count(),
        "first page (50)": lambda: list(queries.journal(workspace)[:50]),
        "page 20 (50)": lambda: list(queries.journal(workspace)[950:1000]),
        "auth family, first page": lambda: list(queries.journal(workspace, queries.Filters(family="auth"))[:50]),
        "one person, first page": lambda: list(queries.journal(workspace, queries.Filters(actor=member_ids[0]))[:50]),
    }
    with connection.cursor() as cursor:
        sql, params = queries.journal(workspace)[:50].query.sql_with_params()
        cursor.execute(("EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN ") + sql, params)
        plan = [" ".join(str(c) for c in row) for row in cursor.fetchall()]
        shown = plan if len(plan) <= 8 else [*plan[:5], f"... ({len(plan) - 6} more)", plan[-1]]
        print("plan of the first page:", *shown, sep="\n  ")
    for name, func in cases.items():
        median, p90 = timed(func, args.repeat)
        print(f"{name}: median {median:.1f} ms, p90 {p90:.1f} ms, ratio {median / base:.0f}x the pk lookup")


if __name__ == "__main__":
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
    main()
