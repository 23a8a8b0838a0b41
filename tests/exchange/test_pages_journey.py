"""What the browser journey of the import pages found: plain words on screen, the same file again, the sample file."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command

from maillage.contributions.models import Contribution
from maillage.exchange.models import ImportJob, JobStatus
from maillage.exchange.sample_files import SAMPLES_DIR
from tests.conftest import client_for, page_text
from tests.exchange.helpers import contribution_rows, csv_bytes, upload

pytestmark = pytest.mark.django_db


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", page_text(response)))


@pytest.mark.parametrize(
    ("delimiter", "encoding", "shown"),
    [
        (";", "cp1252", "encodage Windows-1252, séparateur « ; »"),
        ("\t", "utf-8-sig", "encodage UTF-8, séparateur « tabulation »"),
    ],
)
def test_the_mapping_page_names_encoding_and_separator_in_plain_words(client, alliance, delimiter, encoding, shown):
    response = upload(client, csv_bytes(contribution_rows(2), delimiter=delimiter, encoding=encoding))
    assert shown in text_of(client.get(response["Location"]))


def test_the_preview_reads_in_order_with_french_headers(client, alliance):
    rows = contribution_rows(2)
    rows[1][5] = "1 234,5"
    upload(client, csv_bytes(rows))
    job = ImportJob.objects.get()
    client.post(f"/donnees/imports/{job.pk}/colonnes/", {f"col-{i}": name for i, name in job.mapping.items()})
    html = page_text(client.get(f"/donnees/imports/{job.pk}/"))
    preview = html[html.index("Aperçu") :]
    headers = re.findall(r'<th scope="col">([^<]*)</th>', preview)
    assert headers[:7] == ["Ligne", "Alliance", "De", "À", "Nature", "Valeur (€)", "Statut"]
    assert "<td>1\u00a0234,50</td>" in preview and "<td>101,50</td>" in preview  # amounts as French readers write them


def test_the_same_file_again_keeps_its_columns_and_duplicates_nothing(client, alliance):
    rows = contribution_rows(3)
    rows[0] = [*rows[0][:7], "Versé le"]  # not a known header: the person maps it by hand
    content = csv_bytes(rows, encoding="cp1252")
    upload(client, content)
    first = ImportJob.objects.get()
    assert "7" not in first.mapping
    chosen = {**{f"col-{i}": name for i, name in first.mapping.items()}, "col-7": "received_on"}
    client.post(f"/donnees/imports/{first.pk}/colonnes/", chosen)
    client.post(f"/donnees/imports/{first.pk}/lancer/")
    assert Contribution.objects.count() == 3

    response = upload(client, content)
    again = ImportJob.objects.exclude(pk=first.pk).get()
    assert again.mapping == {**first.mapping, "7": "received_on"}
    page = text_of(client.get(response["Location"], follow=True))
    assert "Ce fichier a déjà été importé le" in page
    assert "Les colonnes choisies lors du dépôt précédent de ce fichier ont été reprises." in page
    client.post(f"/donnees/imports/{again.pk}/colonnes/", {f"col-{i}": name for i, name in again.mapping.items()})
    html = page_text(client.get(f"/donnees/imports/{again.pk}/"))
    assert "Dont <strong>3</strong> déjà importée(s) : elles ne seront pas dupliquées." in html
    assert re.search(r"<button type=\"submit\" disabled>Rien de nouveau à importer</button>", html)
    client.post(f"/donnees/imports/{again.pk}/lancer/")  # allowed all the same: it skips them
    again.refresh_from_db()
    assert (again.status, again.created_rows, again.skipped_rows) == (JobStatus.DONE, 0, 3)
    assert Contribution.objects.count() == 3
    page = text_of(client.get(f"/donnees/imports/{again.pk}/"))
    assert "3 déjà importée(s) (non dupliquée(s))" in page
    assert "Annuler cet import" not in page  # it created nothing: nothing to undo
    assert "Annuler cet import (supprimer les 3 ligne(s) créée(s))" in text_of(
        client.get(f"/donnees/imports/{first.pk}/")
    )


def test_a_file_imported_as_something_else_is_not_called_already_imported(client, workspace_a):
    content = csv_bytes([["Nom", "Commune"], ["Atelier du Vélo", "69266"]])
    upload(client, content, entity="organization")
    first = ImportJob.objects.get()
    client.post(f"/donnees/imports/{first.pk}/colonnes/", {f"col-{i}": name for i, name in first.mapping.items()})
    client.post(f"/donnees/imports/{first.pk}/lancer/")
    response = upload(client, content, entity="contact")
    assert "déjà été importé" not in text_of(client.get(response["Location"], follow=True))


def test_the_sample_file_imports_on_the_demo_data():
    from maillage.demo.seed import seed_demo
    from maillage.workspaces.models import User

    seed_demo()
    client = client_for(User.objects.get(email="demo@maillage.test"))
    home = page_text(client.get("/donnees/"))
    assert 'href="/donnees/exemples/contributions-demo.csv"' in home and "fichier d'exemple" in home
    response = client.get("/donnees/exemples/contributions-demo.csv")
    content = b"".join(response.streaming_content)
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    assert content == (SAMPLES_DIR / "contributions-demo.csv").read_bytes()
    assert client.get("/donnees/exemples/inconnu.csv").status_code == 404
    assert client.get("/donnees/exemples/..%2Fseed.py").status_code == 404

    before = Contribution.objects.count()
    upload(client, content, name="contributions-demo.csv")
    job = ImportJob.objects.get()
    assert set(job.mapping.values()) >= {"alliance", "giver", "receiver", "kind", "value", "received_on", "evidence"}
    client.post(f"/donnees/imports/{job.pk}/colonnes/", {f"col-{i}": name for i, name in job.mapping.items()})
    job.refresh_from_db()
    assert (job.accepted_rows, job.rejected_rows) == (4, 1)
    assert job.report == [[4, "Montant", "mille", "« mille » n'est pas un nombre."]]
    client.post(f"/donnees/imports/{job.pk}/lancer/")
    assert Contribution.objects.count() == before + 4


def test_a_file_partly_imported_before_offers_its_new_rows_only(client, workspace_a, alliance, tmp_path):
    upload(client, csv_bytes(contribution_rows(3)))
    first = ImportJob.objects.get()
    client.post(f"/donnees/imports/{first.pk}/colonnes/", {f"col-{i}": name for i, name in first.mapping.items()})
    client.post(f"/donnees/imports/{first.pk}/lancer/")
    path = tmp_path / "dons.csv"
    path.write_bytes(csv_bytes(contribution_rows(5)))  # the same three rows, and two more

    out = io.StringIO()
    call_command(
        "import", file=str(path), entity="contribution", workspace=workspace_a.pk, validate_only=True, stdout=out
    )
    assert "5 ligne(s) : 5 acceptée(s) (dont 3 déjà importée(s)), 0 refusée(s)." in out.getvalue()
    upload(client, path.read_bytes())
    job = ImportJob.objects.order_by("-pk").first()
    client.post(f"/donnees/imports/{job.pk}/colonnes/", {f"col-{i}": name for i, name in job.mapping.items()})
    html = page_text(client.get(f"/donnees/imports/{job.pk}/"))
    assert "Dont <strong>3</strong> déjà importée(s)" in html and "Importer les 2 nouvelle(s) ligne(s)" in html
    client.post(f"/donnees/imports/{job.pk}/lancer/")
    job.refresh_from_db()
    assert (job.created_rows, job.skipped_rows) == (2, 3) and Contribution.objects.count() == 5
