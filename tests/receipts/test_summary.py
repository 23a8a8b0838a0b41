"""The yearly summary receipt of an individual donor (« reçu récapitulatif annuel », Cerfa 11580 / 2041-RD), the
donors' pages and the ZIP of a year's receipts: through the action, the pages, the API and the CLI."""

from __future__ import annotations

import zipfile
from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import DatabaseError, IntegrityError, connection, transaction
from pypdf import PdfReader

from maillage.receipts.actions import cancel_receipt, correct_receipt, issue_receipt, record_individual_gift
from maillage.receipts.batch import start_batch
from maillage.receipts.declaration import build_declaration
from maillage.receipts.models import Donor, IndividualGift, Receipt, ReceiptLine
from maillage.receipts.pdf import render_receipt_pdf
from maillage.receipts.summary import issue_summary_receipt
from tests.conftest import api_client_for, client_for, page_text

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages)
    return text.replace("\u202f", " ").replace("\xa0", " ")


def main_text(response) -> str:
    """The page's main content, spaces normalised (money groups thousands with a no-break space)."""
    text = page_text(response)
    text = text[text.find("<main") : text.find("</main>")]
    return text.replace("\u202f", " ").replace("\xa0", " ")


def give(workspace, user, on: date, amount: str, method: str = "cheque", name: str = "Paul Lefèvre", **extra):
    return record_individual_gift(
        workspace=workspace,
        user=user,
        donor_name=name,
        donor_address="3 place Bellecour, 69002 Lyon",
        donor_email=f"{name.split()[0].lower()}@example.org",
        amount=amount,
        received_on=on,
        payment_method=method,
        **extra,
    )


@pytest.fixture
def year_of_gifts(eligible, workspace_a, owner):
    """Paul's 2025: cash in January, a cheque in March, a transfer in November; one gift in 2024."""
    gifts = [
        give(workspace_a, owner, date(2025, 1, 15), "50", "especes"),
        give(workspace_a, owner, date(2025, 3, 2), "120.50", "cheque"),
        give(workspace_a, owner, date(2025, 11, 20), "1000", "virement"),
    ]
    give(workspace_a, owner, date(2024, 12, 24), "30", "cheque")
    return gifts


def test_one_summary_receipt_for_the_years_gifts_in_the_gapless_sequence(year_of_gifts, workspace_a, owner):
    other = give(workspace_a, owner, date(2025, 5, 1), "10", name="Anne Martin")
    first = issue_receipt(workspace=workspace_a, user=owner, individual_gift=other)
    donor = Donor.objects.get(full_name="Paul Lefèvre")
    receipt = issue_summary_receipt(workspace=workspace_a, user=owner, donor=donor, year=2025)
    assert receipt.number == first.number + 1 and receipt.summary_year == 2025 and receipt.individual_gift is None
    assert receipt.amount == Decimal("1170.50") and receipt.gift_date == date(2025, 11, 20)
    assert (receipt.form, receipt.cerfa, receipt.articles) == ("2041-RD", "11580*05", "200")
    assert [line.gift_id for line in receipt.lines.all()] == [g.pk for g in year_of_gifts]
    text = pdf_text(render_receipt_pdf(receipt))
    assert "Reçu récapitulatif annuel : dons de l'année 2025" in text
    for shown in ("15/01/2025", "02/03/2025", "20/11/2025", "50,00", "120,50", "1 000,00", "1 170,50"):
        assert shown in text, shown
    assert "Remise d'espèces" in text and "Chèque" in text and "Virement" in text
    assert "24/12/2024" not in text  # another year
    # Declared once, for its total (art. 222 bis).
    declaration = build_declaration(workspace_a, 2025)
    assert declaration.count == 2 and sum(line.amount for line in declaration.lines) == Decimal("1180.50")


def test_a_gift_keeps_at_most_one_active_receipt_single_or_summary(year_of_gifts, workspace_a, owner):
    donor = Donor.objects.get(full_name="Paul Lefèvre")
    single = issue_receipt(workspace=workspace_a, user=owner, individual_gift=year_of_gifts[1])
    with pytest.raises(ValidationError) as info:
        issue_summary_receipt(workspace=workspace_a, user=owner, donor=donor, year=2025)
    message = " ".join(info.value.messages)
    assert "02/03/2025" in message and single.reference in message and "annulez-le" in message
    cancel_receipt(receipt=single, workspace=workspace_a, user=owner, reason="Reçu annuel à la place")
    summary = issue_summary_receipt(workspace=workspace_a, user=owner, donor=donor, year=2025)
    with pytest.raises(ValidationError) as info:
        issue_receipt(workspace=workspace_a, user=owner, individual_gift=year_of_gifts[0])
    assert summary.reference in " ".join(info.value.messages)
    with pytest.raises(ValidationError):
        issue_summary_receipt(workspace=workspace_a, user=owner, donor=donor, year=2025)
    # The database refuses a second active line for a gift, whatever the path.
    with pytest.raises(IntegrityError), transaction.atomic():
        ReceiptLine.objects.create(
            receipt=summary, gift=year_of_gifts[0], gift_date=date(2025, 1, 15), amount=Decimal("50")
        )
    # The batch leaves the summary's gifts alone.
    run = start_batch(workspace=workspace_a, user=owner, year=2025, send_emails=False, background=False)
    assert run.issued == 0 and Receipt.objects.active().count() == 1


def test_summary_is_frozen_cancelled_and_corrected_like_any_receipt(year_of_gifts, workspace_a, owner):
    donor = Donor.objects.get(full_name="Paul Lefèvre")
    receipt = issue_summary_receipt(workspace=workspace_a, user=owner, donor=donor, year=2025)
    line = receipt.lines.first()
    for sql, params in (
        ("UPDATE receipts_receipt SET summary_year = 2024 WHERE id = %s", [receipt.pk]),
        ("UPDATE receipts_receiptline SET amount = 1 WHERE id = %s", [line.pk]),
        ("DELETE FROM receipts_receiptline WHERE id = %s", [line.pk]),
    ):
        with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    new = correct_receipt(receipt=receipt, workspace=workspace_a, user=owner, reason="Adresse du donateur erronée")
    receipt.refresh_from_db()
    assert receipt.is_cancelled and new.replaces == receipt and new.summary_year == 2025
    assert not ReceiptLine.objects.filter(receipt=receipt, active=True).exists()
    assert ReceiptLine.objects.filter(receipt=new, active=True).count() == 3
    # A cancelled line is never made active again.
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        ReceiptLine.objects.filter(receipt=receipt).update(active=True)


def test_summary_refused_when_counterparts_exceed_the_tolerance(year_of_gifts, workspace_a, owner):
    """BOI-IR-RICI-250-10-20-10 : 25 % du don et un plafond forfaitaire annuel par donateur. A gift entered before
    the rule was checked (here written directly) is caught at issue."""
    IndividualGift.objects.filter(pk=year_of_gifts[0].pk).update(counterparts_value=Decimal("20"))  # 40 % of 50 €
    donor = Donor.objects.get(full_name="Paul Lefèvre")
    with pytest.raises(ValidationError) as info:
        issue_summary_receipt(workspace=workspace_a, user=owner, donor=donor, year=2025)
    message = " ".join(info.value.messages)
    assert "15/01/2025" in message and "25 %" in message
    assert not Receipt.objects.exists()


def test_donors_pages_history_and_yearly_receipt_button(year_of_gifts, people, workspace_a, workspace_b, owner):
    give(workspace_a, owner, date(2025, 2, 1), "15", name="Anne Martin")
    donor = Donor.objects.get(full_name="Paul Lefèvre")
    member = client_for(people["member"])
    listing = main_text(member.get("/recus/donateurs/", {"q": "lefè"}))
    assert "Paul Lefèvre" in listing and "Anne Martin" not in listing and "1 200,50 €" in listing
    detail = main_text(member.get(f"/recus/donateurs/{donor.pk}/"))
    assert "Émettre le reçu annuel 2025" in detail and "Émettre le reçu annuel 2024" in detail
    assert "1 170,50 €" in detail and "30,00 €" in detail
    response = member.post(f"/recus/donateurs/{donor.pk}/recu-annuel/2025/")
    receipt = Receipt.objects.get(summary_year=2025)
    assert response["Location"] == f"/recus/{receipt.pk}/"
    detail = main_text(member.get(f"/recus/donateurs/{donor.pk}/"))
    assert f"n° {receipt.reference}" in detail and "Émettre le reçu annuel 2025" not in detail
    again = member.post(f"/recus/donateurs/{donor.pk}/recu-annuel/2025/", follow=True)
    assert "Reçu annuel 2025 non émis" in page_text(again) and receipt.reference in page_text(again)
    # Tenancy: another workspace's donor answers 404; a viewer cannot issue.
    outsider = client_for(people["other_workspace"])
    assert outsider.get(f"/recus/donateurs/{donor.pk}/").status_code == 404
    assert outsider.post(f"/recus/donateurs/{donor.pk}/recu-annuel/2024/").status_code == 404
    assert client_for(people["viewer"]).post(f"/recus/donateurs/{donor.pk}/recu-annuel/2024/").status_code == 403


def test_summary_and_zip_through_the_api(year_of_gifts, people, workspace_a, workspace_b):
    donor = Donor.objects.get(full_name="Paul Lefèvre")
    api = api_client_for(people["member"], workspace_a)
    created = api.post("/api/v1/receipts/summary", {"donor": donor.pk, "year": 2025}, content_type="application/json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["summary_year"] == 2025 and body["amount"] == "1170.50"
    assert body["summary_gifts"] == [g.pk for g in year_of_gifts]
    again = api.post("/api/v1/receipts/summary", {"donor": donor.pk, "year": 2025}, content_type="application/json")
    assert again.status_code == 422 and body["reference"] in again.json()["detail"]
    outsider = api_client_for(people["other_workspace"], workspace_b)
    assert (
        outsider.post(
            "/api/v1/receipts/summary", {"donor": donor.pk, "year": 2024}, content_type="application/json"
        ).status_code
        == 404
    )
    archive = api.get("/api/v1/receipts/zip", {"year": 2025})
    assert archive.status_code == 200 and archive["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(BytesIO(archive.content)).namelist()
    assert len(names) == 1 and body["reference"] in names[0]
    assert api.get("/api/v1/receipts/zip", {"year": 1990}).status_code == 422


def test_zip_from_the_page_and_the_cli(year_of_gifts, people, workspace_a, owner, tmp_path):
    issue_receipt(workspace=workspace_a, user=owner, individual_gift=year_of_gifts[0])
    cancelled = issue_receipt(workspace=workspace_a, user=owner, individual_gift=year_of_gifts[1])
    cancel_receipt(receipt=cancelled, workspace=workspace_a, user=owner, reason="Erreur de montant")
    viewer = client_for(people["viewer"])
    assert "Télécharger le ZIP" in page_text(viewer.get("/recus/"))
    response = viewer.get("/recus/zip/", {"year": "2025"})
    assert response.status_code == 200 and response["Content-Disposition"].endswith('recus-2025.zip"')
    names = zipfile.ZipFile(BytesIO(response.content)).namelist()
    assert len(names) == 3  # two receipts and the cancellation notice
    empty = viewer.get("/recus/zip/", {"year": "2023"}, follow=True)
    assert "aucun reçu pour les dons de 2023" in page_text(empty)
    output = tmp_path / "cli.zip"
    call_command("receipts_zip", workspace=workspace_a.pk, year=2025, output=str(output))
    assert sorted(zipfile.ZipFile(output).namelist()) == sorted(names)


def test_cli_batch_issues_the_yearly_summaries_first(year_of_gifts, workspace_a, owner):
    from io import StringIO

    anne = give(workspace_a, owner, date(2025, 2, 1), "15", name="Anne Martin")
    give(workspace_a, owner, date(2025, 4, 1), "25", name="Anne Martin")
    single = issue_receipt(workspace=workspace_a, user=owner, individual_gift=anne)
    out = StringIO()
    call_command("issue_receipts", workspace=workspace_a.pk, year=2025, no_email=True, annual=True, stdout=out)
    text = out.getvalue()
    assert "Reçus annuels 2025 : 1 émis." in text  # Paul's three gifts
    assert "Anne Martin" in text and single.reference in text  # one of Anne's gifts already has its receipt
    paul = Receipt.objects.get(summary_year=2025)
    assert paul.amount == Decimal("1170.50") and paul.lines.count() == 3
    # Anne's other gift got its single receipt from the usual batch; numbers without gap.
    assert Receipt.objects.filter(individual_gift__donor__full_name="Anne Martin").count() == 2
    numbers = sorted(Receipt.objects.values_list("number", flat=True))
    assert numbers == list(range(1, len(numbers) + 1))
