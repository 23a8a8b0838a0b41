import json

from django.core.management.base import BaseCommand, CommandError

from maillage.observatory.refresh import audit_current


class Command(BaseCommand):
    help = (
        "Audite le secret statistique de l'observatoire publié : ce qu'un tiers peut déduire des cases publiques "
        "(propagation d'intervalles sur toutes les relations additives). Échoue s'il resserre une valeur protégée."
    )

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="Écrit le rapport complet en JSON.")

    def handle(self, *args, **options):
        report = audit_current(progress=lambda message: self.stdout.write(f"  {message}"))
        data = report.as_dict()
        if options["json"]:
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
        checked = ", ".join(f"{name} {n}" for name, n in data["checked"].items())
        if not report.ok:
            raise CommandError(
                f"Audit du secret : {data['findings']} valeur(s) protégée(s) resserrée(s) sous l'intervalle de "
                f"protection, dont {data['exact']} retrouvée(s) exactement (vérifié : {checked}). Relancez "
                "l'actualisation (maillage refresh_observatory), qui masque ce qu'il faut avant de publier."
            )
        self.stdout.write(self.style.SUCCESS(f"Audit du secret : aucune valeur protégée resserrée ({checked})."))
