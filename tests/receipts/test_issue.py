"""Issuing, refusing, cancelling and correcting receipts (domain actions)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from pypdf import PdfReader

from maillage.contributions.actions import mark_received
from maillage.contributions.models import Kind, Status
from maillage.receipts.actions import cancel_receipt, correct_receipt, issue_receipt, record_individual_gift
from maillage.receipts.models import Receipt
from maillage.receipts.pdf import render_cancellation_pdf, render_receipt_pdf
from tests.receipts.factories import gift, make_company

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages)
    return text.replace("\u202f", " ").replace("\xa0", " ")  # core.formats groups thousands with a no-break space


def refusal(**kwargs) -> str:
    with pytest.raises(ValidationError) as info:
        issue_receipt(**kwargs)
    return " ".join(info.value.messages)


def test_money_gift_of_a_company_gets_a_numbered_2041_mec_sd(eligible, money_gift, workspace_a, owner):
    receipt = issue_receipt(
        workspace=workspace_a, user=owner, contribution=money_gift, legal_form="SAS", payment_method="virement"
    )
    year = receipt.issued_at.year
    assert (receipt.form, receipt.number, receipt.reference) == ("2041-MEC-SD", 1, f"{year}-000001")
    assert receipt.amount == Decimal("1000.00") and receipt.donor_siren == "734578388"
    assert receipt.retain_until == date(receipt.issued_at.year + 6, 12, 31)
    text = pdf_text(render_receipt_pdf(receipt))
    for mention in (
        f"{year}-000001",
        "2041-MEC-SD",
        "16216",
        "Boulangerie Dupain",
        "734578388",
        "SAS",
        "1 000,00",
        "mille euros",
        "10/06/2025",
        "238 bis",
        "Claire Dubois",
        "Présidente",
        "RES-2021-0042",
        "Les Jardins de l'Essai",
        "Virement",
        "Valeur des contreparties",
    ):
        assert mention in text, mention


def test_numbers_follow_each_other_without_gap(eligible, alliance, workspace_a, owner):
    numbers = [
        issue_receipt(
            workspace=workspace_a, user=owner, contribution=gift(alliance, workspace_a, owner, value=str(10 + i))
        ).number
        for i in range(5)
    ]
    assert numbers == [1, 2, 3, 4, 5]


def test_skills_gift_lists_the_employees_and_their_capped_valuation(eligible, alliance, workspace_a, owner):
    contribution = gift(alliance, workspace_a, owner, kind=Kind.SKILLS)
    receipt = issue_receipt(workspace=workspace_a, user=owner, contribution=contribution)
    # 2025 monthly PSS 3,925 € × 3 = 11,775 € > 5,000 €: not capped; 5,000 × 35 / 151.67 = 1,153.82 €
    assert receipt.nature == "competences" and receipt.amount == Decimal("1153.82")
    text = pdf_text(render_receipt_pdf(receipt))
    assert "Jean Martin" in text and "Paysagiste" in text and "05/2025" in text and "1 153,82" in text


@pytest.mark.parametrize(
    ("kind", "extra", "expected"),
    [
        (Kind.SERVICE, {"valuation_method": "contract_price"}, "prestation"),
        (Kind.VOLUNTEERING, {}, "bénévoles"),
        (Kind.MONEY, {"status": Status.PROMISED}, "pas encore reçu"),
        (Kind.MONEY, {"counterparts": ["300"]}, "parrainage"),
        (Kind.SKILLS, {"signed_timesheet": False}, "liste nominative"),
    ],
)
def test_what_the_law_refuses(eligible, alliance, workspace_a, owner, kind, extra, expected):
    contribution = gift(alliance, workspace_a, owner, kind=kind, **extra)
    assert expected in refusal(workspace=workspace_a, user=owner, contribution=contribution)
    assert not Receipt.objects.exists()


def test_counterparts_at_the_tolerated_share_are_accepted(eligible, alliance, workspace_a, owner):
    contribution = gift(alliance, workspace_a, owner, counterparts=["250"])  # 25 % of 1,000 €
    assert issue_receipt(workspace=workspace_a, user=owner, contribution=contribution).counterparts_value == Decimal(
        "250.00"
    )


def test_no_receipt_without_eligibility(money_gift, workspace_a, owner):
    assert "habilitation" in refusal(workspace=workspace_a, user=owner, contribution=money_gift)


def test_a_gift_gets_one_active_receipt_only(eligible, money_gift, workspace_a, owner):
    issue_receipt(workspace=workspace_a, user=owner, contribution=money_gift)
    assert "déjà un reçu" in refusal(workspace=workspace_a, user=owner, contribution=money_gift)


def test_received_later_then_receipted(eligible, alliance, workspace_a, owner):
    contribution = gift(alliance, workspace_a, owner, status=Status.PROMISED)
    mark_received(contribution=contribution, workspace=workspace_a, user=owner, received_on=date(2025, 7, 1))
    assert issue_receipt(workspace=workspace_a, user=owner, contribution=contribution).gift_date == date(2025, 7, 1)


def test_a_gift_received_by_another_party_is_not_ours(eligible, alliance, workspace_a, owner):
    company = make_company()
    parties = {p.organization_id: p for p in alliance.parties.all()}
    contribution = gift(
        alliance, workspace_a, owner, giver=parties[workspace_a.organization_id], receiver=parties[company.pk]
    )
    assert "pas été reçu par votre association" in refusal(workspace=workspace_a, user=owner, contribution=contribution)


def test_receipt_is_never_edited_nor_deleted(eligible, money_gift, workspace_a, owner):
    receipt = issue_receipt(workspace=workspace_a, user=owner, contribution=money_gift)
    receipt.amount = Decimal("1")
    with pytest.raises(ValidationError):
        receipt.save()
    with pytest.raises(ValidationError):
        receipt.delete()
    with pytest.raises(ValidationError):
        Receipt.objects.all().delete()
    assert Receipt.objects.get().amount == Decimal("1000.00")


def test_cancel_keeps_the_number_and_correction_gets_a_new_one(eligible, money_gift, workspace_a, owner):
    first = issue_receipt(workspace=workspace_a, user=owner, contribution=money_gift, legal_form="SARL")
    with pytest.raises(ValidationError, match="motif"):
        cancel_receipt(receipt=first, workspace=workspace_a, user=owner, reason="")
    corrected = correct_receipt(
        receipt=first, workspace=workspace_a, user=owner, reason="Forme juridique erronée", legal_form="SAS"
    )
    first.refresh_from_db()
    assert first.is_cancelled and first.number == 1 and first.cancel_reason == "Forme juridique erronée"
    assert corrected.number == 2 and corrected.replaces == first and corrected.donor_legal_form == "SAS"
    assert "remplace le reçu n° " + first.reference in pdf_text(render_receipt_pdf(corrected))
    text = pdf_text(render_cancellation_pdf(first))
    assert "ANNULÉ" in text and "Forme juridique erronée" in text and corrected.reference in text
    assert "ANNULÉ le" in pdf_text(render_receipt_pdf(first))  # the original, downloaded again, says it too
    with pytest.raises(ValidationError, match="déjà annulé"):
        cancel_receipt(receipt=first, workspace=workspace_a, user=owner, reason="encore une fois")


def test_individual_gift_gets_a_2041_rd(eligible, workspace_a, owner):
    with pytest.raises(ValidationError) as info:
        record_individual_gift(
            workspace=workspace_a, user=owner, donor_name="", donor_address="", amount="-3", received_on=None
        )
    assert set(info.value.message_dict) >= {"donor_name", "donor_address", "amount", "received_on"}
    individual = record_individual_gift(
        workspace=workspace_a,
        user=owner,
        donor_name="Paul Lefèvre",
        donor_address="3 place Bellecour, 69002 Lyon",
        amount="150,50",
        received_on=date(2025, 12, 24),
        payment_method="cheque",
        donor_email="paul@example.test",
    )
    receipt = issue_receipt(workspace=workspace_a, user=owner, individual_gift=individual)
    assert receipt.form == "2041-RD" and receipt.amount == Decimal("150.50")
    text = pdf_text(render_receipt_pdf(receipt))
    for mention in (
        "11580",
        "2041-RD",
        "Paul Lefèvre",
        "3 place Bellecour",
        "cent-cinquante euros et cinquante centimes",
        "Chèque",
        "24/12/2025",
    ):
        assert mention in text, mention


def test_signature_image_is_embedded(workspace_a, owner, money_gift):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from maillage.receipts.actions import declare_eligibility
    from tests.receipts.factories import ELIGIBILITY

    buffer = BytesIO()
    Image.new("RGB", (120, 40), "white").save(buffer, "PNG")
    upload = SimpleUploadedFile("signature.png", buffer.getvalue(), content_type="image/png")
    declare_eligibility(workspace=workspace_a, user=owner, data=ELIGIBILITY, signature=upload)
    receipt = issue_receipt(workspace=workspace_a, user=owner, contribution=money_gift)
    reader = PdfReader(BytesIO(render_receipt_pdf(receipt)))
    assert any(page.images for page in reader.pages)
    bad = SimpleUploadedFile("signature.png", b"not an image", content_type="image/png")
    with pytest.raises(ValidationError, match="PNG ou JPEG"):
        declare_eligibility(workspace=workspace_a, user=owner, data=ELIGIBILITY, signature=bad)
