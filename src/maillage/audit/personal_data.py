"""The audit journal keeps the fact, not the person: an erasure replaces the words that name the person in the
events of the workspace (labels, details) and keeps the action, its date, its author's id and its target's id.
The journal is append-only in the database (``guard.py``); this is the one UPDATE its triggers let through
(``guard.redaction_allowed``, decision 0012)."""

from __future__ import annotations

from django.db import connection

from maillage.core.personal_data import Source, redact, redact_value


def _redact_events(queryset, terms) -> int:
    from maillage.audit.guard import redaction_allowed

    count = 0
    with redaction_allowed(connection):
        for event in queryset:
            # The author is a user account: it stays named until its holder deletes it (which redacts it then).
            type(event).objects.filter(pk=event.pk).update(
                target_label=redact(event.target_label, terms),
                details=redact_value(event.details, terms),
            )
            count += 1
    return count


SOURCES = [
    Source(
        key="journal",
        label="Journal d'audit (le fait reste, le nom s'efface)",
        model="audit.AuditEvent",
        workspace="workspace",
        match=("actor_label", "target_label", "details"),
        show=("created_at", "action", "actor_label", "target_label", "details"),
        custom_erase=_redact_events,
        category="toutes les personnes nommées dans le journal",
    ),
]
