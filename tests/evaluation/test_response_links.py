"""Evaluations answered from outside: a party without an account answers through a personal link (single use,
expiry, revocable, only the SHA-256 of the token stored), and its answers count as that party's view."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from maillage.alliances.actions import add_party
from maillage.audit.models import AuditEvent
from maillage.evaluation import actions
from maillage.evaluation.models import ResponseLink
from maillage.organizations.actions import create_organization
from tests.conftest import client_for, page_text
from tests.evaluation.test_evaluation_rules import ASSOCIATION_ANSWERS, messages_of, open_2025, view_for

pytestmark = pytest.mark.django_db

FOUNDATION_ANSWERS = {
    "perf_model": 2,
    "perf_resources": 2,
    "perf_capacity": 2,
    "innov_solution": "nsp",
    "innov_scale": 3,
    "innov_needs": 3,
    "trust_evolution": 3,
    "trust_collective": 3,
    "trust_kept": 4,
    "rel_balance": 3,
    "rel_listened": 3,
    "rel_governance": 3,
    "rel_attribution": 2,
}


@pytest.fixture
def outside(alliance, workspace_a, people):
    foundation = create_organization(data={"kind": "foundation", "name": "Fondation du Confluent"})
    return add_party(
        alliance=alliance, workspace=workspace_a, user=people["owner"], organization=foundation, role="funder"
    )


@pytest.fixture
def evaluation(alliance, outside, workspace_a, people):
    return open_2025(alliance, workspace_a, people["owner"])


def send_link(evaluation, party, workspace, user, captured):
    with captured(execute=True):
        return actions.create_response_link(
            evaluation=evaluation,
            party=party,
            workspace=workspace,
            user=user,
            email="tresorier@fondation.test",
            url_for=lambda token: f"http://testserver/evaluations/reponse/{token}/",
        )


def token_in_mail() -> str:
    return re.search(r"/evaluations/reponse/([^/]+)/", mail.outbox[-1].body).group(1)


def test_the_page_sends_a_link_and_the_outside_party_answers_once(
    evaluation, outside, parties, workspace_a, people, django_capture_on_commit_callbacks
):
    member = client_for(people["member"])
    detail = page_text(member.get(reverse("web:evaluation_detail", args=[evaluation.pk])))
    assert "Fondation du Confluent" in detail and "sans espace Maillage" in detail
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        sent = member.post(
            reverse("web:evaluation_link", args=[evaluation.pk]),
            {"party": outside.pk, "email": "tresorier@fondation.test"},
        )
    assert sent.status_code == 302
    assert mail.outbox[0].to == ["tresorier@fondation.test"]
    assert "l'avis de Fondation du Confluent" in mail.outbox[0].subject
    token = token_in_mail()
    link = ResponseLink.objects.get()
    # Only the SHA-256 is kept: the token appears in no column.
    assert link.token_hash == actions.hash_token(token) and token not in str(list(ResponseLink.objects.values()))
    assert AuditEvent.objects.filter(action="evaluation.link_created").exists()

    anonymous = client_for(None)
    url = reverse("web:evaluation_outside", args=[token])
    page = anonymous.get(url)
    assert page.status_code == 200
    text = page_text(page)
    assert "Questionnaire de Fondation du Confluent" in text and "stratégie RSE" not in text
    incomplete = anonymous.post(url, {"perf_model": "2"})
    assert incomplete.status_code == 400 and "Choisissez une note de 1 à 5" in page_text(incomplete)
    done = anonymous.post(url, FOUNDATION_ANSWERS)
    assert done.status_code == 200 and "Merci" in page_text(done)
    response = evaluation.responses.get(party=outside)
    assert response.is_submitted and response.answered_by_link and response.submitted_by is None
    again = anonymous.get(url)
    assert again.status_code == 410 and "déjà servi" in page_text(again)
    assert anonymous.post(url, FOUNDATION_ANSWERS).status_code == 410

    # Its answers are that party's view: after the closing, the association sees three views.
    actions.save_answers(
        evaluation=evaluation, workspace=workspace_a, user=None, answers=ASSOCIATION_ANSWERS, submit=True
    )
    actions.close_evaluation(evaluation=evaluation, workspace=workspace_a, user=people["owner"])
    view = view_for(evaluation, workspace_a)
    column = next(c for c in view.columns if c.party_id == outside.pk)
    assert column.state == "visible" and column.by_link
    assert view.impacts[0].coverage == "2 vues sur 3 parties"  # the company has not answered


def test_links_expire_are_revoked_and_refused_for_parties_with_a_workspace(
    evaluation, outside, parties, workspace_a, workspace_b, people, django_capture_on_commit_callbacks
):
    link, token = send_link(evaluation, outside, workspace_a, people["member"], django_capture_on_commit_callbacks)
    url = reverse("web:evaluation_outside", args=[token])
    anonymous = client_for(None)
    # A new link revokes the previous one.
    _, newer = send_link(evaluation, outside, workspace_a, people["member"], django_capture_on_commit_callbacks)
    assert anonymous.get(url).status_code == 410 and "révoqué" in page_text(anonymous.get(url))
    assert anonymous.get(reverse("web:evaluation_outside", args=[newer])).status_code == 200
    # Expired.
    ResponseLink.objects.filter(token_hash=actions.hash_token(newer)).update(expires_at=timezone.now() - timedelta(1))
    expired = anonymous.get(reverse("web:evaluation_outside", args=[newer]))
    assert expired.status_code == 410 and "expiré" in page_text(expired)
    # Revoked from the page.
    third, last = send_link(evaluation, outside, workspace_a, people["member"], django_capture_on_commit_callbacks)
    revoked = client_for(people["member"]).post(reverse("web:evaluation_link_revoke", args=[evaluation.pk, third.pk]))
    assert revoked.status_code == 302
    assert anonymous.get(reverse("web:evaluation_outside", args=[last])).status_code == 410
    assert AuditEvent.objects.filter(action="evaluation.link_revoked").exists()
    with pytest.raises(ValidationError) as exc:
        actions.answer_by_link(token=last, answers=FOUNDATION_ANSWERS)
    assert "révoqué" in messages_of(exc)["link"][0]
    # Unknown token: 404, with a French explanation.
    unknown = anonymous.get(reverse("web:evaluation_outside", args=["x" * 43]))
    assert unknown.status_code == 404 and "copié en entier" in page_text(unknown)
    # A party with its own workspace answers from it; another workspace gets 404; a viewer cannot send links.
    with pytest.raises(ValidationError) as exc:
        send_link(evaluation, parties[1], workspace_a, people["member"], django_capture_on_commit_callbacks)
    assert "a son espace Maillage" in messages_of(exc)["party"][0]
    assert (
        client_for(people["other_workspace"])
        .post(reverse("web:evaluation_link", args=[evaluation.pk]), {"party": outside.pk, "email": "a@b.fr"})
        .status_code
        == 404
    )
    assert (
        client_for(people["viewer"])
        .post(reverse("web:evaluation_link", args=[evaluation.pk]), {"party": outside.pk, "email": "a@b.fr"})
        .status_code
        == 403
    )


def test_a_closed_evaluation_refuses_the_link(
    evaluation, outside, workspace_a, people, django_capture_on_commit_callbacks
):
    _, token = send_link(evaluation, outside, workspace_a, people["member"], django_capture_on_commit_callbacks)
    actions.save_answers(
        evaluation=evaluation, workspace=workspace_a, user=None, answers=ASSOCIATION_ANSWERS, submit=True
    )
    actions.close_evaluation(evaluation=evaluation, workspace=workspace_a, user=people["owner"])
    page = client_for(None).get(reverse("web:evaluation_outside", args=[token]))
    assert page.status_code == 410 and "clôturée" in page_text(page)
    with pytest.raises(ValidationError) as exc:
        send_link(evaluation, outside, workspace_a, people["member"], django_capture_on_commit_callbacks)
    assert "clôturée" in messages_of(exc)["evaluation"][0]
