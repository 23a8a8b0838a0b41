"""Decision 0008 in a real browser: sign up → proof link from the e-mail → claim an organisation with evidence →
an operator approves → first receipt."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from maillage.receipts.models import Receipt
from maillage.workspaces.models import OrganizationClaim, User, Workspace
from tests.browser.account_steps import prove_address
from tests.conftest import PASSWORD, make_association, make_user
from tests.receipts.factories import gift, make_alliance, make_eligible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def log_in(page, email: str) -> None:
    page.goto("/compte/connexion/")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("connecter", re.I)).click()


def proved(email: str, name: str, **extra) -> User:
    user = make_user(email, name)
    User.objects.filter(pk=user.pk).update(email_verified_at=timezone.now(), **extra)
    return User.objects.get(pk=user.pk)


def test_claim_with_evidence_operator_approves_first_receipt(browser_page, new_browser_page, settings, tmp_path):
    from playwright.sync_api import expect

    settings.MEDIA_ROOT = tmp_path
    association = make_association("Les Ruches de Gerland", "W691000099")
    proved("operatrice@maillage.test", "Opératrice", is_staff=True)

    # 0. The founder signs up and proves her address with the link of the e-mail she receives.
    page = browser_page
    page.goto("/compte/inscription/")
    page.get_by_label("Nom complet").fill("Inès Moreau")
    page.get_by_label("Adresse e-mail").fill("presidente@ruches.test")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page).to_have_url(re.compile(r"/espaces/$"))
    prove_address(page, "presidente@ruches.test")
    founder = User.objects.get(email="presidente@ruches.test")
    assert founder.email_verified

    # 1. The founder creates the workspace of her association: it starts unverified.
    page.goto(f"/espaces/nouveau/?organization={association.pk}")
    expect(page.get_by_role("radio", name="Les Ruches de Gerland")).to_be_checked()
    page.get_by_label("Nom de l'espace").fill("Espace des Ruches")
    page.get_by_role("button", name="Créer l'espace").click()
    expect(page).to_have_url(re.compile(r"/espace/verification/$"))
    expect(page.get_by_text("Espace non vérifié.", exact=True)).to_be_visible()

    # Receipts wait for the verification, and say so.
    page.get_by_role("link", name="Reçus fiscaux").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cet espace n'est pas encore vérifié")
    page.get_by_role("link", name=re.compile("Vérification de l'espace : déposer")).click()

    # 2. She uploads the récépissé and explains who she is.
    page.get_by_label("Type de justificatif").select_option(label="Récépissé de déclaration en préfecture")
    page.get_by_label("Justificatif (PDF, PNG ou JPEG").set_input_files(
        files=[{"name": "recepisse.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.get_by_label("Qui êtes-vous dans l'organisation ?").fill("Présidente élue à l'assemblée générale de 2024.")
    page.get_by_role("button", name="Envoyer le justificatif").click()
    expect(page.get_by_text("Justificatif déposé")).to_be_visible()
    expect(page.get_by_text(re.compile("attend l'examen d'un opérateur"))).to_be_visible()
    claim = OrganizationClaim.objects.get()

    # 3. The operator opens the queue, downloads the evidence, approves.
    desk = new_browser_page()
    log_in(desk, "operatrice@maillage.test")
    desk.get_by_role("link", name="Opérateurs").click()
    expect(desk.get_by_role("heading", level=1)).to_have_text("Revendications d'organisations")
    desk.get_by_role("link", name="Les Ruches de Gerland").click()
    expect(desk.get_by_text("Présidente élue à l'assemblée générale de 2024.")).to_be_visible()
    with desk.expect_download() as download_info:
        desk.get_by_role("link", name="télécharger le fichier").click()
    assert download_info.value.path().read_bytes() == PDF
    desk.get_by_role("button", name=re.compile("^Approuver")).click()
    expect(desk.get_by_text("« Espace des Ruches » est vérifié pour Les Ruches de Gerland.")).to_be_visible()
    workspace = Workspace.objects.get(organization=association)
    assert workspace.verified and OrganizationClaim.objects.get(pk=claim.pk).status == "approved"

    # 4. Verified, the workspace declares its eligibility and issues its first receipt (n° 1 of the series).
    make_eligible(workspace, founder)
    alliance = make_alliance(workspace, founder)
    contribution = gift(alliance, workspace, founder, value="800")
    page.goto("/recus/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Reçus fiscaux")
    row = page.get_by_role("row").filter(has_text="Boulangerie Dupain")
    row.get_by_label("Forme juridique").fill("SAS")
    row.get_by_label("Mode de versement").select_option("virement")
    row.get_by_role("button", name="Émettre le reçu").click()
    receipt = Receipt.objects.get(contribution=contribution)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Reçu n° {receipt.reference}")
    assert receipt.number == 1 and receipt.issuer_id == association.pk
