"""The diagnostic of the economic model: inputs, hand-computed shares and indices, alerts, comparison, pages, API."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from maillage.alliances.actions import create_alliance
from maillage.contributions.actions import record_contribution
from maillage.diagnostic.actions import save_resource_year
from maillage.diagnostic.analysis import diagnose, hhi
from maillage.diagnostic.models import ResourceYear
from maillage.organizations.actions import create_organization
from maillage.workspaces.models import Workspace
from tests.conftest import api_client_for, client_for, page_text

pytestmark = pytest.mark.django_db

RESOURCES_2025 = {
    "public_subsidies": "60000",
    "public_contracts": "10000",
    "sales": "20000",
    "fees": "2000",
    "gifts": "8000",
}
FUNDERS_2025 = [("Métropole de Lyon", "public_subsidies", "55000"), ("Fondation Confluence", "gifts", "5000")]


def enter_2025(workspace, **extra):
    return save_resource_year(
        workspace=workspace,
        user=None,
        year=2025,
        resources=RESOURCES_2025,
        human={"employees_fte": "3.5", "volunteers": "40", "volunteer_hours": "2000"},
        funders=FUNDERS_2025,
        **extra,
    )


def test_inputs_are_checked_in_french(workspace_a):
    with pytest.raises(ValidationError) as exc:
        save_resource_year(
            workspace=workspace_a,
            user=None,
            year=1850,
            resources={"public_subsidies": "-5", "sales": "douze", "grants": "3"},
            human={"volunteers": "2.5"},
            funders=[("Ville", "public_subsidies", "10"), ("", "sales", "4")],
        )
    errors = exc.value.message_dict
    assert "Année hors de la plage admise" in errors["year"][0]
    assert "ne peut pas être négatif" in errors["public_subsidies"][0]
    assert "« douze » n'est pas un nombre" in errors["sales"][0]
    assert "grants" in errors["resources"][0]
    assert "nombre entier" in errors["volunteers"][0]
    messages = " ".join(errors["funders"])
    assert "Financeur n° 2 : indiquez son nom" in messages
    assert "totalisent 10,00 €, plus que le montant de cette source (-5,00 €)" in messages
    assert not ResourceYear.objects.exists()


def test_shares_indices_and_single_funder_alert_by_hand(workspace_a):
    enter_2025(workspace_a)
    d = diagnose(workspace_a, 2025)
    assert d.total == Decimal("100000.00")
    assert [s["share"] for s in d.shares] == [Decimal(x) for x in ("60.0", "10.0", "20.0", "2.0", "8.0", "0.0")]
    assert (d.public_share, d.private_share) == (Decimal("70.0"), Decimal("30.0"))
    assert d.largest_funder.name == "Métropole de Lyon" and d.largest_funder_share == Decimal("55.0")
    assert d.funders_hhi == 55**2 + 5**2 == 3050
    assert d.sources_hhi == 60**2 + 10**2 + 20**2 + 2**2 + 8**2 == 4168
    titles = [a.title for a in d.alerts]
    assert "Un seul financeur porte plus de la moitié du budget" in titles
    # no alliance in Maillage, but the Métropole is a public funder: a public funder is an ally too
    assert "Pilier manquant : alliances stratégiques" not in titles
    assert "Forte dépendance à l'argent public" in titles  # 70 % public, sector mean 44 %
    assert "Pilier manquant : richesses humaines" not in titles
    assert hhi([100]) == 10000 and hhi([]) == 0


def test_alliances_feed_the_pillars_and_an_ending_alliance_is_flagged(workspace_a, people):
    enter_2025(workspace_a)
    company = create_organization(data={"kind": "company", "name": "Banque Solidaire"})
    ends = timezone.localdate() + timedelta(days=60)
    alliance = create_alliance(
        workspace=workspace_a,
        user=people["owner"],
        name="Mécénat Banque Solidaire",
        forms=["mecenat_financier"],
        partners=[(company, "funder", "")],
        ends_on=ends,
    )
    own, bank = alliance.parties.get(workspace=workspace_a), alliance.parties.get(organization=company)
    record_contribution(
        alliance=alliance,
        workspace=workspace_a,
        user=None,
        giver=bank,
        receiver=own,
        kind="money",
        description="Don",
        value="12000",
        status="received",
        received_on=date(2025, 3, 1),
    )
    record_contribution(
        alliance=alliance,
        workspace=workspace_a,
        user=None,
        giver=bank,
        receiver=own,
        kind="volunteering",
        description="Bénévolat",
        hours="30",
        hourly_rate="12",
        status="received",
        received_on=date(2025, 5, 1),
    )
    d = diagnose(workspace_a, 2025)
    assert d.alliances.money == Decimal("12000.00") and d.alliances.volunteering_hours == Decimal("30.00")
    assert d.alliances_financial_share == Decimal("12.0")
    assert [row["alliance"].name for row in d.ending] == ["Mécénat Banque Solidaire"]
    alert = next(a for a in d.alerts if a.title.startswith("Une alliance importante se termine"))
    assert "12\u202f000,00 € en 2025, soit 12,0 %" in alert.text and "renouvellement" in alert.todo
    assert all(p["present"] for p in d.pillars)


def test_missing_human_pillar(workspace_a):
    save_resource_year(workspace=workspace_a, user=None, year=2024, resources={"sales": "5000"})
    d = diagnose(workspace_a, 2024)
    assert "Pilier manquant : richesses humaines" in [a.title for a in d.alerts]


def test_peer_comparison_needs_five_consenting_associations(workspace_a, org_a):
    enter_2025(workspace_a)
    peers = []
    for i in range(5):
        org = create_organization(
            data={"kind": "association", "name": f"Asso voisine {i}", "rna": f"W69200000{i}", "commune": "69266"}
        )
        ws = Workspace.objects.create(
            name=f"Voisine {i}", organization=org, contributes_to_observatory=i < 4, verified_at=timezone.now()
        )
        save_resource_year(
            workspace=ws, user=None, year=2025, resources={"public_subsidies": "50000", "sales": "50000"}
        )
        peers.append(ws)
    groups = diagnose(workspace_a, 2025).comparison["groups"]
    assert groups["departement"] == {"count": 4, "shown": False}  # the fifth did not consent
    # An unverified workspace never feeds the comparisons, even when it says it consents (decision 0008).
    Workspace.objects.filter(pk=peers[4].pk).update(contributes_to_observatory=True, verified_at=None)
    assert diagnose(workspace_a, 2025).comparison["groups"]["departement"] == {"count": 4, "shown": False}
    Workspace.objects.filter(pk=peers[4].pk).update(verified_at=timezone.now())
    groups = diagnose(workspace_a, 2025).comparison["groups"]
    assert groups["departement"]["shown"] and groups["departement"]["shares"]["public_subsidies"] == Decimal("50.0")


def test_pages(workspace_a, people):
    member, viewer = client_for(people["member"]), client_for(people["viewer"])
    empty = member.get(reverse("web:diagnostic"))
    assert empty.status_code == 200 and "Aucune année saisie" in page_text(empty)
    url = reverse("web:diagnostic_year", args=[2025])
    form = {
        **RESOURCES_2025,
        "employees_fte": "3,5",
        "volunteers": "40",
        "funder_name_0": "Métropole de Lyon",
        "funder_source_0": "public_subsidies",
        "funder_amount_0": "55 000",
    }
    assert viewer.post(url, form).status_code == 403
    bad = member.post(url, {**form, "sales": "-1"})
    assert bad.status_code == 400 and "ne peut pas être négatif" in page_text(bad)
    ok = member.post(url, form)
    assert ok.status_code == 302 and ok["Location"] == reverse("web:diagnostic") + "?annee=2025"
    page = page_text(viewer.get(ok["Location"]))
    assert "Métropole de Lyon : 55,0 % du budget" in page
    assert "Un seul financeur porte plus de la moitié du budget" in page
    assert "Tchernonog et L. Prouteau" in page  # national figures, cited
    assert viewer.get(reverse("web:diagnostic_year", args=[1800])).status_code == 404
    # Another workspace sees its own (empty) diagnostic, never A's figures.
    other = page_text(client_for(people["other_workspace"]).get(reverse("web:diagnostic")))
    assert "Métropole de Lyon" not in other


def test_api(workspace_a, people):
    client = api_client_for(people["member"], workspace_a)
    body = {
        "resources": RESOURCES_2025,
        "human": {"volunteers": 3},
        "funders": [{"name": "Métropole de Lyon", "source": "public_subsidies", "amount": "55000"}],
    }
    saved = client.put("/api/v1/diagnostic/years/2025", body, content_type="application/json")
    assert saved.status_code == 200 and saved.json()["total"] == "100000.00"
    bad = client.put("/api/v1/diagnostic/years/2025", {"resources": {"sales": "-3"}}, content_type="application/json")
    assert bad.status_code == 422 and "négatif" in bad.json()["detail"]
    d = client.get("/api/v1/diagnostic?year=2025").json()
    assert d["largest_funder_share"] == "55.0" and d["funders_hhi"] == 3025
    outsider = api_client_for(people["other_workspace"], people["other_workspace"].memberships.first().workspace)
    assert outsider.get("/api/v1/diagnostic/years/2025").status_code == 404
    assert (
        api_client_for(people["viewer"], workspace_a)
        .put("/api/v1/diagnostic/years/2025", body, content_type="application/json")
        .status_code
        == 403
    )


@pytest.mark.parametrize("years", [1, 5])
def test_page_costs_a_fixed_number_of_queries(years, workspace_a, people, django_assert_max_num_queries):
    for year in range(2020, 2020 + years):
        save_resource_year(workspace=workspace_a, user=None, year=year, resources=RESOURCES_2025, funders=FUNDERS_2025)
    client = client_for(people["viewer"])
    with django_assert_max_num_queries(14):
        assert client.get(reverse("web:diagnostic")).status_code == 200
