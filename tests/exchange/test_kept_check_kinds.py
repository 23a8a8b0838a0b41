"""Contacts, alliances, interactions and individual gifts: the run writes what the check decided (decision 0011),
deciding again only what may have changed since (organisations, contacts and alliances created, changed or
deleted meanwhile, a name taken), and streams: its first batch is written before the rest of the file is planned."""

from __future__ import annotations

import pytest

from maillage.alliances.actions import create_alliance, update_alliance
from maillage.alliances.models import Alliance, Interaction
from maillage.exchange import runner
from maillage.exchange.importers import IMPORTERS
from maillage.exchange.jobs import create_job
from maillage.exchange.models import CheckedChunk, ImportedRow, JobStatus
from maillage.organizations.actions import create_organization
from maillage.organizations.models import Contact, Organization
from maillage.receipts.models import IndividualGift
from tests.exchange.helpers import csv_bytes

pytestmark = pytest.mark.django_db

FILES = {
    "contact": [["Organisation", "Nom du contact", "Fonction", "E-mail"]],
    "alliance": [["Nom de l'alliance", "Formes", "Partenaires"]],
    "interaction": [["Alliance", "Type d'échange", "Date", "Durée (minutes)", "Objet"]],
    "donation": [
        [
            "Référence",
            "Nom du donateur",
            "Prénom",
            "E-mail",
            "Adresse",
            "Code postal",
            "Ville",
            "Montant (€)",
            "Date du don",
        ]
    ],
}


def checked_job(workspace, user, entity, rows):
    job = create_job(
        workspace=workspace, user=user, entity=entity, filename="f.csv", content=csv_bytes([*FILES[entity], *rows])
    )
    runner.validate(job)
    job.refresh_from_db()
    assert job.status == JobStatus.VALIDATED, job.message
    return job


def contact_rows(n, org="732829320"):
    return [[org, f"Contact n° {i}", "Mécénat", f"c{i}@exemple.fr"] for i in range(n)]


def alliance_rows(n):
    return [[f"Alliance n° {i}", "mécénat financier", "732829320 (financeur)"] for i in range(n)]


def interaction_rows(n, alliance="Potager solidaire"):
    return [[alliance, "Réunion", "12/03/2024", "45", f"Réunion n° {i}"] for i in range(n)]


def gift_rows(n):
    return [
        [f"HA-{i}", "Martin", "Claire", "claire@exemple.fr", "3 rue des Lilas", "69001", "Lyon", "20,00", "02/02/2024"]
        for i in range(n)
    ]


ROWS = {"contact": contact_rows, "alliance": alliance_rows, "interaction": interaction_rows, "donation": gift_rows}
CREATED = {
    "contact": lambda: Contact.objects.filter(name__startswith="Contact n°").count(),
    "alliance": lambda: Alliance.objects.filter(name__startswith="Alliance n°").count(),
    "interaction": lambda: Interaction.objects.filter(subject__startswith="Réunion n°").count(),
    "donation": lambda: IndividualGift.objects.filter(import_key__startswith="HA-").count(),
}


@pytest.mark.parametrize("entity", list(FILES))
def test_the_run_writes_the_checks_decisions_without_checking_the_rows_again(
    workspace_a, owner, alliance, entity, monkeypatch
):
    job = checked_job(workspace_a, owner, entity, ROWS[entity](3))
    assert job.checked["accepted"] == 3 and CheckedChunk.objects.filter(job=job).count() == 1

    def no_second_check(*args, **kwargs):
        raise AssertionError("the run checked the file again")

    monkeypatch.setattr(type(IMPORTERS[entity]), "plan", no_second_check)
    job = runner.run(job.pk)
    assert job.status == JobStatus.DONE, job.message
    assert (job.created_rows, job.rejected_rows, job.total_rows, job.processed_rows) == (3, 0, 3, 3)
    assert CREATED[entity]() == 3
    again = runner.run(job.pk)  # done: nothing written twice
    assert again.created_rows == 3 and CREATED[entity]() == 3


@pytest.mark.parametrize("entity", list(FILES))
def test_the_run_writes_its_first_batch_before_the_rest_is_planned(workspace_a, owner, alliance, entity, monkeypatch):
    monkeypatch.setattr(runner, "CHECKED_ROWS", 2)
    job = checked_job(workspace_a, owner, entity, ROWS[entity](7))
    assert CheckedChunk.objects.filter(job=job).count() == 4
    importer = type(IMPORTERS[entity])
    revised, at_first_write = [], []
    revise, write = importer.revise, importer.write

    def counting_revise(self, rows, ctx, since):
        revised.append(len(rows))
        return revise(self, rows, ctx, since)

    def noting_write(self, items, ctx):
        at_first_write.append(sum(revised))
        return write(self, items, ctx)

    monkeypatch.setattr(importer, "revise", counting_revise)
    monkeypatch.setattr(importer, "write", noting_write)
    monkeypatch.setenv("MAILLAGE_IMPORT_BATCH_SIZE", "2")
    job = runner.run(job.pk)
    assert job.status == JobStatus.DONE, job.message
    assert (job.created_rows, job.batches_done, job.batches_total) == (7, 4, 4)
    assert at_first_write[0] < 7 and revised == [2, 2, 2, 1]


@pytest.mark.parametrize("entity", list(FILES))
def test_without_a_kept_check_the_run_checks_as_it_writes(workspace_a, owner, alliance, entity, monkeypatch):
    job = checked_job(workspace_a, owner, entity, ROWS[entity](5))
    job.mapping = {**job.mapping}  # a mapping changed since the check: the file is checked again
    job.checked = {**job.checked, "mapping": {}}
    job.save(update_fields=["mapping", "checked"])
    importer = type(IMPORTERS[entity])
    planned, at_write = [], []
    plan, write = importer.plan, importer.write
    monkeypatch.setattr(importer, "plan", lambda self, v, ctx: planned.append(1) or plan(self, v, ctx))
    monkeypatch.setattr(
        importer, "write", lambda self, items, ctx: at_write.append(len(planned)) or write(self, items, ctx)
    )
    monkeypatch.setenv("MAILLAGE_IMPORT_BATCH_SIZE", "2")
    job = runner.run(job.pk)
    assert job.status == JobStatus.DONE, job.message
    assert job.created_rows == 5 and len(planned) == 5 and at_write[0] == 2


def test_a_resumed_run_skips_what_it_wrote_and_counts_it_once(workspace_a, owner, alliance, monkeypatch):
    job = checked_job(workspace_a, owner, "contact", contact_rows(6))
    monkeypatch.setenv("MAILLAGE_IMPORT_BATCH_SIZE", "2")
    write = type(IMPORTERS["contact"]).write
    calls = []

    def crash_at_the_third(self, items, ctx):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("killed")
        return write(self, items, ctx)

    monkeypatch.setattr(type(IMPORTERS["contact"]), "write", crash_at_the_third)
    job = runner.run(job.pk)
    assert job.status == JobStatus.FAILED and job.batches_done == 2 and CREATED["contact"]() == 4
    monkeypatch.setattr(type(IMPORTERS["contact"]), "write", write)
    job = runner.run(job.pk)
    assert job.status == JobStatus.DONE, job.message
    assert (job.created_rows, job.skipped_rows, job.processed_rows, job.batches_done) == (6, 0, 6, 3)
    assert CREATED["contact"]() == 6


# What the rows refer to, changed between the check and the run.


def test_a_contacts_organisation_deleted_since_the_check_refuses_its_rows(workspace_a, owner, foundation):
    job = checked_job(
        workspace_a,
        owner,
        "contact",
        [["Fondation des Rives", "Anne Lac", "", "anne@exemple.fr"], ["Fondation des Rives", "Paul Rive", "", ""]],
    )
    assert job.accepted_rows == 2
    foundation.delete()
    job = runner.run(job.pk)
    assert job.status == JobStatus.DONE, job.message
    assert (job.created_rows, job.rejected_rows) == (0, 2)
    assert not Contact.objects.exists()
    assert any("Organisation introuvable « Fondation des Rives »" in r[3] for r in job.report)
    assert {r[0] for r in job.report} == {2, 3}


def test_a_contacts_organisation_renamed_or_recreated_since_the_check_is_found_again(workspace_a, owner, foundation):
    job = checked_job(workspace_a, owner, "contact", [["Fondation des Rives", "Anne Lac", "", "anne@exemple.fr"]])
    Organization.objects.filter(pk=foundation.pk).update(name="Club de Boxe", name_search="club de boxe")
    newer = create_organization(data={"kind": "foundation", "name": "Fondation des Rives", "commune": "69123"})
    job = runner.run(job.pk)
    assert job.status == JobStatus.DONE, job.message
    assert Contact.objects.get(name="Anne Lac").organization_id == newer.pk


def test_a_contact_added_since_the_check_is_linked_not_duplicated(workspace_a, owner, company):
    from maillage.organizations.actions import add_contact

    job = checked_job(workspace_a, owner, "contact", contact_rows(2))
    assert job.matched_rows == 0
    same = add_contact(workspace=workspace_a, organization=company, name="Contact n° 1", email="c1@exemple.fr")
    job = runner.run(job.pk)
    assert job.status == JobStatus.DONE, job.message
    assert (job.created_rows, job.matched_rows) == (1, 1)
    assert Contact.objects.filter(name="Contact n° 1").count() == 1
    assert ImportedRow.objects.get(job=job, created=False).object_id == same.pk


def test_an_alliance_name_taken_since_the_check_is_refused(workspace_a, owner, alliance, company):
    job = checked_job(workspace_a, owner, "alliance", alliance_rows(2))
    create_alliance(
        workspace=workspace_a,
        user=owner,
        name="Alliance n° 1",
        forms=["mecenat_financier"],
        partners=[(company, "funder", "")],
    )
    job = runner.run(job.pk)
    assert job.status == JobStatus.DONE, job.message
    assert (job.created_rows, job.rejected_rows) == (1, 1)
    assert Alliance.objects.filter(name="Alliance n° 1").count() == 1
    assert [r[0] for r in job.report] == [3] and "porte déjà ce nom" in job.report[0][3]


def test_an_alliance_partner_deleted_since_the_check_is_refused(workspace_a, owner, foundation):
    job = checked_job(
        workspace_a, owner, "alliance", [["Jardins partagés", "mécénat financier", "Fondation des Rives (financeur)"]]
    )
    assert job.accepted_rows == 1
    foundation.delete()
    job = runner.run(job.pk)
    assert job.status == JobStatus.DONE, job.message
    assert (job.created_rows, job.rejected_rows) == (0, 1)
    assert not Alliance.objects.filter(name="Jardins partagés").exists()
    assert "Partenaire introuvable « Fondation des Rives »" in job.report[0][3]


def test_an_interactions_alliance_renamed_or_gone_since_the_check_is_refused(workspace_a, owner, alliance, company):
    other = create_alliance(
        workspace=workspace_a,
        user=owner,
        name="Verger",
        forms=["mecenat_financier"],
        partners=[(company, "funder", "")],
    )
    job = checked_job(workspace_a, owner, "interaction", interaction_rows(2) + interaction_rows(1, alliance="Verger"))
    assert job.accepted_rows == 3
    update_alliance(alliance=alliance, workspace=workspace_a, user=owner, name="Potager des Rives")
    other.delete()
    job = runner.run(job.pk)
    assert job.status == JobStatus.DONE, job.message
    assert (job.created_rows, job.rejected_rows) == (0, 3)
    assert not Interaction.objects.filter(subject__startswith="Réunion n°").exists()
    assert all("Alliance introuvable" in r[3] for r in job.report)


def test_an_interactions_alliance_recreated_under_its_name_takes_the_new_one(workspace_a, owner, alliance, company):
    job = checked_job(workspace_a, owner, "interaction", interaction_rows(2))
    alliance.delete()
    newer = create_alliance(
        workspace=workspace_a,
        user=owner,
        name="Potager solidaire",
        forms=["mecenat_financier"],
        partners=[(company, "funder", "")],
    )
    job = runner.run(job.pk)
    assert job.status == JobStatus.DONE, job.message
    assert job.created_rows == 2
    assert set(Interaction.objects.values_list("alliance_id", flat=True)) == {newer.pk}
