"""Benchmark of the receipts (a benchmark, not a test).

Targets (issue 4): issuing 10,000 receipts in batch (numbering + records) in under 10 s on PostgreSQL; rendering
one receipt PDF in under 300 ms at the median. Each figure is printed next to a baseline measured in the same run:
a plain bulk insert of 10,000 rows of similar width, and the rendering of a one-line PDF.

    .venv/bin/python bench/receipts.py --db postgres
    .venv/bin/python bench/receipts.py --db sqlite

The script builds its own database (a fresh PostgreSQL database ``maillage_bench_receipts``, or a temporary SQLite
file) and removes it at the end; it never opens ``var/maillage.sqlite3``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_DATABASE = "maillage_bench_receipts"
BATCH_TARGET_S = 10.0
PDF_TARGET_MS = 300.0


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], required=True)
    parser.add_argument("--gifts", type=int, default=10_000)
    parser.add_argument("--renders", type=int, default=21)
    return parser.parse_args()


def prepare(db: str) -> Path:
    var_dir = Path(tempfile.mkdtemp(prefix="maillage-bench-receipts-"))
    os.environ["MAILLAGE_VAR_DIR"] = str(var_dir)
    os.environ["MEDIA_ROOT"] = str(var_dir / "media")
    os.environ.pop("DATABASE_URL", None)
    if db == "postgres":
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE}")
            conn.execute(f"CREATE DATABASE {PG_DATABASE}")
        os.environ["DATABASE_URL"] = f"{PG_SERVER}/{PG_DATABASE}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maillage.settings")
    import django

    django.setup()
    return var_dir


def cleanup(db: str, var_dir: Path) -> None:
    from django.db import connections

    connections.close_all()
    if db == "postgres":
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
    shutil.rmtree(var_dir, ignore_errors=True)


def build_world(gifts: int):
    """An eligible association, a company, one alliance and ``gifts`` received money gifts (setup, not timed)."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    import base64

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone as django_timezone

    from maillage.alliances.actions import create_alliance
    from maillage.contributions.models import Contribution
    from maillage.organizations.actions import create_organization
    from maillage.receipts.actions import declare_eligibility, remember_company_details
    from maillage.workspaces.models import Membership, User, Workspace

    association = create_organization(
        data={"kind": "association", "name": "Banc d'essai", "rna": "W691009999", "commune": "69123"}
    )
    company = create_organization(
        data={"kind": "company", "name": "Mécène du banc", "siren": "734578388", "commune": "69123"}
    )
    user = User.objects.create_user("bench@maillage.test", "mot-de-passe-du-banc", full_name="Banc")
    workspace = Workspace.objects.create(name="Banc", organization=association, verified_at=django_timezone.now())
    Membership.objects.create(workspace=workspace, user=user, role="owner")
    declare_eligibility(
        workspace=workspace,
        user=user,
        data={
            "status": "interet_general",
            "art_200": True,
            "art_238_bis": True,
            "evidence_kind": "auto",
            "purpose": "Banc d'essai",
            "address": "1 rue du Banc, 69001 Lyon",
            "signatory_name": "Claire Dubois",
            "signatory_role": "Présidente",
        },
        signature=SimpleUploadedFile(
            "signature.png",
            base64.b64decode(
                "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
            ),
            content_type="image/png",
        ),
    )
    remember_company_details(workspace, company.pk, street="1 rue du Banc", payment_method="virement")
    alliance = create_alliance(
        workspace=workspace, user=user, name="Banc", forms=["mecenat_financier"], partners=[(company, "funder", "")]
    )
    parties = {p.organization_id: p for p in alliance.parties.all()}
    rows = [
        Contribution(
            alliance=alliance,
            giver=parties[company.pk],
            giver_kind=parties[company.pk].organization_kind,
            receiver=parties[association.pk],
            kind="money",
            status="received",
            description=f"Don n° {i}",
            value=Decimal(100 + i % 900),
            valuation_method="nominal",
            received_on=date(2025, 1 + i % 12, 1 + i % 28),
            created_by_workspace=workspace,
            created_by=user,
        )
        for i in range(gifts)
    ]
    Contribution.objects.bulk_create(rows, batch_size=1000)
    return workspace, user


def baseline_bulk_insert(workspace, user, rows: int) -> float:
    """A plain bulk insert of ``rows`` rows of similar width (individual gifts), in one transaction."""
    from django.db import transaction

    from maillage.receipts.models import IndividualGift

    gifts = [
        IndividualGift(
            workspace=workspace,
            donor_name=f"Donateur {i}",
            donor_address="1 rue A, 69001 Lyon",
            amount=Decimal("10.00"),
            received_on=date(2024, 1, 1),
            payment_method="cheque",
            created_by=user,
        )
        for i in range(rows)
    ]
    start = time.perf_counter()
    with transaction.atomic():
        IndividualGift.objects.bulk_create(gifts, batch_size=500)
    elapsed = time.perf_counter() - start
    IndividualGift.objects.all()._raw_delete(IndividualGift.objects.db)
    return elapsed


def time_batch(workspace, user) -> tuple[float, object]:
    from maillage.receipts.batch import start_batch

    start = time.perf_counter()
    run = start_batch(workspace=workspace, user=user, year=2025, send_emails=False, background=False)
    return time.perf_counter() - start, run


def median_ms(func, repeat: int) -> float:
    func()  # warm-up (fonts, templates)
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> int:
    args = parse_args()
    var_dir = prepare(args.db)
    try:
        workspace, user = build_world(args.gifts)
        from maillage.receipts.models import Receipt
        from maillage.receipts.pdf import html_to_pdf, render_receipt_pdf

        base = baseline_bulk_insert(workspace, user, args.gifts)
        elapsed, run = time_batch(workspace, user)
        numbers = list(Receipt.objects.order_by("number").values_list("number", flat=True))
        assert run.issued == args.gifts and numbers == list(range(1, args.gifts + 1)), "batch incomplete or gapped"
        print(
            f"[{args.db}] batch issue of {run.issued} receipts: {elapsed:.2f} s (target < {BATCH_TARGET_S:.0f} s) "
            f"— baseline bulk insert of {args.gifts} rows: {base:.2f} s — ratio {elapsed / base:.1f}×"
        )
        receipt = Receipt.objects.order_by("number").first()
        trivial = median_ms(lambda: html_to_pdf("<p>Bonjour</p>", styled=False), args.renders)
        real = median_ms(lambda: render_receipt_pdf(receipt), args.renders)
        print(
            f"[{args.db}] receipt PDF rendering, median of {args.renders}: {real:.0f} ms (target < {PDF_TARGET_MS:.0f} ms) "
            f"— baseline one-line PDF: {trivial:.0f} ms — ratio {real / trivial:.1f}×"
        )
        ok = elapsed < BATCH_TARGET_S and real < PDF_TARGET_MS
        print("targets met" if ok else "TARGET MISSED")
        return 0 if ok else 1
    finally:
        cleanup(args.db, var_dir)


if __name__ == "__main__":
    sys.exit(main())
