"""Headers on every response, e-mails after the commit, single-line fields, daily jobs past a failing item, 0600 files.

See docs/security.md « En-têtes et entrées hostiles ». NUL bytes, out-of-range numbers, malformed multipart and
hostile archives are in tests/test_hostile_input.py; the API fuzz in tests/api/test_fuzz.py.
"""

from __future__ import annotations

import json
import os
import stat
import tarfile
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.test import Client

from maillage.alliances import actions
from maillage.alliances.models import Agreement, Alliance
from maillage.organizations.models import Organization
from tests.conftest import api_client_for, client_for, page_text

pytestmark = pytest.mark.django_db


# --- Headers ---------------------------------------------------------------------------------------------------


def test_every_kind_of_response_carries_csp_permissions_and_referrer_policies(people):
    responses = {
        "page": Client().get("/observatoire/"),
        "login": Client().get("/compte/connexion/"),
        "private page": client_for(people["owner"]).get("/annuaire/"),
        "404": Client().get("/nulle-part/"),
        "400": Client().get("/observatoire/?cause=%00"),
        "API": Client().get("/api/v1/observatory/indicators"),
        "API 401": Client().get("/api/v1/alliances"),
        "Swagger UI": Client().get("/api/v1/docs"),
        "static": Client().get("/static/web/maillage.js"),
    }
    for what, response in responses.items():
        csp = response.get("Content-Security-Policy", "")
        directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
        assert directives.get("default-src") == "'self'", what
        assert directives.get("script-src") == "'self'", (what, csp)  # no 'unsafe-inline', no 'unsafe-eval'
        assert directives.get("style-src") == "'self'", (what, csp)
        assert directives.get("object-src") == "'none'" and directives.get("frame-ancestors") == "'none'", what
        assert directives.get("base-uri") == "'self'" and directives.get("form-action") == "'self'", what
        policy = response.get("Permissions-Policy", "")
        for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
            assert f"{feature}=()" in policy, (what, policy)
        assert response.get("Referrer-Policy") == "same-origin", what


def test_pages_hold_no_inline_script_handler_or_style(people, workspace_a):
    import re

    client = client_for(people["owner"])
    for url in ("/", "/annuaire/", "/alliances/nouvelle/", "/observatoire/", "/donnees/", "/recus/"):
        html = client.get(url, follow=True).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")", html), url
        assert not re.search(r"\son[a-z]+=", html), url
        assert not re.search(r"\sstyle=", html) and "<style" not in html, url
        assert "hx-on" not in html and "js:" not in html, url


# --- E-mails after the commit ----------------------------------------------------------------------------------


@pytest.fixture
def alliance(people, workspace_a, org_b):
    return actions.create_alliance(
        workspace=workspace_a,
        user=people["owner"],
        name="Jardins partagés",
        forms=["mecenat_financier"],
        partners=[(org_b, "partner", "")],
    )


class Rollback(Exception):
    pass


def test_a_rolled_back_invitation_sends_nothing(
    alliance, people, workspace_a, org_b, django_capture_on_commit_callbacks
):
    party = alliance.parties.get(organization=org_b)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                actions.invite_party(
                    alliance=alliance, workspace=workspace_a, user=people["owner"], party=party, email="b@b.test"
                )
                raise Rollback
        except Rollback:
            pass
    assert callbacks == [] and mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        actions.invite_party(
            alliance=alliance, workspace=workspace_a, user=people["owner"], party=party, email="b@b.test"
        )
    assert [m.to for m in mail.outbox] == [["b@b.test", "member@b.test"]]


def test_nothing_is_sent_before_the_commit(alliance, people, workspace_a, org_b, django_capture_on_commit_callbacks):
    party = alliance.parties.get(organization=org_b)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        actions.invite_party(alliance=alliance, workspace=workspace_a, user=people["owner"], party=party)
        assert mail.outbox == []  # queued, not sent
    assert len(callbacks) == 1


# --- CR/LF -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Jardins\r\nBcc: victime@example.test", "Jardins\npartagés", "Jardins\rpartagés"])
def test_single_line_fields_refuse_line_breaks_in_the_api_and_the_pages(people, workspace_a, org_b, name):
    api = api_client_for(people["owner"], workspace_a)
    response = api.post(
        "/api/v1/alliances",
        {"name": name, "forms": ["mecenat_financier"], "partners": [{"organization_id": org_b.pk, "role": "partner"}]},
        content_type="application/json",
    )
    assert response.status_code == 422, response.content
    assert "tient sur une seule ligne" in response.json()["detail"]
    org = api.post(
        "/api/v1/organizations",
        {"kind": "association", "name": name, "commune": "69266"},
        content_type="application/json",
    )
    assert org.status_code == 422 and "Le nom de l'organisation tient sur une seule ligne" in org.json()["detail"]
    page = client_for(people["owner"]).post(
        "/annuaire/nouvelle/", {"kind": "association", "name": name, "commune": "69266"}
    )
    assert "Le nom de l'organisation tient sur une seule ligne" in page_text(page)


def test_agreement_interaction_and_need_titles_refuse_line_breaks(alliance, people, workspace_a):
    from django.core.exceptions import ValidationError

    from maillage.matching.actions import create_item

    owner = people["owner"]
    with pytest.raises(ValidationError) as refused:
        actions.record_agreement(
            alliance=alliance,
            workspace=workspace_a,
            user=owner,
            kind="mecenat",
            title="A\nB",
            signed_on=date(2025, 1, 1),
        )
    assert refused.value.message_dict["title"] == [
        "L'intitulé de l'accord tient sur une seule ligne : retirez les retours à la ligne."
    ]
    with pytest.raises(ValidationError) as refused:
        actions.log_interaction(
            alliance=alliance,
            workspace=workspace_a,
            user=owner,
            kind="meeting",
            occurred_on=date(2025, 1, 1),
            duration_minutes=30,
            subject="Réunion\r\nBcc: x@y.test",
        )
    assert "subject" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        create_item(workspace=workspace_a, user=owner, item_type="need", data={"title": "Besoin\nsur deux lignes"})
    assert "title" in refused.value.message_dict


def test_an_old_name_with_a_line_break_no_longer_breaks_the_invitation_api(
    alliance, people, workspace_a, org_b, django_capture_on_commit_callbacks
):
    """Names saved before the rule (or by an old import) still hold CR/LF: the e-mail subject is made one line."""
    Alliance.objects.filter(pk=alliance.pk).update(name="Jardins\r\nBcc: victime@example.test")
    party = alliance.parties.get(organization=org_b)
    api = api_client_for(people["owner"], workspace_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            f"/api/v1/alliances/{alliance.pk}/parties/{party.pk}/invitations", {}, content_type="application/json"
        )
    assert response.status_code == 201, response.content
    (message,) = mail.outbox
    assert "\n" not in message.subject and "\r" not in message.subject
    assert message.subject.endswith("« Jardins Bcc: victime@example.test »")
    assert message.recipients() == ["member@b.test"]


# --- Daily jobs go on past a failing item ----------------------------------------------------------------------


def agreement(alliance, workspace, user, title, renewal_on):
    return actions.record_agreement(
        alliance=alliance,
        workspace=workspace,
        user=user,
        kind="mecenat",
        title=title,
        signed_on=date(2025, 1, 1),
        renewal_on=renewal_on,
    )


@pytest.mark.django_db(transaction=True)
def test_remind_agreements_goes_on_when_one_item_fails(people, workspace_a, org_b, monkeypatch, caplog):
    """A legacy title with CR/LF is sent on one line; an e-mail that fails is logged and retried, the others leave."""
    lyon = Organization.objects.get(territory_key="commune:69123")
    owner = people["owner"]
    alliance = actions.create_alliance(
        workspace=workspace_a,
        user=owner,
        name="Convention",
        forms=["mecenat_financier"],
        partners=[(lyon, "funder", "")],
    )
    today = date.today()
    first = agreement(alliance, workspace_a, owner, "Accord un", today + timedelta(days=3))
    broken = agreement(alliance, workspace_a, owner, "Accord deux", today + timedelta(days=4))
    third = agreement(alliance, workspace_a, owner, "Accord trois", today + timedelta(days=5))
    Agreement.objects.filter(pk=first.pk).update(title="Accord\r\nun")  # saved before the rule
    from django.core import mail as django_mail

    real_send = django_mail.send_mail

    def flaky_send(*, subject, **kwargs):
        if "Accord deux" in subject:
            raise ConnectionError("serveur SMTP injoignable")
        return real_send(subject=subject, **kwargs)

    monkeypatch.setattr("maillage.core.mail.send_mail", flaky_send)
    out = StringIO()
    call_command("remind_agreements", stdout=out)
    assert "2 rappel(s)" in out.getvalue()
    assert sorted(m.subject.split(" : ", 1)[1] for m in mail.outbox) == ["Accord trois", "Accord un"]
    assert "Rappel de renouvellement de l'accord" in caplog.text
    reminded = dict(Agreement.objects.values_list("pk", "reminder_sent_on"))
    assert reminded[first.pk] == today and reminded[third.pk] == today
    assert reminded[broken.pk] is None  # retried on the next run


# --- Files holding personal data or secrets: 0600 from the start -----------------------------------------------


@pytest.mark.django_db(transaction=True)  # SQLite's backup API waits for the test's open transaction otherwise
def test_a_backup_is_written_0600_from_its_first_byte(tmp_path, monkeypatch, people, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    output = tmp_path / "backups" / "sauvegarde.tar.gz"
    output.parent.mkdir()
    output.write_bytes(b"old, world-readable")
    output.chmod(0o644)
    old_umask = os.umask(0o022)
    seen_while_writing = []
    real_addfile = tarfile.TarFile.addfile

    def spy(self, tarinfo, fileobj=None):
        seen_while_writing.extend(
            stat.S_IMODE(p.stat().st_mode) for p in output.parent.iterdir() if p.name != "sauvegarde.tar.gz"
        )
        return real_addfile(self, tarinfo, fileobj)

    monkeypatch.setattr(tarfile.TarFile, "addfile", spy)
    try:
        call_command("backup", str(output), stdout=StringIO())
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(output.stat().st_mode) == 0o600
    assert seen_while_writing and set(seen_while_writing) == {0o600}  # the file being written, never wider
    assert sorted(p.name for p in output.parent.iterdir()) == ["sauvegarde.tar.gz"]  # no temporary left
    with tarfile.open(output) as archive:
        assert json.load(archive.extractfile("manifest.json"))["format"] == "maillage-backup"


def test_an_export_file_is_written_0600(tmp_path, workspace_a, people):
    output = tmp_path / "archive.zip"
    old_umask = os.umask(0o022)
    try:
        call_command("export", "--workspace", str(workspace_a.pk), "--archive", "-o", str(output), stdout=StringIO())
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(output.stat().st_mode) == 0o600
