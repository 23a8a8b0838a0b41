"""The replica drill's client: a Maillage process pointed at a primary and its replica, driven through its pages.

Run by ``test_replica_drill.py`` as ``python replica_probe.py`` with ``DATABASE_URL`` (the primary),
``DATABASE_REPLICA_URLS`` (the replica) and the pair's ``DRILL_*`` variables; prints one JSON object of what it
saw, which the test checks. It runs the whole product in-process (Django's test client: every middleware, the
router, the real databases), not a test database.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maillage.settings")

import django  # noqa: E402

django.setup()

from django.db import close_old_connections, connections  # noqa: E402
from django.test import Client as TestClient  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from maillage.core import db_router  # noqa: E402
from maillage.core.roles import Role  # noqa: E402
from maillage.organizations.actions import create_organization  # noqa: E402
from maillage.workspaces.models import Membership, User, Workspace  # noqa: E402
from tests.operations.clusters import Pair  # noqa: E402


class Client(TestClient):
    """Django's test client, plus what a real server does at every request and the test client leaves out: the
    persistent connections are checked again (``close_old_connections``, which arms ``CONN_HEALTH_CHECKS``)."""

    def request(self, **request):
        close_old_connections()
        try:
            return super().request(**request)
        finally:
            close_old_connections()


pair = Pair.from_env()
report: dict = {}


def tables(queries) -> set[str]:
    """The tables named after FROM in the captured queries (enough to tell which app was read)."""
    found = set()
    for q in queries:
        sql = q["sql"]
        if " FROM " in sql:
            found.add(sql.split(" FROM ", 1)[1].split()[0].strip('"'))
    return found


def on(alias: str) -> bool:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        return cursor.fetchone()[0]


def get(client: Client, url: str):
    # (Capturing opens a connection: only while the replica runs.)
    with CaptureQueriesContext(connections["replica_1"]) as rq, CaptureQueriesContext(connections["default"]) as pq:
        response = client.get(url)
    return response, tables(rq.captured_queries), tables(pq.captured_queries)


def primary_tables_of(client: Client, url: str):
    with CaptureQueriesContext(connections["default"]) as pq:
        response = client.get(url)
    return response, tables(pq.captured_queries)


# Set up, outside any request: everything on the primary.
org = create_organization(data={"kind": "association", "name": "Les Jardins du Drill", "rna": "W691009991"})
workspace = Workspace.objects.create(name="Drill", organization=org)
user = User.objects.create_user("drill@maillage.test", "mot-de-passe-du-drill", full_name="Drill")
Membership.objects.create(workspace=workspace, user=user, role=Role.OWNER)
report["aliases"] = sorted(connections.settings.keys())
pair.wait_caught_up()

writer, other = Client(), Client()
writer.force_login(user)
other.force_login(user)

# 1. The directory (a lag-tolerant app) is read on the replica, the session and memberships on the primary.
response, replica_tables, primary_tables = get(writer, "/annuaire/?q=jardins")
report["directory"] = {
    "status": response.status_code,
    "replica_tables": sorted(replica_tables),
    "primary_tables": sorted(primary_tables),
    "replica_in_recovery": on("replica_1"),
    "primary_in_recovery": on("default"),
}
# A list page: every read but the security ones on the replica.
response, replica_tables, primary_tables = get(writer, "/alliances/")
report["list_page"] = {
    "status": response.status_code,
    "replica_tables": sorted(replica_tables),
    "primary_tables": sorted(primary_tables),
}

# 2. Read-your-writes, with the replica's replay paused so that it lags for sure.
pair.replica.sql("SELECT pg_wal_replay_pause()")
try:
    created = writer.post(
        "/annuaire/nouvelle/", {"kind": "association", "name": "Écrite puis relue", "rna": "W691009992"}
    )
    location = created.get("Location", "")
    cookie = created.cookies.get(db_router.PIN_COOKIE)
    seen_by_writer = writer.get(location) if location else None
    seen_by_other = other.get(location) if location else None
    report["read_your_writes"] = {
        "post_status": created.status_code,
        "pin_cookie_max_age": cookie["max-age"] if cookie else None,
        "writer_status": seen_by_writer.status_code if seen_by_writer else None,
        "writer_sees_it": seen_by_writer is not None and "Écrite puis relue" in seen_by_writer.content.decode(),
        "other_status_while_replica_lags": seen_by_other.status_code if seen_by_other else None,
    }
finally:
    pair.replica.sql("SELECT pg_wal_replay_resume()")
pair.wait_caught_up()
# Replayed up to the primary's position: the write is there for everyone. Polled with a deadline rather than read
# once: a read right after the replica reported that position has once answered 404 (CI run of 7 Dec 2026).
deadline = time.monotonic() + 15
while (status := other.get(location).status_code) != 200 and time.monotonic() < deadline:
    time.sleep(0.1)
report["read_your_writes"]["other_status_after_replay"] = status

# 3. The replica stops: nothing degrades, reads go to the primary.
pair.replica.stop("fast")
statuses, read_on_primary = {}, set()
started = time.monotonic()
for url in ("/annuaire/?q=jardins", location, "/alliances/", "/observatoire/", "/sante/"):
    response, primary_tables = primary_tables_of(other, url)
    statuses[url] = response.status_code
    read_on_primary |= primary_tables
report["replica_stopped"] = {
    "statuses": statuses,
    "seconds": round(time.monotonic() - started, 2),
    "replica_left_alone": "replica_1" in db_router._down_until,
    "directory_read_on_primary": "organizations_organization" in read_on_primary,
}
print("DRILL " + json.dumps(report))
