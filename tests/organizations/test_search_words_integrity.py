"""The search words always name an existing organisation (decision 0024): on PostgreSQL statement triggers check
what the foreign key checked (a word inserted or updated names an organisation; an organisation with words is not
deleted, renumbered or truncated alone); SQLite keeps the foreign key. Checked here on both databases."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from maillage.organizations.actions import create_organization
from maillage.organizations.models import Organization, SearchToken

pytestmark = pytest.mark.django_db


@pytest.fixture
def org(db):
    return create_organization(data={"kind": "association", "name": "Jardins Partagés du Vercors", "commune": "38185"})


def refused(sql: str, params: list | None) -> bool:
    """Whether the database refuses ``sql`` (at the statement, or at the constraints' check on SQLite)."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
            connection.check_constraints()  # SQLite's deferred foreign keys; PostgreSQL refused at the statement
    except IntegrityError:
        return True
    return False


def test_a_word_naming_no_organisation_is_refused(org):
    missing = (Organization.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000
    table = SearchToken._meta.db_table
    insert = f"INSERT INTO {table} (token, name_search, organization_id) VALUES (%s, %s, %s)"  # noqa: S608
    assert refused(insert, ["orphelin", "orphelin", missing])
    assert not refused(insert, ["vercors2", "jardins partages du vercors", org.pk])  # an existing one: accepted
    # Several words at once, one of them orphan: the whole statement is refused.
    many = f"INSERT INTO {table} (token, name_search, organization_id) VALUES (%s, %s, %s), (%s, %s, %s)"  # noqa: S608
    assert refused(many, ["a1", "x", org.pk, "a2", "x", missing])
    update = f"UPDATE {table} SET organization_id = %s WHERE organization_id = %s"  # noqa: S608
    assert refused(update, [missing, org.pk])
    assert SearchToken.objects.filter(organization_id=missing).count() == 0
    assert SearchToken.objects.filter(organization_id=org.pk, token="jardins").exists()


def test_an_organisation_keeps_its_words_until_they_are_deleted(org):
    table = Organization._meta.db_table
    assert SearchToken.objects.filter(organization_id=org.pk).count() >= 4  # name and commune words, postal code
    assert refused(f"DELETE FROM {table} WHERE id = %s", [org.pk])  # noqa: S608
    assert refused(f"UPDATE {table} SET id = id + 100000 WHERE id = %s", [org.pk])  # noqa: S608
    assert Organization.objects.filter(pk=org.pk).exists()
    org.delete()  # the model's cascade deletes the words first
    assert not SearchToken.objects.filter(organization_id=org.pk).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE: PostgreSQL")
def test_the_organisations_are_not_truncated_without_their_words(org):
    # The checks deferred by the fixture's inserts first (PostgreSQL does not truncate a table with pending ones).
    assert refused(f"SET CONSTRAINTS ALL IMMEDIATE; TRUNCATE {Organization._meta.db_table} CASCADE", None)
    assert Organization.objects.filter(pk=org.pk).exists()
