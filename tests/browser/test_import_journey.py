"""The import journey in a real browser, on the README's demo data (issue #7).

The demo association's owner uploads a spreadsheet of contributions saved by a French Excel (Windows-1252,
``;``), checks the guessed columns and fixes one, reads the preview and the validation report (and downloads it),
runs the import and watches its progress bar reach the end, finds the gifts on the alliance's page, imports the
same file again without duplicating anything, undoes the first import, and downloads the workspace's archive.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from datetime import timedelta

import pytest
from django.utils import timezone

from maillage.contributions.models import Contribution
from maillage.demo.seed import DEMO_PASSWORD, seed_demo
from maillage.exchange import runner
from maillage.exchange.models import ImportJob, JobStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ALLIANCE = "Jardins pédagogiques des Gratte-Ciel"
ASSOCIATION = "Les Jardins Partagés du Rhône"
COMPANY = "Imprimerie Rhodanienne"
HEADERS = ["Alliance", "Donateur", "Bénéficiaire", "Nature", "Description", "Montant", "Statut", "Versé le"]


def excel_csv(rows: list[list[str]]) -> bytes:
    """What "CSV (séparateur : point-virgule)" gives in a French Excel: Windows-1252, ``;``, CRLF."""
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("cp1252")


def gifts_file(tmp_path):
    day = (timezone.localdate() - timedelta(days=20)).strftime("%d/%m/%Y")
    rows = [
        HEADERS,
        [ALLIANCE, COMPANY, ASSOCIATION, "Don financier", "Fête des récoltes", "1 200,00 €", "reçue", day],
        [ALLIANCE, COMPANY, ASSOCIATION, "Don en nature", "Carnets de jardin imprimés", "480", "reçue", day],
        [ALLIANCE, COMPANY, ASSOCIATION, "Don financier", "Serre de semis", "douze cents", "reçue", day],
        [ALLIANCE, COMPANY, ASSOCIATION, "Don financier", "Graines pour l'hiver", "150,50", "promise", ""],
    ]
    path = tmp_path / "dons-imprimerie.csv"
    path.write_bytes(excel_csv(rows))
    assert "Bénéficiaire".encode("cp1252") in path.read_bytes()  # really Windows-1252, not UTF-8
    return path


def upload(page, path) -> None:
    page.get_by_role("link", name="Import et export").click()
    page.get_by_label("Contenu du fichier").select_option(label="Contributions")
    page.get_by_label("Fichier", exact=True).set_input_files(str(path))
    page.get_by_role("button", name="Vérifier le fichier").click()


def test_import_contributions_from_excel_then_undo_and_export(browser_page, settings, tmp_path, monkeypatch):
    from playwright.sync_api import expect

    settings.MEDIA_ROOT = tmp_path
    seed_demo()
    alliance_contributions = Contribution.objects.filter(alliance__name=ALLIANCE)
    before = alliance_contributions.count()
    path = gifts_file(tmp_path)
    page = browser_page
    page.goto("/compte/connexion/")
    page.get_by_label("Adresse e-mail").fill("demo@maillage.test")
    page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()

    # 1. Upload from the navigation; the columns are guessed from the French headers, one is not.
    upload(page, path)
    expect(page.get_by_role("heading", level=1)).to_have_text("Associer les colonnes de « dons-imprimerie.csv »")
    expect(page.get_by_text("encodage Windows-1252, séparateur « ; »")).to_be_visible()
    expect(page.get_by_label("Champ pour la colonne Bénéficiaire")).to_have_value("receiver")
    expect(page.get_by_label("Champ pour la colonne Montant")).to_have_value("value")
    versed = page.get_by_label("Champ pour la colonne Versé le")
    expect(versed).to_have_value("")  # "Versé le" is no known header: the person picks the field
    versed.select_option(label="Reçue le")
    page.get_by_role("button", name="Vérifier les lignes").click()

    # 2. The check: counts, the rejected row (row, column, value, French message), the preview; nothing written.
    expect(page.get_by_role("heading", level=1)).to_have_text("Import de « dons-imprimerie.csv »")
    check = page.locator("section", has=page.get_by_role("heading", name="Vérification"))
    expect(check).to_contain_text(re.compile(r"3\s+ligne\(s\) acceptée\(s\), 1\s+refusée\(s\) sur 4"))
    rejected = page.get_by_role("table", name="Lignes refusées")
    expect(rejected.get_by_role("row")).to_have_count(2)
    expect(rejected.get_by_role("row").nth(1).get_by_role("cell")).to_have_text(
        ["4", "Montant", "douze cents", "« douze cents » n'est pas un nombre."]
    )
    preview = page.get_by_role("table", name=re.compile("^Aperçu"))
    expect(preview.get_by_role("row")).to_have_count(4)
    expect(preview).to_contain_text(COMPANY)
    expect(preview.get_by_role("columnheader")).to_have_text(
        ["Ligne", "Alliance", "De", "À", "Nature", "Valeur (€)", "Statut"]  # in this order on PostgreSQL too
    )
    expect(preview).to_contain_text(re.compile(r"1\s200,00"))
    with page.expect_download() as report_download:
        page.get_by_role("link", name="Télécharger le rapport (CSV)").click()
    report = report_download.value.path().read_bytes().decode("utf-8-sig").splitlines()
    assert report == ["ligne;colonne;valeur;problème", "4;Montant;douze cents;« douze cents » n'est pas un nombre."]
    assert alliance_contributions.count() == before

    # 3. Run it: the page polls the progress (htmx) until the end, without reloading. The background worker is
    # played by the test, inside the first poll that follows the "queued" state seen on screen: the test and the
    # live server then never use the database at once (in-memory SQLite is one connection shared by both).
    job = ImportJob.objects.get()
    monkeypatch.setattr(runner, "start", lambda job, **_: ImportJob.objects.filter(pk=job.pk).update(status="queued"))
    waiting_seen = []

    def worker(route):
        if waiting_seen and ImportJob.objects.get(pk=job.pk).status == JobStatus.QUEUED:
            runner.run(job.pk)
        route.continue_()

    page.route(re.compile(r"/progression/$"), worker)
    page.get_by_role("button", name="Importer les 3 ligne(s) acceptée(s)").click()
    progress = page.locator("#progress")
    expect(progress).to_contain_text("En attente")
    expect(progress).to_have_attribute("hx-trigger", "every 1s")
    page.evaluate("window.__samePage = true")
    waiting_seen.append(True)
    expect(progress).to_contain_text("Terminé")
    expect(progress).not_to_have_attribute("hx-trigger", "every 1s")  # polling stops at the end
    expect(progress.get_by_role("progressbar", name="Progression de l'import")).to_have_attribute("value", "100")
    expect(progress).to_contain_text("3 ligne(s) créée(s), 0 déjà importée(s)")
    assert page.evaluate("window.__samePage") is True, "the progress should be swapped in by htmx"
    page.unroute(re.compile(r"/progression/$"))
    monkeypatch.undo()
    assert alliance_contributions.count() == before + 3

    # 4. The gifts are on the alliance's page.
    page.get_by_role("link", name="Alliances", exact=True).click()
    page.get_by_role("link", name=ALLIANCE).first.click()
    gifts = page.get_by_role("table", name="Dernières contributions")
    expect(gifts.get_by_role("row")).to_have_count(1 + before + 3)
    expect(gifts.get_by_role("row").filter(has_text="1 200,00 €")).to_have_count(1)

    # 5. The same file again: the columns chosen last time come back, nothing is duplicated.
    upload(page, path)
    expect(page.get_by_text("Ce fichier a déjà été importé le")).to_be_visible()
    expect(page.get_by_label("Champ pour la colonne Versé le")).to_have_value("received_on")
    page.get_by_role("button", name="Vérifier les lignes").click()
    expect(page.get_by_text("Dont 3 déjà importée(s) : elles ne seront pas dupliquées.")).to_be_visible()
    expect(page.get_by_role("button", name="Rien de nouveau à importer")).to_be_disabled()
    expect(page.get_by_role("button", name=re.compile("Annuler cet import"))).to_have_count(0)
    assert alliance_contributions.count() == before + 3

    # 6. Undo the first import from the list of recent imports.
    page.get_by_role("link", name="Retour aux imports et exports").click()
    recent = page.get_by_role("table", name="Imports récents")
    expect(recent.get_by_role("row")).to_have_count(3)
    recent.get_by_role("row").filter(has=page.get_by_role("cell", name="3", exact=True)).get_by_role("link").click()
    page.get_by_role("checkbox", name=re.compile("Je confirme la suppression des 3 ligne")).check()
    page.get_by_role("button", name="Annuler cet import (supprimer les 3 ligne(s) créée(s))").click()
    expect(page.get_by_text("Import annulé : 3 ligne(s) supprimée(s).").first).to_be_visible()
    assert alliance_contributions.count() == before
    assert ImportJob.objects.get(pk=job.pk).status == JobStatus.UNDONE

    # 7. Export the whole workspace: the archive downloads and holds the demo alliances.
    page.get_by_role("link", name="Retour aux imports et exports").click()
    with page.expect_download() as archive_download:
        page.get_by_role("link", name=re.compile("^Archive complète de l'espace")).click()
    assert archive_download.value.suggested_filename.endswith(".zip")
    with zipfile.ZipFile(archive_download.value.path()) as archive:
        data = json.loads(archive.read("maillage.json"))
    assert ALLIANCE in json.dumps(data, ensure_ascii=False)
