"""The canary: a person planted everywhere, found by the finder, exported, erased through the API; afterwards the
name is in no table, no uploaded file and no fresh backup, except the issued receipt the law keeps 6 years (and
its gift), which the daily purge erases when the hold ends. On SQLite and PostgreSQL alike (``.ci/run``)."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest

from maillage.privacy.actions import purge_personal_data
from maillage.privacy.models import HeldErasure
from tests.conftest import api_client_for, client_for
from tests.privacy.canary import (
    EMAIL,
    NAME,
    backup_names_the_canary,
    files_naming_the_canary,
    plant,
    tables_naming_the_canary,
)

pytestmark = pytest.mark.django_db(transaction=True)

HELD = {"receipts_receipt", "receipts_individualgift", "receipts_donor"}


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path


def test_an_erased_person_is_found_nowhere(people, workspace_a, media):
    owner, admin = people["owner"], people["admin"]
    planted = plant(workspace_a, owner, client_for(owner))
    before = tables_naming_the_canary()
    # The search below can fail: it finds the canary where it was planted, in the files and in a backup.
    assert {
        "organizations_contact",
        "alliances_interaction",
        "organizations_privatenote",
        "alliances_alliancenote",
        "contributions_skillsline",
        "workspaces_invitation",
        "audit_auditevent",
        "exchange_uploadchunk",  # the uploaded file, kept in chunks (exchange/stored.py)
        *HELD,
    } <= before, before
    assert files_naming_the_canary()
    assert backup_names_the_canary(media)

    api = api_client_for(admin, workspace_a)
    found = {s["source"]: s for s in api.get("/api/v1/privacy/people", {"q": "zorglub"}).json()}
    assert {"contacts", "attendances", "skills_lines", "donors", "individual_gifts", "receipts", "import_files",
            "agreement_files", "interactions", "invitations", "journal"} <= set(found)  # fmt: skip
    assert found["receipts"]["rows"][0]["held_until"] == planted["receipt"].retain_until.isoformat()

    export = client_for(admin).get("/espace/donnees-personnelles/export/", {"q": NAME})
    assert export.status_code == 200 and export["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(export.content)) as archive:
        data = json.loads(archive.read("donnees.json"))
        contacts_csv = archive.read("contacts.csv").decode("utf-8-sig")
    assert "Nom;Fonction;E-mail" in contacts_csv and NAME in contacts_csv and EMAIL in contacts_csv
    assert any(s["source"] == "Dons de particuliers" and s["nombre"] == 2 for s in data["sources"])

    refused = api.post("/api/v1/privacy/erase", {"q": NAME}, content_type="application/json")
    assert refused.status_code == 422 and "confirm" in refused.json()["detail"]
    erased = api.post("/api/v1/privacy/erase", {"q": NAME, "confirm": True}, content_type="application/json")
    assert erased.status_code == 200, erased.content
    assert erased.json()["held"] == {"Donateurs particuliers": 1, "Dons de particuliers": 1, "Reçus fiscaux émis": 1}

    # Only what the law keeps still names the person; the finder says until when.
    assert tables_naming_the_canary() == HELD
    assert files_naming_the_canary() == []
    assert api.get("/api/v1/privacy/people", {"q": "zorglub"}).json()[0]["rows"][0]["held_until"]
    assert HeldErasure.objects.count() == 3

    # The day after the hold ends, the daily purge erases them; nothing is left, a fresh backup included.
    purge_personal_data(today=planted["receipt"].retain_until + timedelta(days=1))
    assert tables_naming_the_canary() == set()
    assert HeldErasure.objects.count() == 0
    assert not backup_names_the_canary(media)
    assert api.get("/api/v1/privacy/people", {"q": "zorglub"}).json() == []
