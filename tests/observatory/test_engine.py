"""The copy of the source rows into DuckDB (decision 0007): values come out as the database holds them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from maillage.alliances.actions import create_alliance
from maillage.contributions.actions import record_contribution
from maillage.contributions.models import Contribution
from maillage.observatory import engine
from maillage.organizations.actions import create_organization
from maillage.workspaces.models import Workspace
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def test_the_copy_keeps_types_time_zone_and_texts(workspace_a):
    # Created at 23:30 UTC on 31 December: already 1 January in Paris, but the year counted is UTC's, as the SQL
    # always read it (Django stores UTC).
    Workspace.objects.filter(pk=workspace_a.pk).update(
        contributes_to_observatory=True, created_at=dt.datetime(2023, 12, 31, 23, 30, tzinfo=dt.UTC)
    )
    partner = create_organization(data={"kind": "company", "name": 'Société "Tab\tet, virgule"', "siren": "732829320"})
    user = make_user("engine@test")
    alliance = create_alliance(
        workspace=workspace_a,
        user=user,
        name="A",
        forms=["mecenat_financier", "innovation_sociale"],
        partners=[(partner, "funder", "")],
    )
    parties = {p.organization_id: p for p in alliance.parties.all()}
    record_contribution(
        workspace=workspace_a,
        user=user,
        alliance=alliance,
        giver=parties[partner.pk],
        receiver=parties[workspace_a.organization_id],
        kind="money",
        description="Don",
        value="0,10",
    )

    def read(con):
        return {
            "workspace": con.execute(
                "SELECT contributes_to_observatory, CAST(EXTRACT(YEAR FROM created_at) AS INTEGER) "
                "FROM workspaces_workspace WHERE organization_id = ?",
                [workspace_a.organization_id],
            ).fetchall(),
            "forms": con.execute(
                "SELECT form_mecenat, form_responsible, form_cooperation, form_innovation, "
                "CAST(EXTRACT(YEAR FROM starts) AS INTEGER) FROM alliances_alliance"
            ).fetchall(),
            "gift year": con.execute("SELECT year FROM contributions_contribution").fetchall(),
            "value": con.execute("SELECT value, SUM(value) OVER () FROM contributions_contribution").fetchall(),
            "band": con.execute(
                "SELECT budget_band FROM organizations_organization WHERE id = ?", [partner.pk]
            ).fetchall(),
            "memory": con.execute("SELECT current_setting('memory_limit')").fetchone()[0],
        }

    got = engine.run(read)
    assert got["workspace"] == [(True, 2023)]
    # The forms come as one 0/1 flag per form the SQL reads (mécénat: any of its three modes); an alliance without
    # a start date starts on the day it was recorded.
    assert got["forms"] == [(1, 0, 0, 1, alliance.created_at.year)]
    assert got["gift year"] == [(Contribution.objects.get().date.year,)]  # received, else promised, else recorded
    assert got["value"] == [(Decimal("0.10"), Decimal("0.10"))]  # exact decimals, not floats
    assert got["band"] == [("",)]  # an empty text stays empty, not NULL


def test_the_memory_cap_is_duckdbs(settings):
    settings.OBSERVATORY_DUCKDB_MEMORY = "1GB"
    memory = engine.run(lambda con: con.execute("SELECT current_setting('memory_limit')").fetchone()[0])
    assert memory.replace(" ", "") in {"953.6MiB", "1.0GB", "1000.0MB", "953.6MB"}, memory


@pytest.mark.django_db(transaction=True)
def test_a_refresh_of_its_own_copies_every_table_in_one_snapshot(workspace_a):
    """Outside any transaction (cron, the staff page), PostgreSQL's tables are copied over two connections sharing
    one snapshot; every row of every source table reaches DuckDB, once."""
    from django.db import connection

    partner = create_organization(data={"kind": "company", "name": "Société", "siren": "732829320"})
    user = make_user("engine-own@test")
    for name in ("A", "B", "C"):
        create_alliance(
            workspace=workspace_a, user=user, name=name, forms=["mecenat_nature"], partners=[(partner, "funder", "")]
        )
    assert not connection.in_atomic_block

    def count(con):
        return {table: con.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for table in engine.SOURCES}  # noqa: S608

    copied = engine.run(count)
    with connection.cursor() as cursor:
        for table, rows in copied.items():
            cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608
            assert (table, rows) == (table, cursor.fetchone()[0])
    assert copied["alliances_alliance"] == 3 and copied["alliances_party"] == 6
