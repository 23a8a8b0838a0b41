"""The giving side's own view: a company sees what it gave per alliance and year, the receipts issued to it (list
and PDF, as the recipient), its estimated tax reduction, and its dashboard speaks of what it gave."""

from __future__ import annotations

import pytest

from maillage.receipts.actions import cancel_receipt
from tests.conftest import client_for, page_text

pytestmark = pytest.mark.django_db


def test_the_company_sees_what_it_gave_per_year_and_alliance(giving):
    page = page_text(client_for(giving["boss"]).get("/dons/"))
    assert "Ce qu'a donné Imprimerie Rhodanienne" in page
    assert "5\u00a0000,00\u00a0€" in page  # the 2025 money
    assert "1\u00a0200,00\u00a0€" in page  # the 2024 money
    assert "35\u00a0h" in page  # the skills hours
    assert "800,00\u00a0€" in page  # promised, apart
    assert giving["alliance"].name in page
    assert page.index("2025") < page.index("2024")  # the most recent year first


def test_the_company_lists_and_downloads_the_receipts_issued_to_it(giving):
    client = client_for(giving["boss"])
    page = page_text(client.get("/dons/"))
    for receipt in giving["receipts"]:
        assert receipt.reference in page
    receipt = giving["receipts"][0]
    detail = page_text(client.get(f"/dons/recus/{receipt.pk}/"))
    assert "Les Jardins de l'Essai" in detail and "5\u00a0000,00\u00a0€" in detail
    pdf = client.get(f"/dons/recus/{receipt.pk}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    # The issuer's own pages stay the issuer's.
    assert client.get(f"/recus/{receipt.pk}/").status_code == 404


def test_a_cancelled_receipt_is_shown_as_cancelled_and_left_out_of_the_reduction(giving, people, workspace_a):
    cancel_receipt(receipt=giving["receipts"][0], workspace=workspace_a, user=people["owner"], reason="Montant erroné")
    client = client_for(giving["boss"])
    detail = page_text(client.get(f"/dons/recus/{giving['receipts'][0].pk}/"))
    assert "Annulé" in detail and "Montant erroné" in detail
    page = page_text(client.get("/dons/", {"turnover": "1 000 000"}))
    assert "Réduction estimée sur la période" in page
    skills_value = giving["skills"].value
    from maillage.core.formats import money

    assert money(skills_value * 6 / 10) in page  # 60 % of the skills gift alone


def test_another_workspace_never_reaches_the_receipts_issued_to_the_company(giving, people):
    receipt = giving["receipts"][0]
    outsider = client_for(people["other_workspace"])
    assert outsider.get(f"/dons/recus/{receipt.pk}/").status_code == 404
    assert outsider.get(f"/dons/recus/{receipt.pk}/pdf/").status_code == 404
    assert receipt.reference not in page_text(outsider.get("/dons/"))


def test_the_estimated_reduction_uses_the_receipts_and_the_turnover(giving):
    client = client_for(giving["boss"])
    page = page_text(client.get("/dons/", {"turnover": "1 000 000"}))
    # 2025: 5 000 € + the skills gift, within the 20 000 € ceiling: 60 %.
    from maillage.core.formats import money

    expected = (giving["receipts"][0].amount + giving["receipts"][1].amount) * 6 / 10
    assert money(expected) in page
    bad = client.get("/dons/", {"turnover": "beaucoup"})
    assert bad.status_code == 200
    assert "n'est pas un montant" in page_text(bad)


def test_the_company_dashboard_speaks_of_what_it_gave(giving):
    client = client_for(giving["boss"])
    page = page_text(client.get("/tableau-de-bord/"))
    assert "Donné à vos partenaires" in page
    assert "Ressources obtenues" not in page
    assert "Nos dons et reçus" in page  # the menu's word for its side
    # Its « Reçus fiscaux » page is the one of a donor, not "your association has not declared its eligibility".
    response = client.get("/recus/")
    assert response.status_code == 302 and response["Location"] == "/dons/"


def test_the_association_keeps_its_words(giving, people):
    client = client_for(people["owner"])
    page = page_text(client.get("/tableau-de-bord/"))
    assert "Ressources obtenues" in page and "Donné à vos partenaires" not in page
    assert client.get("/recus/").status_code == 200


def test_the_api_gives_the_same_figures(giving):
    from tests.conftest import api_client_for

    client = api_client_for(giving["boss"], giving["company_ws"])
    data = client.get("/api/v1/giving").json()
    assert data["total"]["money"] == "6200.00"
    # The promise has no date yet: it counts in the year it was recorded.
    assert [row["year"] for row in data["by_year"]][-2:] == [2025, 2024]
    assert data["total"]["promised"] == "800.00"
    listed = client.get("/api/v1/giving/receipts").json()
    assert {r["reference"] for r in listed} == {r.reference for r in giving["receipts"]}
    pdf = client.get(listed[0]["pdf_url"])
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    years = client.get("/api/v1/giving/reduction", {"turnover": "1000000"}).json()
    assert years[0]["year"] == 2025 and years[0]["reduction"] != "0.00"
    refused = client.get("/api/v1/giving/reduction", {"turnover": "beaucoup"})
    assert refused.status_code == 422


def test_an_organisations_page_lists_what_the_reader_shares_with_it(giving, people, workspace_a):
    company_page = page_text(client_for(people["owner"]).get(f"/annuaire/{giving['company_ws'].organization_id}/"))
    assert "Ce que vous partagez avec Imprimerie Rhodanienne" in company_page
    assert giving["alliance"].name in company_page and "5\u00a0000,00\u00a0€" in company_page
    association_page = page_text(client_for(giving["boss"]).get(f"/annuaire/{workspace_a.organization_id}/"))
    assert "Ce que vous partagez avec Les Jardins de l'Essai" in association_page
    outsider = page_text(client_for(people["other_workspace"]).get(f"/annuaire/{workspace_a.organization_id}/"))
    assert "Ce que vous partagez" not in outsider and giving["alliance"].name not in outsider
