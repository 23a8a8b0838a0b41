"""The foundation's main journeys, walked in a real browser (headless Chromium).

Sign up, add one's association to the directory, create its workspace, invite a colleague who accepts,
search the directory (htmx), open an organisation, keep a private note, log out.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest

from maillage.organizations.models import Organization, PrivateNote
from maillage.workspaces.models import Membership
from tests.browser.account_steps import last_mail_to, prove_address

pytestmark = pytest.mark.browser

PASSWORD = "Une-phrase-de-passe-2024"
ASSOCIATION = "Atelier Vélo Solidaire du Tonkin"
WORKSPACE = "Espace de l'Atelier Vélo"
COLLEAGUE = "camille.martin@atelier-velo.test"
SCREENSHOT = Path(tempfile.gettempdir()) / "maillage-annuaire.png"


def sign_up(page, full_name: str, email: str) -> None:
    page.goto("/compte/inscription/")
    page.get_by_label("Nom complet").fill(full_name)
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Créer mon compte").click()


def test_signup_workspace_invitation_directory_note_logout(browser_page, new_browser_page):
    from playwright.sync_api import expect

    page = browser_page

    # Accessibility basics: French page, skip link reached first with the keyboard.
    page.goto("/compte/inscription/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Aller au contenu")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_have_attribute("href", "#contenu")
    expect(skip_link).to_be_in_viewport()

    # 1. Sign up: lands on the workspaces page.
    sign_up(page, "Alice Durand", "alice.durand@atelier-velo.test")
    expect(page).to_have_url(re.compile(r"/espaces/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes espaces de travail")
    expect(page.get_by_text("Bienvenue sur Maillage")).to_be_visible()
    prove_address(page, "alice.durand@atelier-velo.test")  # the link of the e-mail received at sign-up

    # 2. Workspace creation -> "add it to the directory" -> association form.
    page.get_by_role("link", name="Créer un espace").click()
    expect(page).to_have_url(re.compile(r"/espaces/nouveau/$"))
    page.get_by_role("link", name="Ajoutez-la à l'annuaire").click()
    expect(page).to_have_url(re.compile(r"/annuaire/nouvelle/\?then=workspace$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Ajouter une organisation à l'annuaire")
    page.get_by_role("combobox", name="Type", exact=True).select_option(label="Association")
    page.get_by_role("textbox", name="Nom", exact=True).fill(ASSOCIATION)
    page.get_by_label("Numéro RNA").fill("W691234567")
    page.get_by_role("combobox", name="Commune", exact=True).fill("69266")
    page.get_by_role("button", name="Ajouter").click()

    # 3. Back on workspace creation, the new organisation already chosen.
    expect(page).to_have_url(re.compile(r"/espaces/nouveau/\?organization=\d+$"))
    expect(page.get_by_text(f"« {ASSOCIATION} » est ajoutée à l'annuaire.")).to_be_visible()
    expect(page.get_by_role("radio", name=ASSOCIATION)).to_be_checked()
    association = Organization.objects.get(rna="W691234567")
    assert association.commune_id == "69266"
    page.get_by_label("Nom de l'espace").fill(WORKSPACE)
    page.get_by_role("button", name="Créer l'espace").click()

    # 4. The new workspace is unverified: its verification page first (decision 0008), then the members page.
    expect(page).to_have_url(re.compile(r"/espace/verification/$"))
    expect(page.get_by_text("Espace non vérifié.", exact=True)).to_be_visible()
    page.get_by_role("link", name="Membres").click()
    expect(page).to_have_url(re.compile(r"/espace/membres/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Membres de « {WORKSPACE} »")
    invite_form = page.locator("form", has=page.get_by_role("button", name="Envoyer l'invitation"))
    invite_form.get_by_label("Adresse e-mail").fill(COLLEAGUE)
    invite_form.get_by_role("combobox", name="Rôle", exact=True).select_option(label="Membre")
    invite_form.get_by_role("button", name="Envoyer l'invitation").click()
    expect(page.get_by_text(f"Invitation envoyée à {COLLEAGUE}.")).to_be_visible()
    expect(page.get_by_text(f"{COLLEAGUE} (Membre)")).to_be_visible()

    invitation_mail = last_mail_to(COLLEAGUE, f"Invitation à rejoindre « {WORKSPACE} » sur Maillage")
    link = re.search(r"https?://\S+/invitations/\S+/", invitation_mail.body)
    assert link, invitation_mail.body
    invitation_url = link.group(0)

    # 5. The colleague, in another browser context, signs up with that address and accepts.
    colleague = new_browser_page()
    sign_up(colleague, "Camille Martin", COLLEAGUE)
    expect(colleague).to_have_url(re.compile(r"/espaces/$"))
    prove_address(colleague, COLLEAGUE)
    colleague.goto(invitation_url)
    expect(colleague.get_by_role("heading", level=1)).to_have_text(f"Rejoindre « {WORKSPACE} »")
    colleague.get_by_role("button", name="Accepter l'invitation").click()
    expect(colleague.get_by_text(f"Vous avez rejoint « {WORKSPACE} ».")).to_be_visible()
    expect(colleague.locator(".workspace-badge")).to_have_text(f"{WORKSPACE} · Membre")
    colleague.get_by_role("link", name="Espaces", exact=True).click()
    expect(colleague.get_by_role("cell", name=WORKSPACE, exact=True)).to_be_visible()
    assert Membership.objects.active().filter(user__email=COLLEAGUE, workspace__name=WORKSPACE, role="member").exists()
    colleague.context.close()

    # 6. Directory search, refreshed by htmx as one types (no page load).
    page.get_by_role("link", name="Annuaire", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Annuaire des organisations")
    page.evaluate("window.__samePage = true")
    search = page.get_by_label("Rechercher")
    expect(search).to_have_attribute("type", "search")
    search.fill("villeurb")
    results = page.locator("#results")
    expect(results.get_by_role("link", name="Villeurbanne", exact=True)).to_be_visible()
    expect(results.get_by_role("link", name=ASSOCIATION)).to_be_visible()
    expect(page).to_have_url(re.compile(r"/annuaire/\?.*q=villeurb"))
    assert page.evaluate("window.__samePage") is True, "the results should be swapped in by htmx, not a page load"
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    # 7. The association's page: add a private note.
    results.get_by_role("link", name=ASSOCIATION).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(ASSOCIATION)
    expect(page.get_by_text("W691234567")).to_be_visible()
    expect(page.get_by_role("link", name="Villeurbanne")).to_be_visible()
    note = "Rencontrés au forum des associations ; intéressés par un atelier commun."
    page.get_by_role("textbox", name="Note", exact=True).fill(note)
    page.get_by_label("Étiquettes").fill("forum, vélo")
    page.get_by_role("button", name="Ajouter la note").click()
    expect(page.get_by_text("Note enregistrée (visible seulement dans votre espace).")).to_be_visible()
    expect(page.locator("article.note")).to_contain_text(note)
    assert PrivateNote.objects.filter(organization=association, workspace__name=WORKSPACE).count() == 1

    # 8. Log out.
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page).to_have_url(re.compile(r"/compte/connexion/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Se connecter")
    expect(page.get_by_role("button", name="Se déconnecter")).to_have_count(0)
