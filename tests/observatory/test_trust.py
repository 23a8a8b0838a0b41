"""Only real organisations count (issue 23, decisions 0008 and 0013): fake associations, a fresh verification,
alliances drafted by an unverified workspace of a verified organisation."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.utils import timezone

from maillage.alliances.actions import create_alliance
from maillage.alliances.models import Alliance
from maillage.demo.generate import generate
from maillage.observatory.actions import set_observatory_consent
from maillage.observatory.models import RefreshRun
from maillage.observatory.refresh import compute_aggregates
from maillage.observatory.tasks import scheduled_refresh_observatory
from maillage.organizations.models import Organization
from maillage.workspaces.actions import create_workspace
from maillage.workspaces.models import Workspace
from tests.conftest import make_association, make_user

pytestmark = pytest.mark.django_db

COMMUNE = "23096"  # Guéret


def truth(level: str, code: str) -> dict[int, tuple[int, int]]:
    """{year: (associations, with a company partner)} of a territory, all causes and bands, before any noise."""
    out = {}
    for row in compute_aggregates()["counts"][level]:
        code_, year, cause, band, associations, *rest = row
        if str(code_) == code and not cause and not band:
            out[int(year)] = (associations, rest[4])  # COUNT_NAMES: associations, kinds_sum, la, af, school, company
    return out


@pytest.fixture
def world(db):
    generate(scale=0.0004, seed=4, departement="23")


def test_fake_associations_do_not_count(world):
    """Issue 23: sign-up, an association without identifier, a workspace, the consent: four of them in a commune
    made the real one's cell publishable. An unverified workspace can neither agree nor be counted."""
    before = truth("commune", COMMUNE)
    for i in range(4):
        user = make_user(f"faux{i}@example.org")
        organization = make_association(f"Association fantôme {i}", "", commune=COMMUNE)
        workspace = create_workspace(user=user, name=f"Fantôme {i}", organization=organization)
        with pytest.raises(PermissionDenied):
            set_observatory_consent(workspace=workspace, user=user, contributes=True)
        Workspace.objects.filter(pk=workspace.pk).update(contributes_to_observatory=True)  # whatever the column holds
    assert truth("commune", COMMUNE) == before


def test_a_fresh_verification_counts_after_the_minimum_age(world, settings):
    settings.OBSERVATORY_MIN_AGE_DAYS = 30
    before = truth("commune", COMMUNE)
    organization = make_association("Association nouvellement vérifiée", "W231000099", commune=COMMUNE)
    workspace = Workspace.objects.create(
        name="Nouvelle", organization=organization, verified_at=timezone.now(), contributes_to_observatory=True
    )
    assert truth("commune", COMMUNE) == before
    Workspace.objects.filter(pk=workspace.pk).update(verified_at=timezone.now() - timedelta(days=31))
    year = timezone.localdate().year
    assert truth("commune", COMMUNE)[year][0] == before.get(year, (0, 0))[0] + 1


def test_alliances_of_an_unverified_workspace_of_a_verified_organisation_do_not_count(world):
    """Decision 0008's known limit: a superseded claimant's drafts no longer feed the organisation's figures."""
    year = timezone.localdate().year
    organization = make_association("Association vérifiée sans entreprise", "W231000098", commune=COMMUNE)
    verified = Workspace.objects.create(
        name="Siège vérifié", organization=organization, verified_at=timezone.now(), contributes_to_observatory=True
    )
    company = Organization.objects.filter(kind="company").order_by("id").first()
    before = truth("commune", COMMUNE)[year]
    stranger = make_user("claimant@example.org")
    unverified = Workspace.objects.create(name="Autre siège", organization=organization)
    unverified.memberships.create(user=stranger, role="owner")
    made = create_alliance(
        workspace=unverified,
        user=stranger,
        name="Alliance d'un siège non vérifié",
        forms=["mecenat_financier"],
        partners=[(company, "partner", "")],
        starts_on=date(year, 1, 2),
    )
    Alliance.objects.filter(pk=made.pk).update(stage="active")
    assert truth("commune", COMMUNE)[year] == before
    # The same alliance, once the association's party is the verified workspace's, counts.
    made.parties.filter(organization=organization).update(workspace=verified)
    assert truth("commune", COMMUNE)[year] == (before[0], before[1] + 1)


def test_audit_disclosure_command_passes_after_a_refresh(world):
    call_command("refresh_observatory")
    call_command("audit_disclosure")


def test_the_nightly_job_publishes_on_the_snapshot_day_only(db, settings):
    """A fixed cadence: between two snapshots, one write cannot be isolated by refreshing after it."""
    settings.OBSERVATORY_SNAPSHOT_WEEKDAY = (timezone.localdate().weekday() + 1) % 7  # tomorrow
    scheduled_refresh_observatory.enqueue()  # nothing published yet: due whatever the day
    runs = RefreshRun.objects.count()
    assert runs == 1
    assert scheduled_refresh_observatory.enqueue().return_value == 0  # not the day: nothing recomputed
    assert RefreshRun.objects.count() == runs
    settings.OBSERVATORY_SNAPSHOT_WEEKDAY = timezone.localdate().weekday()
    assert scheduled_refresh_observatory.enqueue().return_value == 0  # the day, but published today already
    RefreshRun.objects.update(finished_at=timezone.now() - timedelta(days=7))  # last week's snapshot
    scheduled_refresh_observatory.enqueue()
    assert RefreshRun.objects.count() == runs + 1
