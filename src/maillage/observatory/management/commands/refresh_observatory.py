from django.core.management.base import BaseCommand, CommandError

from maillage.observatory.models import RefreshRun
from maillage.observatory.refresh import DisclosureRefused
from maillage.observatory.snapshots import SnapshotNotDue, publish_snapshot


class Command(BaseCommand):
    help = (
        "Publie l'instantané de l'observatoire (tous territoires, toutes années, secret appliqué) s'il est dû : "
        "rien encore publié, ou le jour de publication hebdomadaire sans instantané ce jour-là. "
        "--force publie hors calendrier (consigné sur l'actualisation et au journal)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Publier même hors calendrier (opérateurs) : l'actualisation est marquée « forcée » et journalisée.",
        )

    def handle(self, *args, **options):
        try:
            run = publish_snapshot(
                trigger=RefreshRun.Trigger.CLI,
                force=options["force"],
                progress=lambda message: self.stdout.write(f"  {message}"),
            )
        except SnapshotNotDue as not_due:
            # Not an error: the cadence is the rule (exit 0, so that a cron line calling it daily stays quiet).
            self.stdout.write(
                f"Rien n'a été publié. {not_due} Pour publier quand même (opérateurs) : "
                "maillage refresh_observatory --force (consigné sur l'actualisation et au journal)."
            )
            return
        except DisclosureRefused as refused:
            raise CommandError(f"{refused} Les cases publiées restent celles de l'actualisation précédente.") from None
        forced = " (hors calendrier, forcé : consigné sur l'actualisation et au journal)" if run.forced else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"Observatoire actualisé en {run.seconds:.1f} s : {run.cells} cases, dont {run.published} "
                f"publiées{forced}."
            )
        )
