"""The WSGI application, served by gunicorn in production (``maillage serve``, ``src/maillage/gunicorn_conf.py``).

In production, static files are served by WhiteNoise from ``STATIC_ROOT`` through a manifest of hashed names:
without ``collectstatic`` every page would answer 500 ("Missing staticfiles manifest entry"). ``maillage serve``
collects them before starting; a server started another way is refused here, with the command to run.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maillage.settings")
application = get_wsgi_application()


def _check_static_files() -> None:
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    if not getattr(settings, "PRODUCTION", False):
        return
    manifest = settings.STATIC_ROOT / "staticfiles.json"
    if not manifest.is_file():
        raise ImproperlyConfigured(
            f"Fichiers statiques absents : {manifest} n'existe pas. Lancez « maillage collectstatic --noinput » "
            "(ou démarrez avec « maillage serve », qui le fait), puis redémarrez le serveur."
        )


_check_static_files()
