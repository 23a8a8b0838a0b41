"""Generation on PostgreSQL drops the filled tables' foreign keys for its COPYs and adds them back (decision 0026):
every constraint is back as it was, an orphan row is refused, and a failed generation leaves nothing."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection

from maillage.demo import generate as generator
from maillage.observatory.bulk_copy import write_rows
from maillage.organizations.models import Organization

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's foreign keys (SQLite: nothing dropped)"),
]

CONSTRAINTS = (
    "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid), c.condeferrable, c.condeferred, "
    "c.convalidated FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
    "WHERE n.nspname = 'public' ORDER BY 1, 2"
)


def constraints() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(CONSTRAINTS)
        return cursor.fetchall()


def test_every_constraint_is_back_after_a_generation(capsys):
    # A row written just before in the same transaction: its deferred checks are still pending.
    Organization.objects.create(kind="company", name="Déjà là")
    before = constraints()
    assert sum(1 for _, _, definition, *_ in before if definition.startswith("FOREIGN KEY")) > 20
    call_command("generate", scale=0.0003, seed=3, departement="69")
    assert "Jeu synthétique écrit" in capsys.readouterr().out
    assert constraints() == before
    assert Organization.objects.filter(kind="association").count() > 0


def test_an_orphan_row_is_refused_and_nothing_is_left(monkeypatch):
    before = constraints()
    organisations = Organization.objects.count()
    written = generator.Generator.directory_only

    def with_an_orphan(self, first, n_assoc):
        written(self, first, n_assoc)
        write_rows("organizations_organization_causes", ("organization_id", "cause_id"), [(10**12, "sport")])

    monkeypatch.setattr(generator.Generator, "directory_only", with_an_orphan)
    with pytest.raises(IntegrityError):
        generator.generate(scale=0.0003, seed=3, departement="69")
    assert Organization.objects.count() == organisations
    assert constraints() == before
