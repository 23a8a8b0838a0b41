"""Export a whole workspace as an archive, import it into an empty workspace: the same lists come out."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile

from maillage.alliances import actions
from maillage.contributions.actions import CounterpartInput, SkillsInput, record_contribution
from maillage.exchange import runner
from maillage.exchange.archive import build_archive
from maillage.exchange.export import TABLES, table_response
from maillage.exchange.jobs import create_job
from maillage.exchange.models import JobStatus
from maillage.organizations.actions import add_contact, add_private_note
from maillage.workspaces.models import Workspace

pytestmark = pytest.mark.django_db


def lists(workspace) -> dict[str, list]:
    result = {}
    for name, table in TABLES.items():
        text = table_response(table, workspace, "csv").content.decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text), delimiter=";"))
        drop = [i for i, h in enumerate(rows[0]) if h == "id"]
        result[name] = sorted(tuple(c for i, c in enumerate(r) if i not in drop) for r in rows[1:])
    return result


@pytest.fixture
def full_workspace(workspace_a, owner, alliance, company, foundation, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    ws, user = workspace_a, owner
    contact = add_contact(workspace=ws, organization=company, name="Alice Martin", role="RSE", email="a@lac.fr")
    add_private_note(workspace=ws, organization=company, text="Partenaire fiable", tags="rse", author=user)
    for stage in ("first_contact", "co_construction", "formalised", "active"):
        actions.move_alliance(alliance=alliance, workspace=ws, user=user, to_stage=stage)
    alliance = type(alliance).objects.prefetch_related("parties").get(pk=alliance.pk)
    parties = {p.organization_id: p for p in alliance.parties.all()}
    own, funder, other = parties[ws.organization_id], parties[company.pk], parties[foundation.pk]
    today = date.today()
    record_contribution(
        alliance=alliance,
        workspace=ws,
        user=user,
        giver=funder,
        receiver=own,
        kind="money",
        description="Don 2024",
        value="1500",
        status="received",
        received_on=today - timedelta(days=3),
        counterparts=[CounterpartInput(description="Logo", value=Decimal("100"))],
    )
    record_contribution(
        alliance=alliance,
        workspace=ws,
        user=user,
        giver=funder,
        receiver=own,
        kind="skills",
        description="Menuisiers",
        skills_lines=[
            SkillsInput(employee_name="Paul", month=date(2024, 2, 1), hours=Decimal("35"), monthly_cost=Decimal("4200"))
        ],
    )
    record_contribution(
        alliance=alliance,
        workspace=ws,
        user=user,
        giver=own,
        receiver=other,
        kind="volunteering",
        description="Bénévoles",
        hours="20",
        hourly_rate="11,88",
    )
    actions.log_interaction(
        alliance=alliance,
        workspace=ws,
        user=user,
        kind="meeting",
        occurred_on=today,
        duration_minutes=90,
        subject="Lancement",
        notes="Compte rendu",
        attendance={own.pk: 2, funder.pk: 1},
        contacts=[contact],
    )
    actions.record_agreement(
        alliance=alliance,
        workspace=ws,
        user=user,
        kind="mecenat",
        title="Convention 2024",
        signed_on=today,
        amount=Decimal("1500"),
        file=ContentFile(b"%PDF-1.4 convention", name="c.pdf"),
    )
    actions.add_alliance_note(alliance=alliance, workspace=ws, user=user, text="À relancer en juin")
    return ws


def test_archive_round_trip_into_an_empty_workspace(full_workspace, owner):
    archive = build_archive(full_workspace)
    empty = Workspace.objects.create(name="Espace neuf", organization=full_workspace.organization)
    job = create_job(workspace=empty, user=owner, entity="archive", filename="a.zip", content=archive)
    runner.validate(job)
    job.refresh_from_db()
    assert job.report == [] and job.status == JobStatus.VALIDATED
    job = runner.run(job.pk)
    assert job.status == JobStatus.DONE, job.message
    before, after = lists(full_workspace), lists(empty)
    for name in TABLES:
        assert after[name] == before[name], name
    from maillage.alliances.models import Agreement

    copied = Agreement.objects.filter(alliance__parties__workspace=empty).get()
    assert copied.file.read() == b"%PDF-1.4 convention"
    # Importing the same archive again adds nothing.
    again = create_job(workspace=empty, user=owner, entity="archive", filename="a.zip", content=archive)
    runner.validate(again)
    again = runner.run(again.pk)
    assert again.status == JobStatus.DONE and again.created_rows == 0
    assert lists(empty) == after
    # And the first import can be undone as one operation.
    from maillage.exchange.undo import undo_import

    undo_import(job=job, user=owner)
    assert all(not rows for name, rows in lists(empty).items() if name not in {"organisations"})


def test_a_broken_archive_lands_nothing(full_workspace, owner):
    import json
    import zipfile

    archive = zipfile.ZipFile(io.BytesIO(build_archive(full_workspace)))
    data = json.loads(archive.read("maillage.json"))
    data["interactions"][0]["duration_minutes"] = -5
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as broken:
        broken.writestr("maillage.json", json.dumps(data))
    empty = Workspace.objects.create(name="Espace neuf", organization=full_workspace.organization)
    job = create_job(workspace=empty, user=owner, entity="archive", filename="a.zip", content=out.getvalue())
    runner.validate(job)
    job.refresh_from_db()
    assert any("durée" in r[3] for r in job.report)
    job = runner.run(job.pk)
    assert job.status == JobStatus.FAILED and "rien n'a été enregistré" in job.message
    assert all(not rows for name, rows in lists(empty).items() if name != "organisations")
