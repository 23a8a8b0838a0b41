"""Plant a person everywhere Maillage may hold them, and look for them everywhere afterwards: every table, the
uploaded files, a fresh backup."""

from __future__ import annotations

import subprocess
import tarfile
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.apps import apps
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from maillage.alliances.actions import add_alliance_note, log_interaction, record_agreement
from maillage.contributions.actions import SkillsInput
from maillage.contributions.models import Kind
from maillage.evaluation.actions import open_evaluation, save_answers
from maillage.evaluation.models import Question, QuestionKind
from maillage.evaluation.questionnaire import current_questionnaire
from maillage.exchange.backup import backup, stored_files
from maillage.organizations.actions import add_contact, add_private_note
from maillage.receipts.actions import issue_receipt, record_individual_gift
from maillage.workspaces.actions import invite
from tests.exchange.helpers import csv_bytes, upload
from tests.receipts.factories import gift, make_alliance, make_eligible

NAME = "Zorglub Canaryfield"
EMAIL = "zorglub.canaryfield@example.org"
NEEDLE = b"zorglub"


def plant(workspace, owner, client) -> dict:
    """The person as a contact, present at a meeting, named in notes and answers, an individual donor (one gift
    with an issued receipt, one without), an employee lent in skills sponsorship, invited to the workspace, in an
    imported file and in a signed agreement's PDF."""
    make_eligible(workspace, owner)
    alliance = make_alliance(workspace, owner)
    company = next(p.organization for p in alliance.parties.all() if p.organization_id != workspace.organization_id)
    contact = add_contact(workspace=workspace, organization=company, name=NAME, email=EMAIL, phone="06 11 22 33 44")
    log_interaction(
        alliance=alliance,
        workspace=workspace,
        user=owner,
        kind="meeting",
        occurred_on=date(2025, 3, 4),
        duration_minutes=60,
        subject="Point annuel",
        notes=f"{NAME} propose un second chantier ; écrire à {EMAIL}.",
        contacts=[contact],
    )
    add_private_note(workspace=workspace, organization=company, text=f"Appeler {NAME} en juin", author=owner)
    add_alliance_note(alliance=alliance, workspace=workspace, user=owner, text=f"{NAME} suit le dossier")
    gift(
        alliance,
        workspace,
        owner,
        kind=Kind.SKILLS,
        signed_timesheet=True,
        skills_lines=[
            SkillsInput(
                employee_name=NAME,
                employee_role="Paysagiste",
                month=date(2025, 5, 1),
                hours=Decimal("35"),
                monthly_cost=Decimal("5000"),
            )
        ],
    )
    kept = record_individual_gift(
        workspace=workspace,
        user=owner,
        donor_name=NAME,
        donor_address="3 impasse des Lilas, 69100 Villeurbanne",
        donor_email=EMAIL,
        amount="150.00",
        received_on=date(2025, 2, 1),
        payment_method="cheque",
    )
    receipt = issue_receipt(workspace=workspace, user=owner, individual_gift=kept)
    record_individual_gift(
        workspace=workspace,
        user=owner,
        donor_name=NAME,
        donor_address="3 impasse des Lilas, 69100 Villeurbanne",
        amount="40.00",
        received_on=date(2025, 9, 1),
        payment_method="virement",
    )
    evaluation = open_evaluation(
        alliance=alliance,
        workspace=workspace,
        user=owner,
        period_label="2025",
        period_start=date(2025, 1, 1),
        period_end=date(2025, 12, 31),
    )
    question = Question.objects.filter(questionnaire=current_questionnaire(), kind=QuestionKind.TEXT).first()
    if question is not None:
        save_answers(evaluation=evaluation, workspace=workspace, user=owner, answers={question.code: f"Merci {NAME}"})
    invite(workspace=workspace, inviter=owner, email=EMAIL, role="viewer", accept_url_builder=lambda token: "/x/")
    upload(
        client, csv_bytes([["organisation", "nom", "email"], [company.name, NAME, EMAIL]]), "contacts.csv", "contact"
    )
    pdf = f"%PDF-1.4\n1 0 obj << /Title ({NAME}) >> endobj\nBT ({NAME}) Tj ET\n%%EOF\n".encode()
    record_agreement(
        alliance=alliance,
        workspace=workspace,
        user=owner,
        kind="mecenat",
        title="Convention de mécénat",
        signed_on=date(2025, 1, 15),
        file=SimpleUploadedFile("convention.pdf", pdf, content_type="application/pdf"),
    )
    return {"receipt": receipt, "alliance": alliance}


def _cells(value) -> bytes:
    if value is None:
        return b""
    if isinstance(value, bytes | memoryview | bytearray):
        return bytes(value)
    return str(value).encode("utf-8", errors="ignore")


def tables_naming_the_canary() -> set[str]:
    """Every table of the database (Django's and the project's) whose rows hold the canary, in any column."""
    found = set()
    tables = connection.introspection.table_names()
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 (introspected names)
            for row in cursor.fetchall():
                if any(NEEDLE in _cells(cell).lower() for cell in row):
                    found.add(table)
                    break
    return found


def files_naming_the_canary() -> list[str]:
    hits = []
    for name in stored_files():
        with default_storage.open(name, "rb") as handle:
            if NEEDLE in handle.read().lower() or NEEDLE in name.lower().encode():
                hits.append(name)
    return hits


def backup_names_the_canary(folder: Path) -> bool:
    """Make a fresh backup (``maillage backup``'s function) and search its database and files; the PostgreSQL
    dump (custom format, compressed) is read back as SQL by pg_restore."""
    archive = folder / f"backup-{len(list(folder.glob('*.tar.gz')))}.tar.gz"
    backup(archive)
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            if not member.isfile():
                continue
            data = tar.extractfile(member).read()
            if member.name.endswith(".pgdump"):
                dump = folder / "database.pgdump"
                dump.write_bytes(data)
                from maillage.core.pgclient import client_tool

                data = subprocess.run(  # noqa: S603 (fixed program)
                    [client_tool("pg_restore"), "--file=-", str(dump)], capture_output=True, check=True
                ).stdout
            if NEEDLE in data.lower():
                return True
    return False


def model_of(table: str):
    for model in apps.get_models(include_auto_created=True):
        if model._meta.db_table == table:
            return model
    return None
