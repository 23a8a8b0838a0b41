"""The number of queries of a suggestion is pinned: it must not grow back (issue 25, latency as today)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from maillage.matching import actions
from tests.conftest import api_client_for, client_for
from tests.matching.conftest import publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy(land):
    """The association has a need and a partner (an alliance started); companies near and far publish offers."""
    ws_a, user_a = land["ws"][land["assoc"]]
    publish(ws_a, user_a, "need", title="Tenue de la comptabilité")
    for company in ("near", "mid", "far"):
        ws, user = land["ws"][land[company]]
        publish(ws, user, "offer", title=f"Comptabilité {company}")
        publish(ws, user, "offer", title=f"Prêt de salle {company}", kind="goods", skill_domains=[])
    actions.start_alliance(workspace=ws_a, user=user_a, target=land["near"])
    return land


def test_suggestions_through_the_api_cost_a_fixed_number_of_queries(busy):
    ws_a, user_a = busy["ws"][busy["assoc"]]
    api = api_client_for(user_a, ws_a)
    api.get("/api/v1/matching/suggestions")  # warm-up: the API token's last use is written once
    with CaptureQueriesContext(connection) as captured:
        response = api.get("/api/v1/matching/suggestions")
    body = response.json()
    assert response.status_code == 200
    assert body["items"] and body["known"] and body["network"], body  # every part of a suggestion is exercised
    # 3 for the request (token, membership, workspace) and 10 for the suggestion: the organisation with its causes,
    # its open needs, its network (one read), offers and calls (one statement each), the directory candidates with
    # their causes, the partners' needs, offers and calls, then the organisations shown (the items shown are built
    # from the rows already read).
    assert len(captured) == 13, "\n".join(q["sql"][:120] for q in captured.captured_queries)


def test_suggestions_page_costs_a_fixed_number_of_queries(busy):
    ws_a, user_a = busy["ws"][busy["assoc"]]
    client = client_for(user_a)
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/rapprochement/")
    assert response.status_code == 200
    # Session and user, membership (3), the same 10 for the suggestion, the alliances already started from one (1),
    # and the session saved (3: savepoint, update, release).
    assert len(captured) == 17, "\n".join(q["sql"][:120] for q in captured.captured_queries)
