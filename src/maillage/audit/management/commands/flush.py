"""Django's ``flush``, allowed to empty the audit journal (whose triggers refuse DELETE otherwise).

This app's command takes precedence over Django's own (an installed app's command overrides a core one), so
``maillage flush`` and the test suite's transactional tests (``TransactionTestCase`` calls ``flush``) both pass
through :func:`maillage.audit.guard.erasure_allowed`. See ``audit/guard.py``.
"""

from __future__ import annotations

from django.core.management.commands.flush import Command as DjangoFlush
from django.db import DEFAULT_DB_ALIAS, connections

from maillage.audit.guard import erasure_allowed


class Command(DjangoFlush):
    def handle(self, **options):
        connection = connections[options.get("database") or DEFAULT_DB_ALIAS]
        with erasure_allowed(connection):
            return super().handle(**options)
