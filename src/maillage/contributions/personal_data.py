"""Personal data of the contributions: the employees lent in skills sponsorship (name, qualification, salary cost,
hours) and names written in a contribution's description or evidence."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from maillage.core.personal_data import REDACT, Retention, Source, years_before


def _old_skills_lines(queryset: QuerySet[Any], today: date) -> QuerySet[Any]:
    """Lines of months older than the accounting retention (C. com. art. L. 123-22: 10 years)."""
    return queryset.filter(month__lt=years_before(today, settings.MAILLAGE_RETENTION_ACCOUNTING_YEARS)).exclude(
        employee_name__startswith="Salarié effacé"
    )


SOURCES = [
    Source(
        key="skills_lines",
        label="Salariés mis à disposition (mécénat de compétences)",
        model="contributions.SkillsLine",
        workspace="contribution__created_by_workspace",
        match=("employee_name",),
        show=("employee_name", "employee_role", "month", "hours", "monthly_cost", "value"),
        # The valuation stays (hours, cost, value: the totals keep their numbers); the person is no longer named.
        anonymise={"employee_name": lambda row: f"Salarié effacé n° {row.pk}", "employee_role": ""},
        category="salariés mis à disposition par les entreprises",
        retention=Retention(
            expired=_old_skills_lines,
            setting="MAILLAGE_RETENTION_ACCOUNTING_YEARS",
            describe="nom anonymisé {n} ans après le mois concerné (pièces comptables, C. com. art. L. 123-22)",
        ),
    ),
    Source(
        key="contributions",
        label="Contributions (description et justificatifs)",
        model="contributions.Contribution",
        workspace="created_by_workspace",
        match=("description", "evidence"),
        show=("description", "evidence", "value", "received_on"),
        erase=REDACT,
        text=("description", "evidence"),
        category="personnes nommées dans des notes libres",
    ),
]
