"""Pages: publish, search and filter, suggestions with their method, start an alliance, alerts; fixed query counts."""

from __future__ import annotations

import pytest
from django.utils import timezone

from maillage.alliances.models import Alliance
from maillage.matching.models import AllianceOrigin, Need, Status
from tests.conftest import client_for, page_text
from tests.matching.conftest import publish

pytestmark = pytest.mark.django_db


def test_an_association_publishes_a_need_and_a_company_starts_an_alliance_from_it(land):
    ws_a, user_a = land["ws"][land["assoc"]]
    assoc = client_for(user_a)
    response = assoc.post(
        "/rapprochement/besoins/nouveau/",
        {
            "title": "Aide à la comptabilité annuelle",
            "kind": "skills",
            "skill_domain": "comptabilite",
            "hours": "20",
            "causes": ["environnement"],
            "territory_level": "commune",
            "description": "Clôture des comptes et bilan.",
            "publish": "on",
        },
    )
    assert response.status_code == 302, page_text(response)[:2000]
    need = Need.objects.get(workspace=ws_a)
    assert need.status == Status.PUBLISHED and need.territory_name == "Villeurbanne"

    ws_c, user_c = land["ws"][land["near"]]
    company = client_for(user_c)
    body = page_text(company.get("/rapprochement/"))
    assert "Aide à la comptabilité annuelle" in body
    assert "Comment le score est calculé" in body and "Même intercommunalité" in body
    response = company.post(
        "/rapprochement/demarrer/", {"target": land["assoc"].pk, "item_type": "need", "item_id": need.pk}
    )
    assert response.status_code == 302
    alliance = Alliance.objects.get()
    assert alliance.stage == "first_contact"
    assert {p.organization_id for p in alliance.parties.all()} == {land["assoc"].pk, land["near"].pk}
    origin = AllianceOrigin.objects.get(alliance=alliance)
    assert origin.need == need and origin.workspace == ws_c and origin.score > 0 and origin.reasons
    assert alliance.forms == ["mecenat_competences"]
    # A second click does not start a second alliance.
    company.post("/rapprochement/demarrer/", {"target": land["assoc"].pk, "item_type": "need", "item_id": need.pk})
    assert Alliance.objects.count() == 1
    assert "Une alliance avec" in page_text(company.get("/rapprochement/"))
    assert "Aide à la comptabilité annuelle" in page_text(company.get("/rapprochement/alliances-nees/"))


def test_form_errors_are_in_french_on_the_fields(land):
    ws_a, user_a = land["ws"][land["assoc"]]
    client = client_for(user_a)
    response = client.post(
        "/rapprochement/besoins/nouveau/",
        {"title": "X", "kind": "skills", "causes": ["environnement"], "territory_level": "epci", "territory_code": "1"},
    )
    assert response.status_code == 400
    body = page_text(response)
    assert "choisissez le domaine" in body
    assert "Aucun territoire de type « intercommunalité » n'a le code « 1 »" in body
    # A company may not publish needs; an association may not publish offers.
    response = client.post(
        "/rapprochement/offres/nouveau/",
        {"title": "X", "kind": "goods", "causes": ["environnement"], "territory_level": "commune"},
    )
    assert "Seules les entreprises et les fondations publient des offres." in page_text(response)


def test_bad_input_never_gives_a_500(land):
    ws_a, user_a = land["ws"][land["assoc"]]
    client = client_for(user_a)
    assert client.get("/rapprochement/inconnu/").status_code == 404
    assert (
        client.get("/rapprochement/offres/", {"page": "x", "cause": "nope", "departement": "9999"}).status_code == 200
    )
    assert client.post("/rapprochement/demarrer/", {"target": "abc"}).status_code == 404
    assert client.post("/rapprochement/demarrer/", {"target": "99999999"}).status_code == 404
    assert client.post("/rapprochement/demarrer/", {"target": land["near"].pk, "item_type": "x"}).status_code == 404
    assert client.post("/rapprochement/alertes/", {"frequency": "x", "min_score": "500"}).status_code == 400


def test_search_and_filters(land):
    ws_c, user_c = land["ws"][land["near"]]
    publish(ws_c, user_c, "offer", title="Mécénat de compétences juridiques", skill_domains=["juridique"])
    publish(ws_c, user_c, "offer", title="Prêt de salle", kind="goods", skill_domains=[], causes=["sport"])
    ws_a, user_a = land["ws"][land["assoc"]]
    client = client_for(user_a)
    assert "Prêt de salle" in page_text(client.get("/rapprochement/offres/", {"q": "salle"}))
    body = page_text(client.get("/rapprochement/offres/", {"q": "juridique"}))
    assert "juridiques" in body and "Prêt de salle" not in body
    body = page_text(client.get("/rapprochement/offres/", {"domain": "juridique"}))
    assert "juridiques" in body and "Prêt de salle" not in body
    body = page_text(client.get("/rapprochement/offres/", {"cause": "sport"}))
    assert "Prêt de salle" in body and "juridiques" not in body
    body = page_text(client.get("/rapprochement/offres/", {"kind": "goods", "departement": "69"}))
    assert "Prêt de salle" in body and "juridiques" not in body
    assert "Prêt de salle" not in page_text(client.get("/rapprochement/offres/", {"departement": "75"}))
    htmx = client.get("/rapprochement/offres/", {"q": "salle"}, headers={"HX-Request": "true"})
    assert "<html" not in htmx.content.decode() and "Prêt de salle" in page_text(htmx)


def test_another_workspace_sees_published_items_only(land):
    ws_a, user_a = land["ws"][land["assoc"]]
    published = publish(ws_a, user_a, "need", title="Publié")
    draft = publish(ws_a, user_a, "need", title="Brouillon")
    draft.status = Status.DRAFT
    draft.save()
    ws_c, user_c = land["ws"][land["near"]]
    client = client_for(user_c)
    assert client.get(f"/rapprochement/besoins/{published.pk}/").status_code == 200
    assert client.get(f"/rapprochement/besoins/{draft.pk}/").status_code == 404
    assert client.get(f"/rapprochement/besoins/{published.pk}/modifier/").status_code == 404
    assert "Brouillon" not in page_text(client.get("/rapprochement/besoins/"))


def _fill(land, n: int):
    """``n`` more companies nearby, each in the directory with an offer (new partners and new items)."""
    from maillage.workspaces.models import Workspace
    from tests.matching.conftest import org

    for i in range(n):
        company = org(f"Entreprise {land['count'] + i}", "company", "69123", workforce_band="sme")
        workspace = Workspace.objects.create(name=company.name, organization=company, verified_at=timezone.now())
        publish(workspace, None, "offer", title=f"Offre {i}")
    land["count"] += n


@pytest.mark.parametrize("path", ["/rapprochement/", "/rapprochement/offres/", "/api/v1/matching/offers"])
def test_query_counts_do_not_grow_with_rows(land, django_assert_max_num_queries, path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.conftest import api_client_for

    ws_a, user_a = land["ws"][land["assoc"]]
    publish(ws_a, user_a, "need", title="Compta")
    client = api_client_for(user_a, ws_a) if path.startswith("/api/") else client_for(user_a)
    land["count"] = 0
    client.get(path)  # warm-up: the API token's last use is written once
    counts = []
    for n in (2, 15):
        _fill(land, n)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1], counts
    with django_assert_max_num_queries(40):
        client.get(path)


def test_alerts_subscription_page(land):
    ws_a, user_a = land["ws"][land["assoc"]]
    client = client_for(user_a)
    assert (
        client.post("/rapprochement/alertes/", {"active": "on", "frequency": "daily", "min_score": "40"}).status_code
        == 302
    )
    assert ws_a.matching_alert.frequency == "daily" and ws_a.matching_alert.min_score == 40


def test_a_viewer_reads_but_never_writes(land):
    from maillage.core.roles import Role
    from maillage.workspaces.models import Membership
    from tests.conftest import make_user

    ws_a, user_a = land["ws"][land["assoc"]]
    need = publish(ws_a, user_a, "need", title="Compta")
    viewer = make_user("lecteur@test.fr")
    Membership.objects.create(workspace=ws_a, user=viewer, role=Role.VIEWER)
    client = client_for(viewer)
    assert client.get("/rapprochement/").status_code == 200
    assert "Démarrer une alliance" not in page_text(client.get("/rapprochement/"))
    assert (
        client.post("/rapprochement/alertes/", {"active": "on", "frequency": "daily", "min_score": "1"}).status_code
        == 403
    )
    assert client.post(f"/rapprochement/besoins/{need.pk}/statut/", {"status": "closed"}).status_code == 403
    need.refresh_from_db()
    assert need.status == Status.PUBLISHED


def test_the_api_search_filters_and_checks_as_the_pages_do(land):
    """One search (``matching.queries.search_items``) for the pages and the API (issue 20): the same filters give
    the same items, the domain filter included, and an unknown kind or domain is dropped alike, never an error."""
    from tests.conftest import api_client_for

    ws_c, user_c = land["ws"][land["near"]]
    publish(ws_c, user_c, "offer", title="Mécénat de compétences juridiques", skill_domains=["juridique"])
    publish(ws_c, user_c, "offer", title="Prêt de salle", kind="goods", skill_domains=[], causes=["sport"])
    ws_a, user_a = land["ws"][land["assoc"]]
    client, api = client_for(user_a), api_client_for(user_a, ws_a)
    for web, params in [
        ({"domain": "juridique"}, {"domain": "juridique"}),
        ({"kind": "goods"}, {"item_kind": "goods"}),
        ({"domain": "astrologie"}, {"domain": "astrologie"}),  # unknown: dropped by both
        ({"kind": "nimporte"}, {"item_kind": "nimporte"}),
        ({"cause": "sport", "q": "salle"}, {"cause": "sport", "q": "salle"}),
    ]:
        body = page_text(client.get("/rapprochement/offres/", web))
        response = api.get("/api/v1/matching/offers", params)
        assert response.status_code == 200, (params, response.content)
        titles = {i["title"] for i in response.json()["items"]}
        on_page = {t for t in ("Mécénat de compétences juridiques", "Prêt de salle") if t in body}
        assert titles == on_page, (params, titles, on_page)
    titles = {i["title"] for i in api.get("/api/v1/matching/offers", {"domain": "juridique"}).json()["items"]}
    assert "Mécénat de compétences juridiques" in titles and "Prêt de salle" not in titles
