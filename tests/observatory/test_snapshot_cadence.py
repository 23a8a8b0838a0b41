"""One publication rule for the staff page, the CLI and the nightly job (issue 23, decision 0013): a snapshot is
published only when due — nothing published yet, or the weekly day with nothing published that day — unless an
operator forces it from the CLI, which is recorded on the run and in the journal."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from maillage.audit.models import AuditEvent
from maillage.observatory.models import RefreshRun
from maillage.observatory.tasks import scheduled_refresh_observatory
from maillage.workspaces.models import User
from tests.conftest import client_for, page_text

pytestmark = pytest.mark.django_db


def cli(*args: str) -> str:
    out = io.StringIO()
    call_command("refresh_observatory", *args, stdout=out)
    return out.getvalue()


def test_the_cli_publishes_only_when_due_and_forces_on_record(settings):
    today = timezone.localdate()
    settings.OBSERVATORY_SNAPSHOT_WEEKDAY = (today.weekday() + 1) % 7  # tomorrow
    assert "Observatoire actualisé" in cli()  # nothing published yet: due whatever the day
    first = RefreshRun.objects.get()
    assert (first.trigger, first.forced, first.status) == ("cli", False, "done")

    text = cli()  # not the day: refused, why and when, in French
    assert "Rien n'a été publié" in text and "Ce n'est pas le jour de publication" in text
    assert f"{today + timedelta(days=1):%d/%m/%Y}" in text and "--force" in text
    assert RefreshRun.objects.count() == 1

    settings.OBSERVATORY_SNAPSHOT_WEEKDAY = today.weekday()  # the day, but published today already
    text = cli()
    assert "Un instantané a déjà été publié aujourd'hui" in text and f"{today + timedelta(days=7):%d/%m/%Y}" in text
    assert RefreshRun.objects.count() == 1
    assert scheduled_refresh_observatory.enqueue().return_value == 0  # the nightly job follows the same rule
    assert RefreshRun.objects.count() == 1

    assert not AuditEvent.objects.filter(action="observatory.snapshot_forced").exists()
    text = cli("--force")
    assert "hors calendrier, forcé" in text
    forced = RefreshRun.objects.first()
    assert (forced.trigger, forced.forced, forced.status) == ("cli", True, "done")
    event = AuditEvent.objects.get(action="observatory.snapshot_forced")
    assert event.details["trigger"] == "cli" and "déjà été publié" in event.details["reason"]

    staff = User.objects.create_user("staff@x.test", "mot-de-passe-solide-42", full_name="Staff", is_staff=True)
    page = page_text(client_for(staff).get("/observatoire/actualiser/"))
    assert "forcée hors calendrier" in page and "ligne de commande" in page


def test_a_due_snapshot_is_not_marked_forced_and_the_page_then_refuses(settings):
    today = timezone.localdate()
    settings.OBSERVATORY_SNAPSHOT_WEEKDAY = today.weekday()
    cli()
    RefreshRun.objects.update(finished_at=timezone.now() - timedelta(days=7))  # last week's snapshot
    assert "Observatoire actualisé" in cli("--force")  # due anyway: --force changes nothing, not marked
    assert not RefreshRun.objects.first().forced
    assert not AuditEvent.objects.filter(action="observatory.snapshot_forced").exists()
    # The CLI published today's snapshot: the staff page refuses through the same rule.
    staff = User.objects.create_user("staff@x.test", "mot-de-passe-solide-42", full_name="Staff", is_staff=True)
    client = client_for(staff)
    text = page_text(client.post("/observatoire/actualiser/", follow=True))
    assert "Un instantané a déjà été publié aujourd" in text and RefreshRun.objects.count() == 2


def test_the_page_publishes_through_the_rule_with_its_trigger(settings):
    settings.OBSERVATORY_SNAPSHOT_WEEKDAY = (timezone.localdate().weekday() + 3) % 7
    staff = User.objects.create_user("staff@x.test", "mot-de-passe-solide-42", full_name="Staff", is_staff=True)
    client = client_for(staff)
    assert client.post("/observatoire/actualiser/").status_code == 302  # nothing published yet: due
    run = RefreshRun.objects.get()
    assert (run.trigger, run.forced) == ("page", False)
    scheduled_refresh_observatory.enqueue()  # not the day
    assert RefreshRun.objects.count() == 1
    settings.OBSERVATORY_SNAPSHOT_WEEKDAY = -1  # every night: tomorrow's job would publish, today's not again
    assert scheduled_refresh_observatory.enqueue().return_value == 0
    RefreshRun.objects.update(finished_at=timezone.now() - timedelta(days=1))
    scheduled_refresh_observatory.enqueue()
    assert RefreshRun.objects.first().trigger == "schedule"
