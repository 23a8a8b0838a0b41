"""Uploaded files go through Django's storage API only, so that an S3-compatible store can hold them.

Each test runs twice: on the local disk (``FileSystemStorage`` in ``MEDIA_ROOT``, the default) and on Django's
``InMemoryStorage`` with ``MEDIA_ROOT`` pointing at a folder that must never appear: whatever reads or writes
files by path instead of through the storage fails the second run.
"""

from __future__ import annotations

import io
import tarfile
import zipfile
from datetime import date

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfReader

from maillage.alliances.models import Agreement
from maillage.exchange import runner
from maillage.exchange.backup import add_media, restore_media, stored_files
from maillage.exchange.jobs import create_job
from maillage.exchange.models import JobStatus
from maillage.receipts.actions import declare_eligibility, issue_receipt
from maillage.receipts.pdf import render_receipt_pdf
from maillage.workspaces.models import Workspace
from tests.conftest import client_for
from tests.receipts.factories import ELIGIBILITY, gift, make_alliance

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n% convention signee\n%%EOF\n"


@pytest.fixture(params=["local", "memory"])
def storage(request, settings, tmp_path):
    if request.param == "local":
        settings.MEDIA_ROOT = tmp_path / "media"
        settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    else:
        settings.MEDIA_ROOT = tmp_path / "must-stay-absent"
        settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}
    yield request.param
    if request.param == "memory":
        assert not (tmp_path / "must-stay-absent").exists(), "a file was written by path, not through the storage"


@pytest.fixture
def owner(people):
    return people["owner"]


def test_a_signed_agreement_is_stored_downloaded_and_archived_through_the_storage(storage, workspace_a, owner):
    alliance = make_alliance(workspace_a, owner)
    client = client_for(owner)
    response = client.post(
        f"/alliances/{alliance.pk}/accords/nouveau/",
        {
            "kind": "mecenat",
            "title": "Convention 2026",
            "signed_on": "2026-01-15",
            "file": SimpleUploadedFile("convention.pdf", PDF, content_type="application/pdf"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    agreement = Agreement.objects.get(alliance=alliance)
    assert default_storage.exists(agreement.file.name)
    assert (
        type(default_storage._wrapped).__name__ == {"local": "FileSystemStorage", "memory": "InMemoryStorage"}[storage]
    )

    download = client.get(f"/alliances/{alliance.pk}/accords/{agreement.pk}/document/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF

    archive = client.get("/donnees/export/archive.zip")
    assert archive.status_code == 200
    content = b"".join(archive.streaming_content) if archive.streaming else archive.content
    assert zipfile.ZipFile(io.BytesIO(content)).read(f"files/agreement-{agreement.pk}.pdf") == PDF

    # The archive imported into an empty workspace writes the file through the storage again.
    empty = Workspace.objects.create(name="Espace neuf", organization=workspace_a.organization)
    job = create_job(workspace=empty, user=owner, entity="archive", filename="a.zip", content=content)
    runner.validate(job)
    job = runner.run(job.pk)
    assert job.status == JobStatus.DONE, job.message
    copied = Agreement.objects.filter(alliance__parties__workspace=empty).get()
    assert copied.file.name != agreement.file.name and default_storage.open(copied.file.name).read() == PDF


def test_the_signature_image_is_stored_and_read_back_into_the_receipt(storage, workspace_a, owner):
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (120, 40), "white").save(buffer, "PNG")
    signature = SimpleUploadedFile("signature.png", buffer.getvalue(), content_type="image/png")
    eligibility = declare_eligibility(workspace=workspace_a, user=owner, data=ELIGIBILITY, signature=signature)
    assert default_storage.exists(eligibility.signature_image.name)
    money = gift(make_alliance(workspace_a, owner), workspace_a, owner, received_on=date(2025, 6, 10))
    receipt = issue_receipt(workspace=workspace_a, user=owner, contribution=money)
    assert any(page.images for page in PdfReader(io.BytesIO(render_receipt_pdf(receipt))).pages)


def test_backup_takes_the_stored_files_and_restore_puts_them_back(storage, tmp_path):
    # (The database half of backup/restore runs on real files in tests/exchange/test_processes.py; here, the
    # media half, which must not care where the files are kept.)
    default_storage.save("agreements/7/convention.pdf", ContentFile(PDF))
    default_storage.save("signatures/signature-3.img", ContentFile(b"\x89PNG image"))
    output = tmp_path / "sauvegarde.tar.gz"
    with tarfile.open(output, "w:gz") as tar:
        assert add_media(tar) == 2
    with tarfile.open(output, "r:gz") as tar:
        assert set(tar.getnames()) == {"media/agreements/7/convention.pdf", "media/signatures/signature-3.img"}
        tar.extractall(tmp_path / "extracted", filter="data")
    for name in list(stored_files()):
        default_storage.delete(name)
    default_storage.save("signatures/signature-3.img", ContentFile(b"an older image"))  # replaced by the backup's
    assert restore_media(tmp_path / "extracted" / "media") == 2
    assert sorted(stored_files()) == ["agreements/7/convention.pdf", "signatures/signature-3.img"]
    assert default_storage.open("agreements/7/convention.pdf").read() == PDF
    assert default_storage.open("signatures/signature-3.img").read() == b"\x89PNG image"
