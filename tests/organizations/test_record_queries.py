"""The record pages (an organisation, an alliance) read a fixed number of queries whatever the size of the record,
for the association's staff and for the partner's user alike (issue 21: record pages; bench/record_pages.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from maillage.alliances import actions as alliance_actions
from maillage.contributions.actions import record_contribution
from maillage.organizations.actions import add_contact, add_private_note
from tests.alliances.helpers import log, make_alliance, share_with
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def grow(people, workspace_a, workspace_b, n: int):
    """``n`` more shared alliances, each with interactions, contributions both ways and an agreement, plus
    ``n`` more contacts and notes written by each workspace on the other's organisation."""
    owner, partner = people["owner"], people["other_workspace"]
    org_a, org_b = workspace_a.organization, workspace_b.organization
    alliances = []
    for i in range(n):
        alliance = make_alliance(workspace_a, owner, [org_b], name=f"Alliance {i} de {n}")
        party_b = share_with(alliance, workspace_a, owner, workspace_b, partner)
        party_a = alliance.parties.get(organization=org_a)
        log(alliance, workspace_a, owner, 30, attendance={party_a.pk: 2, party_b.pk: 1})
        log(alliance, workspace_b, partner, 45)
        for giver, receiver, workspace, user in (
            (party_b, party_a, workspace_a, owner),
            (party_a, party_b, workspace_b, partner),
        ):
            record_contribution(
                alliance=alliance,
                workspace=workspace,
                user=user,
                giver=giver,
                receiver=receiver,
                kind="money",
                description=f"Don {i}",
                value=Decimal("100"),
                status="received",
                received_on=date(2026, 1, 5),
            )
        alliance_actions.record_agreement(
            alliance=alliance,
            workspace=workspace_a,
            user=owner,
            kind="mecenat",
            title=f"Convention {i}",
            signed_on=date(2026, 1, 2),
            duration_months=12,
            amount=Decimal("1000"),
        )
        alliances.append(alliance)
    for i in range(n):
        add_contact(workspace=workspace_a, organization=org_b, name=f"Contact {i} chez B", email=f"c{i}@b.test")
        add_contact(workspace=workspace_b, organization=org_a, name=f"Contact {i} chez A", email=f"c{i}@a.test")
        add_private_note(workspace=workspace_a, organization=org_b, text=f"Note {i}", author=owner)
        add_private_note(workspace=workspace_b, organization=org_a, text=f"Note {i}", author=partner)
    return alliances[0]


def counts(client, urls: list[str]) -> list[int]:
    client.get(urls[0])  # warm-up: the session's first write is not the page's cost
    found = []
    for url in urls:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200, url
        found.append(len(ctx.captured_queries))
    return found


def test_record_pages_read_a_fixed_number_of_queries(people, workspace_a, workspace_b):
    org_a, org_b = workspace_a.organization, workspace_b.organization
    staff, partner = client_for(people["member"]), client_for(people["other_workspace"])
    measured = []
    for n in (1, 6):  # a small record, then the same record with seven times as much on it
        alliance = grow(people, workspace_a, workspace_b, n)
        detail = reverse("web:alliance_detail", args=[alliance.pk])
        pages = {
            "staff": counts(
                staff, [reverse("web:organization_detail", args=[o.pk]) for o in (org_b, org_a)] + [detail]
            ),
            "partner": counts(
                partner, [reverse("web:organization_detail", args=[o.pk]) for o in (org_a, org_b)] + [detail]
            ),
        }
        measured.append(pages)
    assert measured[0] == measured[1], measured
    # The partner's organisation: session, user, membership, the organisation, the shared alliances, their
    # contributions and agreements, the corrections, causes, notes, contacts. One's own: no shared block.
    # The alliance page: session, user, membership, the alliance, its parties with their time, invitations,
    # contributions, proposals, stages, interactions, agreements, notes.
    assert measured[1] == {"staff": [11, 8, 12], "partner": [11, 8, 12]}, measured


def test_record_pages_print_the_names_and_times_they_read_as_columns(people, workspace_a, workspace_b):
    """The names the pages print from annotated columns (not from the related models) and the parties' time
    joined to their read are those of the records themselves."""
    from django.utils.html import escape

    from maillage.alliances.models import PartyTime

    org_a, org_b = workspace_a.organization, workspace_b.organization
    alliance = grow(people, workspace_a, workspace_b, 1)
    staff = client_for(people["member"])
    page = staff.get(reverse("web:organization_detail", args=[org_b.pk])).content.decode()
    a, b = escape(org_a.name), escape(org_b.name)
    name = escape(alliance.name)
    assert f"<td>{name}</td><td>{b}</td><td>{a}</td>" in page  # given by the partner to the association
    assert f"<td>{name}</td><td>{a}</td><td>{b}</td>" in page  # and back
    assert f"Convention 0 ({name})" in page
    response = staff.get(reverse("web:alliance_detail", args=[alliance.pk]))
    page = response.content.decode()
    assert f"(noté par {a})" in page and f"(noté par {b})" in page
    assert f" ({a})</td><td>" in page  # the stage log: who moved the alliance, and for which organisation
    times = dict(PartyTime.objects.filter(party__alliance=alliance).values_list("party_id", "minutes"))
    assert times and {p.pk: p.minutes for p in response.context["parties"]} == {
        p.pk: times.get(p.pk, 0) for p in response.context["parties"]
    }
