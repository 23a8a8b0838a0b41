"""The company's own view in a real browser: what it gave, the receipts issued to it (PDF as the recipient), its
estimated reduction, its alliance's impact report; then the same person on a phone (390 px): no page wider than the
screen, the menu folded under its button.

Screenshots (the closing note of issue 19) go to ``var/screenshots/issue19/`` in the checkout (gitignored), or to
``MAILLAGE_SCREENS`` when set."""

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


SCREENS = Path(__file__).resolve().parents[2] / "var" / "screenshots" / "issue19"
PHONE = {"width": 390, "height": 844}


def _shot(page, name: str) -> Path:
    folder = Path(os.environ.get("MAILLAGE_SCREENS") or SCREENS)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def _world():
    """Les Jardins de l'Essai (eligible, issues receipts) and Imprimerie Rhodanienne (a company with its own
    workspace) share an alliance: gifts in 2024 and 2025, two receipts, a closed 2025 evaluation answered by both."""
    from maillage.alliances.models import Alliance
    from maillage.evaluation import actions as evaluation_actions
    from tests.evaluation.test_evaluation_rules import ASSOCIATION_ANSWERS, COMPANY_ANSWERS

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
    Alliance.objects.filter(pk=alliance.pk).update(starts_on=date(2024, 1, 1), stage="active")
    alliance.refresh_from_db()
    evaluation = evaluation_actions.open_evaluation(
        alliance=alliance,
        workspace=jardins,
        user=treasurer,
        period_label="Année 2025",
        period_start=date(2025, 1, 1),
        period_end=date(2025, 12, 31),
    )
    evaluation_actions.save_answers(
        evaluation=evaluation, workspace=jardins, user=None, answers=ASSOCIATION_ANSWERS, submit=True
    )
    evaluation_actions.save_answers(
        evaluation=evaluation, workspace=imprimerie, user=None, answers=COMPANY_ANSWERS, submit=True
    )
    evaluation_actions.close_evaluation(evaluation=evaluation, workspace=jardins, user=treasurer)
    return {"alliance": alliance, "receipt": receipt, "evaluation": evaluation}


def _log_in(page, email: str) -> None:
    page.goto("/compte/connexion/")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("connecter", re.I)).click()


def test_the_company_sees_its_gifts_its_receipts_and_its_reduction(browser_page, settings, tmp_path):
    from playwright.sync_api import expect

    settings.MEDIA_ROOT = tmp_path
    world = _world()
    receipt = world["receipt"]

    page = browser_page
    page.set_default_timeout(60_000)  # WeasyPrint and a shared machine: slow, not wrong
    expect.set_options(timeout=60_000)
    _log_in(page, "dirigeante@imprimerie.test")

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

    # Its alliance's impact report, from its own page.
    page.get_by_role("link", name=re.compile("Année 2025")).first.click()
    expect(page.get_by_text("Imprimerie Rhodanienne").first).to_be_visible()
    expect(page.get_by_text("Les Jardins de l'Essai").first).to_be_visible()
    _shot(page, "company-impact-report")

    page.goto("/dons/")
    page.get_by_role("link", name=receipt.reference, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Reçu n° {receipt.reference}")
    expect(page.get_by_text("Les Jardins de l'Essai").first).to_be_visible()
    _shot(page, "company-receipt")


WIDTH = "() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"


def test_the_company_on_a_phone(new_browser_page, settings, tmp_path):
    """At 390 px: the menu folds under its button; the start page, the gifts and receipts, the alliance (its
    parties' table), the impact report, the directory and a correction page fit the screen."""
    from playwright.sync_api import expect

    settings.MEDIA_ROOT = tmp_path
    world = _world()
    alliance, evaluation = world["alliance"], world["evaluation"]
    page = new_browser_page()
    page.set_viewport_size(PHONE)
    page.set_default_timeout(60_000)
    expect.set_options(timeout=60_000)
    _log_in(page, "dirigeante@imprimerie.test")
    expect(page.get_by_role("heading", level=1)).to_have_text("À faire")
    menu = page.get_by_role("button", name="Menu")
    expect(menu).to_have_attribute("aria-expanded", "false")
    _shot(page, "phone-start-page")
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    _shot(page, "phone-menu-open")
    menu.click()
    walk = [
        ("/dons/", "phone-gifts-and-receipts"),
        (f"/alliances/{alliance.pk}/", "phone-alliance"),
        (f"/evaluations/{evaluation.pk}/bilan/", "phone-impact-report"),
        ("/annuaire/", "phone-directory"),
        ("/annuaire/?q=lyon", "phone-directory-search"),
    ]
    widths = {}
    for url, name in walk:
        page.goto(url)
        page.wait_for_load_state("load")
        widths[url] = page.evaluate(WIDTH)
        _shot(page, name)
    assert all(width <= PHONE["width"] for width in widths.values()), widths
