"""``maillage purge_receipts --before-year 2019``: delete receipts whose 6-year retention is over (and only them)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from maillage.receipts.purge import purge_receipts


class Command(BaseCommand):
    help = "Supprime les reçus fiscaux émis avant l'année indiquée, s'ils ont passé leur durée de conservation (6 ans)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--before-year", type=int, required=True, help="purger les reçus émis avant cette année")

    def handle(self, *args: Any, before_year: int, **options: Any) -> None:
        try:
            deleted = purge_receipts(issued_before_year=before_year, today=timezone.localdate())
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(f"{deleted} reçu(s) purgé(s).")
