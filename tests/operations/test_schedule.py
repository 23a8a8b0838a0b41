"""The scheduler of ``maillage worker``: each daily job once per day, whatever the ticks and the workers; a daily
job run twice the same day sends nothing twice; one failing item is logged and the others go on; the tasks of a
dead worker are queued again."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from maillage.alliances import actions
from maillage.alliances.models import Agreement
from maillage.alliances.tasks import remind_agreements
from maillage.core import mail as mail_module
from maillage.jobs import schedule
from maillage.jobs.models import PeriodicRun, WorkerBeat
from maillage.jobs.recovery import MAX_ATTEMPTS, requeue_orphans
from maillage.organizations.models import Organization

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.backend.DatabaseBackend"}}


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=PARIS)


def test_each_daily_job_is_enqueued_once_per_day(settings):
    settings.TASKS = DATABASE_TASKS
    assert schedule.tick(at(7, 2, 59)) == []  # nothing due before 03:00
    assert schedule.tick(at(7, 3, 0)) == ["refresh_observatory"]
    assert schedule.tick(at(7, 3, 30)) == []
    assert schedule.tick(at(7, 9, 0)) == [  # a worker started late the same day catches up
        "purge_receipts",
        "purge_personal_data",
        "prune_task_results",
        "remind_agreements",
        "remind_evaluations",
        "matching_digest",
    ]
    assert schedule.tick(at(7, 23, 59)) == []  # as many ticks as one likes, as many workers as one likes
    assert PeriodicRun.objects.filter(period="2026-12-07").count() == 7
    assert DBTaskResult.objects.ready().count() == 7
    assert len(schedule.tick(at(8, 8, 0))) == 7  # the next day, again
    # The unique pair is what forbids a second enqueue (two schedulers racing past the first read).
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        PeriodicRun.objects.create(job="remind_agreements", period="2026-12-08")


def test_a_job_can_be_left_to_another_scheduler(settings):
    settings.TASKS = DATABASE_TASKS
    settings.MAILLAGE_SCHEDULE_OFF = ["purge_receipts", "refresh_observatory"]
    assert "purge_receipts" not in schedule.tick(at(7, 12)) and PeriodicRun.objects.count() == 5


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


def agreement(alliance, workspace, user, title, renewal_on):
    return actions.record_agreement(
        alliance=alliance,
        workspace=workspace,
        user=user,
        kind="mecenat",
        title=title,
        signed_on=date(2025, 1, 1),
        renewal_on=renewal_on,
    )


def test_a_daily_job_run_twice_the_same_day_sends_nothing_twice(
    alliance, people, workspace_a, django_capture_on_commit_callbacks
):
    soon = timezone.localdate() + timedelta(days=5)
    agreement(alliance, workspace_a, people["owner"], "Accord A", soon)
    agreement(alliance, workspace_a, people["owner"], "Accord B", soon)
    with django_capture_on_commit_callbacks(execute=True):  # each reminder leaves after its commit
        remind_agreements.enqueue()  # immediate backend: run now
    assert len(mail.outbox) == 2
    with django_capture_on_commit_callbacks(execute=True):
        remind_agreements.enqueue()
        call_command("remind_agreements", stdout=open(os.devnull, "w"))  # noqa: SIM115 (by hand, after the worker)
    assert len(mail.outbox) == 2


@pytest.mark.django_db(transaction=True)  # each reminder commits, then its e-mail leaves (or fails)
def test_one_failing_item_is_logged_and_the_others_go_on(alliance, people, workspace_a, monkeypatch, caplog):
    soon = timezone.localdate() + timedelta(days=5)
    first = agreement(alliance, workspace_a, people["owner"], "Accord en panne", soon)
    second = agreement(alliance, workspace_a, people["owner"], "Accord B", soon)
    real = mail_module.send_mail

    def send_mail(*, subject, **kwargs):
        if "en panne" in subject:
            raise ConnectionRefusedError("SMTP down")
        return real(subject=subject, **kwargs)

    monkeypatch.setattr(mail_module, "send_mail", send_mail)
    result = remind_agreements.enqueue()
    assert result.return_value == 1 and len(mail.outbox) == 1 and "Accord B" in mail.outbox[0].subject
    assert f"accord {first.pk}" in caplog.text and "SMTP down" in caplog.text
    # The failed one is not marked: tomorrow's run tries it again; the sent one is marked and not sent again.
    assert Agreement.objects.get(pk=first.pk).reminder_sent_on is None
    assert Agreement.objects.get(pk=second.pk).reminder_sent_on is not None
    monkeypatch.setattr(mail_module, "send_mail", real)
    assert remind_agreements.enqueue().return_value == 1 and len(mail.outbox) == 2


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_the_tasks_of_a_dead_worker_are_queued_again_then_failed_after_five_deaths(settings):
    settings.TASKS = DATABASE_TASKS
    result = remind_agreements.enqueue()
    now = timezone.now()
    # A live process of this host (not ours: our pid under another worker id means that worker died).
    WorkerBeat.objects.create(worker_id="alive", hostname=socket.gethostname(), pid=os.getppid(), seen_at=now)
    WorkerBeat.objects.create(worker_id="killed", hostname=socket.gethostname(), pid=dead_pid(), seen_at=now)
    WorkerBeat.objects.create(worker_id="silent", hostname="elsewhere", pid=1, seen_at=now - timedelta(minutes=5))
    row = DBTaskResult.objects.get(pk=result.id)
    row.claim("alive")
    assert requeue_orphans() == [] and DBTaskResult.objects.get(pk=result.id).status == "RUNNING"
    # A worker's own task: its beat carries our pid, and it is alive for the worker itself.
    WorkerBeat.objects.create(worker_id="me", hostname=socket.gethostname(), pid=os.getpid(), seen_at=now)
    DBTaskResult.objects.filter(pk=result.id).update(worker_ids=["me"])
    assert requeue_orphans(me="me") == [] and DBTaskResult.objects.get(pk=result.id).status == "RUNNING"
    WorkerBeat.objects.filter(worker_id="me").delete()
    for worker in ("killed", "silent", "never-registered"):
        DBTaskResult.objects.filter(pk=result.id).update(status="RUNNING", worker_ids=[worker])
        assert requeue_orphans() == [str(result.id)], worker
        assert DBTaskResult.objects.get(pk=result.id).status == "READY"
    assert set(WorkerBeat.objects.values_list("worker_id", flat=True)) == {"alive"}  # dead beats forgotten
    DBTaskResult.objects.filter(pk=result.id).update(status="RUNNING", worker_ids=["gone"] * MAX_ATTEMPTS)
    assert requeue_orphans() == []
    failed = DBTaskResult.objects.get(pk=result.id)
    assert failed.status == "FAILED" and "WorkerLost" in failed.exception_class_path


def test_the_jobs_command_shows_failures_and_retries_one(settings):
    from io import StringIO

    from django.core.management.base import CommandError

    settings.TASKS = DATABASE_TASKS
    result = remind_agreements.enqueue()
    row = DBTaskResult.objects.get(pk=result.id)
    row.claim("w")
    row.set_failed(RuntimeError("SMTP refusé"))
    schedule.tick(at(7, 8))
    out = StringIO()
    call_command("jobs", stdout=out)
    text = out.getvalue()
    assert f"{result.id} " in text and "RuntimeError: SMTP refusé" in text
    assert "remind_agreements — rappels des accords à renouveler (dernière : 2026-12-07)" in text
    call_command("jobs", "--retry", str(result.id), stdout=StringIO())
    assert DBTaskResult.objects.get(pk=result.id).status == "READY"
    with pytest.raises(CommandError, match="Aucune tâche en échec"):
        call_command("jobs", "--retry", str(result.id))
