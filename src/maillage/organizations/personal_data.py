"""Personal data kept by the directory's private side: contacts at partner organisations, private notes."""

from __future__ import annotations

from django.conf import settings

from maillage.core.personal_data import DELETE, REDACT, Retention, Source, years_before


def _inactive_contacts(queryset, today):
    """Contacts entered more than N years ago and present at no exchange of the last N years (CNIL: prospects
    kept 3 years after their last contact)."""
    cutoff = years_before(today, settings.MAILLAGE_RETENTION_CONTACT_YEARS)
    return queryset.filter(created_at__date__lt=cutoff).exclude(interactions__occurred_on__gte=cutoff)


SOURCES = [
    Source(
        key="contacts",
        label="Contacts des partenaires",
        model="organizations.Contact",
        workspace="workspace",
        match=("name", "email", "phone"),
        show=("name", "role", "email", "phone", "organization", "created_at"),
        erase=DELETE,
        category="contacts des organisations partenaires",
        retention=Retention(
            expired=_inactive_contacts,
            setting="MAILLAGE_RETENTION_CONTACT_YEARS",
            describe="supprimé après {n} ans sans échange où il était présent (CNIL, prospection : 3 ans)",
        ),
    ),
    Source(
        key="organization_notes",
        label="Notes privées sur les organisations",
        model="organizations.PrivateNote",
        workspace="workspace",
        match=("text", "tags"),
        show=("organization", "text", "tags", "created_at"),
        erase=REDACT,
        text=("text", "tags"),
        category="personnes nommées dans des notes libres",
    ),
]
