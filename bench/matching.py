"""Benchmark of partner suggestions on a national-size synthetic data set (a benchmark, not a test).

Target (issue 8): top-20 suggestions for one organisation in under 200 ms at the median on PostgreSQL, printed
next to the time of a plain indexed lookup (a primary-key fetch) measured in the same run.

    .venv/bin/python bench/matching.py                      # 1.5 M associations, 400 k companies
    .venv/bin/python bench/matching.py --associations 200000 --companies 60000   # a quicker run

The script creates its own PostgreSQL database ``maillage_bench_match`` (dropped at the end unless --keep),
migrates it (the real reference data and every public body come with it), then bulk-loads with COPY:
associations, companies and foundations placed in real communes by population, their causes, one workspace per
organisation that publishes, needs (≈ 12 % of associations), offers (≈ 12 % of companies and foundations) and
calls for projects (≈ 5 % of public bodies). It never reads ``maillage generate``: the data set is its own.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from random import Random

TARGET_MS = 200.0
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_DATABASE = "maillage_bench_match"
CAUSE_WEIGHTS = {
    "sport": 24,
    "culture": 23,
    "loisirs_vie_sociale": 21,
    "social_sante": 14,
    "droits_citoyennete": 12,
    "education_jeunesse": 3,
    "developpement_local": 3,
    "emploi_insertion": 4,
    "environnement": 6,
    "humanitaire_international": 2,
    "recherche_innovation": 1,
}  # fmt: skip  INJEP 2019 sector shares, plus the CSR causes companies name most
BUDGETS = ["lt_10k"] * 75 + ["10k_50k"] * 12 + ["50k_150k"] * 7 + ["150k_500k"] * 4 + ["gt_500k"] * 2
WORKFORCES = ["none"] * 60 + ["micro"] * 30 + ["sme"] * 8 + ["mid"] * 1 + ["large"] * 1
DOMAINS = ["comptabilite", "juridique", "numerique", "communication", "gestion", "rh", "logistique", "batiment",
           "formation", "collecte"]  # fmt: skip
NEED_TITLES = {
    "skills": ["Aide à la comptabilité annuelle", "Refonte de notre site internet", "Conseil juridique statuts",
               "Plan de communication", "Formation des bénévoles"],
    "goods": ["Prêt d'une salle pour nos ateliers", "Matériel informatique", "Véhicule utilitaire"],
    "funding": ["Financement d'un nouveau projet", "Soutien à nos actions de l'été"],
    "partner": ["Partenaire pour co-construire un tiers-lieu", "Projet d'insertion à construire ensemble"],
}  # fmt: skip
OFFER_TITLES = {
    "skills": ["Mécénat de compétences de nos salariés", "Bénévolat de compétences", "Journées solidaires"],
    "goods": ["Dons de matériel", "Mise à disposition de locaux"],
    "funding": ["Mécénat financier local", "Fonds de dotation territorial"],
    "partner": ["Co-construction de projets à impact"],
}  # fmt: skip


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--associations", type=int, default=1_500_000)
    parser.add_argument("--companies", type=int, default=400_000)
    parser.add_argument("--foundations", type=int, default=8_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--targets", type=int, default=24, help="organisations measured (default 24)")
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per organisation (default 7)")
    parser.add_argument("--keep", action="store_true")
    return parser.parse_args(argv)


def pg(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def setup_django() -> None:
    os.environ["DATABASE_URL"] = f"{PG_SERVER}/{PG_DATABASE}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "maillage.settings"
    os.environ["DEBUG"] = "false"
    import django

    django.setup()


def places():
    from maillage.territories.models import Commune

    parents = set(Commune.objects.filter(parent__isnull=False).values_list("parent_id", flat=True))
    rows = [
        r
        for r in Commune.objects.values_list("code", "name", "population", "epci_id", "departement_id", "region_id")
        if r[0] not in parents
    ]
    cumulative, total = [], 0
    for row in rows:
        total += max(row[2], 1)
        cumulative.append(total)
    return rows, cumulative


class Loader:
    """COPY rows into the tables, through Django's own PostgreSQL connection."""

    def __init__(self) -> None:
        from django.db import connection

        connection.ensure_connection()
        self.conn = connection.connection

    def copy(self, table: str, columns: Sequence[str], rows) -> int:
        count = 0
        sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        with self.conn.cursor() as cursor, cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        self.conn.commit()
        return count

    def drop_indexes(self, table: str) -> list[str]:
        """Drop the plain (non-unique) indexes of ``table``: a bulk build after COPY is much faster."""
        with self.conn.cursor() as cursor:
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexdef NOT LIKE 'CREATE UNIQUE%%'",
                [table],
            )
            found = cursor.fetchall()
            for name, _ in found:
                cursor.execute(f'DROP INDEX "{name}"')
        self.conn.commit()
        return [definition for _, definition in found]

    def create_indexes(self, definitions: list[str]) -> None:
        with self.conn.cursor() as cursor:
            for definition in definitions:
                cursor.execute(definition)
        self.conn.commit()

    def next_id(self, table: str) -> int:
        with self.conn.cursor() as cursor:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")
            return cursor.fetchone()[0]

    def fix_sequence(self, table: str) -> None:
        with self.conn.cursor() as cursor:
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
        self.conn.commit()


def generate(args, loader: Loader) -> dict:
    """Organisations, causes, workspaces and items; returns what the measurement needs."""
    from maillage.core.text import normalize
    from maillage.matching.suggestions import cause_mask
    from maillage.organizations.models import Organization

    rng = Random(args.seed)
    rows, cumulative = places()
    causes, weights = list(CAUSE_WEIGHTS), list(CAUSE_WEIGHTS.values())
    now = datetime.now(UTC)
    org_id = loader.next_id("organizations_organization")
    first_id = org_id
    organizations, org_causes, publishers = [], [], []
    plan = [("association", args.associations), ("company", args.companies), ("foundation", args.foundations)]
    for kind, count in plan:
        for place in rng.choices(rows, cum_weights=cumulative, k=count):
            code, cname, _, epci, dep, reg = place
            name = f"{'Association' if kind == 'association' else 'Entreprise' if kind == 'company' else 'Fondation'} {org_id} de {cname}"
            budget = rng.choice(BUDGETS) if kind != "company" else ""
            workforce = rng.choice(WORKFORCES) if kind == "company" else ""
            organizations.append(
                (org_id, kind, name, normalize(name), code, epci, dep, reg, budget, workforce, "", "", now)
            )
            mine = rng.choices(causes, weights=weights, k=rng.randint(1, 2))
            for cause in set(mine):
                org_causes.append((org_id, cause))
            publishes = rng.random() < (0.12 if kind != "association" else 0.12)
            if publishes:
                publishers.append((org_id, kind, place, sorted(set(mine)), budget, workforce))
            org_id += 1
    start = time.perf_counter()
    dropped = loader.drop_indexes("organizations_organization") + loader.drop_indexes(
        "organizations_organization_causes"
    )
    loader.copy(
        "organizations_organization",
        ["id", "kind", "name", "name_search", "commune_id", "epci_id", "departement_id", "region_id", "budget_band",
         "workforce_band", "website", "description", "created_at"],
        organizations,
    )  # fmt: skip
    loader.copy("organizations_organization_causes", ["organization_id", "cause_id"], org_causes)
    loader.fix_sequence("organizations_organization")
    loader.create_indexes(dropped)
    print(
        f"  organisations: {len(organizations):,} (+ causes {len(org_causes):,}) in {time.perf_counter() - start:.0f} s"
    )
    del organizations, org_causes

    # Public bodies (from the reference data) publish calls for projects.
    public = list(
        Organization.objects.filter(territory_key__isnull=False).values_list(
            "id", "kind", "territory_key", "commune_id", "epci_id", "departement_id", "region_id"
        )
    )
    callers = [p for p in public if rng.random() < 0.05 or p[1] in {"departement", "region"}]
    ws_id = loader.next_id("workspaces_workspace")
    workspaces = []
    ws_of: dict[int, int] = {}
    for org in [p[0] for p in publishers] + [c[0] for c in callers]:
        ws_of[org] = ws_id
        workspaces.append((ws_id, f"Espace {org}", org, False, now))
        ws_id += 1
    loader.copy(
        "workspaces_workspace",
        ["id", "name", "organization_id", "contributes_to_observatory", "created_at"],
        workspaces,
    )
    loader.fix_sequence("workspaces_workspace")

    common = ["workspace_id", "organization_id", "status", "title", "description", "search_text", "causes",
              "cause_mask", "territory_level", "territory_code", "territory_name", "commune_id", "epci_id",
              "departement_id", "region_id", "published_at", "created_at", "updated_at"]  # fmt: skip

    def base(org, causes_, level, place, title, published_at):
        code, cname, _, epci, dep, reg = place
        chain = {
            "commune": (code, epci, dep, reg),
            "epci": (None, epci, dep, reg),
            "departement": (None, None, dep, reg),
        }
        commune_id, epci_id, dep_id, reg_id = chain[level]
        tcode = {"commune": code, "epci": epci or "", "departement": dep}[level]
        return [ws_of[org], org, "published", title, "", normalize(title), json.dumps(causes_), cause_mask(causes_),
                level, tcode, cname, commune_id, epci_id, dep_id, reg_id, published_at, published_at, published_at]  # fmt: skip

    needs, offers = [], []
    for org, kind, place, causes_, _, _ in publishers:
        for _ in range(rng.choice([1, 1, 2])):
            published_at = now - timedelta(minutes=rng.randint(0, 60 * 24 * 365))
            if kind == "association":
                item_kind = rng.choices(list(NEED_TITLES), weights=[4, 2, 3, 1])[0]
                level = rng.choices(["commune", "epci", "departement"], weights=[6, 3, 1])[0]
                if level == "epci" and not place[3]:
                    level = "commune"
                row = base(org, causes_, level, place, rng.choice(NEED_TITLES[item_kind]), published_at)
                domain = rng.choice(DOMAINS) if item_kind == "skills" else ""
                needs.append(row + [item_kind, domain, rng.choice([None, 10, 20, 40]), None])
            else:
                item_kind = rng.choices(list(OFFER_TITLES), weights=[3, 2, 4, 1])[0]
                level = rng.choices(["commune", "epci", "departement"], weights=[3, 4, 3])[0]
                if level == "epci" and not place[3]:
                    level = "commune"
                row = base(org, causes_, level, place, rng.choice(OFFER_TITLES[item_kind]), published_at)
                domains = rng.sample(DOMAINS, 2) if item_kind == "skills" else []
                offers.append(row + [item_kind, json.dumps(domains), rng.choice([None, 100, 500]), None])
    calls = []
    places_by_code = {r[0]: r for r in rows}
    fallback = rows[0]
    for pk, kind, key, commune_id, epci_id, dep_id, reg_id in callers:
        level = {"commune": "commune", "epci": "epci", "departement": "departement"}.get(kind)
        if level is None:  # a région: its calls cover the région
            continue
        place = places_by_code.get(commune_id) or (fallback[0], key, 0, epci_id, dep_id, reg_id)
        place = (place[0], key, 0, epci_id or place[3], dep_id or place[4], reg_id or place[5])
        published_at = now - timedelta(minutes=rng.randint(0, 60 * 24 * 365))
        causes_ = sorted(set(rng.choices(causes, weights=weights, k=2)))
        row = base(pk, causes_, level, place, "Appel à projets " + rng.choice(causes_), published_at)
        calls.append(row + [None, None, ""])
    start = time.perf_counter()
    dropped = [
        d for t in ("matching_need", "matching_offer", "matching_callforprojects") for d in loader.drop_indexes(t)
    ]
    loader.copy("matching_need", common + ["kind", "skill_domain", "hours", "amount"], needs)
    loader.copy("matching_offer", common + ["kind", "skill_domains", "hours_per_year", "budget"], offers)
    loader.copy("matching_callforprojects", common + ["budget", "deadline", "url"], calls)
    for table in ("matching_need", "matching_offer", "matching_callforprojects"):
        loader.fix_sequence(table)
    loader.create_indexes(dropped)
    with loader.conn.cursor() as cursor:
        cursor.execute("ANALYZE")
    loader.conn.commit()
    print(
        f"  workspaces: {len(workspaces):,}; needs: {len(needs):,}; offers: {len(offers):,}; calls: {len(calls):,}"
        f" in {time.perf_counter() - start:.0f} s (+ ANALYZE)"
    )
    associations = [p[0] for p in publishers if p[1] == "association"]
    givers = [p[0] for p in publishers if p[1] != "association"]
    return {"first_id": first_id, "last_id": org_id - 1, "associations": associations, "givers": givers,
            "public": [c[0] for c in callers if c[1] in {"commune", "epci"}], "ws_of": ws_of}  # fmt: skip


def measure(args, info: dict) -> bool:
    from django.db import connection

    from maillage.matching.suggestions import suggestions_for
    from maillage.organizations.models import Organization
    from maillage.workspaces.models import Workspace

    rng = Random(args.seed + 1)
    baseline: list[float] = []

    def lookup() -> None:
        pk = rng.randint(info["first_id"], info["last_id"])
        t = time.perf_counter()
        Organization.objects.filter(pk=pk).first()
        baseline.append((time.perf_counter() - t) * 1000)

    for _ in range(30):
        lookup()
    n = args.targets
    groups = [
        ("association", rng.sample(info["associations"], n // 2)),
        ("entreprise/fondation", rng.sample(info["givers"], n // 3)),
        ("commune/EPCI", rng.sample(info["public"], max(1, n - n // 2 - n // 3))),
    ]
    all_samples: list[float] = []
    print(f"\n  {'organisation':<34}{'median ms':>10}{'p90 ms':>9}{'queries':>9}{'items':>7}{'partners':>9}")
    for label, ids in groups:
        group_samples = []
        for pk in ids:
            org = Organization.objects.get(pk=pk)
            workspaces = list(Workspace.objects.filter(pk=info["ws_of"][pk]))
            captured: list[str] = []
            with connection.execute_wrapper(lambda execute, sql, *a, c=captured: c.append(sql) or execute(sql, *a)):
                result = suggestions_for(org, workspaces=workspaces, limit=20)  # warm-up, and the query count
            samples = []
            for _ in range(args.repeat):
                lookup()
                t = time.perf_counter()
                suggestions_for(org, workspaces=workspaces, limit=20)
                samples.append((time.perf_counter() - t) * 1000)
            group_samples += samples
            median = statistics.median(samples)
            p90 = sorted(samples)[int(0.9 * (len(samples) - 1))]
            print(
                f"  {label + ' ' + str(pk):<34}{median:>10.1f}{p90:>9.1f}{len(captured):>9}"
                f"{len(result.items):>7}{len(result.partners):>9}"
            )
        all_samples += group_samples
        print(f"  -> {label}: median {statistics.median(group_samples):.1f} ms over {len(group_samples)} runs")
    median = statistics.median(all_samples)
    base = statistics.median(baseline)
    p90 = sorted(all_samples)[int(0.9 * (len(all_samples) - 1))]
    print(
        f"\n  top-20 suggestions, all organisations: median {median:.1f} ms, p90 {p90:.1f} ms ({len(all_samples)} runs)"
    )
    print(f"  baseline (Organization.objects.filter(pk=<random>).first()): median {base:.3f} ms")
    print(f"  ratio: {median / base:.0f} × the indexed lookup")
    ok = median < TARGET_MS
    print(f"  target: median < {TARGET_MS:.0f} ms on PostgreSQL: {'PASS' if ok else 'FAIL'}")
    return ok


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    pg(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
    pg(f"CREATE DATABASE {PG_DATABASE}")
    ok = False
    try:
        setup_django()
        from django.core.management import call_command
        from django.db import connection

        print(f"Database: {PG_DATABASE} (PostgreSQL {connection.cursor().connection.info.server_version})")
        t = time.perf_counter()
        call_command("migrate", verbosity=0, interactive=False)
        print(f"[1] migrate + reference data: {time.perf_counter() - t:.0f} s")
        print(f"[2] generating {args.associations:,} associations, {args.companies:,} companies, "
              f"{args.foundations:,} foundations")  # fmt: skip
        info = generate(args, Loader())
        print(f"[3] top-20 suggestions, {args.repeat} timed runs per organisation after one warm-up")
        ok = measure(args, info)
    finally:
        from django.db import connections

        connections.close_all()
        if args.keep:
            print(f"Kept: {PG_SERVER}/{PG_DATABASE}")
        else:
            pg(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
    print(f"\nTotal {time.perf_counter() - started:.0f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
