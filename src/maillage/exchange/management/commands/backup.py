"""``maillage backup FILE.tar.gz``: the whole instance (database + uploaded files) in one archive."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from maillage.exchange.backup import BackupError, backup


class Command(BaseCommand):
    help = "Sauvegarde toute l'instance (base de données et fichiers déposés) dans une archive .tar.gz."

    def add_arguments(self, parser):
        parser.add_argument("output")

    def handle(self, *args, output, **kw):
        try:
            manifest = backup(Path(output))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        total = sum(manifest["counts"].values())
        self.stdout.write(f"Sauvegarde {manifest['vendor']} écrite dans {output} ({total} lignes).")
