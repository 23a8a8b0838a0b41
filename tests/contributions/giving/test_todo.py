"""The start page « À faire » is where a login lands; it lists what waits for the workspace."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from maillage.alliances.models import Agreement, Proposal
from tests.conftest import PASSWORD, client_for, page_text
from tests.receipts.factories import gift

pytestmark = pytest.mark.django_db


def test_login_lands_on_the_start_page(giving):
    from django.test import Client

    client = Client()
    response = client.post("/compte/connexion/", {"username": "dirigeante@imprimerie.test", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/a-faire/"


def test_the_start_page_lists_what_waits(giving, people, workspace_a):
    owner, alliance = people["owner"], giving["alliance"]
    gift(alliance, workspace_a, owner, value="750.00", received_on=date(2025, 4, 2))  # no receipt yet
    Agreement.objects.create(
        alliance=alliance,
        kind="mecenat",
        title="Convention 2025",
        signed_on=date(2025, 1, 1),
        renewal_on=timezone.localdate() + timedelta(days=10),
        created_by_workspace=workspace_a,
    )
    Proposal.objects.create(
        alliance=alliance, kind="stage", to_stage="first_contact", by_workspace=giving["company_ws"]
    )
    page = page_text(client_for(owner).get("/a-faire/"))
    assert "Convention 2025" in page
    assert "750,00\u00a0€" in page and "Émettre les reçus" in page
    assert "Propositions de vos partenaires" in page and "Imprimerie Rhodanienne" in page
    assert "Relations qui refroidissent" in page
    company = page_text(client_for(giving["boss"]).get("/a-faire/"))
    assert "Donné à vos partenaires" in company and "Reçus fiscaux à émettre" not in company


def test_the_start_page_lists_the_evaluations_to_send(giving, people, workspace_a):
    """A twelve-month period of an alliance under way that the workspace leads, ended without an evaluation, is
    « to send »; the link fills the opening form in; once an evaluation covers it, it leaves the list."""
    from maillage.alliances.models import Alliance
    from maillage.evaluation.actions import open_evaluation

    owner, alliance = people["owner"], giving["alliance"]
    today = timezone.localdate()
    start = today.replace(year=today.year - 2) + timedelta(days=20)
    Alliance.objects.filter(pk=alliance.pk).update(stage="active", starts_on=start, ends_on=None)
    client = client_for(owner)
    page = page_text(client.get("/a-faire/"))
    first_end = start.replace(year=start.year + 1) - timedelta(days=1)
    assert "À envoyer aux parties" in page and "année 1 de l'alliance" in page
    assert f"du {start:%d/%m/%Y} au {first_end:%d/%m/%Y}" in page
    # The company does not lead: it answers, it does not send.
    assert "À envoyer aux parties" not in page_text(client_for(giving["boss"]).get("/a-faire/"))
    link = f"/evaluations/?alliance={alliance.pk}&period_start={start:%Y-%m-%d}"
    assert link in client.get("/a-faire/").content.decode().replace("&amp;", "&")
    form = client.get(f"{link}&period_end={first_end:%Y-%m-%d}&period_label=Ann%C3%A9e%201").content.decode()
    assert f'value="{start:%Y-%m-%d}"' in form and 'value="Année 1"' in form
    alliance.refresh_from_db()
    open_evaluation(
        alliance=alliance,
        workspace=workspace_a,
        user=owner,
        period_label="Année 1",
        period_start=start,
        period_end=first_end,
    )
    assert "À envoyer aux parties" not in page_text(client.get("/a-faire/"))
