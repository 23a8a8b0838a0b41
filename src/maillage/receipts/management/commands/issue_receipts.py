"""``maillage issue_receipts --workspace ID --year 2025``: issue every pending receipt of a year's gifts."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from maillage.receipts.batch import start_batch
from maillage.workspaces.models import Workspace


class Command(BaseCommand):
    help = "Émet les reçus fiscaux de tous les dons reçus d'une année et pas encore reçus (par lot)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", type=int, required=True, help="identifiant de l'espace de travail")
        parser.add_argument("--year", type=int, required=True, help="année des dons")
        parser.add_argument("--no-email", action="store_true", help="ne pas envoyer les reçus par e-mail")

    def handle(self, *args: Any, workspace: int, year: int, no_email: bool, **options: Any) -> None:
        space = Workspace.objects.select_related("organization").filter(pk=workspace).first()
        if space is None:
            raise CommandError(f"Espace de travail {workspace} introuvable.")
        if not 2000 <= year <= timezone.localdate().year:
            raise CommandError(f"Année {year} invalide : entre 2000 et l'année en cours.")
        try:
            run = start_batch(workspace=space, user=None, year=year, send_emails=not no_email, background=False)
        except PermissionDenied as exc:  # an unverified workspace (decision 0008)
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"{run.get_status_display()} : {run.issued} reçu(s) émis, {run.skipped} don(s) écarté(s), "
            f"{run.emailed} e-mail(s) envoyé(s) sur {run.total} don(s)."
        )
        for message in run.messages:
            self.stdout.write(f"  – {message}")
        if run.status != "done":
            raise CommandError("Le lot a échoué : voir les messages ci-dessus.")
