from django.core.management.base import BaseCommand, CommandError

from maillage.observatory.refresh import DisclosureRefused, refresh


class Command(BaseCommand):
    help = "Recalcule tous les indicateurs de l'observatoire (tous territoires, toutes années), secret appliqué."

    def handle(self, *args, **options):
        try:
            run = refresh(progress=lambda message: self.stdout.write(f"  {message}"))
        except DisclosureRefused as refused:
            raise CommandError(f"{refused} Les cases publiées restent celles de l'actualisation précédente.") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Observatoire actualisé en {run.seconds:.1f} s : {run.cells} cases, dont {run.published} publiées."
            )
        )
