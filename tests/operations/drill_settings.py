"""Settings of the workers started by the fault drills: the project's, with e-mails written to files
(``MAILLAGE_DRILL_MAIL_DIR``) so that the drill can count what was sent."""

import os

from maillage.settings import *  # noqa: F403

EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = os.environ["MAILLAGE_DRILL_MAIL_DIR"]
