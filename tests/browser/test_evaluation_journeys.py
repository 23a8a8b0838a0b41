"""Evaluation journey in a real browser: two parties answer from their own workspaces, the cross view shows both.

The association opens the evaluation and answers; the company answers from its workspace and shares early; the
association sees both views side by side with the divergence flagged, closes, and opens the report.
"""

from __future__ import annotations

import re

import pytest

from maillage.evaluation.models import Evaluation
from tests.conftest import PASSWORD
from tests.evaluation.conftest import alliance, company, company_user, workspace_c  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser


def log_in(page, email: str) -> None:
    page.goto("/compte/connexion/")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def answer(page, notes: dict[str, int]) -> None:
    """The notes given; every other question of a scale « Ne sait pas / non applicable » (a sent questionnaire
    answers every question, « ne sait pas » included)."""
    for question, note in notes.items():
        page.get_by_role("group", name=question).get_by_role("radio", name=re.compile(rf"^{note} – ")).check()
    for group in page.get_by_role("group").all():
        radios = group.get_by_role("radio")
        unknown = group.get_by_role("radio", name="Ne sait pas / non applicable")
        if radios.count() and unknown.count() == 1 and not any(r.is_checked() for r in radios.all()):
            unknown.check()


def test_two_parties_answer_and_the_cross_view_shows_both(
    browser_page,
    new_browser_page,
    alliance,  # noqa: F811 (fixture)
    people,
    company_user,  # noqa: F811 (fixtures)
):
    from playwright.sync_api import expect

    association = browser_page
    log_in(association, people["owner"].email)
    association.get_by_role("link", name="Impact et diagnostic").click()
    expect(association.get_by_role("heading", level=1)).to_have_text("Évaluations des alliances")
    association.get_by_label("Alliance évaluée").select_option(label="Potagers d'entreprise")
    association.get_by_label("Période").fill("Année 2025")
    association.locator("#id_period_start").fill("2025-01-01")
    association.locator("#id_period_end").fill("2025-12-31")
    association.get_by_role("button", name="Ouvrir l'évaluation").click()
    expect(association.get_by_text("L'évaluation « Année 2025 » est ouverte")).to_be_visible()
    evaluation = Evaluation.objects.get(alliance=alliance)

    association.get_by_role("link", name="Répondre au questionnaire").click()
    answer(
        association,
        {
            "L'alliance consolide-t-elle le modèle économique de votre structure ?": 5,
            "A-t-elle permis de capter des ressources nouvelles (financières, humaines, matérielles) ?": 4,
            "A-t-elle accru votre capacité d'action et votre rayonnement ?": 4,
            "Une solution nouvelle a-t-elle émergé de l'alliance ?": 4,
            "Peut-elle être déployée à plus grande échelle ?": 2,
            "Comment la confiance entre les parties a-t-elle évolué ?": 5,
            "Le territoire a-t-il gagné en capacité d'agir collectivement ?": 4,
        },
    )
    association.get_by_label("Bénévoles engagés").fill("12")
    association.get_by_role("button", name="Envoyer mes réponses").click()
    expect(association.get_by_text("Vos réponses sont envoyées. Merci !")).to_be_visible()

    company_page = new_browser_page()
    log_in(company_page, company_user.email)
    company_page.goto(f"/evaluations/{evaluation.pk}/")
    # Before sharing or closing, the company does not see the association's answers.
    expect(company_page.get_by_text("réponse envoyée, visible à la clôture")).to_be_visible()
    company_page.get_by_role("link", name="Répondre au questionnaire").click()
    expect(company_page.get_by_text("variante : Entreprise")).to_be_visible()
    answer(
        company_page,
        {
            "L'alliance concrétise-t-elle la stratégie RSE de votre entreprise ?": 2,
            "Mobilise-t-elle vos salariés et renforce-t-elle leur engagement ?": 2,
            "Renforce-t-elle l'ancrage territorial de votre entreprise ?": 2,
            "Une solution nouvelle a-t-elle émergé de l'alliance ?": 4,
            "Peut-elle être déployée à plus grande échelle ?": 4,
            "Comment la confiance entre les parties a-t-elle évolué ?": 3,
            "Le territoire a-t-il gagné en capacité d'agir collectivement ?": 4,
        },
    )
    company_page.get_by_role("button", name="Envoyer mes réponses").click()
    company_page.get_by_role("button", name="Partager mes réponses dès maintenant").click()
    expect(company_page.get_by_text("Vos réponses sont visibles des autres parties")).to_be_visible()

    association.reload()
    cross = association.locator("#impact-innovation + table")
    expect(cross.get_by_role("columnheader", name=re.compile("Les Jardins de l'Essai"))).to_be_visible()
    expect(cross.get_by_role("columnheader", name=re.compile("Imprimerie du Confluent"))).to_be_visible()
    row = cross.get_by_role("row", name=re.compile("Peut-elle être déployée"))
    expect(row).to_contain_text("Peu probable")  # the association's 2
    expect(row).to_contain_text("Probable")  # the company's 4
    expect(row).to_contain_text("⚠ 2 points")
    expect(association.get_by_text("vues divergentes").first).to_be_visible()

    association.get_by_role("button", name="Clôturer l'évaluation").click()
    expect(association.get_by_text("L'évaluation est clôturée")).to_be_visible()
    association.get_by_role("link", name="Bilan de partenariat").click()
    expect(association.get_by_role("heading", level=1)).to_have_text("Bilan de partenariat : Potagers d'entreprise")
    expect(association.get_by_role("img", name="Score par impact (sur 100)").first).to_be_visible()
    pdf = association.request.get(f"/evaluations/{evaluation.pk}/bilan.pdf")
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
