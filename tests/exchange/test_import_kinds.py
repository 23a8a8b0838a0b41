"""Contacts, alliances, interactions and individual gifts imported as organisations are (issue 21): checked
while written (the domain's checks at the check, no dry run), every row accounted for, idempotent, undoable."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from maillage.alliances.models import Alliance, Interaction, PartyTime
from maillage.exchange import runner
from maillage.exchange.jobs import create_job
from maillage.exchange.models import ImportJob, JobStatus
from maillage.exchange.undo import undo_import
from maillage.organizations.actions import add_contact
from maillage.organizations.models import Contact
from maillage.receipts.models import Donor, IndividualGift
from tests.exchange.helpers import csv_bytes
from tests.exchange.test_pages_journey import text_of

pytestmark = pytest.mark.django_db


def checked(workspace, user, entity: str, rows: list[list]) -> ImportJob:
    job = create_job(workspace=workspace, user=user, entity=entity, filename="f.csv", content=csv_bytes(rows))
    runner.validate(job)
    job.refresh_from_db()
    return job


def ran(job: ImportJob) -> ImportJob:
    job = runner.run(job.pk)
    assert job.status == JobStatus.DONE, job.message
    assert job.created_rows + job.matched_rows + job.skipped_rows + job.rejected_rows == job.total_rows
    return job


def reasons(job: ImportJob) -> dict[int, str]:
    return {row: message for row, _, _, message in job.report}


def test_contacts_refused_at_the_check_linked_when_known_and_undone(workspace_a, owner, company):
    known = add_contact(workspace=workspace_a, organization=company, name="Alice Martin", email="a@lac.fr")
    rows = [
        ["Organisation", "Nom", "Fonction", "Courriel"],
        ["732829320", "Alice Martin", "RSE", "A@lac.fr"],  # already in the workspace: linked
        ["Menuiserie du Lac", "Bruno Petit", "", "b@lac.fr"],  # by its name, through the search index
        ["732829320", "Chloé Roux", "", "pas une adresse"],  # add_contact's own check, shown at the check
        ["Inconnue SA", "Denis", "", ""],
    ]
    job = checked(workspace_a, owner, "contact", rows)
    assert (job.total_rows, job.accepted_rows, job.matched_rows, job.rejected_rows) == (4, 2, 1, 2)
    assert Contact.objects.count() == 1  # nothing written by the check
    assert "e-mail" in reasons(job)[4].lower() or "adresse" in reasons(job)[4].lower()
    assert "introuvable" in reasons(job)[5]
    job = ran(job)
    assert (job.created_rows, job.matched_rows) == (1, 1)
    assert set(Contact.objects.values_list("name", flat=True)) == {"Alice Martin", "Bruno Petit"}
    again = ran(checked(workspace_a, owner, "contact", rows))
    assert (again.created_rows, again.skipped_rows) == (0, 2) and Contact.objects.count() == 2
    assert undo_import(job=job, user=owner) == 1
    assert list(Contact.objects.values_list("pk", flat=True)) == [known.pk]


def test_alliances_refused_at_the_check_and_undone_whole(workspace_a, owner, company, foundation):
    rows = [
        ["Nom", "Formes", "Partenaires", "Échelle", "Territoire"],
        ["Chantier école", "mécénat financier", "732829320 (financeur); Fondation des Rives", "commune", "69123"],
        ["Jardin partagé", "mécénat financier", "732829320", "departement", "99"],  # create_alliance's check
        ["Chantier école", "mécénat financier", "732829320", "", ""],  # twice in the file
    ]
    job = checked(workspace_a, owner, "alliance", rows)
    assert (job.total_rows, job.accepted_rows, job.rejected_rows) == (3, 1, 2)
    assert "Aucun territoire" in reasons(job)[3] and "Doublon" in reasons(job)[4]
    assert not Alliance.objects.exists()
    job = ran(job)
    made = Alliance.objects.get()
    assert made.territory_name == "Lyon" and made.parties.count() == 3 and made.stage_changes.count() == 1
    again = ran(checked(workspace_a, owner, "alliance", rows[:2]))
    assert (again.created_rows, again.skipped_rows) == (0, 1)
    assert undo_import(job=job, user=owner) == 1 and not Alliance.objects.exists()


def test_interactions_written_by_batch_keep_the_time_and_undo_gives_it_back(workspace_a, owner, alliance):
    rows = [["Alliance", "Type", "Date", "Durée", "Objet"]]
    rows += [["Potager solidaire", "réunion", f"0{1 + i % 9}/03/2024", "30", f"Point n° {i}"] for i in range(7)]
    rows += [["Potager solidaire", "appel", "01/03/2024", "20", "Deux\nlignes"]]  # log_interaction's check
    job = checked(workspace_a, owner, "interaction", rows)
    assert (job.total_rows, job.accepted_rows, job.rejected_rows) == (8, 7, 1)
    assert "une seule ligne" in reasons(job)[9]
    job = ran(job)
    assert Interaction.objects.count() == 7
    own = alliance.parties.get(workspace=workspace_a)
    assert PartyTime.objects.get(party=own).minutes == 7 * 30
    alliance.refresh_from_db()
    assert str(alliance.last_interaction_on) == "2024-03-07"
    assert ran(checked(workspace_a, owner, "interaction", rows)).skipped_rows == 7
    assert undo_import(job=job, user=owner) == 7
    assert PartyTime.objects.get(party=own).minutes == 0 and not Interaction.objects.exists()


def test_individual_gifts_one_donor_per_person_across_batches(workspace_a, owner, monkeypatch):
    monkeypatch.setenv("MAILLAGE_IMPORT_BATCH_SIZE", "2")
    header = ["Référence", "Nom du donateur", "Prénom", "E-mail", "Adresse", "Code postal", "Ville", "Montant", "Date"]
    rows = [header]
    rows += [
        [f"HA-{i}", "Martin", "Claire", "c@ex.fr", "1 rue des Lilas", "69001", "Lyon", "40", "03/02/2024"]
        for i in range(5)
    ]
    rows += [["HA-9", "Durand", "Paul", "", "2 rue Neuve", "69002", "Lyon", "100", "03/02/2024"]]
    rows += [["HA-10", "Roux", "Léa", "", "3 rue Haute", "69003", "Lyon", "0", "03/02/2024"]]  # refused
    job = checked(workspace_a, owner, "donation", rows)
    assert (job.total_rows, job.accepted_rows, job.rejected_rows) == (7, 6, 1)
    assert not IndividualGift.objects.exists()
    job = ran(job)
    assert job.batches_done == 3 and IndividualGift.objects.count() == 6
    assert sorted(Donor.objects.values_list("full_name", flat=True)) == ["Claire Martin", "Paul Durand"]
    assert ran(checked(workspace_a, owner, "donation", rows)).skipped_rows == 6
    assert undo_import(job=job, user=owner) == 6 and not IndividualGift.objects.exists()


def test_contacts_accounted_for_in_the_cli_and_the_page(client, workspace_a, owner, company, tmp_path):
    add_contact(workspace=workspace_a, organization=company, name="Alice Martin", email="a@lac.fr")
    rows = [
        ["Organisation", "Nom", "Courriel"],
        ["732829320", "Alice Martin", "a@lac.fr"],
        ["732829320", "Bruno Petit", "b@lac.fr"],
        ["Inconnue SA", "Denis", ""],
    ]
    path = tmp_path / "contacts.csv"
    path.write_bytes(csv_bytes(rows))
    out = io.StringIO()
    call_command("import", file=str(path), entity="contact", workspace=workspace_a.pk, stdout=out)
    text = out.getvalue()
    assert "3 ligne(s) : 2 acceptée(s), dont 1 déjà dans votre espace, 1 refusée(s)." in text
    assert "sur 3 ligne(s) : 1 créée(s), 1 déjà dans votre espace, 0 déjà importée(s), 1 refusée(s)." in text
    job = ImportJob.objects.get(entity="contact")
    page = text_of(client.get(f"/donnees/imports/{job.pk}/"))
    assert "1 ligne(s) créée(s), 1 déjà dans votre espace (reliée(s) au contact existant), 0 déjà importée(s)" in page
