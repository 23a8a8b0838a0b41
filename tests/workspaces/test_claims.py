"""Decision 0008: only the proven people of an organisation act for it.

The attack chains of issue 16 driven through pages, API and CLI (they pass on no code without the claims), then
the claim flow (evidence, operator's queue, approval, refusal), join requests, journal and e-mails.
"""

from __future__ import annotations

import io

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from maillage.alliances.actions import create_alliance, invite_party
from maillage.alliances.models import Party, PartyInvitation
from maillage.audit.models import AuditEvent
from maillage.organizations.actions import create_organization
from maillage.receipts.actions import issue_receipt
from maillage.receipts.models import Eligibility, Receipt, ReceiptCounter
from maillage.workspaces import claims
from maillage.workspaces.models import JoinRequest, Membership, OrganizationClaim, User, Workspace
from tests.conftest import api_client_for, client_for, make_user, page_text
from tests.receipts.factories import ELIGIBILITY, gift, make_alliance, make_eligible, signature_file

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.RECEIPTS_BATCH_INLINE = True


def proved_user(email: str, **extra) -> User:
    user = make_user(email)
    User.objects.filter(pk=user.pk).update(email_verified_at=timezone.now(), **extra)
    user.refresh_from_db()
    return user


def operator() -> User:
    return proved_user("operatrice@maillage.test", is_staff=True)


def evidence(content: bytes = PDF, name: str = "recepisse.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def stranger_creates_workspace(organization, email: str = "intrus@exemple.fr"):
    """What issue 16's stranger did: sign up (address proved) and open /espaces/nouveau/ for the organisation."""
    stranger = proved_user(email)
    client = client_for(stranger)
    response = client.post("/espaces/nouveau/", {"name": "Mon espace", "organization": organization.pk})
    return stranger, client, response


@pytest.fixture
def real_association(people, workspace_a):
    """A's organisation, verified, with its eligibility and one receipt already issued (n° 1 of the year)."""
    owner = people["owner"]
    make_eligible(workspace_a, owner)
    alliance = make_alliance(workspace_a, owner)
    first = issue_receipt(workspace=workspace_a, user=owner, contribution=gift(alliance, workspace_a, owner))
    return {"owner": owner, "alliance": alliance, "first": first}


# --- attack chains ---------------------------------------------------------------------------------------------


def test_a_stranger_claiming_a_verified_organisation_only_asks_to_join(
    real_association, workspace_a, org_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        stranger, client, response = stranger_creates_workspace(org_a)
    assert response.status_code == 302 and response["Location"] == "/espaces/"
    # No second seat: no workspace, no membership; a join request waits for A's owners.
    assert Workspace.objects.filter(organization=org_a).count() == 1
    assert not Membership.objects.filter(user=stranger).exists()
    join = JoinRequest.objects.get(user=stranger)
    assert join.workspace == workspace_a and join.status == "pending"
    assert [m.to for m in mail.outbox] == [["owner@a.test"]] and stranger.email in mail.outbox[0].subject
    assert "Vos demandes pour rejoindre un espace" in page_text(client.get("/espaces/"))
    # Nothing of A's organisation is reachable: pages send it to the workspace list, the API has no token for it.
    for url in ("/recus/", "/recus/habilitation/", "/alliances/invitations/", "/espace/membres/"):
        answer = client.get(url)
        assert answer.status_code == 302 and answer["Location"] == "/espaces/", url
    assert client.post("/recus/habilitation/", {**ELIGIBILITY, "signatory_name": "Intrus"}).status_code == 302
    assert Eligibility.objects.get(organization=org_a).signatory_name == "Claire Dubois"
    # The API refuses creating a workspace too (the action itself refuses a second seat).
    from django.core.exceptions import ValidationError

    from maillage.workspaces.actions import create_workspace

    with pytest.raises(ValidationError, match="déjà un espace vérifié"):
        create_workspace(user=stranger, name="Bis", organization=org_a)


def test_an_unverified_claimant_cannot_read_or_write_the_eligibility_nor_issue(
    real_association, org_a, people, workspace_a
):
    """Two workspaces that predate the rule: the older one is verified, the stranger's is not (migration 0003)."""
    stranger = proved_user("intrus@exemple.fr")
    claimed = Workspace.objects.create(name="Espace de l'intrus", organization=org_a)
    Membership.objects.create(workspace=claimed, user=stranger, role="owner")
    client, api = client_for(stranger), api_client_for(stranger, claimed)

    page = client.get("/recus/habilitation/")
    text = page_text(page)
    assert page.status_code == 200 and "n'est pas encore vérifié" in text and "/espace/verification/" in text
    assert "RES-2021-0042" not in text and "Claire Dubois" not in text and "12 rue des Jardins" not in text
    assert "Claire Dubois" not in page_text(client.get("/recus/"))
    refused = client.post("/recus/habilitation/", {**ELIGIBILITY, "signatory_name": "Intrus", "evidence_kind": "auto"})
    assert refused.status_code == 403 and "n'est pas encore vérifié" in page_text(refused)

    answer = api.get("/api/v1/receipts/eligibility")
    assert answer.status_code == 403 and "pas encore vérifié" in answer.json()["detail"]
    assert "RES-2021-0042" not in answer.content.decode()
    body = {"status": "interet_general", "evidence_kind": "auto", "purpose": "x", "address": "y"}
    body |= {"signatory_name": "Intrus", "signatory_role": "Président"}
    assert api.put("/api/v1/receipts/eligibility", body, content_type="application/json").status_code == 403
    assert Eligibility.objects.get(organization=org_a).signatory_name == "Claire Dubois"

    # Its own draft alliance, its own gift: preparing is allowed, issuing in the organisation's name is not.
    alliance = make_alliance(claimed, stranger)
    contribution = gift(alliance, claimed, stranger, value="500")
    assert client.post("/recus/emettre/", {"contribution": contribution.pk}).status_code == 403
    answer = api.post("/api/v1/receipts", {"contribution": contribution.pk}, content_type="application/json")
    assert answer.status_code == 403 and "émettre" in answer.json()["detail"]
    assert client.post("/recus/lot/", {"year": "2025"}).status_code == 403
    out = io.StringIO()
    with pytest.raises(CommandError, match="pas encore vérifié"):
        call_command("issue_receipts", workspace=claimed.pk, year=2025, stdout=out)
    # Numbering stays gapless: the real association's next receipt is n° 2.
    assert not Receipt.objects.filter(workspace=claimed).exists()
    year = timezone.localdate().year
    assert ReceiptCounter.objects.get(issuer=org_a, year=year).last_number == 1
    owner, real = real_association["owner"], real_association["alliance"]
    second = issue_receipt(workspace=workspace_a, user=owner, contribution=gift(real, workspace_a, owner, value="70"))
    assert second.number == real_association["first"].number + 1


def test_a_batch_started_before_it_lost_nothing_never_numbers_for_an_unverified_workspace(org_a, people):
    from maillage.receipts.batch import run_batch
    from maillage.receipts.models import BatchRun

    claimed = Workspace.objects.create(name="Espace de l'intrus", organization=org_a)
    run = BatchRun.objects.create(workspace=claimed, year=2025)  # e.g. a row written by hand or an old queue
    run = run_batch(run.pk)
    assert run.status == "failed" and "pas encore vérifié" in run.messages[0]
    assert not ReceiptCounter.objects.filter(issuer=org_a).exists()


def test_the_bank_claim_chain(people, workspace_a):
    """The association invites a bank to an alliance; a stranger claims the bank: no invitation seen, none accepted."""
    bank = create_organization(data={"kind": "company", "name": "Banque Coopérative du Rhône", "siren": "552120222"})
    owner = people["owner"]
    alliance = create_alliance(
        workspace=workspace_a,
        user=owner,
        name="Microcrédit solidaire",
        forms=["mecenat_financier"],
        partners=[(bank, "funder", "")],
    )
    party = alliance.parties.get(organization=bank)
    stranger, client, response = stranger_creates_workspace(bank, "faux-banquier@exemple.fr")
    assert response.status_code == 302  # the bank had no workspace: the stranger's is created, unverified
    squatted = Workspace.objects.get(organization=bank)
    assert not squatted.verified
    mail.outbox.clear()
    invitation = invite_party(alliance=alliance, workspace=workspace_a, user=owner, party=party)
    assert mail.outbox == []  # the invitation e-mail goes to nobody of an unverified workspace

    page = client.get("/alliances/invitations/")
    assert page.status_code == 200 and "Microcrédit solidaire" not in page_text(page)
    assert "n'est pas encore vérifié" in page_text(page)
    assert client.post(f"/alliances/invitations/{invitation.pk}/accepter/").status_code == 403
    api = api_client_for(stranger, squatted)
    assert api.get("/api/v1/alliances/invitations").status_code == 403
    answer = api.post(f"/api/v1/alliances/invitations/{invitation.pk}/accept")
    assert answer.status_code == 403 and "invitations d'alliance" in answer.json()["detail"]
    assert api.post(f"/api/v1/alliances/invitations/{invitation.pk}/decline").status_code == 403
    invitation.refresh_from_db()
    assert invitation.is_pending and Party.objects.get(pk=party.pk).workspace_id is None
    assert api.get(f"/api/v1/alliances/{alliance.pk}").status_code == 404
    # Nor may the unverified workspace speak for the bank by inviting others to its own drafts.
    own = create_alliance(
        workspace=squatted,
        user=stranger,
        name="Brouillon",
        forms=["mecenat_financier"],
        partners=[(workspace_a.organization, "partner", "")],
    )
    other = own.parties.get(organization=workspace_a.organization)
    answer = api.post(f"/api/v1/alliances/{own.pk}/parties/{other.pk}/invitations", {}, content_type="application/json")
    assert answer.status_code == 403 and not PartyInvitation.objects.filter(party=other).exists()


def test_operator_approval_lets_the_workspace_issue_its_first_receipt(people, django_capture_on_commit_callbacks):
    association = create_organization(
        data={"kind": "association", "name": "Les Ruches de Gerland", "rna": "W691000099"}
    )
    founder, client, response = stranger_creates_workspace(association, "presidente@ruches.test")
    workspace = Workspace.objects.get(organization=association)
    assert response["Location"] == "/espace/verification/" and not workspace.verified
    staff = operator()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(
            "/espace/verification/",
            {"evidence_kind": "recepisse", "evidence": evidence(), "statement": "Je suis la présidente élue en 2024."},
        )
    assert page.status_code == 302
    claim = OrganizationClaim.objects.get(workspace=workspace)
    assert claim.status == "pending" and claim.evidence.name.startswith("claims/")
    assert [m.to for m in mail.outbox] == [[staff.email]]
    assert "attend l'examen" in page_text(client.get("/espace/verification/"))
    assert client.get("/recus/habilitation/").status_code == 200  # the explanation, not the form
    assert "n'est pas encore vérifié" in page_text(client.get("/recus/habilitation/"))

    desk = client_for(staff)
    assert "Les Ruches de Gerland" in page_text(desk.get("/operateurs/revendications/"))
    assert "Je suis la présidente" in page_text(desk.get(f"/operateurs/revendications/{claim.pk}/"))
    download = desk.get(f"/operateurs/revendications/{claim.pk}/justificatif/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert download["Content-Disposition"].startswith("attachment")
    assert client.get(f"/operateurs/revendications/{claim.pk}/justificatif/").status_code == 404
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert desk.post(f"/operateurs/revendications/{claim.pk}/approuver/").status_code == 302
    workspace.refresh_from_db()
    assert workspace.verified and [m.to for m in mail.outbox] == [[founder.email]]
    assert api_client_for(founder, workspace).get("/api/v1/workspace").json()["verified"] is True

    signed = {**ELIGIBILITY, "evidence_date": "2021-03-15", "signature_image": signature_file()}
    assert client.post("/recus/habilitation/", signed).status_code == 302  # no receipt is issued unsigned
    alliance = make_alliance(workspace, founder)
    contribution = gift(alliance, workspace, founder)
    issued = client.post("/recus/emettre/", {"contribution": contribution.pk})
    assert issued.status_code == 302
    receipt = Receipt.objects.get(workspace=workspace)
    assert receipt.number == 1 and receipt.issuer_id == association.pk
    events = AuditEvent.objects.filter(workspace=workspace).exclude(action__startswith="api_token.")
    actions = list(events.order_by("id").values_list("action", flat=True))
    assert actions[:3] == ["claim.submitted", "claim.approved", "eligibility.changed"]


# --- claims: rules ---------------------------------------------------------------------------------------------


def test_an_unproved_address_can_neither_claim_nor_ask_to_join(workspace_a, org_a):
    unproved = make_user("pas-encore@exemple.fr")
    User.objects.filter(pk=unproved.pk).update(email_verified_at=None)
    client = client_for(unproved)
    other = create_organization(data={"kind": "association", "name": "Nouvelle", "rna": "W691000077"})
    for organization in (other, org_a):
        page = client.post("/espaces/nouveau/", {"name": "X", "organization": organization.pk})
        assert page.status_code == 400 and "e-mail de confirmation" in page_text(page)
    assert not Membership.objects.filter(user=unproved).exists() and not JoinRequest.objects.exists()


def test_evidence_is_checked(people):
    association = create_organization(data={"kind": "association", "name": "Asso X", "rna": "W691000088"})
    _, client, _ = stranger_creates_workspace(association)
    bad = client.post(
        "/espace/verification/",
        {"evidence_kind": "kbis", "evidence": evidence(b"MZ\x90\x00 not a pdf", "kbis.exe"), "statement": "court"},
    )
    text = page_text(bad)
    assert bad.status_code == 400 and "PDF, une image PNG ou JPEG" in text and "10 caractères au moins" in text
    assert 'for="id_evidence"' in bad.content.decode()


def test_evidence_size_limit(people, settings):
    settings.CLAIM_EVIDENCE_MAX_BYTES = 100
    association = create_organization(data={"kind": "association", "name": "Asso Y", "rna": "W691000066"})
    _, client, _ = stranger_creates_workspace(association)
    big = client.post(
        "/espace/verification/",
        {"evidence_kind": "joafe", "evidence": evidence(PDF * 10), "statement": "Je suis le trésorier."},
    )
    assert big.status_code == 400 and "Fichier trop lourd" in page_text(big)
    assert not OrganizationClaim.objects.exists()


def test_approving_one_claim_supersedes_the_others_and_one_verified_seat_only(
    people, django_capture_on_commit_callbacks
):
    association = create_organization(data={"kind": "association", "name": "Asso Z", "rna": "W691000055"})
    first, c1, _ = stranger_creates_workspace(association, "une@z.test")
    second, c2, _ = stranger_creates_workspace(association, "deux@z.test")
    for client in (c1, c2):
        client.post(
            "/espace/verification/",
            {"evidence_kind": "recepisse", "evidence": evidence(), "statement": "Membre du bureau de Z."},
        )
    one, two = OrganizationClaim.objects.order_by("pk")
    staff = operator()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        claims.approve_claim(claim=one, operator=staff)
    two.refresh_from_db()
    assert two.status == "superseded" and {tuple(m.to) for m in mail.outbox} == {(first.email,), (second.email,)}
    assert "demandez à le rejoindre" in mail.outbox[1].body or "demandez à le rejoindre" in mail.outbox[0].body
    with pytest.raises(Exception, match="déjà close"):
        claims.approve_claim(claim=two, operator=staff)
    loser = Workspace.objects.get(claims=two)
    with pytest.raises(IntegrityError), transaction.atomic():
        Workspace.objects.filter(pk=loser.pk).update(verified_at=timezone.now())
    # The loser asks to join instead; the verified owners accept with a role of their choice.
    c2.post("/espaces/nouveau/", {"name": "Z", "organization": association.pk, "message": "Je suis Deux"})
    join = JoinRequest.objects.get(user=second)
    members = c1.get("/espace/membres/")
    assert "Je suis Deux" in page_text(members) and 'for="join-role-' in members.content.decode()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert c1.post(f"/espace/demandes/{join.pk}/accepter/", {"role": "viewer"}).status_code == 302
    assert Membership.objects.get(user=second, workspace=one.workspace).role == "viewer"
    assert [m.to for m in mail.outbox] == [[second.email]]
    assert AuditEvent.objects.filter(action="join_request.accepted", details__role="viewer").exists()


def test_refusal_and_resubmission(people, django_capture_on_commit_callbacks):
    association = create_organization(data={"kind": "association", "name": "Asso R", "rna": "W691000044"})
    founder, client, _ = stranger_creates_workspace(association)
    statement = "Gérant de la société depuis 2019."
    client.post("/espace/verification/", {"evidence_kind": "kbis", "evidence": evidence(), "statement": statement})
    claim = OrganizationClaim.objects.get()
    desk = client_for(operator())
    empty = desk.post(f"/operateurs/revendications/{claim.pk}/refuser/", {"reason": ""})
    assert empty.status_code == 400 and "Motif du refus" in page_text(empty)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        desk.post(f"/operateurs/revendications/{claim.pk}/refuser/", {"reason": "Kbis d'une autre société"})
    claim.refresh_from_db()
    assert claim.status == "refused" and "Kbis d'une autre société" in mail.outbox[0].body
    assert "Kbis d'une autre société" in page_text(client.get("/espace/verification/"))
    again = client.post(
        "/espace/verification/", {"evidence_kind": "recepisse", "evidence": evidence(), "statement": "Président."}
    )
    assert again.status_code == 302 and OrganizationClaim.objects.filter(status="pending").count() == 1
    assert AuditEvent.objects.filter(action="claim.refused", details__reason="Kbis d'une autre société").exists()


def test_owners_refuse_a_join_request_and_others_cannot_answer(
    people, workspace_a, workspace_b, org_a, django_capture_on_commit_callbacks
):
    requester = proved_user("curieux@exemple.fr")
    join = claims.request_to_join(user=requester, organization=org_a, message="Bonjour")
    assert claims.request_to_join(user=requester, organization=org_a) == join  # no duplicate
    assert client_for(people["member"]).post(f"/espace/demandes/{join.pk}/refuser/").status_code == 403
    assert client_for(people["other_workspace"]).post(f"/espace/demandes/{join.pk}/refuser/").status_code == 404
    with pytest.raises(Exception, match="propriétaire"):
        claims.accept_join_request(join_request=join, actor=people["admin"], role="owner")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client_for(people["admin"]).post(f"/espace/demandes/{join.pk}/refuser/", {"reason": "Inconnu"})
    join.refresh_from_db()
    assert join.status == "refused" and mail.outbox[0].to == [requester.email]
    assert not Membership.objects.filter(user=requester).exists()
    assert AuditEvent.objects.filter(action="join_request.made").count() == 1


def test_operators_area_is_staff_only(people):
    assert client_for(people["owner"]).get("/operateurs/revendications/").status_code == 404
    assert client_for(None).get("/operateurs/revendications/").status_code == 302
    assert client_for(operator()).get("/operateurs/revendications/").status_code == 200


def test_a_claimant_sees_only_its_own_claim(people, workspace_a, org_a):
    association = create_organization(data={"kind": "association", "name": "Asso T", "rna": "W691000033"})
    _, client, _ = stranger_creates_workspace(association, "t@t.test")
    client.post("/espace/verification/", {"evidence_kind": "kbis", "evidence": evidence(), "statement": "Secret T."})
    other_page = page_text(client_for(people["owner"]).get("/espace/verification/"))
    assert "Secret T." not in other_page and "Espace vérifié" in other_page


# --- eligibility journal, observatory --------------------------------------------------------------------------


def test_every_change_of_eligibility_is_journaled_and_mailed_to_the_owners(
    people, workspace_a, django_capture_on_commit_callbacks
):
    second_owner = make_user("owner2@a.test")
    Membership.objects.create(workspace=workspace_a, user=second_owner, role="owner")
    make_eligible(workspace_a, people["owner"])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        make_eligible(workspace_a, people["admin"], signatory_name="Marc Petit")
    event = AuditEvent.objects.filter(action="eligibility.changed").order_by("-id").first()
    assert event.details == {"before": {"signatory_name": "Claire Dubois"}, "after": {"signatory_name": "Marc Petit"}}
    assert event.actor_id == people["admin"].pk and event.workspace_id == workspace_a.pk
    assert [sorted(m.to) for m in mail.outbox] == [["owner2@a.test", "owner@a.test"]]
    assert "Marc Petit" in mail.outbox[0].body and "Claire Dubois" in mail.outbox[0].body
    assert "signataire" in mail.outbox[0].body
    make_eligible(workspace_a, people["admin"], signatory_name="Marc Petit")  # saved again, unchanged
    assert AuditEvent.objects.filter(action="eligibility.changed").count() == 2


def test_no_mail_leaves_when_the_change_is_rolled_back(people, workspace_a, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        make_eligible(workspace_a, people["owner"])
        raise RuntimeError
    assert callbacks == [] and mail.outbox == [] and not Eligibility.objects.exists()


def test_an_unverified_workspace_cannot_consent_to_the_observatory(people, org_a):
    stranger = proved_user("intrus@exemple.fr")
    claimed = Workspace.objects.create(name="Espace de l'intrus", organization=org_a)
    Membership.objects.create(workspace=claimed, user=stranger, role="owner")
    answer = client_for(stranger).post("/espace/observatoire/", {"contributes": "on"})
    assert answer.status_code == 403 and "observatoire" in page_text(answer)
    claimed.refresh_from_db()
    assert not claimed.contributes_to_observatory


def test_the_observatory_counts_only_verified_workspaces(db):
    from maillage.demo.generate import generate
    from maillage.observatory.models import Cell
    from maillage.observatory.refresh import refresh

    generate(scale=0.0008, seed=11, departement="69")
    refresh()
    year = Cell.objects.filter(level="france", cause="", band="").order_by("-year").values_list("year", flat=True)[0]

    def counted() -> int:
        cell = Cell.objects.get(level="france", code="FR", year=year, cause="", band="")
        return cell.associations or 0

    before = counted()
    spaces = list(Workspace.objects.filter(contributes_to_observatory=True).order_by("pk"))
    half = spaces[: len(spaces) // 2]
    Workspace.objects.filter(pk__in=[w.pk for w in half]).update(verified_at=None)
    refresh()
    assert 0 < counted() < before


def test_existing_workspaces_verified_by_the_migration_oldest_first():
    from importlib import import_module

    from django.apps import apps

    migration = import_module("maillage.workspaces.migrations.0003_verified_claims")
    org = create_organization(data={"kind": "association", "name": "Ancienne", "rna": "W691000022"})
    alone = create_organization(data={"kind": "association", "name": "Seule", "rna": "W691000011"})
    old = Workspace.objects.create(name="Ancien", organization=org)
    later = Workspace.objects.create(name="Plus tard", organization=org)
    single = Workspace.objects.create(name="Seul", organization=alone)
    Workspace.objects.filter(pk=old.pk).update(created_at=timezone.make_aware(timezone.datetime(2024, 1, 1)))
    migration.existing_workspaces_verified(apps, None)
    verified = set(Workspace.objects.filter(verified_at__isnull=False).values_list("pk", flat=True))
    assert old.pk in verified and single.pk in verified and later.pk not in verified
    old.refresh_from_db()
    assert old.verified_at == old.created_at
