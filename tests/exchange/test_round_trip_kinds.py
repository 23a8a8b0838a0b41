"""The importer reads the lists Maillage exports (issue 21): each kind exported from workspace A, imported."""

from __future__ import annotations

import pytest

from maillage.alliances.models import Alliance, Interaction
from maillage.core.roles import Role
from maillage.exchange import runner
from maillage.exchange.export import TABLES, table_response
from maillage.exchange.jobs import create_job
from maillage.exchange.models import ImportJob, JobStatus
from maillage.organizations.models import Contact
from maillage.workspaces.models import Membership
from tests.conftest import make_user
from tests.exchange.test_round_trip import full_workspace  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db


def exported(workspace, table: str, file_format: str) -> bytes:
    return table_response(TABLES[table], workspace, file_format).content


def imported(workspace, user, entity: str, content: bytes, name: str) -> ImportJob:
    job = create_job(workspace=workspace, user=user, entity=entity, filename=name, content=content)
    assert not job.message, job.message
    runner.validate(job)
    job.refresh_from_db()
    return job


def ran(job: ImportJob) -> ImportJob:
    job = runner.run(job.pk)
    assert job.status == JobStatus.DONE, job.message
    assert job.created_rows + job.matched_rows + job.skipped_rows + job.rejected_rows == job.total_rows
    return job


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_every_kind_exported_from_a_imports_into_b(full_workspace, owner, workspace_b, file_format):  # noqa: F811
    a = full_workspace
    b_owner = make_user("owner@b.test")
    Membership.objects.create(workspace=workspace_b, user=b_owner, role=Role.OWNER)
    name = f"liste.{file_format}"

    orgs = imported(workspace_b, b_owner, "organization", exported(a, "organisations", file_format), name)
    assert orgs.rejected_rows == 0, orgs.report
    orgs = ran(orgs)
    assert orgs.created_rows == 0 and orgs.matched_rows == orgs.total_rows  # all already in the directory

    alliances = imported(workspace_b, b_owner, "alliance", exported(a, "alliances", file_format), name)
    assert alliances.rejected_rows == 0, alliances.report
    ran(alliances)
    source = Alliance.objects.visible_to(a).get()
    copy = Alliance.objects.visible_to(workspace_b).get(name=source.name)
    assert copy.forms == source.forms
    others = {p.organization_id for p in source.parties.all()} - {a.organization_id}
    assert others <= {p.organization_id for p in copy.parties.all()}

    contacts = imported(workspace_b, b_owner, "contact", exported(a, "contacts", file_format), name)
    assert contacts.rejected_rows == 0, contacts.report
    ran(contacts)
    assert list(Contact.objects.visible_to(workspace_b).values_list("name", "email")) == list(
        Contact.objects.visible_to(a).values_list("name", "email")
    )

    exchanges = imported(workspace_b, b_owner, "interaction", exported(a, "echanges", file_format), name)
    assert exchanges.rejected_rows == 0, exchanges.report
    ran(exchanges)
    assert (
        Interaction.objects.filter(alliance=copy).values_list("kind", "occurred_on", "duration_minutes")[0]
        == (Interaction.objects.filter(alliance=source).values_list("kind", "occurred_on", "duration_minutes")[0])
    )

    # Contributions name A's own organisation as a party: read back into A. Skills are refused by design (their
    # valuation is per employee: the archive carries them).
    gifts = imported(a, owner, "contribution", exported(a, "contributions", file_format), name)
    assert gifts.total_rows == 3 and gifts.accepted_rows == 2, gifts.report
    assert all("compétences" in r[3] for r in gifts.report)
