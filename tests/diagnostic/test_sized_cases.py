"""Issue 25: the diagnostic advises a 6 k€ club and a 5 M€ association, each with the alerts its figures call for.

Driven through the API (figures entered as an association would) and the page; the expected figures are computed
by hand in the comments.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from maillage.alliances.actions import create_alliance
from maillage.contributions.actions import record_contribution
from maillage.diagnostic.analysis import diagnose
from maillage.organizations.models import Organization
from tests.conftest import api_client_for, client_for, make_user, page_text

pytestmark = pytest.mark.django_db


def owner(workspace):
    from maillage.core.roles import Role
    from maillage.workspaces.models import Membership

    user = make_user(f"owner{workspace.pk}@a.test")
    Membership.objects.create(workspace=workspace, user=user, role=Role.OWNER)
    return user


def put_year(workspace, user, year, body):
    response = api_client_for(user, workspace).put(
        f"/api/v1/diagnostic/years/{year}", body, content_type="application/json"
    )
    return response


def test_a_6k_club_gets_its_volunteering_valued_and_advice_for_its_size(workspace_a):
    user = owner(workspace_a)
    commune = Organization.objects.get(territory_key="commune:69266")
    response = put_year(
        workspace_a,
        user,
        2025,
        {
            "resources": {"fees": "4500", "public_subsidies": "1500"},
            "human": {"volunteers": "30", "volunteer_hours": "900"},
            "funders": [{"name": commune.name, "source": "public_subsidies", "amount": "1500"}],
            "accounts": {"expenses": "5800", "cash": "2900", "reserves": "3500"},
        },
    )
    assert response.status_code == 200, response.content
    assert response.json()["funders"][0]["organization_id"] == commune.pk  # linked to the directory by its name
    d = diagnose(workspace_a, 2025)
    assert d.size == "small" and d.total == Decimal("6000.00")
    # 900 h × 11,88 € (SMIC horaire brut 2025) = 10 692 €, i.e. 178,2 % of the 6 000 € of resources
    assert d.volunteering_value == Decimal("10692") and d.volunteering_share == Decimal("178.2")
    assert d.result == Decimal("200.00") and d.months_of_cash == Decimal("6.0")  # 2 900 × 12 ÷ 5 800
    titles = [a.title for a in d.alerts]
    assert titles == []  # no pillar missing: its commune is a public funder, hence an ally; nothing alarming
    text = " ".join(d.readings)
    assert "Votre bénévolat vaut 10\u202f692 €" in text and "comptes 86 et 87" in text
    assert "un petit budget" in text
    api = api_client_for(user, workspace_a).get("/api/v1/diagnostic", {"year": 2025}).json()
    assert api["public_funders"] == [commune.name] and api["pillars"]["alliances"] is True


def test_a_fees_only_club_reads_an_interpretation_not_a_bare_index(workspace_a):
    user = owner(workspace_a)
    assert put_year(workspace_a, user, 2025, {"resources": {"fees": "3000"}}).status_code == 200
    d = diagnose(workspace_a, 2025)
    assert d.sources_hhi == 10000 and d.sources_reading == "concentré"
    reading = next(r for r in d.readings if r.startswith("Concentration de vos sources"))
    assert "normal et stable tant que les adhérents restent" in reading
    advice = next(a for a in d.alerts if a.title == "Pilier manquant : alliances stratégiques")
    assert "mairie" in advice.todo  # the advice of a small club, not « ouvrez une alliance » as for a large one


def test_a_5m_association_dependent_on_public_money_gets_the_alerts(workspace_a):
    user = owner(workspace_a)
    departement = Organization.objects.get(territory_key="departement:69")
    region = Organization.objects.get(territory_key="region:84")
    metropole = Organization.objects.get(territory_key="epci:200046977")
    commune = Organization.objects.get(territory_key="commune:69266")
    funders = [
        {
            "name": departement.name,
            "source": "public_subsidies",
            "amount": "1500000",
            "organization_id": departement.pk,
        },
        {"name": region.name, "source": "public_contracts", "amount": "1400000", "organization_id": region.pk},
        {"name": metropole.name, "source": "public_subsidies", "amount": "800000", "organization_id": metropole.pk},
        {"name": commune.name, "source": "public_subsidies", "amount": "300000", "organization_id": commune.pk},
    ]
    response = put_year(
        workspace_a,
        user,
        2025,
        {
            "resources": {
                "public_subsidies": "2600000",
                "public_contracts": "1500000",
                "sales": "700000",
                "gifts": "200000",
            },
            "human": {"employees_fte": "80", "volunteers": "120", "volunteer_hours": "6000"},
            "funders": funders,
            "accounts": {"expenses": "5150000", "reserves": "300000", "cash": "400000"},
            "closes_on": "2025-06-30",
        },
    )
    assert response.status_code == 200, response.content
    d = diagnose(workspace_a, 2025)
    assert d.size == "large" and d.public_share == Decimal("82.0")  # 4,1 M€ of 5 M€
    assert d.period == (date(2024, 7, 1), date(2025, 6, 30))
    assert d.result == Decimal("-150000.00")
    assert d.months_of_cash == Decimal("0.9")  # 400 000 × 12 ÷ 5 150 000 = 0,93
    by_title = {a.title: a for a in d.alerts}
    assert by_title["Forte dépendance à l'argent public"].level == "danger"
    assert "82,0 % de vos ressources 2025 sont publiques" in by_title["Forte dépendance à l'argent public"].text
    assert departement.name in by_title["Forte dépendance à l'argent public"].text
    assert "Exercice 2025 en déficit" in by_title
    assert by_title["Trésorerie courte"].level == "danger"
    assert "Plus de la moitié du budget vient de marchés publics" not in by_title  # 30 %: below the 50 % line
    assert "Pilier manquant : alliances stratégiques" not in by_title  # four public funders are allies
    assert "Un seul financeur porte plus de la moitié du budget" not in by_title  # 30 % at most
    text = page_text(client_for(user).get(reverse("web:diagnostic") + "?annee=2025"))
    assert "Forte dépendance à l'argent public" in text and "Trésorerie courte" in text


def test_contradictions_are_refused_or_flagged_never_133_percent(workspace_a):
    user = owner(workspace_a)
    bad = put_year(
        workspace_a,
        user,
        2025,
        {
            "resources": {"gifts": "600"},
            "human": {"volunteer_hours": "100", "employees_fte": "2"},
            "accounts": {"expenses": "0"},
            "closes_on": "2024-12-31",
        },
    )
    assert bad.status_code == 422
    body = json.dumps(bad.json(), ensure_ascii=False)
    assert "pour 0 bénévole" in body and "doit se clore en 2025" in body and "0 € de charges" in body
    assert put_year(workspace_a, user, 2025, {"resources": {"gifts": "600"}}).status_code == 200
    company = Organization.objects.create(kind="company", name="Mécène", name_search="mecene")
    alliance = create_alliance(
        workspace=workspace_a, user=user, name="Don", forms=["mecenat_financier"], partners=[(company, "funder", "")]
    )
    own, giver = alliance.parties.get(workspace=workspace_a), alliance.parties.get(organization=company)
    record_contribution(
        alliance=alliance, workspace=workspace_a, user=None, giver=giver, receiver=own, kind="money",
        description="Don", value="8000", status="received", received_on=date(2025, 5, 1),
    )  # fmt: skip
    d = diagnose(workspace_a, 2025)
    assert d.alliances_financial_share is None  # 8 000 € against 600 € declared: not « 1 333,3 % »
    assert any("dépassent les dons et autres ressources déclarés (600 €)" in c for c in d.checks)
    text = page_text(client_for(user).get(reverse("web:diagnostic") + "?annee=2025"))
    assert "Chiffres à vérifier" in text and "133,3" not in text and "333,3" not in text


def test_the_year_page_takes_the_accounts_and_the_fiscal_year(workspace_a):
    user = owner(workspace_a)
    client = client_for(user)
    url = reverse("web:diagnostic_year", args=[2025])
    form = {"fees": "9000", "expenses": "8 000", "cash": "1000", "reserves": "-500", "closes_on": "2025-08-31"}
    assert client.post(url, form).status_code == 302
    record = diagnose(workspace_a, 2025)
    assert record.period == (date(2024, 9, 1), date(2025, 8, 31)) and record.reserves == Decimal("-500.00")
    assert record.result == Decimal("1000.00") and record.months_of_cash == Decimal("1.5")
    refused = client.post(url, {**form, "closes_on": "2024-08-31"})
    assert refused.status_code == 400 and "doit se clore en 2025" in page_text(refused)
    assert 'value="2025-08-31"' in client.get(url).content.decode()  # the entry page shows the closing date
