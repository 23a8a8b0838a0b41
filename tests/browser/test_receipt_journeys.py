"""The receipts journey in a real browser: declare nothing → see why; issue a receipt, download its PDF, cancel it."""

from __future__ import annotations

import re
from io import BytesIO

import pytest
from django.utils import timezone
from pypdf import PdfReader

from maillage.core.roles import Role
from maillage.receipts.models import Receipt
from maillage.workspaces.models import Membership, Workspace
from tests.conftest import PASSWORD, make_association, make_user
from tests.receipts.factories import gift, make_alliance, make_eligible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_issue_download_and_cancel_a_receipt(browser_page, settings, tmp_path):
    from playwright.sync_api import expect

    settings.MEDIA_ROOT = tmp_path
    association = make_association("Les Jardins de l'Essai", "W691000001")
    workspace = Workspace.objects.create(
        name="Espace des Jardins", organization=association, verified_at=timezone.now()
    )
    user = make_user("tresoriere@jardins.test", "Claire Dubois")
    Membership.objects.create(workspace=workspace, user=user, role=Role.OWNER)
    alliance = make_alliance(workspace, user)
    contribution = gift(alliance, workspace, user, value="2500")

    page = browser_page
    page.goto("/compte/connexion/")
    page.get_by_label("Adresse e-mail").fill("tresoriere@jardins.test")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("connecter", re.I)).click()

    # Without eligibility the page says why no receipt can be issued.
    page.get_by_role("link", name="Reçus fiscaux").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reçus fiscaux")
    expect(page.get_by_text("Aucun reçu ne peut être émis pour l'instant.")).to_be_visible()

    make_eligible(workspace, user)
    page.reload()
    row = page.get_by_role("row").filter(has_text="Boulangerie Dupain")
    row.get_by_label("Forme juridique").fill("SAS")
    row.get_by_label("Mode de versement").select_option("virement")
    row.get_by_role("button", name="Émettre le reçu").click()
    receipt = Receipt.objects.get(contribution=contribution)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Reçu n° {receipt.reference}")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger le reçu (PDF)").click()
    path = download_info.value.path()
    text = "\n".join(p.extract_text() for p in PdfReader(BytesIO(path.read_bytes())).pages)
    text = text.replace("\u00a0", " ").replace("\u202f", " ")  # French grouping: a no-break space
    assert receipt.reference in text and "2 500,00" in text and "deux-mille-cinq-cents euros" in text

    page.get_by_label("Motif de l'annulation").fill("Montant saisi deux fois")
    page.get_by_role("button", name="Annuler le reçu").click()
    expect(page.get_by_text(f"Reçu n° {receipt.reference} annulé")).to_be_visible()
    with page.expect_download() as notice_info:
        page.get_by_role("link", name="Télécharger l'avis d'annulation (PDF)").click()
    notice = "\n".join(p.extract_text() for p in PdfReader(notice_info.value.path()).pages)
    assert "ANNULÉ" in notice and "Montant saisi deux fois" in notice
    receipt.refresh_from_db()
    assert receipt.is_cancelled and receipt.number == 1
