from __future__ import annotations

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command

from maillage.alliances import actions
from maillage.alliances.models import Agreement
from maillage.organizations.models import Organization

pytestmark = pytest.mark.django_db


@pytest.fixture
def alliance(people, workspace_a):
    lyon = Organization.objects.get(territory_key="commune:69123")
    return actions.create_alliance(
        workspace=workspace_a,
        user=people["owner"],
        name="Convention",
        forms=["mecenat_financier"],
        partners=[(lyon, "funder", "")],
    )


def agreement(alliance, workspace, user, renewal_on):
    return actions.record_agreement(
        alliance=alliance,
        workspace=workspace,
        user=user,
        kind="mecenat",
        title=f"Accord {renewal_on}",
        signed_on=date(2025, 1, 1),
        renewal_on=renewal_on,
    )


def test_admins_are_reminded_once_before_the_renewal_date(
    alliance, people, workspace_a, django_capture_on_commit_callbacks
):
    today = date(2026, 11, 26)
    soon = agreement(alliance, workspace_a, people["owner"], today + timedelta(days=10))
    agreement(alliance, workspace_a, people["owner"], today + timedelta(days=90))  # too far
    agreement(alliance, workspace_a, people["owner"], today - timedelta(days=1))  # already past
    with django_capture_on_commit_callbacks(execute=True):  # the e-mails leave after the commit
        assert actions.send_agreement_reminders(today=today) == 1
    assert len(mail.outbox) == 1
    assert set(mail.outbox[0].to) == {"owner@a.test", "admin@a.test"}  # not members, viewers nor revoked
    assert "26/11/2026" not in mail.outbox[0].subject and "06/12/2026" in mail.outbox[0].subject
    assert Agreement.objects.get(pk=soon.pk).reminder_sent_on == today
    assert actions.send_agreement_reminders(today=today) == 0  # once per agreement
    assert len(mail.outbox) == 1


def test_command(alliance, people, workspace_a):
    from django.utils import timezone

    agreement(alliance, workspace_a, people["owner"], timezone.localdate() + timedelta(days=5))
    out = StringIO()
    call_command("remind_agreements", stdout=out)
    assert "1 rappel(s)" in out.getvalue()
