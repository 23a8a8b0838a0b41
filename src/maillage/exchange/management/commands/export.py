"""``maillage export --workspace 3 [--table contributions --format xlsx | --archive] -o FILE``."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from maillage.core.files import write_private
from maillage.exchange.archive import build_archive
from maillage.exchange.export import TABLES, table_response
from maillage.workspaces.models import Workspace


class Command(BaseCommand):
    help = "Exporte une liste (CSV ou XLSX) ou l'archive complète (ZIP) d'un espace de travail."

    def add_arguments(self, parser):
        parser.add_argument("--workspace", type=int, required=True)
        parser.add_argument("--table", default="")
        parser.add_argument("--format", default="csv", choices=["csv", "xlsx"])
        parser.add_argument("--archive", action="store_true")
        parser.add_argument("-o", "--output", required=True)

    def handle(self, *args, workspace, table, format, archive, output, **kw):

        ws = Workspace.objects.filter(pk=workspace).first()
        if ws is None:
            raise CommandError(f"Espace {workspace} introuvable.")
        if archive:
            content = build_archive(ws)
        elif table in TABLES:
            content = table_response(TABLES[table], ws, format).content
        else:
            raise CommandError(f"Liste inconnue « {table} » : {', '.join(TABLES)}, ou --archive.")
        write_private(Path(output), content)  # the workspace's contacts, gifts…: 0600 from the start
        self.stdout.write(f"{output} : {len(content)} octets.")
