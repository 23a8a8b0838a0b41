"""The alliance journey in a real browser: create, share, log time, value skills, move to "active", see the figures.

A's owner creates an alliance with two partners picked from the directory (htmx search), invites B's workspace;
B's owner (another browser context) accepts; A logs a meeting, records a skills gift, walks the lifecycle to
"Active" with the htmx buttons, and finds the alliance on the board and its figures on the dashboard.
"""

from __future__ import annotations

import re

import pytest

from maillage.alliances.models import Alliance
from maillage.core.roles import Role
from maillage.organizations.actions import create_organization
from maillage.workspaces.models import Membership
from tests.alliances.helpers import make_alliance, walk_to
from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.browser

NAME = "Potager de l'Imprimerie"


def log_in(page, email: str) -> None:
    page.goto("/compte/connexion/")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def test_alliance_journey(browser_page, new_browser_page, workspace_a, workspace_b):
    from playwright.sync_api import expect

    alice, bea = make_user("alice@a.test", "Alice Durand"), make_user("bea@b.test", "Béa Morel")
    Membership.objects.create(workspace=workspace_a, user=alice, role=Role.OWNER)
    Membership.objects.create(workspace=workspace_b, user=bea, role=Role.OWNER)
    create_organization(data={"kind": "company", "name": "Imprimerie Rhodanienne"})
    page = browser_page
    log_in(page, alice.email)

    # 1. Create the alliance: two partners picked through the directory search widget.
    page.get_by_role("link", name="Alliances", exact=True).click()
    page.get_by_role("link", name="Nouvelle alliance").first.click()
    search = page.get_by_label("Chercher une organisation dans l'annuaire")
    for query, name in (("amicale", "Amicale des Bords de Saône"), ("imprimerie", "Imprimerie Rhodanienne")):
        search.fill(query)
        page.get_by_role("button", name=f"Ajouter {name}").click()
        expect(page.locator("#chosen-partners")).to_contain_text(name)
    page.get_by_label("Rôle de Imprimerie Rhodanienne").select_option(label="Financeur")
    page.get_by_label("Nom de l'alliance").fill(NAME)
    page.get_by_label("Mécénat de compétences").check()
    page.get_by_label("Échelle du territoire").select_option(label="Commune")
    page.get_by_label("Code du territoire").fill("69123")
    page.get_by_role("button", name="Créer l'alliance").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(NAME)
    expect(page.get_by_text("Lyon (Commune 69123)")).to_be_visible()
    alliance = Alliance.objects.get(name=NAME)
    assert alliance.parties.count() == 3

    # 2. Invite B's workspace; 3. B accepts in its own browser context.
    page.get_by_role("button", name="Inviter Amicale des Bords de Saône à partager l'alliance").click()
    expect(page.get_by_text("Amicale des Bords de Saône est invitée à partager l'alliance.")).to_be_visible()
    partner = new_browser_page()
    log_in(partner, bea.email)
    partner.goto("/alliances/invitations/")
    expect(partner.get_by_role("cell", name=NAME)).to_be_visible()
    partner.get_by_role("button", name="Accepter").click()
    expect(partner.get_by_text(f"Vous partagez maintenant l'alliance « {NAME} ».")).to_be_visible()
    expect(partner.get_by_role("heading", level=1)).to_have_text(NAME)
    partner.context.close()

    # 4. A logs a meeting with two people of its own and one of B.
    page.reload()
    expect(page.get_by_role("cell", name="Partage l'alliance")).to_have_count(2)
    page.get_by_role("link", name="Noter un échange").click()
    page.get_by_label("Date").fill("2026-02-03")
    page.get_by_label("Durée (minutes)").fill("90")
    page.get_by_label("Objet").fill("Visite du potager")
    page.get_by_label("Personnes présentes : Les Jardins de l'Essai").fill("2")
    page.get_by_label("Personnes présentes : Amicale des Bords de Saône").fill("1")
    page.get_by_role("button", name="Enregistrer l'échange").click()
    expect(page.get_by_text("Échange enregistré.")).to_be_visible()

    # 5. A skills gift from the company, valued with the 3 × PSS ceiling.
    page.get_by_role("link", name="Enregistrer une contribution").click()
    page.get_by_label("Qui donne").select_option(label="Imprimerie Rhodanienne (Financeur)")
    page.get_by_label("Qui reçoit").select_option(label="Les Jardins de l'Essai (Pilote)")
    page.get_by_label("Nature").select_option(label="Mécénat de compétences")
    page.get_by_role("textbox", name="Description", exact=True).fill("Maquette des affiches")
    page.get_by_label("Salarié n° 1").fill("Alex Martin")
    page.get_by_label("Mois n° 1").fill("2026-03")
    page.get_by_label("Heures mises à disposition n° 1").fill("75.835")
    page.get_by_label("Coût mensuel n° 1").fill("15000")
    page.get_by_role("button", name="Enregistrer la contribution").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Mécénat de compétences")
    expect(page.get_by_text("(plafonné)")).to_be_visible()

    # 6. Walk the lifecycle to "Active" with the htmx buttons (the panel is swapped, the page stays).
    page.get_by_role("link", name=NAME).click()
    page.evaluate("window.__samePage = true")
    for label in ("Premier contact", "Co-construction", "Formalisée", "Active"):
        page.get_by_role("button", name=f"Passer à « {label} »").click()
        expect(page.locator("#stage .stage-badge")).to_have_text(label)
    assert page.evaluate("window.__samePage") is True
    alliance.refresh_from_db()
    assert alliance.stage == "active"

    # 7. On the board, in the "Active" column; on the dashboard, its time and its valued skills.
    page.get_by_role("link", name="Tableau par étape").click()
    expect(
        page.locator("section.column", has=page.get_by_role("heading", name=re.compile("^Active"))).get_by_role(
            "link", name=NAME
        )
    ).to_be_visible()
    page.get_by_role("link", name="Tableau de bord").click()
    table = page.get_by_role("table", name="Temps investi et ressources obtenues par alliance")
    row = table.get_by_role("row", name=re.compile(NAME))
    expect(row).to_contain_text("3\u00a0h")  # 90 min × 2 people
    expect(row).to_contain_text("6\u00a0007,50 €")  # promised: min(15 000, 12 015) × 75.835 / 151.67


def test_board_moves_a_card_with_and_without_javascript(browser_page, chromium, live_server, workspace_a, org_b):
    """On the board a card's moves are the buttons of one form: htmx swaps the board; without JS the page reloads."""
    from playwright.sync_api import expect

    alice = make_user("alice@a.test", "Alice Durand")
    Membership.objects.create(workspace=workspace_a, user=alice, role=Role.OWNER)
    alliance = make_alliance(workspace_a, alice, [org_b], name=NAME)
    walk_to(alliance, workspace_a, alice, "first_contact", "co_construction", "formalised", "active", "evaluation")

    def column(page, label: str):
        return page.locator("section.column", has=page.get_by_role("heading", name=re.compile(f"^{label}")))

    page = browser_page
    log_in(page, alice.email)
    page.goto("/alliances/tableau/")
    page.evaluate("window.__samePage = true")
    page.get_by_role("button", name=f"Passer « {NAME} » à l'étape Renouvelée").click()
    expect(page.get_by_role("status")).to_have_text(f"« {NAME} » passe à l'étape « Renouvelée ».")
    expect(column(page, "Renouvelée").get_by_role("link", name=NAME)).to_be_visible()
    assert page.evaluate("window.__samePage") is True

    no_js = chromium.new_context(base_url=live_server.url, locale="fr-FR", java_script_enabled=False)
    try:
        page = no_js.new_page()
        log_in(page, alice.email)
        page.goto("/alliances/tableau/?form=mecenat_competences")
        page.get_by_role("button", name=f"Passer « {NAME} » à l'étape Active").click()
        expect(page.get_by_text(f"« {NAME} » passe à l'étape « Active ».")).to_be_visible()
        assert page.url.endswith("/alliances/tableau/?form=mecenat_competences")
        expect(column(page, "Active").get_by_role("link", name=NAME)).to_be_visible()
    finally:
        no_js.close()
    alliance.refresh_from_db()
    assert alliance.stage == "active"
