"""Account journeys in a real browser: sign up and prove the address from the e-mail; forgotten password."""

from __future__ import annotations

import re

import pytest

from maillage.workspaces.models import User
from tests.browser.account_steps import last_mail_to, prove_address
from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.browser

NEW_PASSWORD = "Une-autre-phrase-de-passe-2026"


def test_sign_up_then_prove_the_address_from_the_e_mail(browser_page):
    from playwright.sync_api import expect

    page = browser_page
    page.goto("/compte/inscription/")
    page.get_by_label("Nom complet").fill("Inès Dupont")
    page.get_by_label("Adresse e-mail").fill("Ines.Dupont@Exemple.test")
    page.get_by_label("Mot de passe").fill("Une-phrase-de-passe-2024")
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page).to_have_url(re.compile(r"/espaces/$"))
    banner = page.locator(".proof-banner")
    expect(banner).to_contain_text("Confirmez votre adresse e-mail.")
    expect(banner).to_contain_text("ines.dupont@exemple.test")

    # "Renvoyer le lien" page, reached from the banner; the account page says the address is not proved.
    banner.get_by_role("link", name="Pas reçu ? Renvoyer le lien").click()
    expect(page.get_by_role("button", name="Renvoyer le lien")).to_be_visible()
    page.get_by_role("banner").get_by_role("link", name="Mon compte").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon compte")
    expect(page.get_by_text("Non : confirmez-la")).to_be_visible()

    prove_address(page, "ines.dupont@exemple.test")
    assert User.objects.get(email="ines.dupont@exemple.test").email_verified
    page.get_by_role("banner").get_by_role("link", name="Mon compte").click()
    expect(page.locator(".facts")).to_contain_text("Oui, le")


def test_forgotten_password_journey(browser_page, new_browser_page):
    from playwright.sync_api import expect

    make_user("camille@exemple.test", "Camille Martin")
    # A session opened earlier on another device.
    elsewhere = new_browser_page()
    elsewhere.goto("/compte/connexion/")
    elsewhere.get_by_label("Adresse e-mail").fill("camille@exemple.test")
    elsewhere.get_by_label("Mot de passe").fill(PASSWORD)
    elsewhere.get_by_role("button", name="Se connecter").click()
    expect(elsewhere.get_by_role("button", name="Se déconnecter")).to_be_visible()

    page = browser_page
    page.goto("/compte/connexion/")
    page.get_by_role("link", name="Mot de passe oublié ?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mot de passe oublié")
    page.get_by_label("Adresse e-mail du compte").fill("Camille@Exemple.test")
    page.get_by_role("button", name="Recevoir le lien").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Regardez vos e-mails")

    message = last_mail_to("camille@exemple.test", "Choisissez un nouveau mot de passe Maillage")
    url = re.search(r"https?://\S+/compte/mot-de-passe/nouveau/\S+/", message.body).group(0)
    page.goto(url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Choisir un nouveau mot de passe")
    page.get_by_label(re.compile(r"^Nouveau mot de passe")).fill(NEW_PASSWORD)
    page.get_by_label(re.compile(r"^Confirmation du nouveau mot de passe")).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Enregistrer le mot de passe").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mot de passe changé")

    page.get_by_role("link", name="Se connecter", exact=True).last.click()
    page.get_by_label("Adresse e-mail").fill("CAMILLE@exemple.test")
    page.get_by_label("Mot de passe").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()

    # The session opened with the old password is over.
    elsewhere.goto("/compte/")
    expect(elsewhere).to_have_url(re.compile(r"/compte/connexion/\?next=/compte/$"))

    # The link served once: opened again, it is refused in French.
    page.goto(url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Lien de réinitialisation refusé")
