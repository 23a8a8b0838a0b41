"""Benchmark of the alliance pages on a large workspace (a benchmark, not a test).

Target (issue 3): with a workspace holding 10,000 alliances, 100,000 contributions and 50,000 interactions, the
board, the alliance list, an alliance's timeline and the dashboard each render in under 150 ms at the median on
PostgreSQL, with a number of queries that does not grow with the data. Each page's time is printed as a ratio to
a trivial page (``/sante/``) measured in the same run: the machine is shared and noisy.

    .venv/bin/python bench/alliance_pages.py --db postgres
    .venv/bin/python bench/alliance_pages.py --db sqlite --alliances 2000

It builds its own database (fresh PostgreSQL database ``maillage_bench_alliances`` or a temporary SQLite file)
and removes it at the end; it never opens ``var/maillage.sqlite3``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from random import Random

TARGET_MS = 150.0
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_DATABASE = "maillage_bench_alliances"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], required=True)
    parser.add_argument("--alliances", type=int, default=10_000)
    parser.add_argument("--contributions", type=int, default=100_000)
    parser.add_argument("--interactions", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the bench database and print where it is")
    return parser.parse_args()


def pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def setup_environment(db: str) -> Path | None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "maillage.settings"
    os.environ["AXES_ENABLED"] = "false"
    if db == "postgres":
        pg_admin(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
        pg_admin(f"CREATE DATABASE {PG_DATABASE}")
        os.environ["DATABASE_URL"] = f"{PG_SERVER}/{PG_DATABASE}"
        return None
    var_dir = Path(tempfile.mkdtemp(prefix="maillage-bench-alliances-"))
    os.environ["MAILLAGE_VAR_DIR"] = str(var_dir)
    os.environ.pop("DATABASE_URL", None)
    return var_dir


def generate(args: argparse.Namespace):
    """One association workspace with many alliances, contributions and interactions, written in bulk."""
    from maillage.alliances import totals as alliance_totals
    from maillage.alliances.lifecycle import Stage
    from maillage.alliances.models import Alliance, Attendance, Form, Interaction, InteractionKind, Party, PartyRole
    from maillage.contributions import totals as contribution_totals
    from maillage.contributions.models import METHODS_BY_KIND, Contribution, Kind, Status
    from maillage.core.roles import Role
    from maillage.organizations.actions import create_organization
    from maillage.organizations.models import Organization
    from maillage.workspaces.models import Membership, User, Workspace

    rng = Random(args.seed)
    association = create_organization(
        data={"kind": "association", "name": "Association du banc d'essai", "rna": "W691999999", "commune": "69266"}
    )
    workspace = Workspace.objects.create(name="Banc d'essai", organization=association)
    user = User.objects.create_user("bench@maillage.test", "bench-password-2026", full_name="Banc d'essai")
    Membership.objects.create(workspace=workspace, user=user, role=Role.OWNER)
    partner_kinds = dict(
        Organization.objects.filter(kind__in=["commune", "epci"]).order_by("id").values_list("id", "kind")[:3000]
    )
    partners = list(partner_kinds)
    stages = list(Stage)
    forms = list(Form.values)
    today = date(2026, 11, 1)
    alliances = [
        Alliance(
            name=f"Alliance n° {i}",
            purpose="Projet de territoire",
            forms=rng.sample(forms, rng.randint(1, 2)),
            stage=rng.choice(stages),
            created_by_workspace=workspace,
            created_by=user,
            starts_on=today - timedelta(days=rng.randint(0, 1500)),
            last_interaction_on=today - timedelta(days=rng.randint(0, 400)),
        )
        for i in range(args.alliances)
    ]
    Alliance.objects.bulk_create(alliances, batch_size=2000)
    alliances = list(Alliance.objects.order_by("id"))
    parties = []
    for alliance in alliances:
        parties.append(
            Party(
                alliance=alliance,
                organization=association,
                organization_kind=association.kind,
                role=PartyRole.LEAD,
                workspace=workspace,
            )
        )
        for org_id in rng.sample(partners, rng.randint(1, 2)):
            parties.append(
                Party(
                    alliance=alliance,
                    organization_id=org_id,
                    organization_kind=partner_kinds[org_id],
                    role=rng.choice(PartyRole.values),
                )
            )
    Party.objects.bulk_create(parties, batch_size=5000)
    by_alliance: dict[int, list[int]] = {}
    kind_of_party: dict[int, str] = {}
    for alliance_id, party_id, kind in Party.objects.values_list("alliance_id", "id", "organization_kind"):
        by_alliance.setdefault(alliance_id, []).append(party_id)
        kind_of_party[party_id] = kind
    ids = [a.pk for a in alliances]
    heavy = ids[0]  # the alliance whose timeline is measured holds 1 % of all rows

    def pick_alliance() -> int:
        return heavy if rng.random() < 0.01 else rng.choice(ids)

    contributions = []
    for _ in range(args.contributions):
        alliance_id = pick_alliance()
        giver, receiver = rng.sample(by_alliance[alliance_id], 2)
        kind = rng.choice([Kind.MONEY, Kind.MONEY, Kind.IN_KIND, Kind.SKILLS, Kind.SERVICE, Kind.VOLUNTEERING])
        contributions.append(
            Contribution(
                alliance_id=alliance_id,
                giver_id=giver,
                giver_kind=kind_of_party[giver],
                receiver_id=receiver,
                kind=kind,
                status=rng.choice([Status.PROMISED, Status.RECEIVED]),
                description="Contribution générée",
                value=Decimal(rng.randint(100, 50_000)),
                valuation_method=METHODS_BY_KIND[kind][0],
                received_on=today - timedelta(days=rng.randint(0, 1000)),
                created_by_workspace=workspace,
            )
        )
    Contribution.objects.bulk_create(contributions, batch_size=5000)
    interactions = []
    for _ in range(args.interactions):
        interactions.append(
            Interaction(
                alliance_id=pick_alliance(),
                workspace=workspace,
                kind=rng.choice(InteractionKind.values),
                occurred_on=today - timedelta(days=rng.randint(0, 1000)),
                duration_minutes=rng.choice([15, 30, 60, 90, 120]),
                subject="Échange",
            )
        )
    Interaction.objects.bulk_create(interactions, batch_size=5000)
    attendances = []
    for interaction_id, alliance_id, minutes in Interaction.objects.values_list(
        "id", "alliance_id", "duration_minutes"
    ):
        for party_id in by_alliance[alliance_id][:2]:
            people = rng.randint(1, 3)
            attendances.append(
                Attendance(interaction_id=interaction_id, party_id=party_id, people=people, minutes=people * minutes)
            )
    Attendance.objects.bulk_create(attendances, batch_size=5000)
    # Written in bulk, as the demo generator does: the sums the actions keep on write are recomputed once.
    alliance_totals.rebuild()
    contribution_totals.rebuild()
    return user, heavy


def measure(client, url: str, repeat: int) -> tuple[float, float, int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(url)  # warm-up (and status check)
    times = []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.9) - 1], len(queries), response.status_code


def main() -> None:
    args = parse_args()
    var_dir = setup_environment(args.db)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    settings.ALLOWED_HOSTS = ["testserver"]
    try:
        start = time.perf_counter()
        call_command("migrate", verbosity=0)
        print(f"Base prête (migrations et référentiels) en {time.perf_counter() - start:.1f} s")
        start = time.perf_counter()
        user, heavy = generate(args)
        with connection.cursor() as cursor:
            # The steady state autovacuum leaves (visibility map set, statistics fresh), as in directory_search.py.
            cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
        print(
            f"Données générées en {time.perf_counter() - start:.1f} s : {args.alliances} alliances, "
            f"{args.contributions} contributions, {args.interactions} échanges"
        )
        client = Client()
        client.force_login(user)
        pages = [
            ("page triviale (/sante/)", "/sante/"),
            ("tableau des alliances", "/alliances/tableau/"),
            ("liste des alliances", "/alliances/"),
            ("chronologie d'une alliance (1 % des lignes)", f"/alliances/{heavy}/chronologie/"),
            ("fiche d'une alliance", f"/alliances/{heavy}/"),
            ("tableau de bord", "/tableau-de-bord/"),
        ]
        results = [(label, *measure(client, url, args.repeat)) for label, url in pages]
        baseline = results[0][1]
        print(f"\n{'page':45} {'médiane':>9} {'p90':>9} {'requêtes':>9} {'ratio':>7}  statut  cible {TARGET_MS:.0f} ms")
        for label, median, p90, queries, status in results:
            verdict = "" if label.startswith("page triviale") else ("OK" if median < TARGET_MS else "TROP LENT")
            print(
                f"{label:45} {median:8.1f}  {p90:8.1f}  {queries:9d} {median / baseline:7.1f}  {status:6d}  {verdict}"
            )
    finally:
        connection.close()
        if args.keep:
            print(f"Base conservée : {os.environ.get('DATABASE_URL') or var_dir}")
        elif args.db == "postgres":
            pg_admin(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
        elif var_dir is not None:
            shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
