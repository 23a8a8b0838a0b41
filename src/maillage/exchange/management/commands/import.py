"""``maillage import <job id>``: run an import job in the foreground (the pages queue it for ``maillage worker``).

``maillage import --file F --entity contribution --workspace 3 [--user e-mail] [--validate-only]`` creates the
job from a file first, guessing the column mapping from the headers.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Importe un fichier (ou exécute un import déjà préparé) dans un espace de travail."

    def add_arguments(self, parser):
        parser.add_argument("job_id", nargs="?", type=int)
        parser.add_argument("--file")
        parser.add_argument("--entity", default="")
        parser.add_argument("--workspace", type=int)
        parser.add_argument("--user", default="")
        parser.add_argument("--validate-only", action="store_true")

    def handle(self, *args, job_id=None, file=None, entity="", workspace=None, user="", validate_only=False, **kw):
        from maillage.exchange import runner
        from maillage.exchange.jobs import create_job
        from maillage.exchange.models import ImportJob, JobStatus
        from maillage.exchange.readers import FileRefused
        from maillage.workspaces.models import User, Workspace

        if job_id is None:
            if not (file and entity and workspace):
                raise CommandError("Indiquez un numéro d'import, ou --file, --entity et --workspace.")
            ws = Workspace.objects.filter(pk=workspace).first()
            if ws is None:
                raise CommandError(f"Espace {workspace} introuvable.")
            person = User.objects.filter(email=user).first() if user else None
            try:
                job = create_job(
                    workspace=ws, user=person, entity=entity, filename=Path(file).name, content=Path(file).read_bytes()
                )
            except FileRefused as exc:
                raise CommandError(str(exc)) from exc
            runner.validate(job)
            job.refresh_from_db()
            already = f" (dont {job.skipped_rows} déjà importée(s))" if job.skipped_rows else ""
            self.stdout.write(
                f"Import {job.pk} : {job.accepted_rows} ligne(s) acceptée(s){already}, {job.rejected_rows} refusée(s)."
            )
            if validate_only or job.status == JobStatus.FAILED:
                return
            runner.mark_started(job, user=person)
        else:
            job = ImportJob.objects.filter(pk=job_id).first()
            if job is None:
                raise CommandError(f"Import {job_id} introuvable.")
        job = runner.run(job.pk)
        self.stdout.write(
            f"Import {job.pk} : {job.get_status_display()} — {job.created_rows} créée(s), "
            f"{job.skipped_rows} déjà présente(s). {job.message}"
        )
        if job.status == JobStatus.FAILED:
            raise CommandError(job.message)
