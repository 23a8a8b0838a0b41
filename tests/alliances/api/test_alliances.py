"""Alliances through the API: list, filters, retrieve, create, update, lifecycle."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from maillage.alliances.actions import create_alliance
from maillage.alliances.models import Alliance, StageChange
from maillage.organizations.actions import create_organization
from tests.alliances.api.conftest import detail, party, patch, post

pytestmark = pytest.mark.django_db

URL = "/api/v1/alliances"


def test_list_shows_my_alliances_with_their_parties(member_api, alliance):
    page = member_api.get(URL).json()
    assert page["total"] == 1 and page["page"] == 1 and page["has_next"] is False
    item = page["items"][0]
    assert item["name"] == "Jardins partagés de Vaise" and item["stage"] == "identified"
    assert item["stage_label"] == "Identifiée"
    assert item["forms"] == ["mecenat_financier", "innovation_sociale"]
    assert item["territory"] == {
        "level": "commune",
        "code": "69123",
        "name": "Lyon",
        "departement": "69",
        "region": "84",
    }
    assert [(p["organization_name"], p["role"], p["shared"]) for p in item["parties"]] == [
        ("Les Jardins de l'Essai", "lead", True),
        ("Amicale des Bords de Saône", "partner", False),
        ("Boulangerie Dupain", "funder", False),
    ]
    assert item["is_cold"] is False


def make_alliances(workspace, user, partner, n, **extra):
    for i in range(n):
        create_alliance(
            workspace=workspace,
            user=user,
            name=f"Alliance {i}",
            forms=["mecenat_nature"],
            partners=[(partner, "partner", "")],
            **extra,
        )


def test_filters(member_api, alliance, people, workspace_a, org_b):
    make_alliances(workspace_a, people["owner"], org_b, 2, territory_level="departement", territory_code="13")
    assert member_api.get(URL, {"form": "mecenat_nature"}).json()["total"] == 2
    assert member_api.get(URL, {"form": "innovation_sociale"}).json()["total"] == 1
    assert member_api.get(URL, {"partner_kind": "company"}).json()["total"] == 1
    assert member_api.get(URL, {"partner_kind": "association"}).json()["total"] == 3
    assert member_api.get(URL, {"departement": "13"}).json()["total"] == 2
    assert member_api.get(URL, {"region": "84"}).json()["total"] == 1
    assert member_api.get(URL, {"q": "vaise"}).json()["total"] == 1
    assert member_api.get(URL, {"stage": "active"}).json()["total"] == 0
    page = member_api.get(URL, {"page_size": 2}).json()
    assert len(page["items"]) == 2 and page["has_next"] is True and page["total"] == 3
    assert len(member_api.get(URL, {"page_size": 2, "page": 2}).json()["items"]) == 1


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"stage": "nulle_part"}, "stage : valeur inconnue « nulle_part »"),
        ({"form": "troc"}, "form : valeur inconnue « troc »"),
        ({"partner_kind": "martien"}, "partner_kind : valeur inconnue"),
        ({"page_size": 101}, "page_size : doit être compris entre 1 et 100."),
        ({"page": 0}, "page : doit être compris entre 1 et 10 000."),
    ],
)
def test_bad_filters_are_422_in_french(member_api, params, message):
    response = member_api.get(URL, params)
    assert response.status_code == 422 and message in detail(response)


def test_list_costs_a_fixed_number_of_queries(
    member_api, people, workspace_a, org_b, company, django_assert_max_num_queries
):
    make_alliances(workspace_a, people["owner"], org_b, 2)
    with django_assert_max_num_queries(7):
        assert len(member_api.get(URL, {"page_size": 100}).json()["items"]) == 2
    make_alliances(workspace_a, people["owner"], company, 30)
    with django_assert_max_num_queries(7):
        assert len(member_api.get(URL, {"page_size": 100, "form": "mecenat_nature"}).json()["items"]) == 32


def test_retrieve(member_api, alliance, org_a):
    body = member_api.get(f"{URL}/{alliance.pk}").json()
    assert body["purpose"] == "Des jardins au pied des immeubles"
    assert body["allowed_next_stages"] == [
        {"code": "first_contact", "label": "Premier contact"},
        {"code": "abandoned", "label": "Abandonnée"},
    ]
    assert body["my_party_id"] == party(alliance, org_a).pk
    assert body["form_labels"] == ["Mécénat financier", "Innovation sociale"]


def test_create(member_api, org_b, company):
    payload = {
        "name": "Repair café",
        "forms": ["cooperation_economique", "mecenat_competences"],
        "own_role": "operator",
        "partners": [
            {"organization_id": org_b.pk, "role": "partner", "commitment": "Prêter la salle"},
            {"organization_id": company.pk, "role": "funder"},
        ],
        "territory_level": "departement",
        "territory_code": "69",
        "starts_on": "2026-01-01",
        "ends_on": "2026-12-31",
    }
    response = post(member_api, URL, payload)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["stage"] == "identified" and len(body["parties"]) == 3
    assert body["forms"] == ["mecenat_competences", "cooperation_economique"]
    assert body["territory"]["name"] == "Rhône" and body["territory"]["region"] == "84"
    assert body["parties"][0]["role"] == "operator" and body["parties"][0]["shared"] is True
    assert StageChange.objects.filter(alliance_id=body["id"], to_stage="identified").count() == 1


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"starts_on": "2026-06-01", "ends_on": "2026-01-01"}, "ends_on", "La date de fin précède la date de début"),
        ({"partners": []}, "parties", "Une alliance réunit au moins deux organisations"),
        ({"forms": []}, "forms", "Choisissez au moins une forme d'alliance."),
        (
            {"territory_level": "commune", "territory_code": "00000"},
            "territory_code",
            "Aucun territoire de type « commune »",
        ),
        ({"name": "  "}, "name", "Donnez un nom à l'alliance."),
        ({"starts_on": "1900-01-01"}, "starts_on", "Date hors de la plage admise"),
    ],
)
def test_create_refusals_in_french(member_api, org_b, change, field, message):
    payload = {"name": "Refusée", "forms": ["mecenat_financier"], "partners": [{"organization_id": org_b.pk}], **change}
    response = post(member_api, URL, payload)
    assert response.status_code == 422
    assert any(e["field"] == field and message in e["message"] for e in response.json()["errors"]), response.json()
    assert not Alliance.objects.exists()


def test_create_with_an_unknown_organisation_or_twice_the_same(member_api, org_b):
    response = post(
        member_api, URL, {"name": "X", "forms": ["mecenat_financier"], "partners": [{"organization_id": 987654}]}
    )
    assert response.status_code == 422 and "introuvable(s) dans l'annuaire : n° 987654" in detail(response)
    twice = [{"organization_id": org_b.pk}, {"organization_id": org_b.pk}]
    response = post(member_api, URL, {"name": "X", "forms": ["mecenat_financier"], "partners": twice})
    assert response.status_code == 422 and "Une même organisation ne peut être partie deux fois." in detail(response)


def test_schema_errors_are_in_french(member_api):
    response = post(member_api, URL, {"name": "X", "forms": ["troc"], "partners": [{"organization_id": 0}]})
    assert response.status_code == 422
    assert "forms.0 : valeur non autorisée" in detail(response)
    assert "partners.0.organization_id : doit être supérieur ou égal à 1" in detail(response)


def test_update(member_api, alliance):
    response = patch(member_api, f"{URL}/{alliance.pk}", {"name": "Jardins de Vaise", "forms": ["mecenat_nature"]})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["name"] == "Jardins de Vaise" and body["forms"] == ["mecenat_nature"]
    assert body["purpose"] == "Des jardins au pied des immeubles"  # untouched: not sent
    response = patch(
        member_api,
        f"{URL}/{alliance.pk}",
        {"territory_level": "region", "territory_code": "93", "starts_on": "2025-09-01"},
    )
    assert response.json()["territory"]["name"] == "Provence-Alpes-Côte d'Azur"
    assert response.json()["starts_on"] == "2025-09-01"


def test_update_refuses_dates_out_of_order_and_saves_nothing(member_api, alliance):
    response = patch(
        member_api, f"{URL}/{alliance.pk}", {"name": "Nouveau nom", "starts_on": "2026-05-01", "ends_on": "2026-04-01"}
    )
    assert response.status_code == 422
    assert "ends_on : La date de fin précède la date de début" in detail(response)
    alliance.refresh_from_db()
    assert alliance.name == "Jardins partagés de Vaise" and alliance.starts_on is None


def test_transitions_and_their_log(member_api, alliance):
    url = f"{URL}/{alliance.pk}/transitions"
    response = post(member_api, url, {"to_stage": "first_contact", "reason": "Rencontre au forum"})
    assert response.status_code == 201, response.content
    assert response.json()["from_stage"] == "identified" and response.json()["to_stage"] == "first_contact"
    assert response.json()["by_organization"] == "Les Jardins de l'Essai"
    log = member_api.get(url).json()
    assert [(c["from_stage"], c["to_stage"]) for c in log] == [("", "identified"), ("identified", "first_contact")]
    assert log[1]["reason"] == "Rencontre au forum" and log[1]["by"] == "Member"
    assert member_api.get(f"{URL}/{alliance.pk}").json()["stage"] == "first_contact"


def test_a_transition_answers_the_move_it_made_even_when_an_older_one_is_dated_later(member_api, alliance):
    # An entry of the log dated in the future (restored from an archive, a clock set wrong): the answer is still the
    # move just made, not the latest-dated entry (issue 20, a None/wrong-row bug mypy pointed at).
    StageChange.objects.filter(alliance=alliance).update(at=timezone.now() + timedelta(days=30))
    response = post(member_api, f"{URL}/{alliance.pk}/transitions", {"to_stage": "first_contact", "reason": "Forum"})
    assert response.status_code == 201, response.content
    answer = response.json()
    assert (answer["from_stage"], answer["to_stage"], answer["reason"]) == ("identified", "first_contact", "Forum")
    assert answer["id"] == StageChange.objects.get(alliance=alliance, to_stage="first_contact").pk


def test_forbidden_transition_says_which_are_possible(member_api, alliance):
    response = post(member_api, f"{URL}/{alliance.pk}/transitions", {"to_stage": "active"})
    assert response.status_code == 422
    assert detail(response) == (
        "to_stage : Passage interdit de « Identifiée » à « Active ». Étapes possibles : premier contact, abandonnée."
    )
    response = post(member_api, f"{URL}/{alliance.pk}/transitions", {"to_stage": "abandoned"})
    assert response.status_code == 422 and "Indiquez pourquoi l'alliance est abandonnée." in detail(response)
    response = post(member_api, f"{URL}/{alliance.pk}/transitions", {"to_stage": "nulle_part"})
    assert response.status_code == 422 and "Étape inconnue « nulle_part »." in detail(response)
    assert StageChange.objects.filter(alliance=alliance).count() == 1


def test_viewer_reads_but_never_writes(viewer_api, alliance, org_b):
    assert viewer_api.get(URL).status_code == 200
    assert viewer_api.get(f"{URL}/{alliance.pk}").status_code == 200
    writes = [
        post(
            viewer_api, URL, {"name": "X", "forms": ["mecenat_financier"], "partners": [{"organization_id": org_b.pk}]}
        ),
        patch(viewer_api, f"{URL}/{alliance.pk}", {"name": "X"}),
        post(viewer_api, f"{URL}/{alliance.pk}/transitions", {"to_stage": "first_contact"}),
    ]
    for response in writes:
        assert response.status_code == 403
        assert detail(response) == "Votre rôle dans cet espace ne permet pas cette action (lecture seule)."
    assert Alliance.objects.count() == 1 and Alliance.objects.get().stage == "identified"


def test_other_workspaces_alliances_are_404_and_absent_from_lists(b_api, alliance):
    assert b_api.get(URL).json()["total"] == 0
    response = b_api.get(f"{URL}/{alliance.pk}")
    assert response.status_code == 404 and detail(response) == "Objet introuvable."
    assert patch(b_api, f"{URL}/{alliance.pk}", {"name": "Volée"}).status_code == 404
    assert b_api.get(f"{URL}/99999999999").status_code == 404


def test_shared_alliance_is_seen_by_both(b_api, shared):
    assert b_api.get(URL).json()["total"] == 1
    assert b_api.get(f"{URL}/{shared.pk}").json()["parties"][1]["shared"] is True


def test_partner_kind_filter_skips_my_own_organisation(member_api, people, workspace_a):
    other = create_organization(data={"kind": "association", "name": "Voisins solidaires", "commune": "69123"})
    make_alliances(workspace_a, people["owner"], other, 1)
    assert member_api.get(URL, {"partner_kind": "company"}).json()["total"] == 0


def test_relationships_going_cold(member_api, alliance, people, workspace_a, org_b):
    from datetime import timedelta

    from django.utils import timezone

    make_alliances(workspace_a, people["owner"], org_b, 1)
    Alliance.objects.filter(pk=alliance.pk).update(created_at=timezone.now() - timedelta(days=90))
    assert member_api.get(f"{URL}/{alliance.pk}").json()["is_cold"] is True
    cold = member_api.get(URL, {"cold": "true"}).json()
    assert [(a["id"], a["is_cold"]) for a in cold["items"]] == [(alliance.pk, True)]
    assert [a["is_cold"] for a in member_api.get(URL).json()["items"]] == [False, True]
