"""Batch issue with e-mails, the annual declaration, the accounting export, the retention purge."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from maillage.contributions.models import Kind
from maillage.organizations.actions import add_contact
from maillage.receipts import accounting
from maillage.receipts.actions import cancel_receipt, issue_receipt, record_individual_gift
from maillage.receipts.batch import start_batch
from maillage.receipts.declaration import build_declaration
from maillage.receipts.models import Receipt
from maillage.receipts.purge import purge_receipts
from tests.receipts.factories import gift, make_alliance, make_company

pytestmark = pytest.mark.django_db


@pytest.fixture
def year_of_gifts(eligible, alliance, workspace_a, owner):
    """2025: money, in-kind, lent premises, skills, one sponsoring (refused), one service, volunteering, a person."""
    made = {
        "money": gift(alliance, workspace_a, owner, value="1234.56"),
        "goods": gift(alliance, workspace_a, owner, kind=Kind.IN_KIND, value="800.10"),
        "premises": gift(alliance, workspace_a, owner, kind=Kind.IN_KIND, value="300", valuation_method="rental_value"),
        "skills": gift(alliance, workspace_a, owner, kind=Kind.SKILLS),
        "sponsoring": gift(alliance, workspace_a, owner, value="100", counterparts=["60"]),
        "service": gift(
            alliance, workspace_a, owner, kind=Kind.SERVICE, value="5000", valuation_method="contract_price"
        ),
        "volunteering": gift(alliance, workspace_a, owner, kind=Kind.VOLUNTEERING),
        "old": gift(alliance, workspace_a, owner, value="99", received_on=date(2024, 12, 31)),
        "person": record_individual_gift(
            workspace=workspace_a,
            user=owner,
            donor_name="Paul Lefèvre",
            donor_address="3 place Bellecour, 69002 Lyon",
            amount="150.50",
            received_on=date(2025, 3, 1),
            payment_method="virement",
            donor_email="paul@example.test",
        ),
    }
    add_contact(workspace=workspace_a, organization=make_company(), name="Léa Mécène", email="lea@dupain.test")
    return made


def test_batch_issues_every_pending_gift_of_the_year_and_emails_them(
    year_of_gifts, workspace_a, owner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # the e-mails leave after the commit
        run = start_batch(workspace=workspace_a, user=owner, year=2025, send_emails=True, background=False)
    assert (run.status, run.total, run.issued, run.skipped) == ("done", 5 + 1, 5, 1)
    assert "parrainage" in run.messages[0]
    assert run.emailed == 5 and len(mail.outbox) == 5
    assert {m.to[0] for m in mail.outbox} == {"lea@dupain.test", "paul@example.test"}
    assert all(
        m.attachments[0][2] == "application/pdf" and m.attachments[0][1].startswith(b"%PDF") for m in mail.outbox
    )
    numbers = sorted(Receipt.objects.values_list("number", flat=True))
    assert numbers == [1, 2, 3, 4, 5]
    again = start_batch(workspace=workspace_a, user=owner, year=2025, send_emails=False, background=False)
    assert (again.total, again.issued) == (1, 0)  # only the sponsoring gift left, refused again


def test_batch_command_and_page_progress(year_of_gifts, workspace_a, owner, client):
    out = io.StringIO()
    call_command("issue_receipts", workspace=workspace_a.pk, year=2025, no_email=True, stdout=out)
    assert "5 reçu(s) émis, 1 don(s) écarté(s)" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("issue_receipts", workspace=workspace_a.pk, year=1990, stdout=out)


def test_declaration_counts_last_years_receipts_by_form_and_nature(year_of_gifts, workspace_a, owner):
    start_batch(workspace=workspace_a, user=owner, year=2025, send_emails=False, background=False)
    old = issue_receipt(workspace=workspace_a, user=owner, contribution=year_of_gifts["old"])
    cancelled = Receipt.objects.get(contribution=year_of_gifts["goods"])
    cancel_receipt(receipt=cancelled, workspace=workspace_a, user=owner, reason="Erreur de valorisation")
    declaration = build_declaration(workspace_a, 2025)
    lines = {(line.form, line.nature): (line.count, line.amount) for line in declaration.lines}
    assert lines[("2041-MEC-SD", "numeraire")] == (1, Decimal("1234.56"))
    assert lines[("2041-MEC-SD", "nature")] == (1, Decimal("300.00"))  # the cancelled one is left out
    assert lines[("2041-MEC-SD", "competences")] == (1, Decimal("1153.82"))
    assert lines[("2041-RD", "numeraire")] == (1, Decimal("150.50"))
    assert (declaration.count, declaration.amount) == (4, Decimal("2838.88"))
    assert declaration.deadline == date(2026, 5, 5)
    assert "05/05/2026" in declaration.reminder(date(2026, 4, 20))
    assert declaration.reminder(date(2026, 1, 10)) == ""
    assert build_declaration(workspace_a, 2024).amount == old.amount


def test_accounting_export_totals_equal_the_receipts_to_the_cent(year_of_gifts, workspace_a, owner):
    start_batch(workspace=workspace_a, user=owner, year=2025, send_emails=False, background=False)
    entries = accounting.entries_for_year(workspace_a, 2025)
    receipts_total = sum(Receipt.objects.active().filter(gift_date__year=2025).values_list("amount", flat=True))
    assert sum(e.amount for e in entries if e.from_receipt) == receipts_total == Decimal("3638.98")
    accounts = {(e.debit_account, e.credit_account) for e in entries}
    assert accounts == {
        ("512", "7542"),
        ("512", "7541"),
        ("860", "875"),
        ("861", "871"),
        ("862", "871"),
        ("864", "870"),
    }
    rows = list(csv.reader(io.StringIO(accounting.to_csv(entries)), delimiter=";"))
    debit = sum(Decimal(r[8].replace(",", ".")) for r in rows[1:] if r[10] == "oui")
    credit = sum(Decimal(r[9].replace(",", ".")) for r in rows[1:] if r[10] == "oui")
    assert debit == credit == receipts_total
    fec = accounting.to_fec(entries, date(2026, 1, 31)).splitlines()
    assert fec[0].split("\t") == accounting.FEC_COLUMNS and len(fec[0].split("\t")) == 18
    assert all(len(line.split("\t")) == 18 for line in fec)
    fec_debit = sum(Decimal(line.split("\t")[11].replace(",", ".")) for line in fec[1:])
    fec_credit = sum(Decimal(line.split("\t")[12].replace(",", ".")) for line in fec[1:])
    volunteering = year_of_gifts["volunteering"].value
    # The sponsoring (counterparts 60 %) is a sale, not a gift: neither receipted nor in 754x.
    assert fec_debit == fec_credit == receipts_total + volunteering


def test_accounting_counts_every_gift_received_receipted_or_not_numbered_per_journal(
    eligible, alliance, workspace_a, owner
):
    """ANC 2018-06 (art. 211-1, 431-22) : toutes les contributions volontaires en nature reçues et valorisées, avec
    ou sans reçu ; tout don en numéraire en 754x ; FEC (LPF art. A. 47 A-1) : numérotation continue par journal."""
    from maillage.organizations.models import Organization

    commune = Organization.objects.get(territory_key="commune:69266")  # Villeurbanne, from the official referential
    city_alliance = make_alliance(workspace_a, owner, company=commune)
    premises = gift(city_alliance, workspace_a, owner, kind=Kind.IN_KIND, value="2400", valuation_method="rental_value")
    subsidy = gift(city_alliance, workspace_a, owner, value="500")
    cash = gift(alliance, workspace_a, owner, value="75.25")  # a company's cash gift, no receipt asked
    receipted = gift(alliance, workspace_a, owner, value="10", received_on=date(2025, 1, 2))
    issue_receipt(workspace=workspace_a, user=owner, contribution=receipted)
    person = record_individual_gift(
        workspace=workspace_a,
        user=owner,
        donor_name="Paul Lefèvre",
        donor_address="3 place Bellecour, 69002 Lyon",
        amount="40",
        received_on=date(2025, 2, 1),
        payment_method="especes",
    )
    entries = accounting.entries_for_year(workspace_a, 2025)
    by_piece = {e.piece: e for e in entries}
    assert (by_piece[f"CTB-{premises.pk}"].debit_account, by_piece[f"CTB-{premises.pk}"].credit_account) == (
        "861",
        "871",
    )
    assert (
        by_piece[f"CTB-{premises.pk}"].amount == Decimal("2400.00") and not by_piece[f"CTB-{premises.pk}"].from_receipt
    )
    assert by_piece[f"CTB-{subsidy.pk}"].credit_account == "74"  # a commune's money is a subsidy
    assert by_piece[f"CTB-{cash.pk}"].credit_account == "7542"
    assert by_piece[f"DON-{person.pk}"].credit_account == "7541"
    assert any(e.from_receipt and e.amount == Decimal("10.00") for e in entries)
    for journal in accounting.JOURNALS:
        numbers = [e.number for e in entries if e.journal == journal]
        assert numbers == [f"{journal}2025-{i:06d}" for i in range(1, len(numbers) + 1)]
        days = [e.day for e in entries if e.journal == journal]
        assert days == sorted(days)
    assert all("E" not in accounting._money(e.amount) and "," in accounting._money(e.amount) for e in entries)


def test_retention_purge_refuses_recent_receipts(eligible, money_gift, workspace_a, owner):
    receipt = issue_receipt(workspace=workspace_a, user=owner, contribution=money_gift)
    today = timezone.localdate()
    with pytest.raises(ValidationError, match="conservés au moins 6 ans"):
        purge_receipts(issued_before_year=today.year + 1, today=today)
    with pytest.raises(CommandError, match="conservés"):
        call_command("purge_receipts", before_year=today.year)
    assert Receipt.objects.filter(pk=receipt.pk).exists()
    # Seven years later the retention is over: the purge deletes it.
    later = date(today.year + 7, 1, 1)
    assert later > receipt.retain_until
    assert purge_receipts(issued_before_year=today.year + 1, today=later) == 1
    assert not Receipt.objects.filter(pk=receipt.pk).exists()
    assert receipt.retain_until - today >= timedelta(days=6 * 365)


def test_declaration_covers_the_last_closed_fiscal_year(workspace_a, owner, alliance):
    """CGI art. 222 bis : déclaration des dons reçus au cours de l'exercice, dans les trois mois de sa clôture.
    Exercice clos le 30/06/2025 : dons du 01/07/2024 au 30/06/2025 ; échéance le 30/09/2025."""
    from maillage.receipts.declaration import declaration_for
    from tests.conftest import api_client_for
    from tests.receipts.factories import make_eligible

    make_eligible(workspace_a, owner, fiscal_year_closing="30/06")
    for day, value in (
        (date(2024, 6, 30), "1.10"),
        (date(2024, 7, 1), "1234.57"),
        (date(2025, 6, 30), "0.10"),
        (date(2025, 7, 1), "9"),
    ):
        issue_receipt(
            workspace=workspace_a,
            user=owner,
            contribution=gift(alliance, workspace_a, owner, value=value, received_on=day),
        )
    declaration = declaration_for(workspace_a, date(2025, 8, 1))
    assert (declaration.start, declaration.end, declaration.deadline) == (
        date(2024, 7, 1),
        date(2025, 6, 30),
        date(2025, 9, 30),
    )
    assert (declaration.count, declaration.amount) == (2, Decimal("1234.67"))
    assert "exercice du 01/07/2024 au 30/06/2025" in declaration.reminder(date(2025, 9, 1))
    body = api_client_for(owner, workspace_a).get("/api/v1/receipts/declaration?year=2025").json()
    assert body["amount"] == "1234.67" and body["start"] == "2024-07-01"
    assert all(len(line["amount"].split(".")[-1]) <= 2 for line in body["lines"])  # never float noise
