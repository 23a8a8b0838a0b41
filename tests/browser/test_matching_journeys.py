"""Matching in a real browser: an association publishes a need, a company sees it suggested and starts an alliance."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from maillage.alliances.models import Alliance
from maillage.core.roles import Role
from maillage.matching.models import AllianceOrigin, Need
from maillage.organizations.actions import create_organization
from maillage.workspaces.models import Membership, User, Workspace

pytestmark = pytest.mark.browser

PASSWORD = "Une-phrase-de-passe-2024"
NEED = "Aide à la clôture des comptes"


def account(email: str, organization) -> User:
    user = User.objects.create_user(email, PASSWORD, full_name=email.split("@")[0].title())
    workspace = Workspace.objects.create(
        name=f"Espace {organization.name}", organization=organization, verified_at=timezone.now()
    )
    Membership.objects.create(workspace=workspace, user=user, role=Role.OWNER)
    return user


def log_in(page, email: str) -> None:
    page.goto("/compte/connexion/")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def test_publish_a_need_see_it_suggested_start_the_alliance(browser_page, new_browser_page):
    from playwright.sync_api import expect

    association = create_organization(
        data={"kind": "association", "name": "Vergers Partagés", "commune": "69266", "causes": ["environnement"]}
    )
    company = create_organization(
        data={
            "kind": "company",
            "name": "Chiffres & Lettres",
            "siren": "732829320",
            "commune": "69123",
            "causes": ["environnement"],
            "workforce_band": "sme",
        }  # fmt: skip
    )
    account("asso@vergers.test", association)
    account("rse@chiffres.test", company)

    # 1. The association publishes a need.
    page = browser_page
    log_in(page, "asso@vergers.test")
    page.get_by_role("link", name="Rapprochement").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Trouver le bon partenaire")
    expect(page.get_by_role("heading", name="Comment le score est calculé")).to_be_visible()
    page.get_by_role("link", name="Publier un besoin").click()
    page.get_by_label("Intitulé").fill(NEED)
    page.get_by_role("combobox", name="Type", exact=True).select_option(label="Compétences")
    page.get_by_label("Domaine de compétences").select_option(label="Comptabilité et finance")
    page.get_by_label("Heures").fill("16")
    page.get_by_label("Environnement et transition").check()
    page.get_by_role("combobox", name="Échelle du territoire").select_option(label="Commune")
    page.get_by_label("Publier tout de suite (visible des autres espaces)").check()
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(NEED)
    expect(page.get_by_text(f"« {NEED} » est publié.")).to_be_visible()
    assert Need.objects.get(title=NEED).territory_name == "Villeurbanne"

    # 2. The company sees it suggested, with its reasons.
    company_page = new_browser_page()
    log_in(company_page, "rse@chiffres.test")
    company_page.get_by_role("link", name="Rapprochement").click()
    card = company_page.locator(
        "section[aria-labelledby=items-title] li.suggestion", has=company_page.get_by_role("link", name=NEED)
    )
    expect(card).to_be_visible()
    expect(card.get_by_text("Même intercommunalité : Métropole de Lyon")).to_be_visible()
    expect(card.get_by_text(re.compile(r"Score \d+/100"))).to_be_visible()
    shown = int(re.search(r"Score (\d+)/100", card.inner_text()).group(1))

    # 3. One click starts the alliance at « premier contact », the suggestion kept as its origin.
    card.get_by_role("button", name=re.compile("Démarrer une alliance")).click()
    expect(company_page.get_by_text("démarrée à l'étape « Premier contact »")).to_be_visible()
    alliance = Alliance.objects.get()
    assert alliance.stage == "first_contact"
    assert {p.organization_id for p in alliance.parties.all()} == {association.pk, company.pk}
    origin = AllianceOrigin.objects.get(alliance=alliance)
    assert origin.need.title == NEED and origin.score == shown > 0  # the origin keeps the score the card showed
