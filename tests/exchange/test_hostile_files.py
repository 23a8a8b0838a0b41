"""Issue 21: files that used to be guessed wrong, and every row accounted for (pages, CLI, round trips)."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.management import CommandError, call_command

from maillage.contributions.models import Contribution
from maillage.exchange import runner
from maillage.exchange.jobs import create_job
from maillage.exchange.models import ImportJob, JobStatus
from maillage.exchange.readers import read_table
from maillage.organizations.models import Organization
from tests.conftest import page_text
from tests.exchange.helpers import csv_bytes, upload, xlsx_bytes
from tests.exchange.test_pages_journey import text_of

pytestmark = pytest.mark.django_db


def accounted(job: ImportJob) -> bool:
    job.refresh_from_db()
    return job.created_rows + job.matched_rows + job.skipped_rows + job.rejected_rows == job.total_rows


def run_upload(client, content: bytes, entity: str = "organization", name: str = "orgas.csv") -> ImportJob:
    upload(client, content, name=name, entity=entity)
    job = ImportJob.objects.latest("pk")
    client.post(f"/donnees/imports/{job.pk}/colonnes/", {f"col-{i}": n for i, n in job.mapping.items()})
    client.post(f"/donnees/imports/{job.pk}/lancer/")
    job.refresh_from_db()
    return job


def test_a_semicolon_file_with_commas_in_its_cells_is_read_with_the_semicolon(client, alliance):
    """The shared directory got five junk organisations from such a file: the comma was guessed."""
    content = (
        "Nom;Lien;Commune;Type\r\n"
        + "".join(f'Club {i};=HYPERLINK("https://club{i}.fr","Site, du club");69123;association\r\n' for i in range(5))
    ).encode()
    before = Organization.objects.count()
    upload(client, content, name="clubs.csv", entity="organization")
    job = ImportJob.objects.latest("pk")
    page = page_text(client.get(f"/donnees/imports/{job.pk}/colonnes/"))
    assert "point-virgule « ; » : l'en-tête compte 4 colonnes, comme chacune des 5 ligne(s) lue(s)" in page
    assert "virgule « , » : une seule colonne dans l'en-tête" in page  # why not the comma
    client.post(f"/donnees/imports/{job.pk}/colonnes/", {f"col-{i}": n for i, n in job.mapping.items()})
    client.post(f"/donnees/imports/{job.pk}/lancer/")
    job.refresh_from_db()
    names = set(Organization.objects.order_by("pk")[before:].values_list("name", flat=True))
    assert names == {f"Club {i}" for i in range(5)}  # the formula is refused as a web site, never a name
    assert accounted(job)


def test_formula_cells_never_become_names(client, alliance):
    content = csv_bytes([["Nom", "Commune"], ['=HYPERLINK("https://x.fr","Piège, vraiment")', "69123"]])
    job = run_upload(client, content)
    assert job.status == JobStatus.DONE and accounted(job)
    created = Organization.objects.filter(name__startswith="=HYPERLINK")
    # Written as the file says (the export neutralises formulas, test_pages); but with its own columns, not split.
    assert all("\n" not in o.name for o in created) and created.count() <= 1


def test_an_unbalanced_quote_is_a_row_error_not_a_merged_row(client, alliance):
    content = b'Nom,Commune\r\n"Amicale du Lac,74010\r\nClub des Rives,69123\r\nCercle du Parc,69123\r\n'
    job = run_upload(client, content)
    assert job.status == JobStatus.DONE
    assert job.report[0][0] == 2 and "Guillemet ouvert et jamais refermé" in job.report[0][3]
    assert set(
        Organization.objects.filter(name__in=["Club des Rives", "Cercle du Parc"]).values_list("name", flat=True)
    ) == {
        "Club des Rives",
        "Cercle du Parc",
    }
    assert not Organization.objects.filter(name__contains="\n").exists()
    assert (job.total_rows, job.created_rows, job.rejected_rows) == (3, 2, 1) and accounted(job)


def test_ragged_rows_refuse_the_file_with_their_numbers_then_the_separator_can_be_chosen(client, alliance):
    content = b"Nom;Commune\r\nClub A;69123\r\nClub B;69123;en trop\r\nClub C\r\n"
    before = Organization.objects.count()
    upload(client, content, name="clubs.csv", entity="organization")
    job = ImportJob.objects.latest("pk")
    page = page_text(client.get(f"/donnees/imports/{job.pk}/colonnes/"))
    assert (
        "l'en-tête compte 2 colonnes mais 2 ligne(s) n'en ont pas autant : ligne(s) 3 (3 colonnes), 4 (1 colonne)"
        in page
    )
    assert "Relire le fichier" in page
    client.post(f"/donnees/imports/{job.pk}/colonnes/", {"col-0": "name"})  # nothing to check: refused
    job.refresh_from_db()
    assert job.status != JobStatus.VALIDATED and Organization.objects.count() == before
    # The person chooses the separator: read again, shown as chosen.
    client.post(f"/donnees/imports/{job.pk}/colonnes/", {"reread": "1", "delimiter": "|", "encoding": ""})
    job.refresh_from_db()
    assert job.delimiter == "|" and job.message == "" and job.parsed is not None
    page = page_text(client.get(f"/donnees/imports/{job.pk}/colonnes/"))
    assert "barre verticale « | », choisi à la main" in page


def test_the_encoding_is_shown_with_why_and_can_be_changed(client, alliance):
    content = csv_bytes([["Nom", "Commune"], ["Société des Fêtes", "69123"]], encoding="cp1252")
    upload(client, content, name="fetes.csv", entity="organization")
    job = ImportJob.objects.latest("pk")
    page = page_text(client.get(f"/donnees/imports/{job.pk}/colonnes/"))
    assert "Windows-1252 : le fichier n'est pas de l'UTF-8 valide (octet 0xE9 ligne 2)" in page
    client.post(f"/donnees/imports/{job.pk}/colonnes/", {"reread": "1", "encoding": "utf-8-sig", "delimiter": ""})
    page = page_text(client.get(f"/donnees/imports/{job.pk}/colonnes/"))
    assert "Le fichier ne se lit pas en UTF-8 (octet 0xE9, ligne 2)" in page


def test_a_date_without_status_means_received_and_the_apps_own_labels_are_natures(client, alliance):
    content = csv_bytes(
        [
            ["Alliance", "Donateur", "Bénéficiaire", "Nature", "Description", "Montant", "Date"],
            [
                "Potager solidaire",
                "732829320",
                "Fondation des Rives",
                "mécénat financier",
                "Don A",
                "100",
                "15/03/2024",
            ],
            ["Potager solidaire", "732829320", "Fondation des Rives", "Mécénat en nature", "Don B", "50", "16/03/2024"],
            ["Potager solidaire", "732829320", "Fondation des Rives", "Don financier", "Don C", "70", ""],
        ]
    )
    job = run_upload(client, content, entity="contribution", name="dons.csv")
    assert job.status == JobStatus.DONE, job.report
    got = {c.description: (c.kind, c.status, c.received_on) for c in Contribution.objects.all()}
    assert got == {
        "Don A": ("money", "received", date(2024, 3, 15)),
        "Don B": ("in_kind", "received", date(2024, 3, 16)),
        "Don C": ("money", "promised", None),
    }


def test_every_row_is_accounted_for_in_the_page_and_the_cli(client, alliance, company, workspace_a, tmp_path):
    rows = [
        ["Nom", "SIREN", "Commune"],
        ["Nouvelle Asso", "", "69123"],  # created
        ["Menuiserie du Lac", company.siren, "74010"],  # already in the directory
        ["Mauvais SIREN", "123", "69123"],  # refused
        ["Nouvelle Asso", "", "69123"],  # twice in the file: refused as a duplicate of row 2
    ]
    path = tmp_path / "orgas.csv"
    path.write_bytes(csv_bytes(rows))
    out = io.StringIO()
    call_command(
        "import", file=str(path), entity="organization", workspace=workspace_a.pk, validate_only=True, stdout=out
    )
    text = out.getvalue()
    assert "4 ligne(s) : 2 acceptée(s), dont 1 déjà dans l'annuaire, 2 refusée(s)." in text
    assert "ligne 4, colonne « SIREN » (« 123 ») :" in text
    assert "ligne 5 : Doublon de la ligne 2 : ignorée." in text
    job = run_upload(client, csv_bytes(rows))
    assert (job.total_rows, job.created_rows, job.matched_rows, job.skipped_rows, job.rejected_rows) == (4, 1, 1, 0, 2)
    page = text_of(client.get(f"/donnees/imports/{job.pk}/"))
    assert (
        "1 ligne(s) créée(s), 1 déjà dans l'annuaire (reliée(s) à l'organisation existante), 0 déjà importée(s)" in page
    )
    again = run_upload(client, csv_bytes(rows))
    assert (again.created_rows, again.skipped_rows, again.rejected_rows) == (0, 2, 2) and accounted(again)
    out = io.StringIO()
    call_command("import", file=str(path), entity="organization", workspace=workspace_a.pk, stdout=out)
    assert "sur 4 ligne(s) : 0 créée(s), 0 déjà dans l'annuaire, 2 déjà importée(s), 2 refusée(s)." in out.getvalue()


def test_the_cli_refuses_ragged_rows_and_takes_a_separator(workspace_a, tmp_path):
    path = tmp_path / "orgas.csv"
    path.write_bytes(b"Nom;Commune\r\nClub A;69123\r\nClub B;69123;x\r\n")
    with pytest.raises(CommandError, match=r"ligne\(s\) 3 \(3 colonnes\)"):
        call_command("import", file=str(path), entity="organization", workspace=workspace_a.pk, validate_only=True)
    out = io.StringIO()
    call_command(
        "import",
        file=str(path),
        entity="organization",
        workspace=workspace_a.pk,
        validate_only=True,
        delimiter="|",
        stdout=out,
    )
    assert "barre verticale « | », choisi à la main" in out.getvalue()


def test_a_large_xlsx_generated_here_is_parsed_once(workspace_a, owner):
    rows = [["Nom", "Commune", "Présentation"]] + [[f"Association n° {i}", "69123", "x" * 200] for i in range(6000)]
    job = create_job(
        workspace=workspace_a, user=owner, entity="organization", filename="gros.xlsx", content=xlsx_bytes(rows)
    )
    assert job.parsed is not None and job.file_format == "xlsx"
    from maillage.exchange import parsed

    calls = []
    originals = parsed.read_table, parsed.stream_table

    def counting(original):
        def count(*args, **kwargs):
            calls.append(1)
            return original(*args, **kwargs)

        return count

    passes = []
    iterate = parsed.Rows.__iter__

    def counted_pass(self):
        passes.append(1)
        return iterate(self)

    parsed.read_table, parsed.stream_table = map(counting, originals)
    parsed.Rows.__iter__ = counted_pass  # type: ignore[method-assign]
    try:
        runner.validate(job)
        checked, check_passes = job.accepted_rows, len(passes)
        job = runner.run(job.pk)
    finally:
        parsed.read_table, parsed.stream_table = originals
        parsed.Rows.__iter__ = iterate  # type: ignore[method-assign]
    assert calls == []  # neither the check nor the run read the file again
    # The check decompresses the rows twice, whatever the number of mapped columns: once for the set-based
    # look-ups of the whole file (``prepare``), once to check the rows.
    assert check_passes == 2
    assert checked == 6000 and job.status == JobStatus.DONE and job.created_rows == 6000 and accounted(job)


def test_the_reader_keeps_line_numbers_across_quoted_line_breaks():
    table = read_table(b'Nom,Notes\r\nA,"deux\r\nlignes"\r\nB,"une"\r\nC,x,y\r\n'.replace(b",x,y", b",x"))
    assert table.rows == [["A", "deux\r\nlignes"], ["B", "une"], ["C", "x"]] and table.numbers == [2, 4, 5]
