from django.core.management.base import BaseCommand

from maillage.observatory.refresh import refresh


class Command(BaseCommand):
    help = "Recalcule tous les indicateurs de l'observatoire (tous territoires, toutes années), secret appliqué."

    def handle(self, *args, **options):
        run = refresh(progress=lambda message: self.stdout.write(f"  {message}"))
        self.stdout.write(
            self.style.SUCCESS(
                f"Observatoire actualisé en {run.seconds:.1f} s : {run.cells} cases, dont {run.published} publiées."
            )
        )
