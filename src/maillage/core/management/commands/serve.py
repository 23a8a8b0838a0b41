from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Sert Maillage sur http://127.0.0.1:8000 (serveur de développement de Django)."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args, addrport: str, **options):
        self.stdout.write(f"Maillage : ouvrez http://{addrport}/ dans votre navigateur (Ctrl+C pour arrêter).")
        call_command("runserver", addrport, use_reloader=False)
