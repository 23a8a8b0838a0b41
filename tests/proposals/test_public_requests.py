"""A public partnership request: an organisation without an account proposes a partnership to an association, which
accepts (an « identified » alliance) or refuses it; the form resists robots, floods and enumeration."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from maillage.alliances.models import Alliance
from maillage.organizations.models import Organization
from maillage.proposals.actions import PER_IP_PER_HOUR, PER_TARGET_PER_DAY
from maillage.proposals.models import PartnershipRequest, RequestStatus
from tests.conftest import client_for, make_association, page_text

pytestmark = pytest.mark.django_db

PROPOSAL = {
    "proposer_name": "Imprimerie Rhodanienne",
    "proposer_kind": "company",
    "proposer_siren": "",
    "contact_name": "Paul Martin",
    "email": "paul@imprimerie.test",
    "phone": "04 78 00 00 00",
    "kinds": ["mecenat_competences"],
    "message": "Nous imprimons gratuitement vos affiches de la fête des jardins, et nos salariés viennent jardiner.",
    "website": "",
}


def post(client, organization, data=None, ip="203.0.113.7"):
    return client.post(reverse("web:proposal_public", args=[organization.pk]), data or PROPOSAL, REMOTE_ADDR=ip)


def test_a_request_lands_with_the_association_and_becomes_an_identified_alliance(
    org_a, workspace_a, people, django_capture_on_commit_callbacks
):
    anonymous = client_for(None)
    page = anonymous.get(reverse("web:proposal_public", args=[org_a.pk]))
    assert page.status_code == 200 and "Proposer un partenariat à Les Jardins de l'Essai" in page_text(page)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        sent = post(anonymous, org_a)
    assert sent.status_code == 200 and "votre proposition est transmise" in page_text(sent)
    # The association's owners and admins are told; the proposer's address receives nothing.
    assert sorted(mail.outbox[0].to) == ["admin@a.test", "owner@a.test"]
    assert all("paul@imprimerie.test" not in m.to for m in mail.outbox)
    assert not Organization.objects.filter(name="Imprimerie Rhodanienne").exists()  # not until accepted

    member = client_for(people["member"])
    listing = page_text(member.get(reverse("web:proposal_list")))
    assert "Imprimerie Rhodanienne" in listing and f"/proposer-un-partenariat/{org_a.pk}/" in listing
    proposal = PartnershipRequest.objects.get()
    assert client_for(people["viewer"]).post(reverse("web:proposal_accept", args=[proposal.pk])).status_code == 403
    assert (
        client_for(people["other_workspace"]).post(reverse("web:proposal_accept", args=[proposal.pk])).status_code
        == 404
    )
    assert member.post(reverse("web:proposal_accept", args=[proposal.pk])).status_code == 302
    alliance = Alliance.objects.get()
    assert alliance.stage == "identified" and alliance.forms == ["mecenat_competences"]
    assert sorted(p.organization.name for p in alliance.parties.all()) == [
        "Imprimerie Rhodanienne",
        "Les Jardins de l'Essai",
    ]
    assert "paul@imprimerie.test" in alliance.purpose
    proposal.refresh_from_db()
    assert proposal.status == RequestStatus.ACCEPTED and proposal.alliance == alliance
    again = member.post(reverse("web:proposal_refuse", args=[proposal.pk]), follow=True)
    assert "déjà acceptée" in page_text(again)


def test_refusal(org_a, workspace_a, people):
    post(client_for(None), org_a)
    proposal = PartnershipRequest.objects.get()
    assert client_for(people["member"]).post(reverse("web:proposal_refuse", args=[proposal.pk])).status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == RequestStatus.REFUSED and not Alliance.objects.exists()


def test_robots_floods_and_enumeration(org_a, workspace_a, people, django_capture_on_commit_callbacks):
    anonymous = client_for(None)
    # Honeypot: the robot reads « transmise », nothing is kept, nobody is mailed.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        robot = post(anonymous, org_a, {**PROPOSAL, "website": "http://spam.test"})
    assert robot.status_code == 200 and "transmise" in page_text(robot)
    assert not PartnershipRequest.objects.exists() and mail.outbox == []
    # Bad input: French messages, no 500.
    bad = post(anonymous, org_a, {**PROPOSAL, "message": "court", "proposer_siren": "12"})
    assert bad.status_code == 400
    text = page_text(bad)
    assert "20 caractères au moins" in text and "9 chiffres" in text
    assert post(anonymous, org_a, {**PROPOSAL, "email": "pas-une-adresse"}).status_code == 400
    assert not PartnershipRequest.objects.exists()  # refused input is never kept
    # A connection sends 5 requests an hour; then 429 with a French message.
    for i in range(PER_IP_PER_HOUR):
        assert post(anonymous, org_a, {**PROPOSAL, "email": f"p{i}@x.test"}).status_code == 200
    limited = post(anonymous, org_a, {**PROPOSAL, "email": "other@x.test"})
    assert limited.status_code == 429 and "réessayez dans une heure" in page_text(limited)
    # An association receives at most 10 a day, whatever the connections.
    for i in range(PER_TARGET_PER_DAY - PER_IP_PER_HOUR):
        assert post(anonymous, org_a, {**PROPOSAL, "email": f"q{i}@x.test"}, ip=f"198.51.100.{i}").status_code == 200
    flood = post(anonymous, org_a, {**PROPOSAL, "email": "z@x.test"}, ip="192.0.2.1")
    assert flood.status_code == 429 and "réessayez demain" in page_text(flood)
    # An association without Maillage answers exactly the same (no enumeration), and keeps the request undelivered.
    elsewhere = make_association("Club sans compte", "W691000009")
    quiet = post(anonymous, elsewhere, ip="192.0.2.50")
    assert quiet.status_code == 200 and "transmise" in page_text(quiet)
    assert PartnershipRequest.objects.get(organization=elsewhere).status == RequestStatus.UNDELIVERED
    # Only associations receive requests; an unknown id is 404.
    company = Organization.objects.create(kind="company", name="Entreprise", name_search="entreprise")
    assert anonymous.get(reverse("web:proposal_public", args=[company.pk])).status_code == 404
    assert anonymous.get(reverse("web:proposal_public", args=[999999])).status_code == 404
    # B never sees A's requests.
    listing = page_text(client_for(people["other_workspace"]).get(reverse("web:proposal_list")))
    assert "Imprimerie Rhodanienne" not in listing
