from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from maillage.alliances import totals as alliance_totals
from maillage.contributions import totals as contribution_totals


class Command(BaseCommand):
    help = (
        "Vérifie que les sommes tenues à jour pour le tableau de bord (temps investi, contributions reçues par "
        "partie) égalent celles recalculées depuis les échanges et les contributions ; --recalculer les refait."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--recalculer",
            action="store_true",
            help="recalcule toutes les sommes (après une correction faite directement en base ; site arrêté)",
        )

    def handle(self, *args: Any, recalculer: bool, **options: Any) -> None:

        if recalculer:
            with transaction.atomic():
                alliance_totals.rebuild()
                contribution_totals.rebuild()
            self.stdout.write("Sommes recalculées (temps investi, contributions reçues).")
        time, received = alliance_totals.drift(), contribution_totals.drift()
        if time or received:
            raise CommandError(
                f"Sommes à recalculer : {len(time)} partie(s) dont le temps investi diffère, {len(received)} "
                "somme(s) de contributions reçues qui diffèrent. Lancez « maillage check_sums --recalculer » "
                "(site arrêté)."
            )
        self.stdout.write("Sommes à jour : temps investi et contributions reçues égalent leur recalcul.")
