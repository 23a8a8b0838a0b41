"""``maillage jobs``: what the worker did and has to do: queue, failures, daily jobs; ``--retry ID`` queues a failed
task again."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from maillage.core.tasks import uses_database_backend
from maillage.jobs.models import PeriodicRun, WorkerBeat
from maillage.jobs.schedule import active_schedule


class Command(BaseCommand):
    help = "Affiche la file des tâches d'arrière-plan, les échecs et les tâches quotidiennes ; --retry ID relance un échec."

    def add_arguments(self, parser):
        parser.add_argument("--retry", metavar="ID", help="remettre en file une tâche en échec (son identifiant)")
        parser.add_argument("--failed", type=int, default=20, help="nombre d'échecs affichés (20 par défaut)")

    def handle(self, *args, retry: str | None = None, failed: int = 20, **options):
        if not uses_database_backend():
            raise CommandError("Les tâches ne passent pas par la base (MAILLAGE_TASKS_BACKEND) : rien à afficher.")
        from django_tasks_db.models import DBTaskResult

        if retry:
            try:
                updated = (
                    DBTaskResult.objects.failed()
                    .filter(pk=retry)
                    .update(status="READY", started_at=None, finished_at=None, run_after=timezone.now())
                )
            except Exception as exc:  # not a UUID
                raise CommandError(f"Identifiant de tâche invalide « {retry} ».") from exc
            if not updated:
                raise CommandError(f"Aucune tâche en échec d'identifiant {retry}.")
            self.stdout.write(f"Tâche {retry} remise en file : le prochain travailleur libre la relancera.")
            return
        now = timezone.now()
        workers = list(WorkerBeat.objects.order_by("started_at"))
        self.stdout.write(f"Travailleurs : {len(workers)}")
        for beat in workers:
            state = "actif" if beat.is_alive(now) else "muet"
            self.stdout.write(f"  {beat.hostname}:{beat.pid} ({state}, vu il y a {(now - beat.seen_at).seconds} s)")
        self.stdout.write(
            f"En file : {DBTaskResult.objects.ready().count()} ; en cours : {DBTaskResult.objects.running().count()}"
        )
        for result in DBTaskResult.objects.running().order_by("started_at"):
            self.stdout.write(
                f"  en cours depuis {timezone.localtime(result.started_at):%d/%m %H:%M} : {result.task_path}"
            )
        errors = list(DBTaskResult.objects.failed().order_by("-finished_at")[:failed])
        self.stdout.write(f"Échecs récents : {len(errors)}")
        for result in errors:
            last = (result.traceback.strip().splitlines() or [result.exception_class_path])[-1]
            self.stdout.write(
                f"  {result.pk} {timezone.localtime(result.finished_at):%d/%m %H:%M} {result.task_path} : {last[:200]}"
            )
        self.stdout.write("Tâches quotidiennes (heure de Paris) :")
        last_runs: dict[str, PeriodicRun] = {}
        for run in PeriodicRun.objects.order_by("enqueued_at"):
            last_runs[run.job] = run
        for job in active_schedule():
            last = last_runs.get(job.name)
            when = f"dernière : {last.period}" if last else "jamais lancée"
            self.stdout.write(f"  {job.at:%H:%M} {job.name} — {job.label} ({when})")
