"""The company's own view in a real browser: what it gave, the receipts issued to it (PDF as the recipient), its
estimated reduction. Screenshots go to ``MAILLAGE_SCREENS`` when set (the closing note of issue 19)."""

from __future__ import annotations

import os
import re
from datetime import date
from io import BytesIO
from pathlib import Path

import pytest
from django.utils import timezone
from pypdf import PdfReader

from maillage.alliances.actions import accept_party_invitation, invite_party
from maillage.contributions.models import Kind
from maillage.organizations.actions import create_organization
from maillage.receipts.actions import issue_receipt
from maillage.workspaces.models import Membership, Workspace
from tests.conftest import PASSWORD, make_association, make_user
from tests.receipts.factories import gift, make_alliance, make_eligible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shot(page, name: str) -> None:
    folder = os.environ.get("MAILLAGE_SCREENS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def test_the_company_sees_its_gifts_its_receipts_and_its_reduction(browser_page, settings, tmp_path):
    from playwright.sync_api import expect

    settings.MEDIA_ROOT = tmp_path
    association = make_association("Les Jardins de l'Essai", "W691000001")
    jardins = Workspace.objects.create(name="Espace des Jardins", organization=association, verified_at=timezone.now())
    treasurer = make_user("tresoriere@jardins.test", "Claire Dubois")
    Membership.objects.create(workspace=jardins, user=treasurer, role="owner")
    make_eligible(jardins, treasurer)
    company = create_organization(
        data={"kind": "company", "name": "Imprimerie Rhodanienne", "siren": "552100554", "commune": "69123"}
    )
    imprimerie = Workspace.objects.create(name="Imprimerie", organization=company, verified_at=timezone.now())
    boss = make_user("dirigeante@imprimerie.test", "Sophie Martin")
    Membership.objects.create(workspace=imprimerie, user=boss, role="owner")
    alliance = make_alliance(jardins, treasurer, company=company)
    accept_party_invitation(
        invitation=invite_party(
            alliance=alliance, workspace=jardins, user=treasurer, party=alliance.parties.get(organization=company)
        ),
        workspace=imprimerie,
        user=boss,
    )
    money = gift(alliance, jardins, treasurer, value="25000.00", received_on=date(2025, 3, 1))
    skills = gift(alliance, jardins, treasurer, kind=Kind.SKILLS, received_on=date(2025, 5, 31))
    gift(alliance, jardins, treasurer, value="1200.00", received_on=date(2024, 9, 1))
    receipt = issue_receipt(workspace=jardins, user=treasurer, contribution=money, payment_method="virement")
    issue_receipt(workspace=jardins, user=treasurer, contribution=skills)

    page = browser_page
    page.set_default_timeout(60_000)  # WeasyPrint and a shared machine: slow, not wrong
    expect.set_options(timeout=60_000)
    page.goto("/compte/connexion/")
    page.get_by_label("Adresse e-mail").fill("dirigeante@imprimerie.test")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("connecter", re.I)).click()

    page.goto("/tableau-de-bord/")
    expect(page.get_by_text("Donné à vos partenaires")).to_be_visible()
    expect(page.get_by_text("Ressources obtenues")).to_have_count(0)
    _shot(page, "company-dashboard")

    page.get_by_role("link", name="Nos dons et reçus").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ce qu'a donné Imprimerie Rhodanienne")
    expect(page.get_by_role("row").filter(has_text="2024").first).to_contain_text("1\u00a0200,00\u00a0€")
    expect(page.get_by_role("link", name=receipt.reference, exact=True)).to_be_visible()
    _shot(page, "company-gifts-and-receipts")

    with page.expect_download(timeout=90_000) as download_info:  # WeasyPrint on a busy machine
        page.get_by_role("row").filter(has_text=receipt.reference).get_by_role(
            "link", name=re.compile("Télécharger")
        ).click()
    text = "\n".join(p.extract_text() for p in PdfReader(BytesIO(download_info.value.path().read_bytes())).pages)
    text = text.replace("\u00a0", " ").replace("\u202f", " ")  # French grouping: a no-break space
    assert receipt.reference in text and "25 000,00" in text

    page.get_by_label("Chiffre d'affaires annuel hors taxes (€)").fill("2 000 000")
    page.get_by_role("button", name="Estimer").click()
    expect(page.get_by_text("Réduction estimée sur la période")).to_be_visible()
    _shot(page, "company-reduction")

    page.get_by_role("link", name=receipt.reference, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Reçu n° {receipt.reference}")
    expect(page.get_by_text("Les Jardins de l'Essai").first).to_be_visible()
    _shot(page, "company-receipt")
