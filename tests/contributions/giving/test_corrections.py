"""Corrections with history (decision 0016): the workspace that recorded a contribution corrects it, every change
is kept and shown; a contribution with an active receipt is locked until the receipt is cancelled; the skills
contribution whose signed timesheet arrives later gets its receipt."""

from __future__ import annotations

from datetime import date

import pytest

from maillage.contributions.models import Contribution, Kind
from maillage.contributions.totals import drift
from maillage.receipts.actions import cancel_receipt
from tests.conftest import api_client_for, client_for, page_text
from tests.receipts.factories import gift

pytestmark = pytest.mark.django_db


def test_a_correction_is_kept_with_who_when_before_and_after(giving, people, workspace_a):
    alliance, owner = giving["alliance"], people["owner"]
    contribution = gift(alliance, workspace_a, owner, value="1000.00", received_on=date(2025, 2, 1))
    client = client_for(owner)
    response = client.post(
        f"/contributions/{contribution.pk}/corriger/",
        {
            "description": contribution.description,
            "value": "1 200,00",
            "received_on": "2025-02-01",
            "reason": "Virement complémentaire",
        },
    )
    assert response.status_code == 302, page_text(response)
    assert Contribution.objects.get(pk=contribution.pk).value == 1200
    page = page_text(client.get(f"/contributions/{contribution.pk}/"))
    assert "Historique des corrections" in page
    assert "1\u00a0000,00\u00a0€" in page and "1\u00a0200,00\u00a0€" in page and "Virement complémentaire" in page
    assert not list(drift())  # the sums kept on write moved by the difference
    # The company (another party) sees the history, but does not correct what A recorded.
    company = client_for(giving["boss"])
    assert "Virement complémentaire" in page_text(company.get(f"/contributions/{contribution.pk}/"))
    api = api_client_for(giving["boss"], giving["company_ws"])
    refused = api.patch(f"/api/v1/contributions/{contribution.pk}", {"value": "1"}, content_type="application/json")
    assert refused.status_code == 403


def test_a_contribution_with_an_active_receipt_is_locked_until_the_receipt_is_cancelled(giving, people, workspace_a):
    receipt, owner = giving["receipts"][0], people["owner"]
    client = client_for(owner)
    page = page_text(client.get(f"/contributions/{receipt.contribution_id}/"))
    assert "ne se corrige plus" in page and f"/recus/{receipt.pk}/" in page
    api = api_client_for(owner, workspace_a)
    url = f"/api/v1/contributions/{receipt.contribution_id}"
    locked = api.patch(url, {"value": "4000"}, content_type="application/json")
    assert locked.status_code == 422 and receipt.reference in locked.json()["detail"]
    cancel_receipt(receipt=receipt, workspace=workspace_a, user=owner, reason="Montant à corriger")
    fixed = api.patch(url, {"value": "4000", "reason": "Montant réel"}, content_type="application/json")
    assert fixed.status_code == 200 and fixed.json()["value"] == "4000.00"


def test_the_signed_timesheet_arriving_later_opens_the_receipt(giving, people, workspace_a):
    owner = people["owner"]
    skills = gift(
        giving["alliance"], workspace_a, owner, kind=Kind.SKILLS, received_on=date(2025, 6, 30), signed_timesheet=False
    )
    client = client_for(owner)
    detail = page_text(client.get(f"/contributions/{skills.pk}/"))
    assert "cochez « Liste des jours signée »" in detail
    refused = client.post("/recus/emettre/", {"contribution": skills.pk}, follow=True)
    assert "liste" in page_text(refused).lower()
    form = {"description": skills.description, "received_on": "2025-06-30", "signed_timesheet": "on"}
    assert client.post(f"/contributions/{skills.pk}/corriger/", form).status_code == 302
    issued = client.post("/recus/emettre/", {"contribution": skills.pk})
    assert issued.status_code == 302 and "/recus/" in issued["Location"]
    assert skills.receipts.filter(cancelled_at__isnull=True).exists()


def test_a_correction_that_changes_nothing_or_breaks_a_rule_is_refused_in_french(giving, people, workspace_a):
    owner = people["owner"]
    contribution = gift(giving["alliance"], workspace_a, owner, value="300.00", received_on=date(2025, 2, 1))
    api = api_client_for(owner, workspace_a)
    url = f"/api/v1/contributions/{contribution.pk}"
    same = api.patch(url, {"description": contribution.description}, content_type="application/json")
    assert same.status_code == 422 and "Rien n'a changé" in same.json()["detail"]
    future = api.patch(url, {"received_on": "2099-01-01"}, content_type="application/json")
    assert future.status_code == 422 and "date de réception" in future.json()["detail"]
