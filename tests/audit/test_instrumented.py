"""Each instrumented action, driven through its page, API or command, writes exactly one event: right actor,
workspace and address."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command

from maillage.alliances import actions as alliance_actions
from maillage.audit.models import AuditEvent
from maillage.exchange import runner
from maillage.exchange.jobs import create_job
from maillage.receipts.actions import record_individual_gift
from maillage.receipts.models import Receipt
from tests.audit.helpers import IP, IP_B, check, only
from tests.conftest import api_client_for, client_for
from tests.receipts.factories import gift, make_alliance, make_eligible

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.RECEIPTS_BATCH_INLINE = True


@pytest.fixture
def receivable(people, workspace_a):
    owner = people["owner"]
    make_eligible(workspace_a, owner)
    return gift(make_alliance(workspace_a, owner), workspace_a, owner)


def test_receipt_issued_and_cancelled_from_the_pages(people, workspace_a, receivable):
    member = people["member"]
    client = client_for(member)
    client.post("/recus/emettre/", {"contribution": receivable.pk, "legal_form": "SAS"}, REMOTE_ADDR=IP)
    receipt = Receipt.objects.get()
    issued = only("receipt.issued")
    check(issued, actor=member, workspace=workspace_a)
    assert (issued.target_type, issued.target_id) == ("Receipt", str(receipt.pk))
    assert issued.details == {"reference": receipt.reference, "form": receipt.form, "amount": "1000.00"}
    assert "Mozilla" not in issued.user_agent
    client.post(
        f"/recus/{receipt.pk}/annuler/",
        {"reason": "Montant erroné"},
        REMOTE_ADDR=IP,
        HTTP_USER_AGENT="Mozilla/5.0 Test",
    )
    cancelled = only("receipt.cancelled")
    check(cancelled, actor=member, workspace=workspace_a)
    assert cancelled.details == {"reason": "Montant erroné"} and cancelled.user_agent == "Mozilla/5.0 Test"
    # Besides what the setting up journaled (eligibility, logins): the issue and the cancellation, nothing else.
    assert AuditEvent.objects.filter(action__startswith="receipt.").count() == 2


def test_receipt_issued_and_corrected_through_the_api(people, workspace_a, receivable):
    member = people["member"]
    client = api_client_for(member, workspace_a)
    response = client.post(
        "/api/v1/receipts", {"contribution": receivable.pk}, content_type="application/json", REMOTE_ADDR=IP_B
    )
    assert response.status_code == 201
    check(only("receipt.issued"), actor=member, workspace=workspace_a, ip=IP_B)
    receipt_id = response.json()["id"]
    response = client.post(
        f"/api/v1/receipts/{receipt_id}/cancel",
        {"reason": "Forme juridique", "correct": True},
        content_type="application/json",
        REMOTE_ADDR=IP_B,
    )
    assert response.status_code == 200
    check(only("receipt.cancelled"), actor=member, workspace=workspace_a, ip=IP_B)
    replacement = AuditEvent.objects.filter(action="receipt.issued").order_by("-id").first()
    first = Receipt.objects.get(pk=receipt_id)
    assert replacement.details["replaces"] == first.reference
    assert AuditEvent.objects.filter(action="receipt.issued").count() == 2


def test_a_refused_receipt_writes_nothing(people, workspace_a, receivable):
    client_for(people["member"]).post("/recus/emettre/", {"contribution": receivable.pk}, REMOTE_ADDR=IP)
    client_for(people["member"]).post("/recus/emettre/", {"contribution": receivable.pk}, REMOTE_ADDR=IP)
    assert Receipt.objects.count() == 1 and AuditEvent.objects.filter(action="receipt.issued").count() == 1


def test_batch_from_the_page_journals_each_receipt_and_each_email(people, workspace_a, receivable):
    owner = people["owner"]
    record_individual_gift(
        workspace=workspace_a,
        user=owner,
        donor_name="Paul Lefèvre",
        donor_address="3 place Bellecour, 69002 Lyon",
        amount="150.50",
        received_on=date(2025, 3, 1),
        payment_method="virement",
        donor_email="paul@example.test",
    )
    response = client_for(people["member"]).post("/recus/lot/", {"year": "2025", "send_emails": "on"}, REMOTE_ADDR=IP)
    assert response.status_code == 302
    issued = list(AuditEvent.objects.filter(action="receipt.issued"))
    assert len(issued) == Receipt.objects.count() == 2
    assert {e.target_id for e in issued} == {str(pk) for pk in Receipt.objects.values_list("pk", flat=True)}
    for event in issued:
        check(event, actor=people["member"], workspace=workspace_a)
        assert "batch" in event.details
    sent = only("receipt.sent")  # the company has no contact e-mail: one e-mail, to Paul
    check(sent, actor=people["member"], workspace=workspace_a)
    assert sent.details["to"] == "paul@example.test" and len(mail.outbox) == 1


def test_batch_from_the_command_line_has_no_person_and_no_address(people, workspace_a, receivable):
    call_command("issue_receipts", workspace=workspace_a.pk, year=2025, no_email=True, stdout=io.StringIO())
    check(only("receipt.issued"), actor=None, workspace=workspace_a, ip=None)


def test_accounting_export_is_journaled(people, workspace_a, receivable):
    client = client_for(people["viewer"])
    assert client.get("/recus/comptabilite/?annee=2025").status_code == 200
    assert not AuditEvent.objects.filter(action="accounting.exported").exists()  # looking at the page is not an export
    response = client.get("/recus/comptabilite/?annee=2025&format=fec", REMOTE_ADDR=IP)
    assert response.status_code == 200
    event = only("accounting.exported")
    check(event, actor=people["viewer"], workspace=workspace_a)
    assert event.details["format"] == "fec"


CONTACTS = "Organisation;Nom\r\nW691000001;Personne importée\r\n".encode()


def test_import_started_finished_and_undone_from_the_pages(people, workspace_a):
    member = people["member"]
    job = create_job(workspace=workspace_a, user=member, entity="contact", filename="c.csv", content=CONTACTS)
    runner.validate(job)
    client = client_for(member)
    assert client.post(f"/donnees/imports/{job.pk}/lancer/", REMOTE_ADDR=IP).status_code == 302
    started = only("import.started")
    check(started, actor=member, workspace=workspace_a)
    assert (started.target_type, started.target_id) == ("ImportJob", str(job.pk))
    finished = only("import.finished")
    check(finished, actor=None, workspace=workspace_a, ip=None)
    assert finished.details == {"filename": "c.csv", "entity": "contact"}
    assert client.post(f"/donnees/imports/{job.pk}/annuler/", {"confirm": "1"}, REMOTE_ADDR=IP).status_code == 302
    undone = only("import.undone")
    check(undone, actor=member, workspace=workspace_a)
    assert undone.details["deleted_rows"] == 1
    assert not AuditEvent.objects.filter(action="import.failed").exists()


def test_a_refused_archive_import_is_journaled_as_failed(people, workspace_a, tmp_path):
    import json
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        data = {"format": "maillage-archive", "version": 1, "organizations": [{"ref": 1, "kind": "nope", "name": ""}]}
        archive.writestr("maillage.json", json.dumps(data))
    job = create_job(
        workspace=workspace_a, user=people["member"], entity="archive", filename="a.zip", content=buffer.getvalue()
    )
    runner.start(job, user=people["member"])
    job.refresh_from_db()
    assert job.status == "failed"
    failed = only("import.failed")
    check(failed, actor=None, workspace=workspace_a, ip=None)
    assert failed.details["message"] == job.message[:500]
    assert not AuditEvent.objects.filter(action="import.finished").exists()


def test_import_from_the_command_line(people, workspace_a, tmp_path):
    path = Path(tmp_path / "contacts.csv")
    path.write_bytes(CONTACTS)
    call_command(
        "import",
        file=str(path),
        entity="contact",
        workspace=workspace_a.pk,
        user=people["member"].email,
        stdout=io.StringIO(),
    )
    check(only("import.started"), actor=people["member"], workspace=workspace_a, ip=None)
    check(only("import.finished"), actor=None, workspace=workspace_a, ip=None)


def test_exports_and_archive_downloads_are_journaled(people, workspace_a):
    viewer = people["viewer"]
    client = client_for(viewer)
    assert client.get("/donnees/export/contacts.csv", REMOTE_ADDR=IP).status_code == 200
    event = only("export.downloaded")
    check(event, actor=viewer, workspace=workspace_a)
    assert event.details == {"table": "contacts", "format": "csv", "rows": 0}
    assert client.get("/donnees/export/archive.zip", REMOTE_ADDR=IP).status_code == 200
    check(only("archive.downloaded"), actor=viewer, workspace=workspace_a)
    assert client.get("/tableau-de-bord/export/formes.xlsx", REMOTE_ADDR=IP).status_code == 200
    assert AuditEvent.objects.filter(action="export.downloaded", details__table="tableau-de-bord-formes").count() == 1
    api = api_client_for(viewer, workspace_a)
    assert api.get("/api/v1/exchange/export/alliances?format=xlsx", REMOTE_ADDR=IP_B).status_code == 200
    from_api = AuditEvent.objects.get(action="export.downloaded", details__table="alliances")
    check(from_api, actor=viewer, workspace=workspace_a, ip=IP_B)
    assert AuditEvent.objects.filter(action__in=["export.downloaded", "archive.downloaded"]).count() == 4


def test_export_from_the_command_line(workspace_a, tmp_path):
    out = tmp_path / "a.zip"
    call_command("export", workspace=workspace_a.pk, archive=True, output=str(out), stdout=io.StringIO())
    check(only("archive.downloaded"), actor=None, workspace=workspace_a, ip=None)


@pytest.fixture
def alliance_with_b(people, workspace_a, org_b):
    owner = people["owner"]
    return alliance_actions.create_alliance(
        workspace=workspace_a,
        user=owner,
        name="Partage",
        forms=["innovation_sociale"],
        partners=[(org_b, "partner", "")],
    )


def test_sharing_invitation_sent_then_accepted(people, workspace_a, workspace_b, org_b, alliance_with_b):
    party = alliance_with_b.parties.get(organization=org_b)
    response = client_for(people["member"]).post(
        f"/alliances/{alliance_with_b.pk}/inviter/", {"party": party.pk}, REMOTE_ADDR=IP
    )
    assert response.status_code == 302
    sent = only("sharing.invitation_sent")
    check(sent, actor=people["member"], workspace=workspace_a)
    assert sent.target_type == "PartyInvitation" and "Partage" in sent.target_label
    invitation = party.invitations.get()
    response = api_client_for(people["other_workspace"], workspace_b).post(
        f"/api/v1/alliances/invitations/{invitation.pk}/accept", {}, content_type="application/json", REMOTE_ADDR=IP_B
    )
    assert response.status_code == 200
    accepted = only("sharing.invitation_accepted")
    check(accepted, actor=people["other_workspace"], workspace=workspace_b, ip=IP_B)
    assert accepted.target_id == str(invitation.pk)


def test_sharing_invitation_declined(people, workspace_a, workspace_b, org_b, alliance_with_b):
    party = alliance_with_b.parties.get(organization=org_b)
    invitation = alliance_actions.invite_party(
        alliance=alliance_with_b, workspace=workspace_a, user=people["owner"], party=party
    )
    response = client_for(people["other_workspace"]).post(
        f"/alliances/invitations/{invitation.pk}/decliner/", REMOTE_ADDR=IP
    )
    assert response.status_code == 302
    check(only("sharing.invitation_declined"), actor=people["other_workspace"], workspace=workspace_b)


def test_observatory_consent_changes_are_journaled(people, workspace_a):
    client = client_for(people["admin"])
    client.post("/espace/observatoire/", {"contributes": "on"}, REMOTE_ADDR=IP)
    event = only("observatory.consent_changed")
    check(event, actor=people["admin"], workspace=workspace_a)
    assert event.details == {"contributes": True}
    client.post("/espace/observatoire/", {"contributes": "on"}, REMOTE_ADDR=IP)  # unchanged: nothing to journal
    client.post("/espace/observatoire/", {}, REMOTE_ADDR=IP)
    assert list(
        AuditEvent.objects.filter(action="observatory.consent_changed").order_by("id").values_list("details", flat=True)
    ) == [{"contributes": True}, {"contributes": False}]
