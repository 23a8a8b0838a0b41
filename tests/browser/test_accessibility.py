"""Accessibility (RGAA AA) in a real browser: axe-core on every page of a walk at 1 280 px and 390 px, no page
wider than a 390 px or a 320 px screen, failed forms that say so and take the focus, the phone menu, and a
keyboard-only journey (create an alliance, move it on the board, record a contribution, issue a receipt) with the
focus checked at each step.
"""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from maillage.alliances.models import Alliance
from maillage.core.roles import Role
from maillage.demo.generate import generate
from maillage.observatory.refresh import refresh
from maillage.receipts.actions import issue_receipt
from maillage.receipts.models import Receipt
from maillage.web.views.accessibility import AXE_VERSION
from maillage.workspaces.models import Membership, Workspace
from tests.browser.a11y import PHONE, SMALL_PHONE, axe_version, check_page, overflow
from tests.conftest import PASSWORD, make_association, make_user
from tests.receipts.factories import gift, make_alliance, make_company, make_eligible

pytestmark = [pytest.mark.browser, pytest.mark.no_axe_walk, pytest.mark.django_db(transaction=True)]

EMAIL = "tresoriere@jardins.test"


@pytest.fixture
def world(settings, tmp_path):
    """A verified association able to issue receipts, a company partner, an alliance with a received gift."""
    settings.MEDIA_ROOT = tmp_path
    association = make_association("Les Jardins de l'Essai", "W691000001")
    workspace = Workspace.objects.create(
        name="Espace des Jardins", organization=association, verified_at=timezone.now()
    )
    user = make_user(EMAIL, "Claire Dubois")
    Membership.objects.create(workspace=workspace, user=user, role=Role.OWNER)
    make_eligible(workspace, user)
    company = make_company()
    return {"workspace": workspace, "user": user, "company": company, "association": association}


def log_in(page, email: str = EMAIL) -> None:
    page.goto("/compte/connexion/")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(re.compile(r"^(?!.*/compte/connexion/)"))


def test_every_page_of_the_walk_passes_axe_at_desktop_and_phone_widths(browser_page, world):
    from playwright.sync_api import expect

    assert axe_version() == AXE_VERSION, "mettez à jour AXE_VERSION (déclaration d'accessibilité)"
    generate(scale=0.0004, seed=11, departement="69")
    refresh()
    workspace, user = world["workspace"], world["user"]
    alliance = make_alliance(workspace, user, world["company"])
    contribution = gift(alliance, workspace, user, value="2500")
    receipt = issue_receipt(workspace=workspace, user=user, contribution=contribution, payment_method="virement")
    gift(alliance, workspace, user, value="800")  # one left to issue on the receipts page

    page = browser_page
    problems: list[str] = []
    anonymous = ["/", "/compte/connexion/", "/compte/inscription/", "/observatoire/", "/observatoire/donnees/"]
    anonymous += ["/observatoire/departement/69/", "/accessibilite/"]
    for url in anonymous:
        page.goto(url)
        problems += check_page(page)
    # A failed log-in: the summary of errors is part of the page that axe checks.
    page.goto("/compte/connexion/")
    page.get_by_label("Adresse e-mail").fill(EMAIL)
    page.get_by_label("Mot de passe").fill("pas le bon")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.locator("[data-error-summary]")).to_be_focused()
    problems += check_page(page)

    log_in(page)
    signed_in = [
        "/annuaire/",
        f"/annuaire/{world['company'].pk}/",
        "/espace/membres/",
        "/espaces/",
        "/compte/",
        "/alliances/",
        "/alliances/tableau/",
        "/alliances/nouvelle/",
        f"/alliances/{alliance.pk}/",
        f"/alliances/{alliance.pk}/chronologie/",
        f"/alliances/{alliance.pk}/echanges/nouveau/",
        f"/alliances/{alliance.pk}/contributions/nouvelle/",
        f"/contributions/{contribution.pk}/",
        "/tableau-de-bord/",
        "/recus/",
        f"/recus/{receipt.pk}/",
        "/recus/simulation/",
        "/evaluations/",
        "/diagnostic/",
        "/diagnostic/2025/",  # the funders picker (issue 25)
        "/rapprochement/",
        "/donnees/",
        "/espace/journal/",
        "/observatoire/mon-espace/",
    ]
    for url in signed_in:
        response = page.goto(url)
        assert response.ok, url
        problems += check_page(page)
    # Failed forms: an alliance with nothing in it, a contribution with nothing in it.
    for url, button in (
        ("/alliances/nouvelle/", "Créer l'alliance"),
        (f"/alliances/{alliance.pk}/contributions/nouvelle/", "Enregistrer la contribution"),
    ):
        page.goto(url)
        page.get_by_role("button", name=button).click()
        expect(page.locator("[data-error-summary]")).to_be_focused()
        assert page.title().startswith("Erreur dans le formulaire")
        problems += check_page(page)
    assert not problems, "\n".join(problems)
    # The check itself can fail: an image without a text alternative and a too wide block are both found.
    page.evaluate(
        """() => { const img = document.createElement("img"); document.querySelector("main").append(img);
        const wide = document.createElement("div"); wide.className = "wide"; wide.textContent = "x".repeat(400);
        document.querySelector("main").append(wide); }"""
    )
    found = check_page(page)
    assert any("image-alt" in p for p in found) and any("déborde" in p for p in found), found


def test_no_page_is_wider_than_a_small_phone(browser_page, world):
    workspace, user = world["workspace"], world["user"]
    alliance = make_alliance(workspace, user, world["company"])
    gift(alliance, workspace, user, value="2500")
    page = browser_page
    log_in(page)
    too_wide = []
    for url in (
        "/",
        "/observatoire/",
        "/alliances/",
        "/alliances/tableau/",
        f"/alliances/{alliance.pk}/",
        f"/alliances/{alliance.pk}/contributions/nouvelle/",
        "/espace/membres/",
        "/recus/",
        "/tableau-de-bord/",
        "/accessibilite/",
    ):
        page.goto(url)
        for size in (PHONE, SMALL_PHONE):
            page.set_viewport_size(size)
            if extra := overflow(page):
                too_wide.append(f"{url} à {size['width']} px : {extra} px de trop")
    assert not too_wide, "\n".join(too_wide)


def test_phone_menu_and_fields_linked_to_their_errors(browser_page, world):
    from playwright.sync_api import expect

    page = browser_page
    page.set_viewport_size(PHONE)
    log_in(page)
    page.goto("/alliances/")
    toggle = page.get_by_role("button", name="Menu")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(page.get_by_role("link", name="Reçus fiscaux")).to_be_hidden()
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    page.get_by_role("link", name="Reçus fiscaux").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reçus fiscaux")

    # A failed form: each field names its error (aria-describedby → the error's id), the group says it is required.
    page.goto("/alliances/nouvelle/")
    page.get_by_role("button", name="Créer l'alliance").click()
    name = page.get_by_label("Nom de l'alliance")
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(name).to_have_accessible_description(re.compile("obligatoire", re.I))
    forms = page.get_by_role("group", name=re.compile("^Formes de l'alliance"))
    expect(forms).to_have_accessible_name(re.compile(r"\(obligatoire\)"))
    expect(forms).to_have_accessible_description(re.compile(".+"))
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    summary.get_by_role("link", name=re.compile("^Nom de l'alliance")).click()
    expect(name).to_be_focused()


def tab_to(page, target, limit: int = 150, key: str = "Tab") -> None:
    """Press Tab until ``target`` has the focus (what a keyboard user does); fails after ``limit`` presses."""
    handle = target.element_handle()
    for _ in range(limit):
        page.keyboard.press(key)
        if page.evaluate("e => document.activeElement === e", handle):
            return
    raise AssertionError(f"{target} jamais atteint au clavier ; focus sur {focused(page)}")


def focused(page) -> str:
    return page.evaluate(
        "() => { const e = document.activeElement; return e ? `${e.tagName} ${e.id} ${e.textContent.trim().slice(0, 60)}` : '' }"
    )


def test_keyboard_only_journey(browser_page, world):
    """Create an alliance, move it on the board, record a contribution, issue a receipt: keys only, focus checked."""
    from playwright.sync_api import expect

    name = "Potager des Pentes"
    company = world["company"].name
    page = browser_page
    page.goto("/compte/connexion/")
    expect(page.get_by_label("Adresse e-mail")).to_be_focused()  # the log-in form's autofocus
    page.keyboard.type(EMAIL)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Mot de passe")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"^(?!.*/compte/connexion/)"))

    # 1. Create the alliance: the skip link, the menu, the search, « Ajouter », the fields, a failed try first.
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Aller au contenu")).to_be_focused()
    tab_to(page, page.get_by_role("link", name="Alliances", exact=True))
    page.keyboard.press("Enter")
    tab_to(page, page.get_by_role("link", name="Nouvelle alliance").first)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Nouvelle alliance")
    tab_to(page, page.get_by_label("Chercher une organisation dans l'annuaire"))
    page.keyboard.type("dupain")
    add = page.get_by_role("button", name=f"Ajouter {company}")
    expect(add).to_be_visible()
    tab_to(page, add)
    page.keyboard.press("Enter")
    expect(page.locator("#chosen-partners")).to_contain_text(company)
    tab_to(page, page.get_by_role("button", name="Créer l'alliance"))
    page.keyboard.press("Enter")
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    assert page.title().startswith("Erreur dans le formulaire")
    tab_to(page, summary.get_by_role("link", name=re.compile("^Nom de l'alliance")))
    page.keyboard.press("Enter")
    name_field = page.get_by_label("Nom de l'alliance")
    expect(name_field).to_be_focused()
    page.keyboard.type(name)
    tab_to(page, page.get_by_label("Mécénat financier"))
    page.keyboard.press("Space")
    expect(page.get_by_label("Mécénat financier")).to_be_checked()
    tab_to(page, page.get_by_role("button", name="Créer l'alliance"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    alliance = Alliance.objects.get(name=name)

    # 2. Move it on the board: after the htmx swap the focus is back on the moved card, the live region speaks.
    tab_to(page, page.get_by_role("link", name="Tableau par étape"))
    page.keyboard.press("Enter")
    move = page.get_by_role("button", name=f"Passer « {name} » à l'étape Premier contact")
    tab_to(page, move)
    page.keyboard.press("Enter")
    card_link = page.locator(f"#card-{alliance.pk}").get_by_role("link", name=name)
    expect(card_link).to_be_focused()
    expect(page.locator("#annonces")).to_have_text(f"« {name} » passe à l'étape « Premier contact ».")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name=f"Passer « {name} » à l'étape Co-construction")).to_be_focused()
    alliance.refresh_from_db()
    assert alliance.stage == "first_contact"

    # On the alliance's page the stage panel keeps the focus too (its heading), and the next Tab stays in it.
    page.keyboard.press("Shift+Tab")
    expect(card_link).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    tab_to(page, page.get_by_role("button", name="Passer à « Co-construction »"))
    page.keyboard.press("Enter")
    expect(page.locator("#stage-title")).to_be_focused()
    expect(page.locator("#stage .stage-badge")).to_have_text("Co-construction")
    expect(page.locator("#annonces")).to_contain_text("Co-construction")

    # 3. Record a received money gift from the company.
    tab_to(page, page.get_by_role("link", name="Enregistrer une contribution"))
    page.keyboard.press("Enter")
    tab_to(page, page.get_by_label("Qui donne"))
    page.keyboard.type(company[:6])
    tab_to(page, page.get_by_label("Qui reçoit"))
    page.keyboard.type("Les Jardins")
    tab_to(page, page.get_by_label("Nature"))
    page.keyboard.type("Don f")
    tab_to(page, page.get_by_role("textbox", name="Description", exact=True))
    page.keyboard.type("Don pour les bacs")
    tab_to(page, page.get_by_label("Valeur (€)"))
    page.keyboard.type("1200")
    tab_to(page, page.get_by_label("Statut"))
    page.keyboard.type("Re")
    tab_to(page, page.get_by_label("Reçue le"))
    page.keyboard.type("10062025")
    expect(page.get_by_label("Qui donne")).to_have_value(re.compile(r"\d+"))
    expect(page.get_by_label("Nature")).to_have_value("money")
    expect(page.get_by_label("Statut")).to_have_value("received")
    tab_to(page, page.get_by_role("button", name="Enregistrer la contribution"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Don financier")

    # 4. Issue its receipt from the receipts page.
    tab_to(page, page.get_by_role("link", name="Reçus fiscaux"))
    page.keyboard.press("Enter")
    row = page.get_by_role("row").filter(has_text=company)
    tab_to(page, row.get_by_label("Forme juridique"))
    page.keyboard.type("SAS")
    tab_to(page, row.get_by_label("Adresse (numéro, voie)"))  # a company receipt prints its full address
    page.keyboard.type("12 rue de la République")
    tab_to(page, row.get_by_role("button", name="Émettre le reçu"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Reçu n° "))
    receipt = Receipt.objects.get(contribution__alliance=alliance)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Reçu n° {receipt.reference}")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Aller au contenu")).to_be_focused()


def test_removing_a_partner_keeps_the_focus_and_says_so(browser_page, world):
    """« Retirer » on a chosen partner: the focus stays in the form (never on <body>), the live region speaks."""
    from playwright.sync_api import expect

    company = world["company"].name
    page = browser_page
    log_in(page)
    page.goto("/alliances/nouvelle/")
    tab_to(page, page.get_by_label("Chercher une organisation dans l'annuaire"))
    page.keyboard.type("dupain")
    add = page.get_by_role("button", name=f"Ajouter {company}")
    expect(add).to_be_visible()
    tab_to(page, add)
    page.keyboard.press("Enter")
    remove = page.locator("#chosen-partners").get_by_role("button", name="Retirer")
    expect(remove).to_have_count(1)
    tab_to(page, remove)
    page.keyboard.press("Enter")
    expect(page.locator("#chosen-partners .partner-row")).to_have_count(0)
    assert page.evaluate("() => document.activeElement !== document.body"), focused(page)
    assert page.evaluate("() => !!document.activeElement.closest('form, main')"), focused(page)
    expect(page.locator("#annonces")).to_have_text("Partenaire retiré de la liste.")
