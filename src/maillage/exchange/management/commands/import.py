"""``maillage import <job id>``: run an import job in the foreground (the pages queue it for ``maillage worker``).

``maillage import --file F --entity contribution --workspace 3 [--user e-mail] [--validate-only]`` creates the
job from a file first, guessing the column mapping from the headers; ``--encoding`` and ``--delimiter`` replace
the detected ones. It prints what was detected and why, every refused row with its reason, and the accounting
of every row (created, already in the directory, already imported, refused: they add up to the rows).
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from maillage.exchange import runner
from maillage.exchange.jobs import create_job
from maillage.exchange.models import ImportJob, JobStatus
from maillage.exchange.parsed import load
from maillage.exchange.readers import FileRefused
from maillage.workspaces.models import User, Workspace


class Command(BaseCommand):
    help = "Importe un fichier (ou exécute un import déjà préparé) dans un espace de travail."

    def add_arguments(self, parser):
        parser.add_argument("job_id", nargs="?", type=int)
        parser.add_argument("--file")
        parser.add_argument("--entity", default="")
        parser.add_argument("--workspace", type=int)
        parser.add_argument("--user", default="")
        parser.add_argument("--validate-only", action="store_true")
        parser.add_argument("--encoding", default="", help="utf-8-sig ou cp1252 (sinon détecté)")
        parser.add_argument("--delimiter", default="", help="; , | ou tab (sinon détecté)")

    def _report(self, job) -> None:
        for number, column, value, message in job.report:
            where = f"ligne {number}" + (f", colonne « {column} »" if column else "")
            shown = f" (« {value} »)" if value else ""
            self.stdout.write(f"  {where}{shown} : {message}")

    def handle(
        self,
        *args,
        job_id=None,
        file=None,
        entity="",
        workspace=None,
        user="",
        validate_only=False,
        encoding="",
        delimiter="",
        **kw,
    ):

        if job_id is None:
            if not (file and entity and workspace):
                raise CommandError("Indiquez un numéro d'import, ou --file, --entity et --workspace.")
            ws = Workspace.objects.filter(pk=workspace).first()
            if ws is None:
                raise CommandError(f"Espace {workspace} introuvable.")
            if not Path(file).is_file():
                raise CommandError(f"Fichier {file} introuvable : vérifiez son chemin.")
            person = User.objects.filter(email=user).first() if user else None
            try:
                job = create_job(
                    workspace=ws,
                    user=person,
                    entity=entity,
                    filename=Path(file).name,
                    content=Path(file),  # read a slice at a time, never whole
                    encoding=encoding,
                    delimiter="\t" if delimiter == "tab" else delimiter,
                )
            except FileRefused as exc:
                raise CommandError(str(exc)) from exc
            if job.message:  # the rows do not fit the header under the detected separator: nothing is guessed
                raise CommandError(f"{job.message} (options --delimiter et --encoding)")
            runner.validate(job)
            job.refresh_from_db()
            if job.status == JobStatus.FAILED:
                raise CommandError(job.message)
            already = f" (dont {job.skipped_rows} déjà importée(s))" if job.skipped_rows else ""
            where = "dans votre espace" if job.entity == "contact" else "dans l'annuaire"  # a known contact
            matched = f", dont {job.matched_rows} déjà {where}" if job.matched_rows else ""
            self.stdout.write(
                f"Import {job.pk} : {job.total_rows} ligne(s) : {job.accepted_rows} acceptée(s){already}{matched}, "
                f"{job.rejected_rows} refusée(s)."
            )
            if job.file_format == "csv":
                table = load(job)
                self.stdout.write(f"Encodage : {table.why_encoding}\nSéparateur : {table.why_delimiter}")
            self._report(job)
            if validate_only:
                return
            runner.mark_started(job, user=person)
        else:
            found = ImportJob.objects.filter(pk=job_id).first()
            if found is None:
                raise CommandError(f"Import {job_id} introuvable.")
            job = found
        job = runner.run(job.pk)
        where = "dans votre espace" if job.entity == "contact" else "dans l'annuaire"  # linked, not created
        self.stdout.write(
            f"Import {job.pk} : {job.get_status_display()} — sur {job.total_rows} ligne(s) : {job.created_rows} "
            f"créée(s), {job.matched_rows} déjà {where}, {job.skipped_rows} déjà importée(s), "
            f"{job.rejected_rows} refusée(s). {job.message}"
        )
        if job.status == JobStatus.FAILED:
            raise CommandError(job.message)
