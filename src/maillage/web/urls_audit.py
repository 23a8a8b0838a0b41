"""Pages of the audit journal (included by maillage.web.urls, namespace "web")."""

from django.urls import path

from maillage.web.views import audit

urlpatterns: list = [
    path("espace/journal/", audit.journal, name="audit_journal"),
    path("espace/journal/export.csv", audit.journal_export, name="audit_journal_export"),
]
