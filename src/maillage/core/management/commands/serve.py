"""``maillage serve``: gunicorn in production, Django's development server otherwise.

With ``MAILLAGE_ENV=production`` the static files are collected into ``STATIC_ROOT`` first (WhiteNoise serves them
from there, compressed and with hashed names), then gunicorn serves ``maillage.wsgi`` with the settings of
``maillage/gunicorn_conf.py`` (workers and threads sized on the cores, ``WEB_CONCURRENCY``, ``WEB_THREADS``…).
Without it, Django's ``runserver`` serves, as ``make demo`` does.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections
from gunicorn.app.base import BaseApplication

if TYPE_CHECKING:
    from gunicorn._types import _WSGIAppType  # the stubs' own name for what load() answers


def normalize_bind(addrport: str) -> str:
    if addrport.isdigit():
        return f"127.0.0.1:{addrport}"
    return addrport


class Command(BaseCommand):
    help = (
        "Sert Maillage : gunicorn en production (MAILLAGE_ENV=production, fichiers statiques collectés au "
        "démarrage), sinon le serveur de développement de Django sur http://127.0.0.1:8000."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000", help="adresse:port, ou unix:/chemin")
        parser.add_argument("--workers", type=int, help="processus gunicorn (défaut : WEB_CONCURRENCY, 2 × cœurs)")
        parser.add_argument("--threads", type=int, help="fils par processus (défaut : WEB_THREADS, 2)")
        parser.add_argument(
            "--no-collectstatic",
            action="store_true",
            help="ne pas collecter les fichiers statiques (ils doivent déjà l'être dans STATIC_ROOT)",
        )

    def handle(
        self,
        *args: Any,
        addrport: str,
        workers: int | None,
        threads: int | None,
        no_collectstatic: bool,
        **options: Any,
    ) -> None:
        bind = normalize_bind(addrport)
        if not settings.PRODUCTION:
            self.stdout.write(f"Maillage : ouvrez http://{bind}/ dans votre navigateur (Ctrl+C pour arrêter).")
            call_command("runserver", bind, use_reloader=False)
            return
        self.prepare_static_files(collect=not no_collectstatic)
        from maillage import gunicorn_conf

        config = gunicorn_conf.options(bind=bind, workers=workers, threads=threads)
        if config["workers"] < 1 or config["threads"] < 1:
            raise CommandError("--workers et --threads doivent valoir au moins 1.")
        self.stdout.write(
            f"Maillage (production) : gunicorn sur {bind}, {config['workers']} processus × {config['threads']} "
            f"fils (WEB_CONCURRENCY, WEB_THREADS pour changer). Arrêt : SIGTERM ou Ctrl+C."
        )
        self.stdout.flush()
        connections.close_all()  # nothing open is inherited by the forked workers
        MaillageServer(config).run()

    def prepare_static_files(self, *, collect: bool) -> None:
        static_root = settings.STATIC_ROOT
        stamp = static_root / ".maillage-sources"
        fingerprint = sources_fingerprint()
        manifest = static_root / "staticfiles.json"
        if collect and manifest.is_file() and stamp.is_file() and stamp.read_text() == fingerprint:
            collect = False  # collected from the same files already: a restart need not compress them again
        if collect:
            self.stdout.write(f"Collecte des fichiers statiques dans {static_root} (compression, une minute au plus)…")
            self.stdout.flush()
            try:
                call_command("collectstatic", interactive=False, verbosity=0)
            except OSError as exc:
                raise CommandError(
                    f"Impossible de collecter les fichiers statiques dans STATIC_ROOT ({static_root}) : {exc}. "
                    "Donnez au compte du service le droit d'écrire dans ce dossier, ou réglez STATIC_ROOT vers un "
                    "dossier où il peut écrire."
                ) from exc
            stamp.write_text(fingerprint)
        if not manifest.is_file():
            raise CommandError(
                f"Fichiers statiques absents : {manifest} n'existe pas. Lancez « maillage collectstatic --noinput » "
                "ou démarrez sans --no-collectstatic."
            )


def sources_fingerprint() -> str:
    """A digest of every static source file (path, size, modification time) and of the storage that collects them."""
    import hashlib

    from django.contrib.staticfiles.finders import get_finders

    digest = hashlib.sha256(repr(settings.STORAGES["staticfiles"]).encode())
    entries = []
    for finder in get_finders():
        for path, storage in finder.list(["CVS", ".*", "*~"]):
            stat = os.stat(storage.path(path))
            entries.append(f"{getattr(storage, 'prefix', '') or ''}/{path}\t{stat.st_size}\t{stat.st_mtime_ns}")
    digest.update("\n".join(sorted(entries)).encode())
    return digest.hexdigest()


class MaillageServer(BaseApplication):
    """gunicorn run in this process (no ``gunicorn`` executable needed on the PATH), configured from a dict."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        super().__init__()

    def load_config(self) -> None:
        for name, value in self.config.items():
            self.cfg.set(name, value)

    def load(self) -> _WSGIAppType:
        from maillage.wsgi import application

        return application  # type: ignore[return-value]  # stub gap: django-stubs types environ as dict, gunicorn-stubs as MutableMapping
