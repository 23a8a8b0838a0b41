"""An import through the API alone (issue 20): upload → how the file is read → columns → check → start → report;
the same exchange actions as the pages, so the same rules (reused columns, a wrong mapping refused with what to fix,
a job started once, decisions on uncertain matches)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from maillage.core.roles import Role
from maillage.exchange.models import ImportJob, JobStatus
from maillage.organizations.models import Organization
from maillage.workspaces.models import Membership
from tests.conftest import api_client_for, make_user
from tests.exchange.helpers import contribution_rows, csv_bytes

pytestmark = pytest.mark.django_db

JOBS = "/api/v1/exchange/jobs"
ORGANIZATIONS = [
    ["Raison sociale", "SIREN", "Ville", "Type"],
    ["MENUISERIE DU LAC", "732 829 320", "74010", "entreprise"],  # identifier: the existing entry
    ["La Fondation des Rives", "", "69123", "fondation"],  # near name, same commune: to decide
    ["Ateliers Nouveaux", "", "Villeurbanne", "association"],  # new
    ["Mauvais Siren", "123456789", "69123", "association"],  # refused: checksum
]


def _upload(api, content: bytes, entity: str, name: str = "organisations.csv"):
    return api.post(JOBS, {"entity": entity, "file": SimpleUploadedFile(name, content, content_type="text/csv")})


@pytest.fixture
def api(workspace_a, owner):
    return api_client_for(owner, workspace_a)


def test_a_whole_import_through_the_api(api, workspace_a, company, foundation):
    response = _upload(api, csv_bytes(ORGANIZATIONS, delimiter=","), "organization")
    assert response.status_code == 201, response.content
    job = response.json()
    assert job["status"] == "uploaded" and job["previous_done_at"] is None and not job["can_start"]
    url = f"{JOBS}/{job['id']}"

    reading = api.get(f"{url}/reading").json()
    assert (reading["encoding"], reading["delimiter"], reading["refused"]) == ("utf-8-sig", ",", "")
    assert [c["header"] for c in reading["columns"]] == ORGANIZATIONS[0]
    assert reading["columns"][0]["samples"][:2] == ["MENUISERIE DU LAC", "La Fondation des Rives"]
    assert {f["name"] for f in reading["fields"] if f["required"]} == {"name"}
    guessed = {str(c["index"]): c["chosen"] for c in reading["columns"] if c["chosen"]}
    assert guessed == job["mapping"] and "name" in guessed.values()

    # A wrong mapping: every fault listed in French, nothing saved, nothing checked.
    response = api.put(
        f"{url}/mapping", {"mapping": {"0": "siren", "1": "siren", "9": "name", "2": "couleur"}}, "application/json"
    )
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "est choisi deux fois" in detail and "Colonne « 9 » inconnue" in detail
    assert "Champ « couleur » inconnu" in detail and "champ obligatoire « Nom »" in detail
    assert ImportJob.objects.get(pk=job["id"]).status == JobStatus.UPLOADED
    # Not checked: it cannot start.
    assert api.post(f"{url}/start", {}, "application/json").status_code == 409

    response = api.put(f"{url}/mapping", {"mapping": guessed}, "application/json")
    assert response.status_code == 200, response.content
    checked = response.json()
    assert checked["status"] == "validated" and checked["can_start"]
    assert checked["accepted_rows"] == 3 and checked["rejected_rows"] == 1
    assert [line["row"] for line in checked["report"]] == [5] and "clé de contrôle" in checked["report"][0]["message"]
    [proposal] = checked["proposals"]
    assert proposal["id"] == foundation.pk and proposal["row"] == 3
    assert Organization.objects.filter(name="Ateliers Nouveaux").count() == 0  # checked, nothing written

    before = Organization.objects.count()
    response = api.post(f"{url}/start", {"decisions": {"3": "new"}}, "application/json")
    assert response.status_code == 202, response.content
    done = api.get(url).json()
    assert done["status"] == "done" and done["created_rows"] == 2 and not done["can_start"]
    assert Organization.objects.count() == before + 2  # « new » for the near name: created, not linked
    assert api.post(f"{url}/start", {}, "application/json").status_code == 409  # started once

    # The same file again: its last import is told, and the columns chosen then are offered again.
    again = _upload(api, csv_bytes(ORGANIZATIONS, delimiter=","), "organization").json()
    assert again["previous_done_at"] is not None and again["mapping"] == guessed


def test_reading_again_with_another_separator(api, alliance):
    response = _upload(api, csv_bytes(contribution_rows(2)), "contribution", name="dons.csv")
    url = f"{JOBS}/{response.json()['id']}"
    assert api.get(f"{url}/reading").json()["delimiter"] == ";"
    response = api.put(f"{url}/reading", {"delimiter": "x"}, "application/json")
    assert response.status_code == 422 and "Séparateur inconnu « x »" in response.json()["detail"]
    reading = api.put(f"{url}/reading", {"delimiter": "|"}, "application/json").json()
    assert reading["chosen_delimiter"] == "|" and len(reading["columns"]) == 1  # one column: nothing fits
    reading = api.put(f"{url}/reading", {"delimiter": ""}, "application/json").json()
    assert reading["delimiter"] == ";" and len(reading["columns"]) == len(contribution_rows(0)[0])
    checked = api.put(f"{url}/mapping", {"mapping": api.get(url).json()["mapping"]}, "application/json").json()
    assert checked["accepted_rows"] == 2
    assert api.post(f"{url}/start", {}, "application/json").status_code == 202
    assert api.get(url).json()["created_rows"] == 2
    # Columns cannot be chosen any more once run.
    assert api.put(f"{url}/mapping", {"mapping": {}}, "application/json").status_code == 409


def test_upload_refusals_and_roles(api, workspace_a):
    response = api.post(JOBS, {"entity": "organization"})
    assert response.status_code == 422 and "Choisissez un fichier" in response.json()["detail"]
    response = _upload(api, b"\x89PNG\r\n\x1a\n\x00\x00\x00", "organization", name="image.csv")
    assert response.status_code == 422 and "binaire" in response.json()["detail"]
    response = _upload(api, csv_bytes(ORGANIZATIONS), "planètes")
    assert response.status_code == 422 and "Contenu inconnu" in response.json()["detail"]
    viewer = make_user("viewer@exchange.test")
    Membership.objects.create(workspace=workspace_a, user=viewer, role=Role.VIEWER)
    response = _upload(api_client_for(viewer, workspace_a), csv_bytes(ORGANIZATIONS), "organization")
    assert response.status_code == 403
    assert not ImportJob.objects.exists()
