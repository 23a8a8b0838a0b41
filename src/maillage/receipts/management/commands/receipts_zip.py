"""``maillage receipts_zip --workspace ID --year 2025 --output recus-2025.zip``: a year's receipts in one ZIP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from maillage.receipts.archive import write_year_zip
from maillage.workspaces.models import Workspace


class Command(BaseCommand):
    help = "Écrit dans un fichier ZIP les reçus fiscaux (PDF) des dons d'une année, avec les avis d'annulation."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", type=int, required=True, help="identifiant de l'espace de travail")
        parser.add_argument("--year", type=int, required=True, help="année des dons")
        parser.add_argument("--output", required=True, help="chemin du fichier ZIP à écrire")

    def handle(self, *args: Any, workspace: int, year: int, output: str, **options: Any) -> None:
        space = Workspace.objects.select_related("organization").filter(pk=workspace).first()
        if space is None:
            raise CommandError(f"Espace de travail {workspace} introuvable.")
        if not 2000 <= year <= timezone.localdate().year:
            raise CommandError(f"Année {year} invalide : entre 2000 et l'année en cours.")
        path = Path(output)
        if not path.parent.is_dir():
            raise CommandError(f"Dossier introuvable : {path.parent}. Créez-le ou choisissez un autre chemin.")
        count = write_year_zip(space, year, path)
        self.stdout.write(f"{count} reçu(s) des dons de {year} écrits dans {path}.")
