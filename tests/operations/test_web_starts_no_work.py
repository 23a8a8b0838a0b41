"""The web process never runs background work: the pages that start an import, a batch of receipts and the
observatory's refresh only queue a task (database backend), with ``threading.Thread.start`` and
``subprocess.Popen`` made to fail during those requests; then ``maillage worker`` runs the tasks."""

from __future__ import annotations

import signal
import subprocess
import threading
from contextlib import contextmanager
from datetime import date

import pytest
from django.core import mail
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from maillage.contributions.models import Contribution
from maillage.core.roles import Role
from maillage.exchange.models import ImportJob, JobStatus
from maillage.observatory.models import RefreshRun
from maillage.organizations.actions import add_contact
from maillage.receipts.models import BatchRun, Receipt
from maillage.workspaces.models import Membership
from tests.conftest import client_for, make_user
from tests.exchange.helpers import contribution_rows, csv_bytes, upload
from tests.receipts.factories import gift, make_alliance, make_company, make_eligible

pytestmark = pytest.mark.django_db(transaction=True)
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.backend.DatabaseBackend"}}


@contextmanager
def no_thread_nor_process():
    def refuse(*args, **kwargs):
        raise AssertionError("the web process started a thread or a process for background work")

    original_start, original_popen = threading.Thread.start, subprocess.Popen.__init__
    threading.Thread.start, subprocess.Popen.__init__ = refuse, refuse
    try:
        yield
    finally:
        threading.Thread.start, subprocess.Popen.__init__ = original_start, original_popen


def run_worker() -> None:
    """``maillage worker`` in this process until the queue is empty (its signal handlers put back after)."""
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    try:
        call_command("worker", "--batch", "--no-startup-delay", "--no-scheduler", "--beat", "3600", verbosity=0)
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)


def test_pages_queue_the_work_and_the_worker_does_it(settings, tmp_path, workspace_a):
    settings.TASKS = DATABASE_TASKS
    settings.MEDIA_ROOT = tmp_path / "media"
    owner = make_user("owner@ops.test")
    Membership.objects.create(workspace=workspace_a, user=owner, role=Role.OWNER)
    owner.is_staff = True
    owner.save(update_fields=["is_staff"])
    make_eligible(workspace_a, owner)
    alliance = make_alliance(workspace_a, owner)
    for value in ("100", "200", "300"):
        gift(alliance, workspace_a, owner, value=value, received_on=date(2025, 6, 10))
    add_contact(workspace=workspace_a, organization=make_company(), name="Léa Mécène", email="lea@dupain.test")
    client = client_for(owner)
    upload(
        client,
        csv_bytes(
            contribution_rows(
                5, giver=make_company().siren, receiver=workspace_a.organization.name, alliance=alliance.name
            )
        ),
    )
    job = ImportJob.objects.get()
    assert (
        client.post(f"/donnees/imports/{job.pk}/colonnes/", {f"col-{i}": n for i, n in job.mapping.items()}).status_code
        == 302
    )
    job.refresh_from_db()
    assert job.status == JobStatus.VALIDATED and job.accepted_rows == 5, job.report
    before = Contribution.objects.count()

    with no_thread_nor_process():
        assert client.post(f"/donnees/imports/{job.pk}/lancer/").status_code == 302
        assert client.post("/recus/lot/", {"year": "2025", "send_emails": "on"}).status_code == 302
        assert client.post("/observatoire/actualiser/").status_code == 302
        # A second refresh while the first waits is refused, not queued twice.
        assert client.post("/observatoire/actualiser/").status_code == 302

    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED and Contribution.objects.count() == before
    assert BatchRun.objects.get().status == "running" and not Receipt.objects.exists()
    assert not RefreshRun.objects.exists()
    queued = sorted(DBTaskResult.objects.ready().values_list("task_path", flat=True))
    assert queued == [
        "maillage.exchange.tasks.run_import",
        "maillage.observatory.tasks.refresh_observatory",
        "maillage.receipts.tasks.issue_batch",
    ]

    run_worker()

    job.refresh_from_db()
    assert job.status == JobStatus.DONE and Contribution.objects.count() == before + 5
    batch = BatchRun.objects.get()
    receipts_sent = [m for m in mail.outbox if m.subject.startswith("Votre reçu fiscal")]
    assert batch.status == "done" and batch.issued == 3 and batch.emailed == 3 and len(receipts_sent) == 3
    assert RefreshRun.objects.get().status == "done"
    assert sorted(DBTaskResult.objects.values_list("status", flat=True)) == ["SUCCESSFUL"] * 3
    # The progress fragments read the job rows, as before.
    assert (
        "Terminé"
        in client.get(f"/donnees/imports/{job.pk}/progression/", headers={"HX-Request": "true"}).content.decode()
    )
