"""The import journey through the pages: upload, columns, report, run, progress, undo; and the downloads."""

from __future__ import annotations

import re

import pytest

from maillage.contributions.models import Contribution
from maillage.exchange.models import ImportJob, JobStatus
from tests.conftest import page_text
from tests.exchange.helpers import contribution_rows, csv_bytes, upload, xlsx_bytes

pytestmark = pytest.mark.django_db


def test_upload_map_check_run_and_undo(client, alliance):
    rows = contribution_rows(3)
    rows[2][5] = "-5"  # text that a spreadsheet would read as a formula
    response = upload(client, xlsx_bytes(rows), name="dons.xlsx")
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/donnees/imports/{job.pk}/colonnes/"
    page = page_text(client.get(response["Location"]))
    assert "Montant (€)" in page and "Donateur (organisation)" in page
    form = {f"col-{i}": name for i, name in job.mapping.items()}
    response = client.post(f"/donnees/imports/{job.pk}/colonnes/", form)
    assert response.status_code == 302
    page = re.sub(r"</?strong>", "", page_text(client.get(f"/donnees/imports/{job.pk}/")))
    assert "2 ligne(s) acceptée(s)" in page and "1 refusée(s)" in page
    assert "strictement positif" in page
    assert "Menuiserie du Lac" in page  # preview as it will be saved
    report = client.get(f"/donnees/imports/{job.pk}/rapport.csv").content.decode("utf-8-sig")
    assert ";'-5;" in report  # neutralised in the downloaded report
    assert Contribution.objects.count() == 0
    response = client.post(f"/donnees/imports/{job.pk}/lancer/")
    assert response.status_code == 302 and Contribution.objects.count() == 2
    progress = page_text(client.get(f"/donnees/imports/{job.pk}/progression/", headers={"HX-Request": "true"}))
    assert "Terminé" in progress and "100 %" in progress and "<html" not in progress
    # Undoing asks for an explicit confirmation: without it, nothing is deleted and the page says why.
    page = page_text(client.post(f"/donnees/imports/{job.pk}/annuler/", follow=True))
    assert "Cochez « Je confirme la suppression »" in page and Contribution.objects.count() == 2
    response = client.post(f"/donnees/imports/{job.pk}/annuler/", {"confirm": "1"})
    assert Contribution.objects.count() == 0
    assert ImportJob.objects.get().status == JobStatus.UNDONE


def test_mapping_requires_the_mandatory_fields(client, alliance):
    upload(client, csv_bytes(contribution_rows(1)))
    job = ImportJob.objects.get()
    page = page_text(client.post(f"/donnees/imports/{job.pk}/colonnes/", {"col-0": "alliance"}))
    assert "Choisissez la colonne du champ obligatoire « Donateur (organisation) »" in page


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "vide.csv", "vide"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "ancien.xls", "Excel 97-2003"),
        (b"PK\x03\x04garbage", "faux.xlsx", "abîmé"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "image.csv", "binaire"),
        (csv_bytes(contribution_rows(1)), "dons.xlsx", None),  # the name lies: content decides (CSV)
    ],
)
def test_bad_files_are_refused_with_a_message_never_a_500(client, alliance, content, name, message):
    response = upload(client, content, name=name)
    assert response.status_code == 302
    if message is None:
        assert ImportJob.objects.get().file_format == "csv"
    else:
        assert not ImportJob.objects.exists()
        page = page_text(client.get(response["Location"]))
        assert "Fichier refusé" in page and message in page


def test_downloads_neutralise_formulas(client, alliance, workspace_a, owner, company):
    from maillage.contributions.actions import record_contribution

    parties = {p.organization_id: p for p in alliance.parties.all()}
    record_contribution(
        alliance=alliance,
        workspace=workspace_a,
        user=owner,
        giver=parties[company.pk],
        receiver=parties[workspace_a.organization_id],
        kind="money",
        description="=1+2",
        value="5",
    )
    body = client.get("/donnees/export/contributions.csv").content.decode("utf-8-sig")
    assert "'=1+2" in body and "Potager solidaire" in body
    import io

    import openpyxl

    sheet = openpyxl.load_workbook(io.BytesIO(client.get("/donnees/export/contributions.xlsx").content)).active
    assert "'=1+2" in [c.value for c in sheet[2]]
    assert client.get("/donnees/export/inconnue.csv").status_code == 404
    home = page_text(client.get("/donnees/"))
    assert "Importer un fichier" in home and "Archive complète" in home
