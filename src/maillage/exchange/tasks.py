"""The import as a background task (run by ``maillage worker``; ``maillage import <id>`` runs it in the foreground)."""

from __future__ import annotations

from django_tasks import task


@task()
def run_import(job_id: int) -> str:
    """Write a validated job's rows. Run again after a crash, it resumes after the last whole batch."""
    from maillage.exchange.runner import run

    return run(job_id).status
