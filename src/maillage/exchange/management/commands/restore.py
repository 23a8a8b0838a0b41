"""``maillage restore FILE.tar.gz``: replace the configured database and add the media files of a backup."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from maillage.audit.actions import record_event
from maillage.exchange.backup import BackupError, restore


class Command(BaseCommand):
    help = "Restaure une sauvegarde (remplace le contenu de la base configurée) puis compare les nombres de lignes."

    def add_arguments(self, parser):
        parser.add_argument("archive")
        parser.add_argument("--yes", action="store_true", help="ne pas demander de confirmation")

    def handle(self, *args, archive, yes=False, **kw):
        if not Path(archive).is_file():
            raise CommandError(f"Fichier introuvable : {archive}")
        if not yes and input("La base configurée sera remplacée. Continuer ? [oui/non] ").strip().lower() != "oui":
            raise CommandError("Restauration abandonnée.")
        try:
            differences = restore(Path(archive))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        if differences:
            detail = ", ".join(f"{t} : {a} attendues, {b} trouvées" for t, (a, b) in differences.items())
            raise CommandError(f"Restauration incomplète : {detail}")

        record_event(action="backup.restored", details={"file": Path(archive).name})
        self.stdout.write("Restauration terminée : le nombre de lignes de chaque table est identique à la sauvegarde.")
