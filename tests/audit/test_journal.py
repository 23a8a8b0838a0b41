"""The journal page, its CSV export and its API: what owners see, filters, fixed query count."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from maillage.audit.actions import record_event
from maillage.audit.labels import ACTIONS
from maillage.audit.models import AuditEvent
from maillage.workspaces.models import Membership
from tests.audit.helpers import IP, check, only
from tests.conftest import api_client_for, client_for, make_user, page_text

pytestmark = pytest.mark.django_db


class FakeRequest:
    def __init__(self, ip):
        self.META = {"REMOTE_ADDR": ip, "HTTP_USER_AGENT": "Test"}


@pytest.fixture
def journal(people, workspace_a, workspace_b):
    """Events of A, of B, and authentication events of A's members and of strangers."""
    owner, member, revoked = people["owner"], people["member"], people["revoked"]
    record_event(
        action="receipt.issued",
        actor=member,
        workspace=workspace_a,
        target_label="Reçu n° 2025-0001",
        request=FakeRequest("198.51.100.1"),
    )
    record_event(action="import.started", actor=owner, workspace=workspace_a, target_label="Import 1")
    record_event(
        action="receipt.issued", actor=people["other_workspace"], workspace=workspace_b, target_label="Reçu de B"
    )
    record_event(action="auth.login", actor=member, request=FakeRequest("198.51.100.2"))
    record_event(action="auth.login", actor=people["other_workspace"])  # not a member of A
    stranger = make_user("stranger@c.test")
    record_event(action="auth.login", actor=stranger)
    # The revoked member: a login after the revocation is none of A's business.
    membership = Membership.objects.get(user=revoked, workspace=workspace_a)
    membership.created_at = membership.revoked_at - timedelta(days=30)  # a member for a month, then revoked
    membership.save(update_fields=["created_at"])
    record_event(action="auth.login", actor=revoked, target_label="après départ")
    AuditEvent.objects.create(
        action="auth.login",
        actor=revoked,
        actor_label=revoked.email,
        target_label="pendant adhésion",
        created_at=membership.revoked_at - timedelta(minutes=5),
    )
    return workspace_a


def rows_of(response) -> list[list[str]]:
    content = response.content.decode("utf-8")
    assert content.startswith("\ufeff")
    return list(csv.reader(io.StringIO(content[1:]), delimiter=";"))


def test_owner_sees_the_workspace_events_and_members_logins_newest_first(people, journal):
    response = client_for(people["owner"]).get("/espace/journal/")
    assert response.status_code == 200
    text = page_text(response)
    assert "Reçu émis" in text and "Import lancé" in text and "Connexion" in text
    assert "Reçu n° 2025-0001" in text and "198.51.100.1" in text and "198.51.100.2" in text
    assert "Reçu de B" not in text and "stranger@c.test" not in text and "member@b.test" not in text
    assert "pendant adhésion" in text and "après départ" not in text
    assert text.index("198.51.100.2") < text.index("198.51.100.1")  # the login came after the receipt


def test_members_page_links_the_journal_for_owners_only(people, journal):
    assert "/espace/journal/" in page_text(client_for(people["owner"]).get("/espace/membres/"))
    assert "/espace/journal/" not in page_text(client_for(people["admin"]).get("/espace/membres/"))


def test_other_roles_and_workspaces_do_not_see_it(people, journal):
    for role in ("viewer", "member", "admin"):
        assert client_for(people[role]).get("/espace/journal/").status_code == 403
        assert client_for(people[role]).get("/espace/journal/export.csv").status_code == 403
        assert api_client_for(people[role], journal).get("/api/v1/audit/events").status_code == 403
    # B's owner reads B's journal, which holds none of A's events.
    text = page_text(client_for(people["other_workspace"]).get("/espace/journal/"))
    assert "Reçu de B" in text and "Reçu n° 2025-0001" not in text


def test_filters_by_family_person_and_period(people, journal):
    client = client_for(people["owner"])
    text = page_text(client.get("/espace/journal/?family=auth"))
    assert "Connexion" in text and "Reçu n° 2025-0001" not in text
    text = page_text(client.get(f"/espace/journal/?actor={people['owner'].pk}"))
    assert "Import 1" in text and "Reçu n° 2025-0001" not in text
    today = timezone.localdate()
    text = page_text(client.get(f"/espace/journal/?since={today + timedelta(days=1)}"))
    assert "Aucun événement ne répond à ces filtres" in text
    text = page_text(client.get(f"/espace/journal/?since={today}&until={today}"))
    assert "Import 1" in text


def test_bad_filters_get_a_french_message_never_a_500(people, journal):
    client = client_for(people["owner"])
    for query, message in (
        ("family=nope", "Famille d'actions inconnue"),
        ("family=%00", "contient un caractère nul"),  # refused before the view (core/hostile.py)
        (f"actor={people['other_workspace'].pk}", "Personne inconnue"),
        ("actor=99999999999999999999", "Personne inconnue"),
        ("since=2026-13-45", "date invalide"),
        ("since=2026-02-01&until=2026-01-01", "à l'envers"),
    ):
        response = client.get(f"/espace/journal/?{query}")
        assert response.status_code == 400 and message in page_text(response), query
        api = api_client_for(people["owner"], journal).get(f"/api/v1/audit/events?{query}")
        assert api.status_code == 422 and message in api.json()["detail"], query
    assert client.get("/espace/journal/?page=9223372036854775807").status_code == 200
    api = api_client_for(people["owner"], journal)
    assert api.get("/api/v1/audit/events?page=9223372036854775807").status_code == 422


def test_a_departed_member_is_still_a_choice_of_the_person_filter(people, journal):
    text = page_text(client_for(people["owner"]).get(f"/espace/journal/?actor={people['revoked'].pk}"))
    assert "ancien membre" in text and "pendant adhésion" in text


def test_page_costs_a_fixed_number_of_queries(people, journal, workspace_a):
    client = client_for(people["owner"])
    client.get("/espace/journal/")  # session, caches
    with CaptureQueriesContext(connection) as few:
        assert client.get("/espace/journal/").status_code == 200
    for i in range(120):
        record_event(action="receipt.issued", actor=people["member"], workspace=workspace_a, target_label=f"R{i}")
    with CaptureQueriesContext(connection) as many:
        response = client.get("/espace/journal/?page=2")
    assert response.status_code == 200 and "Page 2 / 3" in page_text(response)
    assert len(many) == len(few)
    api = api_client_for(people["owner"], workspace_a)
    api.get("/api/v1/audit/events")  # the token's first use is written down once
    with CaptureQueriesContext(connection) as api_few:
        assert len(api.get("/api/v1/audit/events?page_size=5").json()["items"]) == 5
    with CaptureQueriesContext(connection) as api_many:
        body = api.get("/api/v1/audit/events?page_size=100").json()
    assert len(body["items"]) == 100 and body["has_next"] is True
    assert len(api_few) == len(api_many)


def test_export_is_csv_for_french_spreadsheets_and_is_itself_journaled(people, journal):
    owner = people["owner"]
    response = client_for(owner).get("/espace/journal/export.csv?family=receipt", REMOTE_ADDR=IP)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = rows_of(response)
    assert rows[0][:4] == ["Date et heure", "Auteur", "Action", "Code de l'action"]
    assert [(r[2], r[6]) for r in rows[1:]] == [("Reçu émis", "Reçu n° 2025-0001")]
    exported = only("audit.exported")
    check(exported, actor=owner, workspace=journal)
    assert exported.details == {"family": "receipt"}
    # The next export shows the first one.
    rows = rows_of(client_for(owner).get("/espace/journal/export.csv?family=audit"))
    assert [r[2] for r in rows[1:]] == ["Journal d'audit exporté", "Journal d'audit exporté"]


def test_api_lists_and_exports_for_owners(people, journal):
    api = api_client_for(people["owner"], journal)  # its token's creation is journaled: the newest event
    body = api.get("/api/v1/audit/events?page_size=3").json()
    actions = [e["action"] for e in body["items"]]
    assert body["has_next"] is True and actions == ["api_token.created", "auth.login", "import.started"]
    assert body["items"][1]["action_label"] == "Connexion"
    everything = api.get("/api/v1/audit/events?family=receipt").json()["items"]
    assert [e["target_label"] for e in everything] == ["Reçu n° 2025-0001"]
    assert everything[0]["ip_address"] == "198.51.100.1"
    response = api.get("/api/v1/audit/export?family=import", REMOTE_ADDR=IP)
    assert [r[6] for r in rows_of(response)[1:]] == ["Import 1"]
    check(only("audit.exported"), actor=people["owner"], workspace=journal)


def test_every_action_shown_has_a_french_label(people, journal):
    text = page_text(client_for(people["owner"]).get("/espace/journal/"))
    for action in AuditEvent.objects.values_list("action", flat=True).distinct():
        assert action in ACTIONS
    assert "auth.login" not in text
