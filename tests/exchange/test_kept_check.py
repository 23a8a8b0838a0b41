"""The organisations' run writes what the check decided (decision 0011), re-verifying only what may have changed
since: identifiers given to the directory meanwhile, entries created, removed or renamed meanwhile."""

from __future__ import annotations

import pytest

from maillage.exchange import runner
from maillage.exchange.jobs import create_job
from maillage.exchange.models import CheckedChunk, ImportedRow, JobStatus
from maillage.exchange.rows import OrganizationRows
from maillage.organizations.actions import create_organization
from maillage.organizations.models import Organization
from tests.exchange.helpers import csv_bytes

pytestmark = pytest.mark.django_db

HEADER = ["Raison sociale", "SIREN", "Ville", "Type"]


def checked_job(workspace, user, rows):
    job = create_job(
        workspace=workspace, user=user, entity="organization", filename="f.csv", content=csv_bytes([HEADER, *rows])
    )
    runner.validate(job)
    job.refresh_from_db()
    return job


def test_the_run_writes_the_checks_decisions_without_checking_the_rows_again(
    workspace_a, owner, foundation, monkeypatch
):
    job = checked_job(
        workspace_a,
        owner,
        [
            ["Ateliers Nouveaux", "", "Villeurbanne", "association"],
            ["Menuiserie Neuve", "552 100 554", "74010", "entreprise"],
            ["Fondation des Rives", "", "69123", "fondation"],  # already there: linked
            ["Nulle Part", "", "99999", "association"],  # refused at the check
        ],
    )
    assert job.checked["accepted"] == 3 and CheckedChunk.objects.filter(job=job).count() == 1

    def no_second_check(*args, **kwargs):
        raise AssertionError("the run checked the file again")

    monkeypatch.setattr(OrganizationRows, "plan", no_second_check)
    job = runner.run(job.pk)
    assert job.status == JobStatus.DONE, job.message
    assert (job.created_rows, job.matched_rows, job.rejected_rows, job.total_rows) == (2, 1, 1, 4)
    added = Organization.objects.get(siren="552100554")
    assert added.name == "Menuiserie Neuve" and added.commune_id == "74010" and added.departement_id == "74"
    assert Organization.objects.get(name="Ateliers Nouveaux").commune_id == "69266"
    assert ImportedRow.objects.get(job=job, created=False).object_id == foundation.pk


def test_entries_added_between_the_check_and_the_run_are_linked_not_duplicated(workspace_a, owner):
    job = checked_job(
        workspace_a,
        owner,
        [
            ["Menuiserie Neuve", "552100554", "74010", "entreprise"],
            ["Atelier des Pentes", "", "69123", "association"],
            ["Jardin Partagé du Parc", "", "69123", "association"],
        ],
    )
    assert job.matched_rows == 0 and not job.proposals
    # Meanwhile, someone adds the first two to the directory (another name for the first: its SIREN is the same).
    same_siren = create_organization(data={"kind": "company", "name": "MN SARL", "siren": "552100554"})
    same_name = create_organization(data={"kind": "association", "name": "Atelier des Pentes", "commune": "69123"})
    before = Organization.objects.count()
    job = runner.run(job.pk)
    assert job.status == JobStatus.DONE, job.message
    assert (job.created_rows, job.matched_rows) == (1, 2)
    assert Organization.objects.count() == before + 1
    linked = set(ImportedRow.objects.filter(job=job, created=False).values_list("object_id", flat=True))
    assert linked == {same_siren.pk, same_name.pk}


def test_an_entry_removed_or_renamed_since_the_check_is_not_linked(workspace_a, owner, foundation, company):
    renamed = create_organization(data={"kind": "association", "name": "Les Amis du Rhône", "commune": "69123"})
    job = checked_job(
        workspace_a,
        owner,
        [
            ["Fondation des Rives", "", "69123", "fondation"],
            ["Menuiserie du Lac", "732829320", "74010", "entreprise"],
            ["Les Amis du Rhône", "", "69123", "association"],
        ],
    )
    assert job.matched_rows == 3
    foundation.delete()
    company.delete()
    Organization.objects.filter(pk=renamed.pk).update(name="Club de Boxe", name_search="club de boxe")
    job = runner.run(job.pk)
    assert job.status == JobStatus.DONE, job.message
    assert (job.created_rows, job.matched_rows) == (3, 0)
    assert Organization.objects.filter(siren="732829320", name="Menuiserie du Lac").exists()
    assert Organization.objects.filter(name__in=["Fondation des Rives", "Les Amis du Rhône"]).count() == 2


def test_a_mapping_changed_after_the_check_is_checked_again(workspace_a, owner, monkeypatch):
    job = checked_job(workspace_a, owner, [["Ateliers Nouveaux", "", "Villeurbanne", "association"]])
    plans = []
    real = OrganizationRows.plan
    monkeypatch.setattr(OrganizationRows, "plan", lambda self, v, ctx: plans.append(v["name"]) or real(self, v, ctx))
    job.mapping = {k: v for k, v in job.mapping.items() if v != "kind"}
    job.save(update_fields=["mapping"])
    job = runner.run(job.pk)
    assert job.status == JobStatus.DONE and job.created_rows == 1 and plans == ["Ateliers Nouveaux"]
