"""Reads of the alliances area: hand-computed dashboard figures, filters, going cold, fixed query counts."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from maillage.alliances import actions as alliance_actions
from maillage.alliances import queries
from maillage.alliances.models import Alliance, Party, WorkspaceSettings
from maillage.contributions import overview
from maillage.contributions.actions import SkillsInput, record_contribution
from maillage.contributions.models import Contribution
from maillage.core.spreadsheets import neutralise
from maillage.organizations.actions import create_organization
from tests.alliances.helpers import log, make_alliance, make_company, screen, share_with, walk_to
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

RECEIVED_ON = date(2026, 1, 5)


def give(alliance, workspace, user, giver_org, receiver_org, kind, value=None, status="received", **extra):
    parties = {p.organization_id: p for p in alliance.parties.all()}
    return record_contribution(
        alliance=alliance,
        workspace=workspace,
        user=user,
        giver=parties[giver_org.pk],
        receiver=parties[receiver_org.pk],
        kind=kind,
        description=f"{kind} {value}",
        value=value,
        status=status,
        received_on=RECEIVED_ON if status == "received" else None,
        **extra,
    )


@pytest.fixture
def figures(people, workspace_a, org_a, org_b):
    """Three alliances of A, with figures computed by hand in the tests below."""
    owner = people["owner"]
    company = make_company("Imprimerie Rhodanienne")
    foundation = create_organization(
        data={"kind": "foundation", "name": "Fondation du Confluent", "causes": ["culture"]}
    )
    a1 = make_alliance(
        workspace_a,
        owner,
        [org_b, company],
        name="Alliance un",
        forms=["mecenat_competences", "mecenat_financier"],
        territory_level="departement",
        territory_code="69",
    )
    a2 = make_alliance(workspace_a, owner, [company], name="Alliance deux", forms=["mecenat_financier"])
    a3 = make_alliance(workspace_a, owner, [foundation], name="Alliance trois", forms=["cooperation_economique"])
    own1 = a1.parties.get(workspace=workspace_a)
    own2 = a2.parties.get(workspace=workspace_a)
    b1 = a1.parties.get(organization=org_b)
    # A1: 60 min × 2 people + 30 min × 1 = 150 min for A (B's 3 people at the first meeting do not count for A).
    log(a1, workspace_a, owner, 60, attendance={own1.pk: 2, b1.pk: 3})
    log(a1, workspace_a, owner, 30)
    # A2: 50 min × 1.
    log(a2, workspace_a, owner, 50, attendance={own2.pk: 1})
    give(a1, workspace_a, owner, company, org_a, "money", "1000")
    give(a1, workspace_a, owner, org_b, org_a, "in_kind", "200")
    give(
        a1,
        workspace_a,
        owner,
        company,
        org_a,
        "skills",
        status="promised",
        skills_lines=[
            SkillsInput(
                employee_name="Alex", month=date(2026, 3, 1), hours=Decimal("15.167"), monthly_cost=Decimal("5000")
            )
        ],
    )  # 5 000 × 15.167 / 151.67 = 500.00, promised
    give(a1, workspace_a, owner, org_a, company, "service", "300")  # given by A: not a resource obtained
    give(a2, workspace_a, owner, company, org_a, "volunteering", hours="10", hourly_rate="12")  # 120.00
    return {"a1": a1, "a2": a2, "a3": a3, "company": company, "foundation": foundation}


def test_dashboard_figures_by_hand(workspace_a, figures):
    data = overview.dashboard(workspace_a)
    rows = {row.label: row for row in data.alliance_rows}
    assert set(rows) == {"Alliance un", "Alliance deux"}
    one, two = rows["Alliance un"], rows["Alliance deux"]
    assert (one.minutes, one.money, one.in_kind, one.skills, one.promised) == (150, 1000, 200, 0, 500)
    assert one.resources == Decimal("1200.00") and one.service == 0
    assert (two.minutes, two.volunteering, two.resources) == (50, Decimal("120.00"), Decimal("120.00"))
    kinds = {row.key: row for row in data.kind_rows}
    assert (kinds["association"].alliances, kinds["association"].minutes, kinds["association"].resources) == (
        1,
        150,
        200,
    )
    assert (kinds["company"].alliances, kinds["company"].minutes) == (2, 200)
    assert (kinds["company"].money, kinds["company"].volunteering, kinds["company"].promised) == (1000, 120, 500)
    assert (kinds["foundation"].alliances, kinds["foundation"].minutes, kinds["foundation"].resources) == (1, 0, 0)
    assert data.totals.minutes == 200 and data.totals.hours == Decimal("3.3")
    assert data.totals.resources == Decimal("1320.00") and data.totals.promised == Decimal("500.00")
    forms = {f["code"]: (f["count"], f["share"]) for f in data.forms}
    assert forms["mecenat_financier"] == (2, 67) and forms["mecenat_competences"] == (1, 33)
    assert forms["cooperation_economique"] == (1, 33) and forms["innovation_sociale"] == (0, 0)
    assert data.alliance_count == 3


def test_dashboard_page_and_exports(people, workspace_a, figures):
    client = client_for(people["viewer"])
    text = screen(client.get(reverse("web:dashboard")))
    assert "3,3 h" in text and "1 320,00 €" in text and "1 200,00 €" in text and "Entreprise" in text
    assert "<svg" in text and "Formes des alliances" in text
    # Formula injection: an alliance name starting with "=" is neutralised in CSV and XLSX.
    Alliance.objects.filter(pk=figures["a1"].pk).update(name='=HYPERLINK("http://evil.test","x")')
    response = client.get(reverse("web:dashboard_export", args=["alliances", "csv"]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="maillage-alliances-')
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Alliance", "Étape", "Heures investies"]
    assert rows[1][0] == '\'=HYPERLINK("http://evil.test","x")' and rows[1][2] == "2,5"
    response = client.get(reverse("web:dashboard_export", args=["alliances", "xlsx"]))
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet["A1"].value == "Alliance" and sheet["A2"].value.startswith("'=HYPERLINK")
    assert sheet["C2"].value == 2.5
    for table in ("types-partenaires", "formes", "refroidissement"):
        for fmt in ("csv", "xlsx"):
            assert client.get(reverse("web:dashboard_export", args=[table, fmt])).status_code == 200
    assert client.get("/tableau-de-bord/export/inconnu.csv").status_code == 404
    assert client.get("/tableau-de-bord/export/formes.pdf").status_code == 404


def test_neutralise():
    assert [neutralise(v) for v in ["=1+1", "+33 6", "-2", "@SUM(A1)", "\tx", "ok", 3, Decimal("-2.5")]] == [
        "'=1+1",
        "'+33 6",
        "'-2",
        "'@SUM(A1)",
        "'\tx",
        "ok",
        3,
        Decimal("-2.5"),
    ]


def test_filters(workspace_a, figures):
    def names(**kw):
        return sorted(a.name for a in queries.filtered_alliances(workspace_a, queries.AllianceFilters(**kw)))

    assert names(partner_kind="company") == ["Alliance deux", "Alliance un"]
    assert names(partner_kind="foundation") == ["Alliance trois"]
    assert names(partner_kind="association") == ["Alliance un"]  # A's own organisation is not a "partner"
    assert names(form="mecenat_financier") == ["Alliance deux", "Alliance un"]
    assert names(departement="69") == ["Alliance un"] and names(region="84") == ["Alliance un"]
    assert names(cause="culture") == ["Alliance trois"]
    assert names(q="trois") == ["Alliance trois"]
    params = queries.AllianceFilters.from_params({"form": "inconnue", "partner_kind": "company", "page": "x"})
    assert params == queries.AllianceFilters(partner_kind="company")


def test_every_party_and_gift_carries_its_organisations_kind(people, workspace_a, figures):
    """The partner-kind filter and the dashboard read the party's (and the gift's) copy of the organisation's kind."""
    alliance = Alliance.objects.get(name="Alliance deux")
    foundation = create_organization(data={"kind": "foundation", "name": "Fondation des Pentes"})
    alliance_actions.add_party(
        alliance=alliance, workspace=workspace_a, user=people["owner"], organization=foundation, role="funder"
    )
    kinds = {p.organization.kind: p.organization_kind for p in Party.objects.select_related("organization")}
    assert kinds and all(copy == kind for kind, copy in kinds.items())
    gifts = Contribution.objects.values_list("giver__organization__kind", "giver_kind")
    assert gifts and all(copy == kind for kind, copy in gifts)
    assert "foundation" in queries.AllianceFilters.from_params({"partner_kind": "foundation"}).partner_kind
    found = queries.filtered_alliances(workspace_a, queries.AllianceFilters(partner_kind="foundation"))
    assert sorted(a.name for a in found) == ["Alliance deux", "Alliance trois"]


def test_board_columns_counts_and_cold(people, workspace_a, figures):
    walk_to(figures["a2"], workspace_a, people["owner"], "first_contact")
    columns, days = queries.board(workspace_a, queries.AllianceFilters(), per_column=1)
    by_stage = {c.stage: c for c in columns}
    assert days == 60
    assert by_stage["identified"].count == 2 and len(by_stage["identified"].cards) == 1
    assert by_stage["identified"].more == 1 and by_stage["first_contact"].count == 1
    # The interactions are dated 15/01/2026; A3 has none and was created today: cold = A1 and A2 once 60 days passed.
    today = timezone.localdate()
    expected_cold = 2 if today - date(2026, 1, 15) > timedelta(days=60) else 0
    assert sum(c.cold for c in columns) == expected_cold
    WorkspaceSettings.objects.create(workspace=workspace_a, cold_after_days=1)
    cold = queries.filtered_alliances(workspace_a, queries.AllianceFilters(cold=True))
    assert sorted(a.name for a in cold) == ["Alliance deux", "Alliance un"]


def test_reads_are_scoped(people, workspace_a, workspace_b, figures):
    assert overview.dashboard(workspace_b).alliance_count == 0
    assert queries.filtered_alliances(workspace_b, queries.AllianceFilters()).count() == 0
    share_with(figures["a1"], workspace_a, people["owner"], workspace_b, people["other_workspace"])
    data = overview.dashboard(workspace_b)
    # B sees its own time (3 people at the 60-minute meeting) and nothing received.
    assert data.alliance_count == 1 and data.totals.minutes == 180 and data.totals.resources == 0


def test_timeline_in_date_order(people, workspace_a, figures):
    events, older = overview.timeline(figures["a1"], workspace_a)
    kinds = [e.kind for e in events]
    assert kinds.count("interaction") == 2 and kinds.count("contribution") == 4 and kinds.count("stage") == 1
    assert [e.on for e in events] == sorted(e.on for e in events)
    assert older is None


def read_every_page(alliance, workspace, limit: int) -> tuple[list, list]:
    """Every event, reading the timeline page after page as its "older" links do; and the pages' days."""
    seen, days, older = [], [], None
    while True:
        events, older = overview.timeline(
            alliance, workspace, until=older and older.until, skip=older.skip if older else 0, limit=limit
        )
        seen = events + seen
        days.append({e.on for e in events})
        if older is None:
            return seen, days


@pytest.mark.parametrize("limit", [3, 4, 5])
def test_timeline_pages_cover_every_event_once_and_never_split_a_day(people, workspace_a, figures, limit):
    """Whatever the page size, reading page after page gives every event once, in order.

    (A page skips the rows of a source older than the page's last day once the sources already read fill it.)
    """
    everything, _ = overview.timeline(figures["a1"], workspace_a, limit=1000)
    seen, days = read_every_page(figures["a1"], workspace_a, limit)
    assert len(days) > 1
    assert [(e.kind, e.obj.pk) for e in seen] == [(e.kind, e.obj.pk) for e in everything]
    assert all(not (a & b) for a, b in zip(days, days[1:], strict=False))  # no day on two pages


@pytest.mark.parametrize("limit", [2, 3, 4])
def test_timeline_goes_on_within_a_day_that_holds_more_than_a_page(people, workspace_a, figures, limit):
    """A day with more events than a page is read over several pages, then the days before it: nothing is lost."""
    busy = timezone.localdate()  # the alliance's newest day (its stage changes are today's)
    for minutes in range(10, 17):  # seven meetings more on that day
        log(figures["a1"], workspace_a, people["owner"], minutes, on=busy)
    everything, _ = overview.timeline(figures["a1"], workspace_a, limit=1000)
    seen, days = read_every_page(figures["a1"], workspace_a, limit)
    assert [(e.kind, e.obj.pk) for e in seen] == [(e.kind, e.obj.pk) for e in everything]
    assert days[0] == days[1] == {busy}  # the busy day spans the first pages


def test_timeline_page_links_to_the_rest_of_a_busy_day(people, workspace_a, figures):
    owner, alliance, today = people["owner"], figures["a1"], timezone.localdate()
    for minutes in range(1, overview.TIMELINE_PAGE + 3):  # more than a page of meetings, all today
        log(alliance, workspace_a, owner, minutes, on=today)
    client = client_for(owner)
    url = reverse("web:alliance_timeline", args=[alliance.pk])
    response = client.get(url)
    first, cursor = screen(response), f"jusqu_au={today:%Y-%m-%d}&passer={overview.TIMELINE_PAGE}"
    assert f"Suite des événements du {today:%d/%m/%Y}" in first
    assert f'href="?{cursor.replace("&", "&amp;")}"' in response.content.decode()
    assert ", 1 min" not in first  # the day's first meeting is on the next page (newest first, 150 a page)
    rest = screen(client.get(f"{url}?{cursor}"))
    assert ", 1 min" in rest and ", 60 min" in rest  # the rest of today, then January's meetings
    assert "Suite des événements" not in rest and "Événements plus anciens" not in rest
    # A hand-written URL with an absurd or negative skip gets a page, never an error.
    for skip in ("-3", "abc", "²", "99999999999"):
        assert client.get(f"{url}?jusqu_au={today:%Y-%m-%d}&passer={skip}").status_code == 200


# --- query counts: fixed whatever the number of rows ------------------------------------------------------


def grow(people, workspace_a, workspace_b, org_b, n: int):
    owner = people["owner"]
    company = make_company(f"Entreprise {n}")
    for i in range(n):
        alliance = make_alliance(
            workspace_a,
            owner,
            [org_b, company],
            name=f"Alliance {n}-{i}",
            forms=["mecenat_financier", "innovation_sociale"],
        )
        if i % 2:
            share_with(alliance, workspace_a, owner, workspace_b, people["other_workspace"])
        walk_to(alliance, workspace_a, owner, *["first_contact", "co_construction"][: i % 3])
        log(alliance, workspace_a, owner, 30 + i)
        log(alliance, workspace_a, owner, 20, on=date(2025, 6, 1))
        give(alliance, workspace_a, owner, company, workspace_a.organization, "money", "100")
        give(alliance, workspace_a, owner, org_b, workspace_a.organization, "in_kind", "50", status="promised")
    return alliance


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def test_query_counts_do_not_grow(people, workspace_a, workspace_b, org_b):
    client = client_for(people["member"])
    counts = []
    for n in (2, 12):
        last = grow(people, workspace_a, workspace_b, org_b, n)
        urls = [
            reverse("web:alliance_board"),
            reverse("web:alliance_board") + "?partner_kind=company&form=mecenat_financier&cause=culture&cold=1",
            reverse("web:alliance_list"),
            reverse("web:alliance_list") + "?stage=identified&departement=69",
            reverse("web:alliance_detail", args=[last.pk]),
            reverse("web:alliance_timeline", args=[last.pk]),
            reverse("web:dashboard"),
            reverse("web:dashboard_export", args=["alliances", "csv"]),
        ]
        client.get(urls[0])  # warm-up: the session's first write is not the page's cost
        counts.append([count_queries(client, url) for url in urls])
    assert counts[0] == counts[1], counts
    assert max(counts[1]) <= 16, counts
    # The board: session, user, membership, settings, the cards with their columns' counts, their parties' names,
    # the filters' three lists (the filtered board has no card, so no parties to read).
    assert counts[1][:2] == [9, 8], counts
