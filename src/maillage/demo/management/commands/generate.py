import time

from django.core.management.base import BaseCommand, CommandError

from maillage.demo.generate import generate


class Command(BaseCommand):
    help = (
        "Génère un jeu de données synthétique national calibré sur les chiffres publiés "
        "(1,5 M d'associations × échelle). Exemple : maillage generate --scale 0.01 --seed 1"
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=float, default=0.01, help="part du jeu national (1.0 ≈ 1,5 M associations)")
        parser.add_argument("--seed", type=int, default=1, help="graine du générateur (même graine, mêmes lignes)")
        parser.add_argument("--departement", default=None, help="limiter à un département (code INSEE, ex. 69)")

    def handle(self, *args, **options):
        started = time.perf_counter()
        try:
            counts = generate(
                scale=options["scale"],
                seed=options["seed"],
                departement=options["departement"],
                progress=lambda message: self.stdout.write(f"  {message}"),
            )
        except ValueError as error:
            raise CommandError(str(error)) from error
        elapsed = time.perf_counter() - started
        summary = ", ".join(f"{table} : {count}" for table, count in sorted(counts.items()))
        self.stdout.write(self.style.SUCCESS(f"Jeu synthétique écrit en {elapsed:.1f} s ({summary})."))
