"""Pages and API of the receipts area, with fixed query counts on the lists."""

from __future__ import annotations

from io import BytesIO

import pytest
from pypdf import PdfReader

from maillage.receipts.actions import issue_receipt
from maillage.receipts.models import Receipt
from tests.conftest import api_client_for, client_for, page_text
from tests.receipts.factories import ELIGIBILITY, gift

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(BytesIO(data)).pages)


def test_without_eligibility_the_page_says_why(people, workspace_a, money_gift):
    text = page_text(client_for(people["member"]).get("/recus/"))
    assert "Aucun reçu ne peut être émis" in text and "habilitation" in text
    response = client_for(people["member"]).post("/recus/emettre/", {"contribution": money_gift.pk}, follow=True)
    assert "Reçu non émis" in page_text(response) and not Receipt.objects.exists()


def test_eligibility_form_is_for_admins_and_reports_errors_on_fields(people, workspace_a):
    data = {
        **ELIGIBILITY,
        "evidence_date": "2021-03-15",
        "art_200": "on",
        "art_238_bis": "on",
        "helps_people_in_difficulty": "",
    }
    assert client_for(people["member"]).post("/recus/habilitation/", data).status_code == 403
    bad = client_for(people["admin"]).post("/recus/habilitation/", {**data, "evidence_reference": ""})
    assert bad.status_code == 400 and "référence et la date du rescrit" in page_text(bad)
    ok = client_for(people["admin"]).post("/recus/habilitation/", data)
    assert ok.status_code == 302


def test_issue_download_cancel_from_the_pages(people, eligible, money_gift):
    client = client_for(people["member"])
    home = page_text(client.get("/recus/"))
    assert "Boulangerie Dupain" in home and "Émettre le reçu" in home
    response = client.post(
        "/recus/emettre/", {"contribution": money_gift.pk, "legal_form": "SAS", "payment_method": "cheque"}
    )
    receipt = Receipt.objects.get()
    assert response["Location"] == f"/recus/{receipt.pk}/"
    pdf = client.get(f"/recus/{receipt.pk}/pdf/")
    assert pdf["Content-Type"] == "application/pdf" and receipt.reference in pdf_text(pdf.content)
    assert "Chèque" in pdf_text(pdf.content)
    assert (
        client.post(f"/recus/{receipt.pk}/annuler/", {"reason": "Donateur erroné", "correct": "on"}).status_code == 302
    )
    receipt.refresh_from_db()
    assert receipt.is_cancelled and receipt.replaced_by.number == 2
    notice = client.get(f"/recus/{receipt.pk}/pdf/?annulation=1")
    assert "ANNULÉ" in pdf_text(notice.content) and "Donateur erroné" in pdf_text(notice.content)


def test_viewer_reads_but_never_writes(people, eligible, money_gift):
    viewer = client_for(people["viewer"])
    assert viewer.get("/recus/").status_code == 200
    assert viewer.post("/recus/emettre/", {"contribution": money_gift.pk}).status_code == 403


def test_individual_gift_form(people, eligible):
    client = client_for(people["member"])
    bad = client.post("/recus/don-particulier/", {"donor_name": "", "amount": "abc", "received_on": "2025-01-01"})
    assert bad.status_code == 400
    ok = client.post(
        "/recus/don-particulier/",
        {
            "donor_name": "Paul Lefèvre",
            "donor_address": "3 place Bellecour, 69002 Lyon",
            "amount": "50",
            "received_on": "2025-01-05",
            "payment_method": "especes",
        },
    )
    assert ok.status_code == 302 and "Paul Lefèvre" in page_text(client.get("/recus/"))


def test_simulation_page(people, workspace_a):
    client = client_for(people["viewer"])
    ok = page_text(
        client.get("/recus/simulation/", {"donor": "company", "rows": "2025 ; 1 500 000 ; 30 000 ; 0\n2026;1500000;0"})
    )
    assert "18 000,00 €" in ok.replace("\u202f", " ").replace("\xa0", " ")  # |euros: no float, no dot
    bad = page_text(client.get("/recus/simulation/", {"donor": "company", "rows": "2025;abc;1"}))
    assert "Simulation impossible" in bad and "ligne 1" in bad


def test_declaration_and_export_pages(people, eligible, money_gift, workspace_a, owner):
    issue_receipt(workspace=workspace_a, user=owner, contribution=money_gift)
    client = client_for(people["viewer"])
    assert "2041-MEC-SD" in page_text(client.get("/recus/declaration/", {"year": "2025"}))
    assert client.get("/recus/declaration/", {"year": "abc"}).status_code == 200
    csv_response = client.get("/recus/comptabilite/", {"year": "2025", "format": "csv"})
    assert csv_response["Content-Type"].startswith("text/csv") and "7542" in csv_response.content.decode("utf-8-sig")
    fec = client.get("/recus/comptabilite/", {"year": "2025", "format": "fec"}).content.decode()
    assert fec.startswith("JournalCode\tJournalLib")


@pytest.mark.parametrize("size", [2, 12])
def test_receipts_page_costs_fixed_queries(
    people, eligible, alliance, workspace_a, owner, size, django_assert_max_num_queries
):
    for i in range(size):
        issue_receipt(
            workspace=workspace_a, user=owner, contribution=gift(alliance, workspace_a, owner, value=str(10 + i))
        )
        gift(alliance, workspace_a, owner, value=str(20 + i))  # pending ones too
    client = client_for(people["viewer"])
    with django_assert_max_num_queries(16):
        assert client.get("/recus/").status_code == 200
    api = api_client_for(people["viewer"], workspace_a)
    with django_assert_max_num_queries(8):
        assert len(api.get("/api/v1/receipts").json()["items"]) == size


def test_api_issue_cancel_pdf_simulation_declaration(people, eligible, money_gift, workspace_a):
    api = api_client_for(people["member"], workspace_a)
    created = api.post(
        "/api/v1/receipts", {"contribution": money_gift.pk, "legal_form": "SA"}, content_type="application/json"
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["form"] == "2041-MEC-SD" and body["number"] == 1
    again = api.post("/api/v1/receipts", {"contribution": money_gift.pk}, content_type="application/json")
    assert again.status_code == 422 and "déjà un reçu" in again.json()["detail"]
    pdf = api.get(body["pdf_url"])
    assert pdf["Content-Type"] == "application/pdf" and body["reference"] in pdf_text(pdf.content)
    no_reason = api.post(f"/api/v1/receipts/{body['id']}/cancel", {"reason": ""}, content_type="application/json")
    assert no_reason.status_code == 422 and "motif" in no_reason.json()["detail"]
    cancelled = api.post(
        f"/api/v1/receipts/{body['id']}/cancel", {"reason": "Erreur", "correct": True}, content_type="application/json"
    ).json()
    assert cancelled["cancelled"]["cancelled_at"] and cancelled["replacement"]["replaces"] == body["id"]
    sim = api.post(
        "/api/v1/receipts/simulation",
        {"donor": "individual", "individual_years": [{"year": 2025, "taxable_income": "30000", "gifts": "200"}]},
        content_type="application/json",
    )
    assert sim.status_code == 200 and sim.json()[0]["reduction"] == "132.00"
    gap = api.post(
        "/api/v1/receipts/simulation",
        {
            "donor": "company",
            "company_years": [
                {"year": 2020, "turnover": "0", "gifts": "1"},
                {"year": 2023, "turnover": "0", "gifts": "1"},
            ],
        },
        content_type="application/json",
    )
    assert gap.status_code == 422 and "sans trou" in gap.json()["detail"]
    declaration = api.get("/api/v1/receipts/declaration?year=2025").json()
    assert declaration["count"] == 1 and declaration["deadline"] == "2026-05-05"
    assert api.get("/api/v1/receipts/declaration?year=1990").status_code == 422


def test_api_eligibility_put_and_get(people, workspace_a):
    admin = api_client_for(people["admin"], workspace_a)
    assert admin.get("/api/v1/receipts/eligibility").status_code == 404
    bad = admin.put(
        "/api/v1/receipts/eligibility",
        {**{k: v for k, v in ELIGIBILITY.items() if k != "evidence_date"}, "evidence_date": None},
        content_type="application/json",
    )
    assert bad.status_code == 422 and "rescrit" in bad.json()["detail"]
    payload = {**ELIGIBILITY, "evidence_date": "2021-03-15"}
    assert admin.put("/api/v1/receipts/eligibility", payload, content_type="application/json").status_code == 200
    assert admin.get("/api/v1/receipts/eligibility").json()["signatory_name"] == "Claire Dubois"
    assert admin.put("/api/v1/receipts/eligibility", "{not json", content_type="application/json").status_code == 400


@pytest.mark.parametrize(
    "payload",
    [
        {"donor": "company", "company_years": [{"year": 2025, "turnover": "NaN", "gifts": "1"}]},
        {"donor": "company", "company_years": [{"year": 2025, "turnover": "1e400", "gifts": "1"}]},
        {"donor": "individual", "individual_years": [{"year": 2025, "taxable_income": "-1", "gifts": "1"}]},
        {
            "donor": "individual",
            "individual_years": [{"year": 2025, "taxable_income": "10", "gifts": "1", "gifts_difficulty": "5"}],
        },
        {"donor": "nobody"},
        {"donor": "company"},
    ],
)
def test_simulation_api_answers_bad_input_in_french(people, workspace_a, payload):
    response = api_client_for(people["viewer"], workspace_a).post(
        "/api/v1/receipts/simulation", payload, content_type="application/json"
    )
    assert response.status_code == 422, response.content
    assert response.json()["detail"]


def test_bad_page_input_never_gives_a_500(people, eligible, money_gift, workspace_a, owner):
    client = client_for(people["member"])
    assert client.get("/recus/", {"page": "abc"}).status_code == 200
    assert client.post("/recus/emettre/", {"contribution": "abc"}).status_code == 302
    assert client.post("/recus/emettre/", {"contribution": "999999"}).status_code == 404
    assert client.post("/recus/lot/", {"year": "x" * 50}).status_code == 302
    assert client.get("/recus/simulation/", {"donor": "company", "rows": "2025;nan;1"}).status_code == 200
    assert client.get("/recus/simulation/", {"donor": "company", "rows": "2025;1e999;1"}).status_code == 200
    assert client.get("/recus/comptabilite/", {"year": "99999", "format": "fec"}).status_code == 200
    receipt = issue_receipt(workspace=workspace_a, user=owner, contribution=money_gift)
    assert client.post(f"/recus/{receipt.pk}/annuler/", {"reason": ""}).status_code == 302
    assert not Receipt.objects.get(pk=receipt.pk).is_cancelled
