"""Contributions through the API: every kind, its valuation, counterparts and sponsoring; lists and refusals."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from maillage.contributions.actions import record_contribution
from maillage.contributions.models import Contribution
from tests.alliances.api.conftest import detail, party, post

pytestmark = pytest.mark.django_db

URL = "/api/v1/alliances"


@pytest.fixture
def ids(shared, org_a, org_b, company):
    return {"a": party(shared, org_a).pk, "b": party(shared, org_b).pk, "company": party(shared, company).pk}


def create(client, alliance, body):
    return post(client, f"{URL}/{alliance.pk}/contributions", body)


def test_money_with_counterparts_flagged_as_sponsoring(member_api, shared, ids):
    body = {
        "giver_party_id": ids["company"],
        "receiver_party_id": ids["a"],
        "kind": "money",
        "description": "Don pour les bacs",
        "value": 1000,
        "counterparts": [{"description": "Logo sur les bacs", "value": "200.00"}],
    }
    response = create(member_api, shared, body)
    assert response.status_code == 201, response.content
    c = response.json()
    assert (
        c["value"] == "1000.00"
        and c["valuation_method"] == "nominal"
        and c["valuation_method_label"] == "Montant versé"
    )
    assert c["counterparts_value"] == "200.00" and c["counterparts_share"] == "0.2000" and c["is_sponsoring"] is False
    assert c["giver"]["organization_name"] == "Boulangerie Dupain" and c["status"] == "promised"
    added = post(
        member_api, f"/api/v1/contributions/{c['id']}/counterparts", {"description": "Places au gala", "value": 100}
    )
    assert added.status_code == 201 and added.json()["value"] == "100.00"
    c = member_api.get(f"/api/v1/contributions/{c['id']}").json()
    assert c["counterparts_value"] == "300.00" and c["counterparts_share"] == "0.3000" and c["is_sponsoring"] is True
    assert [k["description"] for k in c["counterparts"]] == ["Logo sur les bacs", "Places au gala"]


def test_skills_lines_are_valued_and_capped(member_api, shared, ids):
    body = {
        "giver_party_id": ids["company"],
        "receiver_party_id": ids["a"],
        "kind": "skills",
        "description": "Une comptable et un jardinier",
        "skills_lines": [
            {"employee_name": "Anne Roux", "month": "2026-03-10", "hours": 35, "monthly_cost": "15000"},
            {
                "employee_name": "Paul Petit",
                "employee_role": "Jardinier",
                "month": "2026-03-01",
                "hours": "10",
                "monthly_cost": 4000,
                "monthly_hours": "151.67",
            },
        ],
        "signed_timesheet": True,
    }
    response = create(member_api, shared, body)
    assert response.status_code == 201, response.content
    c = response.json()
    lines = {line["employee_name"]: line for line in c["skills_lines"]}
    assert lines["Anne Roux"]["value"] == "2772.63" and lines["Anne Roux"]["capped"] is True  # 3 × 4 005 € (PSS 2026)
    assert lines["Anne Roux"]["month"] == "2026-03-01"
    assert lines["Paul Petit"]["value"] == "263.73" and lines["Paul Petit"]["capped"] is False
    assert c["value"] == "3036.36" and c["valuation_method"] == "salary_cost" and c["hours"] == "45.00"


def test_in_kind_service_and_volunteering(member_api, shared, ids):
    in_kind = create(
        member_api,
        shared,
        {
            "giver_party_id": ids["b"],
            "receiver_party_id": ids["a"],
            "kind": "in_kind",
            "description": "Prêt de la salle",
            "value": "450.5",
            "valuation_method": "rental_value",
        },
    )
    assert in_kind.status_code == 201 and in_kind.json()["valuation_method"] == "rental_value"
    service = create(
        member_api,
        shared,
        {
            "giver_party_id": ids["a"],
            "receiver_party_id": ids["company"],
            "kind": "service",
            "description": "Atelier d'équipe",
            "value": 2400,
            "status": "received",
            "received_on": "2026-02-01",
        },
    )
    assert service.status_code == 201 and service.json()["is_gift"] is False and service.json()["status"] == "received"
    volunteering = create(
        member_api,
        shared,
        {
            "giver_party_id": ids["b"],
            "receiver_party_id": ids["a"],
            "kind": "volunteering",
            "description": "Bénévoles du samedi",
            "hours": 40,
            "hourly_rate": "11.88",
        },
    )
    assert volunteering.status_code == 201, volunteering.content
    assert volunteering.json()["value"] == "475.20" and volunteering.json()["valuation_method"] == "hourly_rate"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"value": -10}, "value : Le montant doit être strictement positif."),
        ({"value": "1000000000"}, "value : Montant invraisemblable (1 milliard d'euros ou plus)"),
        ({"value": None}, "value : Le montant est obligatoire."),
        (
            {"valuation_method": "salary_cost"},
            "valuation_method : Pour cette nature, la valorisation se fait par : montant versé.",
        ),
        ({"receiver_party_id": "giver"}, "receiver : Une contribution va d'une partie à une autre"),
        ({"status": "received"}, "received_on : Indiquez la date de réception."),
        ({"status": "received", "received_on": "2099-01-01"}, "received_on : La date de réception est dans le futur"),
        (
            {"counterparts": [{"description": "Logo", "value": -1}]},
            "counterparts : Contrepartie n° 1 : description et valeur positive obligatoires.",
        ),
        ({"counterparts": [{"description": "x", "value": "999999999"}] * 2}, "Total des contreparties invraisemblable"),
        ({"kind": "skills"}, "skills_lines : Un mécénat de compétences se valorise salarié par salarié"),
        ({"kind": "volunteering"}, "hourly_rate : Indiquez le taux horaire retenu"),
    ],
)
def test_refusals_in_french_and_nothing_saved(member_api, shared, ids, change, message):
    body = {
        "giver_party_id": ids["company"],
        "receiver_party_id": ids["a"],
        "kind": "money",
        "description": "Don",
        "value": 100,
    }
    body.update(change)
    if body["receiver_party_id"] == "giver":
        body["receiver_party_id"] = body["giver_party_id"]
    response = create(member_api, shared, body)
    assert response.status_code == 422 and message in detail(response), response.json()
    assert not Contribution.objects.exists()


def test_skills_line_refusals(member_api, shared, ids):
    line = {"employee_name": "Anne Roux", "month": "2026-03-01", "hours": 200, "monthly_cost": 4000}
    body = {
        "giver_party_id": ids["company"],
        "receiver_party_id": ids["a"],
        "kind": "skills",
        "description": "Compétences",
        "skills_lines": [line],
    }
    response = create(member_api, shared, body)
    assert response.status_code == 422
    assert "salarié n° 1 : les heures mises à disposition (200) doivent être positives et ne pas dépasser" in detail(
        response
    )
    body["skills_lines"] = [{**line, "hours": 10, "month": "2015-03-01"}]
    response = create(member_api, shared, body)
    assert (
        response.status_code == 422
        and "Le plafond mensuel de la sécurité sociale de 2015 n'est pas connu" in detail(response)
    )


def test_contribution_between_organisations_that_are_not_parties(
    member_api, shared, alliance, ids, people, workspace_a, org_b
):
    from maillage.alliances.actions import create_alliance
    from maillage.organizations.actions import create_organization

    stranger = create_organization(data={"kind": "company", "name": "Ailleurs SA", "commune": "69123"})
    elsewhere = create_alliance(
        workspace=workspace_a,
        user=people["owner"],
        name="Autre",
        forms=["mecenat_financier"],
        partners=[(stranger, "funder", "")],
    )
    foreign_party = elsewhere.parties.get(organization=stranger).pk
    body = {
        "giver_party_id": foreign_party,
        "receiver_party_id": ids["a"],
        "kind": "money",
        "description": "Don",
        "value": 100,
    }
    response = create(member_api, shared, body)
    assert response.status_code == 422
    assert detail(response) == f"giver_party_id : La partie n° {foreign_party} n'est pas partie à cette alliance."
    # A party that left is no longer a party either.
    from maillage.alliances.models import Party

    Party.objects.filter(pk=ids["company"]).update(left_at=timezone.now())
    body = {
        "giver_party_id": ids["company"],
        "receiver_party_id": ids["a"],
        "kind": "money",
        "description": "Don",
        "value": 100,
    }
    response = create(member_api, shared, body)
    assert response.status_code == 422 and detail(response) == "giver : Le donateur n'est pas partie à cette alliance."
    assert not Contribution.objects.exists()


def test_mark_received(member_api, viewer_api, shared, ids):
    c = create(
        member_api,
        shared,
        {
            "giver_party_id": ids["company"],
            "receiver_party_id": ids["a"],
            "kind": "money",
            "description": "Don",
            "value": 100,
        },
    ).json()
    url = f"/api/v1/contributions/{c['id']}/received"
    assert post(viewer_api, url, {"received_on": "2026-01-10"}).status_code == 403
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    response = post(member_api, url, {"received_on": future})
    assert response.status_code == 422 and "received_on : Indiquez une date de réception passée ou du jour." in detail(
        response
    )
    response = post(member_api, url, {"received_on": "2026-01-10"})
    assert (
        response.status_code == 200
        and response.json()["status"] == "received"
        and response.json()["received_on"] == "2026-01-10"
    )
    again = post(member_api, url, {"received_on": "2026-01-10"})
    assert again.status_code == 422 and detail(again) == "status : Cette contribution est déjà reçue."


def test_counterpart_refusals(member_api, viewer_api, shared, ids):
    c = create(
        member_api,
        shared,
        {
            "giver_party_id": ids["company"],
            "receiver_party_id": ids["a"],
            "kind": "money",
            "description": "Don",
            "value": 100,
        },
    ).json()
    url = f"/api/v1/contributions/{c['id']}/counterparts"
    response = post(member_api, url, {"description": "Logo", "value": -3})
    assert (
        response.status_code == 422
        and "value : La valeur de la contrepartie doit être un montant positif." in detail(response)
    )
    response = post(member_api, url, {"description": "Logo", "value": "abc"})
    assert response.status_code == 422 and "value : doit être un nombre décimal" in detail(response)
    assert post(viewer_api, url, {"description": "Logo", "value": 3}).status_code == 403


def seed(alliance, workspace, user, givers, receiver, n, kind="money", status="promised"):
    for i in range(n):
        record_contribution(
            alliance=alliance,
            workspace=workspace,
            user=user,
            giver=givers[i % len(givers)],
            receiver=receiver,
            kind=kind,
            description=f"Contribution {i}",
            value=100 + i,
            status=status,
            received_on=date(2026, 1, 5) if status == "received" else None,
            promised_on=date(2026, 1, 1),
            counterparts=[],
        )


def test_lists_filters_and_fixed_queries(
    member_api, b_api, shared, people, workspace_a, org_a, org_b, company, django_assert_max_num_queries
):
    a, b, firm = party(shared, org_a), party(shared, org_b), party(shared, company)
    seed(shared, workspace_a, people["owner"], [firm, b], a, 2)
    with django_assert_max_num_queries(9):
        page = member_api.get(f"{URL}/{shared.pk}/contributions").json()
    assert page["total"] == 2
    with django_assert_max_num_queries(7):
        assert member_api.get("/api/v1/contributions").json()["total"] == 2
    seed(shared, workspace_a, people["owner"], [firm], a, 30, status="received")
    seed(shared, workspace_a, people["owner"], [a], b, 3, kind="service")
    with django_assert_max_num_queries(9):
        page = member_api.get(f"{URL}/{shared.pk}/contributions", {"page_size": 100}).json()
    assert page["total"] == 35 and len(page["items"]) == 35
    with django_assert_max_num_queries(7):
        assert len(member_api.get("/api/v1/contributions", {"page_size": 100}).json()["items"]) == 35
    assert member_api.get(f"{URL}/{shared.pk}/contributions", {"kind": "service"}).json()["total"] == 3
    assert member_api.get(f"{URL}/{shared.pk}/contributions", {"status": "received"}).json()["total"] == 30
    assert member_api.get("/api/v1/contributions", {"direction": "given"}).json()["total"] == 3
    assert member_api.get("/api/v1/contributions", {"direction": "received"}).json()["total"] == 32
    assert b_api.get("/api/v1/contributions", {"direction": "given"}).json()["total"] == 1
    assert (
        member_api.get("/api/v1/contributions", {"alliance": shared.pk, "kind": "money", "status": "promised"}).json()[
            "total"
        ]
        == 2
    )
    assert member_api.get("/api/v1/contributions", {"since": "2026-01-03"}).json()["total"] == 30
    assert member_api.get("/api/v1/contributions", {"until": "2026-01-03"}).json()["total"] == 5
    for params, message in [
        ({"kind": "troc"}, "kind : valeur inconnue « troc »"),
        ({"status": "perdu"}, "status : valeur inconnue « perdu »"),
        ({"direction": "ailleurs"}, "direction : valeur inconnue"),
        ({"page_size": 500}, "page_size : doit être compris entre 1 et 100."),
    ]:
        response = member_api.get("/api/v1/contributions", params)
        assert response.status_code == 422 and message in detail(response)


def test_viewer_reads_contributions_but_never_records_one(viewer_api, shared, ids):
    body = {
        "giver_party_id": ids["company"],
        "receiver_party_id": ids["a"],
        "kind": "money",
        "description": "Don",
        "value": 100,
    }
    response = create(viewer_api, shared, body)
    assert response.status_code == 403 and not Contribution.objects.exists()
    assert viewer_api.get(f"{URL}/{shared.pk}/contributions").status_code == 200
    assert viewer_api.get("/api/v1/contributions").status_code == 200
