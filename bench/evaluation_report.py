"""Benchmark of the partnership report (a benchmark, not a test).

Target (issue 5): the report of an alliance with 1,000 contributions and 500 interactions renders in under 200 ms
(page) and 1 s (PDF) at the median. Each figure is printed next to a baseline measured in the same run: the
evaluation list page of the same workspace (page) and a one-paragraph WeasyPrint PDF (PDF).

    .venv/bin/python bench/evaluation_report.py --db sqlite
    .venv/bin/python bench/evaluation_report.py --db postgres

The script builds its own database (a temporary SQLite file, or a fresh PostgreSQL database
``maillage_bench_evaluation``) and removes it at the end; it never opens ``var/maillage.sqlite3``.
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

PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_DATABASE = "maillage_bench_evaluation"
PAGE_TARGET_MS = 200.0
PDF_TARGET_MS = 1000.0


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--contributions", type=int, default=1000)
    parser.add_argument("--interactions", type=int, default=500)
    parser.add_argument("--renders", type=int, default=15, help="timed renders of each page (default 15)")
    return parser.parse_args()


def prepare(db: str) -> Path:
    var_dir = Path(tempfile.mkdtemp(prefix="maillage-bench-evaluation-"))
    os.environ["MAILLAGE_VAR_DIR"] = str(var_dir)
    os.environ.pop("DATABASE_URL", None)
    if db == "postgres":
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {PG_DATABASE}")
        os.environ["DATABASE_URL"] = f"{PG_SERVER}/{PG_DATABASE}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "maillage.settings"
    os.environ["DEBUG"] = "false"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    return var_dir


def cleanup(db: str, var_dir: Path) -> None:
    from django.db import connections

    connections.close_all()
    if db == "postgres":
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
    shutil.rmtree(var_dir, ignore_errors=True)


def build(contributions: int, interactions: int):
    """An association and a company sharing one alliance, its activity over 2025, and a closed evaluation."""
    from random import Random

    from django.utils import timezone

    from maillage.alliances.actions import create_alliance
    from maillage.alliances.models import Attendance, Interaction
    from maillage.contributions.models import Contribution, SkillsLine
    from maillage.core.roles import Role
    from maillage.diagnostic.actions import save_resource_year
    from maillage.evaluation import actions
    from maillage.organizations.actions import create_organization
    from maillage.workspaces.models import Membership, User, Workspace

    rng = Random(5)
    asso = create_organization(data={"kind": "association", "name": "Association du banc d'essai", "rna": "W691999999"})
    firm = create_organization(data={"kind": "company", "name": "Entreprise du banc d'essai"})
    ws_a = Workspace.objects.create(name="Banc A", organization=asso)
    ws_c = Workspace.objects.create(name="Banc C", organization=firm)
    user = User.objects.create_user("bench@maillage.test", "banc-d-essai-2026", full_name="Banc")
    Membership.objects.create(workspace=ws_a, user=user, role=Role.OWNER)
    alliance = create_alliance(
        workspace=ws_a,
        user=user,
        name="Alliance du banc d'essai",
        forms=["mecenat_competences", "cooperation_economique"],
        partners=[(firm, "funder", "")],
        starts_on=date(2022, 1, 1),
    )
    a = alliance.parties.get(workspace=ws_a)
    c = alliance.parties.get(organization=firm)
    c.workspace, c.joined_at = ws_c, timezone.now()
    c.save()
    kinds = [
        ("money", "nominal"),
        ("in_kind", "cost_price"),
        ("skills", "salary_cost"),
        ("service", "contract_price"),
        ("volunteering", "hourly_rate"),
    ]
    rows = []
    for i in range(contributions):
        kind, method = kinds[i % len(kinds)]
        day = date(2025, 1, 1) + timedelta(days=rng.randrange(365))
        giver, receiver = (a, c) if kind == "volunteering" else (c, a)
        rows.append(
            Contribution(
                alliance=alliance,
                giver=giver,
                giver_kind=giver.organization_kind,
                receiver=receiver,
                kind=kind,
                status="received",
                description=f"Contribution {i}",
                value=Decimal(rng.randrange(100, 5000)),
                valuation_method=method,
                received_on=day,
                hours=Decimal(rng.randrange(1, 20)) if kind in ("skills", "volunteering") else None,
                created_by_workspace=ws_a,
            )
        )
    Contribution.objects.bulk_create(rows, batch_size=500)
    lines = [
        SkillsLine(
            contribution=row,
            employee_name=f"Salarié {j % 40}",
            month=row.received_on.replace(day=1),
            hours=Decimal("7"),
            monthly_cost=Decimal("3500"),
            value=Decimal("161.53"),
        )
        for row in Contribution.objects.filter(alliance=alliance, kind="skills")
        for j in range(2)
    ]
    SkillsLine.objects.bulk_create(lines, batch_size=500)
    exchanges = Interaction.objects.bulk_create(
        [
            Interaction(
                alliance=alliance,
                workspace=ws_a,
                kind="meeting",
                occurred_on=date(2025, 1, 1) + timedelta(days=rng.randrange(365)),
                duration_minutes=rng.choice([30, 60, 90, 120]),
                subject=f"Échange {i}",
            )
            for i in range(interactions)
        ],
        batch_size=500,
    )
    Attendance.objects.bulk_create(
        [
            Attendance(interaction=x, party=p, people=n, minutes=n * x.duration_minutes)
            for x in exchanges
            for p, n in ((a, rng.randrange(1, 4)), (c, rng.randrange(1, 3)))
        ],
        batch_size=500,
    )
    save_resource_year(
        workspace=ws_a, user=user, year=2025, resources={"public_subsidies": "300000", "sales": "900000"}
    )
    evaluation = actions.open_evaluation(
        alliance=alliance,
        workspace=ws_a,
        user=user,
        period_label="Année 2025",
        period_start=date(2025, 1, 1),
        period_end=date(2025, 12, 31),
    )
    notes = {"innov_solution": 4, "innov_scale": 2, "trust_evolution": 5, "trust_collective": 3}
    actions.save_answers(
        evaluation=evaluation,
        workspace=ws_a,
        user=user,
        submit=True,
        answers={**notes, "perf_model": 5, "perf_resources": 4, "perf_capacity": 4},
    )
    actions.save_answers(
        evaluation=evaluation,
        workspace=ws_c,
        user=None,
        submit=True,
        answers={**notes, "innov_scale": 4, "perf_csr": 2, "perf_employees": 3, "perf_anchoring": 2},
    )
    actions.close_evaluation(evaluation=evaluation, workspace=ws_a, user=user)
    return user, evaluation


def median_ms(run, repeat: int) -> tuple[float, float]:
    """Median wall-clock and CPU milliseconds of ``run`` (CPU time tells a loaded machine from a slow program)."""
    run()  # warm-up (templates, fonts)
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        run()
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return statistics.median(wall), statistics.median(cpu)


def main() -> int:
    args = parse_args()
    var_dir = prepare(args.db)
    try:
        from django.test import Client
        from weasyprint import HTML

        user, evaluation = build(args.contributions, args.interactions)
        client = Client()
        client.force_login(user)

        def get(url: str, content_type: str):
            response = client.get(url)
            assert response.status_code == 200 and response["Content-Type"].startswith(content_type), response
            return response

        page = median_ms(lambda: get(f"/evaluations/{evaluation.pk}/bilan/", "text/html"), args.renders)
        page_base = median_ms(lambda: get("/evaluations/", "text/html"), args.renders)
        pdf_renders = max(5, args.renders // 2)
        pdf = median_ms(lambda: get(f"/evaluations/{evaluation.pk}/bilan.pdf", "application/pdf"), pdf_renders)
        pdf_base = median_ms(
            lambda: HTML(string="<html lang='fr'><body><h1>Bilan</h1><p>Un paragraphe.</p></body></html>").write_pdf(),
            pdf_renders,
        )
        load = os.getloadavg()[0]
        print(
            f"Base {args.db}: {args.contributions} contributions, {args.interactions} interactions, médianes "
            f"(charge de la machine : {load:.1f} pour {os.cpu_count()} cœurs)"
        )
        for name, (wall, cpu), (base_wall, base_cpu), target, base_name in (
            ("page du bilan", page, page_base, PAGE_TARGET_MS, "liste des évaluations"),
            ("PDF du bilan ", pdf, pdf_base, PDF_TARGET_MS, "PDF d'un paragraphe"),
        ):
            print(
                f"  {name} : {wall:7.1f} ms (cible < {target:.0f} ms ; CPU {cpu:6.1f} ms) ; référence ({base_name}) "
                f"{base_wall:6.1f} ms (CPU {base_cpu:5.1f} ms) ; rapport {wall / base_wall:4.1f}×"
            )
        ok = page[0] < PAGE_TARGET_MS and pdf[0] < PDF_TARGET_MS
        print("  objectifs atteints" if ok else "  objectif NON atteint")
        return 0 if ok else 1
    finally:
        cleanup(args.db, var_dir)


if __name__ == "__main__":
    sys.exit(main())
