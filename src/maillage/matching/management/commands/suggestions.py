"""``maillage suggestions <organisation id or SIREN>``: the top suggestions for an organisation, with reasons."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from maillage.matching.scoring import METHOD
from maillage.matching.suggestions import suggestions_for
from maillage.organizations.models import Organization


class Command(BaseCommand):
    help = "Affiche les meilleures suggestions (besoins, offres, appels, partenaires) d'une organisation."

    def add_arguments(self, parser):
        parser.add_argument(
            "organization", help="identifiant de l'organisation dans Maillage, ou son SIREN (9 chiffres)"
        )
        parser.add_argument("--limit", type=int, default=10, help="nombre de suggestions par liste (défaut 10)")
        parser.add_argument("--method", action="store_true", help="rappeler la méthode de calcul du score")

    def handle(self, *args, organization: str, limit: int, method: bool, **options):
        key = organization.strip().replace(" ", "")
        if not key.isdigit():
            raise CommandError(f"« {organization} » n'est ni un identifiant ni un SIREN : donnez des chiffres.")
        if not 1 <= limit <= 100:
            raise CommandError("--limit doit être compris entre 1 et 100.")
        org = Organization.objects.filter(siren=key).first() if len(key) == 9 else None
        org = org or Organization.objects.filter(pk=int(key)).first() if len(key) < 12 else org
        if org is None:
            raise CommandError(f"Aucune organisation n'a l'identifiant ou le SIREN « {key} ».")
        result = suggestions_for(org, workspaces=list(org.workspaces.all()), limit=limit)
        out = self.stdout
        out.write(f"Suggestions pour {org.name} ({org.get_kind_display()})\n")
        out.write("\nBesoins, offres et appels à projets :\n")
        if not result.items:
            out.write("  (aucun pour l'instant)\n")
        for rank, s in enumerate(result.items, 1):
            title = s.item.title if s.item else "?"
            out.write(f"{rank:>3}. [{s.score:>3}/100] {s.item_label} « {title} » — {s.organization}\n")
            out.write(f"       {' ; '.join(s.match.reason_texts)}\n")
        out.write("\nNouveaux partenaires :\n")
        for rank, s in enumerate(result.partners, 1):
            kind = s.organization.get_kind_display() if s.organization else "?"
            out.write(f"{rank:>3}. [{s.score:>3}/100] {s.organization} ({kind})\n")
            out.write(f"       {' ; '.join(s.match.reason_texts)}\n")
        if result.known:
            out.write("\nVos partenaires actuels :\n")
            for s in result.known:
                kind = s.organization.get_kind_display() if s.organization else "?"
                out.write(f"  - [{s.score:>3}/100] {s.organization} ({kind})\n")
        if result.network:
            out.write("\nDans votre réseau :\n")
            for s in result.network:
                title = s.item.title if s.item else "?"
                out.write(f"  - [{s.score:>3}/100] {s.item_label} « {title} » — {s.organization}\n")
        if method:
            out.write("\nMéthode du score (sur 100) :\n")
            for name, text in METHOD:
                out.write(f"  - {name} : {text}\n")
