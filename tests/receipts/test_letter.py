"""Receipts to the letter of their form: articles per donor, Cerfa version, boxes, payment method, full address,
signature, individuals' counterparts; immutability in the database; batch against single issue."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from pypdf import PdfReader

from maillage.receipts import batch as batch_module
from maillage.receipts.actions import cancel_receipt, issue_receipt, record_individual_gift
from maillage.receipts.batch import start_batch
from maillage.receipts.models import Donor, IndividualGift, Receipt
from maillage.receipts.pdf import render_receipt_pdf
from tests.receipts.factories import gift, make_alliance, make_company, make_eligible

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages)
    return text.replace("\u202f", " ").replace("\xa0", " ")


def person_gift(workspace, user, **extra):
    data = {
        "donor_name": "Paul Lefèvre",
        "donor_address": "3 place Bellecour, 69002 Lyon",
        "amount": "100",
        "received_on": date(2025, 6, 1),
        "payment_method": "cheque",
        **extra,
    }
    return record_individual_gift(workspace=workspace, user=user, **data)


def test_each_form_ticks_its_own_articles_and_prints_its_current_cerfa(eligible, money_gift, workspace_a, owner):
    """Cerfa 11580*05 (2041-RD) : articles 200 et 978 ; Cerfa 16216*02 (2041-MEC-SD) : article 238 bis. The
    eligibility covers 200 and 238 bis: the individual's receipt certifies 200 only, the company's 238 bis only."""
    company = issue_receipt(workspace=workspace_a, user=owner, contribution=money_gift)
    person = issue_receipt(workspace=workspace_a, user=owner, individual_gift=person_gift(workspace_a, owner))
    assert (company.articles, company.cerfa) == ("238 bis", "16216*02")
    assert (person.articles, person.cerfa) == ("200", "11580*05")
    company_text, person_text = pdf_text(render_receipt_pdf(company)), pdf_text(render_receipt_pdf(person))
    assert "Cerfa n° 16216*02" in company_text and "200 du CGI" not in company_text
    assert "Cerfa n° 11580*05" in person_text and "238 bis du CGI" not in person_text
    assert "4 place Lazare-Goujon" in company_text  # the company's full address (street + postal code + commune)
    assert company.donor_address.startswith("4 place Lazare-Goujon, 69")


def test_978_is_ticked_where_the_organisation_is_eligible_to_it(workspace_a, owner):
    make_eligible(workspace_a, owner, art_978=True)
    receipt = issue_receipt(workspace=workspace_a, user=owner, individual_gift=person_gift(workspace_a, owner))
    assert receipt.articles == "200,978"


def test_money_gift_without_payment_method_or_company_without_street_is_refused(eligible, workspace_a, owner):
    newcomer = make_company("Garage Martin", "552100554")
    alliance = make_alliance(workspace_a, owner, company=newcomer, street="", payment_method="")
    contribution = gift(alliance, workspace_a, owner)
    with pytest.raises(ValidationError) as info:
        issue_receipt(workspace=workspace_a, user=owner, contribution=contribution, street="1 rue du Port")
    assert "mode de versement" in " ".join(info.value.messages)
    with pytest.raises(ValidationError) as info:
        issue_receipt(workspace=workspace_a, user=owner, contribution=contribution, payment_method="especes")
    assert "adresse de l'entreprise" in " ".join(info.value.messages)
    receipt = issue_receipt(
        workspace=workspace_a, user=owner, contribution=contribution, payment_method="especes", street="1 rue du Port"
    )
    assert receipt.payment_method == "especes" and "Remise d'espèces" in pdf_text(render_receipt_pdf(receipt))
    # Remembered for that company's next receipts (the batch uses them too).
    second = issue_receipt(workspace=workspace_a, user=owner, contribution=gift(alliance, workspace_a, owner))
    assert second.donor_address.startswith("1 rue du Port") and second.payment_method == "especes"


def test_no_receipt_without_a_scanned_signature(workspace_a, owner, money_gift):
    make_eligible(workspace_a, owner, signed=False)
    with pytest.raises(ValidationError) as info:
        issue_receipt(workspace=workspace_a, user=owner, contribution=money_gift)
    assert "signature scannée" in " ".join(info.value.messages)
    with pytest.raises(ValidationError, match="signature"):
        issue_receipt(workspace=workspace_a, user=owner, individual_gift=person_gift(workspace_a, owner))
    assert not Receipt.objects.exists()


def test_form_and_nature_boxes_of_an_individual_gift(eligible, workspace_a, owner):
    securities = person_gift(
        workspace_a,
        owner,
        listed_securities=True,
        description="10 actions cotées, cours du jour",
        gift_form="seing_prive",
    )
    receipt = issue_receipt(workspace=workspace_a, user=owner, individual_gift=securities)
    assert (receipt.nature, receipt.gift_form, receipt.payment_method) == ("titres", "seing_prive", "")
    text = pdf_text(render_receipt_pdf(receipt))
    assert "Acte sous seing privé" in text and "Titres de sociétés cotés" in text


def test_counterparts_of_individuals_25_percent_and_yearly_flat_ceiling(eligible, workspace_a, owner):
    """BOI-IR-RICI-250-10-20-10 : contreparties tolérées jusqu'à 25 % du don et, par donateur et par année civile,
    dans la limite d'un montant forfaitaire (73 € depuis 2021)."""
    with pytest.raises(ValidationError) as info:
        person_gift(workspace_a, owner, counterparts_value="30")
    assert "25 %" in " ".join(info.value.messages)
    for _ in range(3):
        person_gift(workspace_a, owner, counterparts_value="20")  # 60 € in 2025
    with pytest.raises(ValidationError) as info:
        person_gift(workspace_a, owner, counterparts_value="20")  # 80 € > 73 €
    assert "73,00" in " ".join(info.value.messages) and "2025" in " ".join(info.value.messages)
    assert Donor.objects.count() == 1 and IndividualGift.objects.filter(donor__isnull=False).count() == 3
    receipt = issue_receipt(workspace=workspace_a, user=owner, individual_gift=IndividualGift.objects.first())
    assert receipt.counterparts_value == Decimal("20.00")


def test_issued_receipt_refuses_update_and_delete_in_the_database(eligible, money_gift, workspace_a, owner):
    receipt = issue_receipt(workspace=workspace_a, user=owner, contribution=money_gift)
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        Receipt.objects.filter(pk=receipt.pk).update(amount=Decimal("1.00"))
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE receipts_receipt SET donor_name = 'X' WHERE id = %s", [receipt.pk])
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM receipts_receipt WHERE id = %s", [receipt.pk])
    assert Receipt.objects.get(pk=receipt.pk).amount == Decimal("1000.00")
    # Cancellation stays possible, once; it is never taken back.
    cancel_receipt(receipt=receipt, workspace=workspace_a, user=owner, reason="Erreur de montant")
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        Receipt.objects.filter(pk=receipt.pk).update(cancelled_at=None)
    assert Receipt.objects.get(pk=receipt.pk).is_cancelled


def test_batch_skips_what_another_process_receipted_meanwhile(eligible, alliance, workspace_a, owner, monkeypatch):
    contributions = [gift(alliance, workspace_a, owner, value=str(100 + i)) for i in range(5)]
    person = person_gift(workspace_a, owner)
    monkeypatch.setattr(batch_module, "chunk_size", lambda: 3)
    original = batch_module._issue_chunk
    calls = []

    def racing(run, chunk, where):
        if not calls:  # a single issue lands between the listing and the first chunk, and one in the second
            issue_receipt(workspace=workspace_a, user=owner, contribution=contributions[0])
            issue_receipt(workspace=workspace_a, user=owner, individual_gift=person)
        calls.append(chunk)
        return original(run, chunk, where)

    monkeypatch.setattr(batch_module, "_issue_chunk", racing)
    run = start_batch(workspace=workspace_a, user=owner, year=2025, send_emails=False, background=False)
    assert run.status == "done", run.messages
    assert (run.total, run.issued, run.skipped) == (6, 4, 2)
    assert any("entre-temps" in m for m in run.messages)
    numbers = sorted(Receipt.objects.values_list("number", flat=True))
    assert numbers == list(range(1, 7))  # no gap, no duplicate
    assert Receipt.objects.active().filter(contribution__in=contributions).count() == 5


def test_zip_of_a_years_receipts_from_the_cli(eligible, alliance, workspace_a, owner, tmp_path):
    import zipfile

    from django.core.management import call_command
    from django.core.management.base import CommandError

    first = issue_receipt(workspace=workspace_a, user=owner, contribution=gift(alliance, workspace_a, owner))
    issue_receipt(workspace=workspace_a, user=owner, individual_gift=person_gift(workspace_a, owner))
    cancel_receipt(receipt=first, workspace=workspace_a, user=owner, reason="Erreur de montant")
    issue_receipt(
        workspace=workspace_a,
        user=owner,
        contribution=gift(alliance, workspace_a, owner, received_on=date(2024, 5, 2)),
    )
    output = tmp_path / "recus-2025.zip"
    call_command("receipts_zip", workspace=workspace_a.pk, year=2025, output=str(output))
    names = sorted(zipfile.ZipFile(output).namelist())
    assert len([n for n in names if n.startswith("recu-fiscal-")]) == 2  # the 2024 gift is not in 2025's file
    assert [n for n in names if n.startswith("annulation-recu-")] == [f"annulation-recu-{first.reference}.pdf"]
    with pytest.raises(CommandError, match="Dossier introuvable"):
        call_command("receipts_zip", workspace=workspace_a.pk, year=2025, output=str(tmp_path / "no" / "x.zip"))
