"""Indexes that duplicated another one's first column, dropped: each index is paid on every insert of the
organisations import (decision 0023). ``kind`` is served by ``org_kind_name_idx``, ``commune``/``epci``/
``departement``/``region`` by their ``org_*_name_idx``, a search word's ``organization`` by ``search_token_org_idx``;
on PostgreSQL also the ``varchar_pattern_ops`` twins Django adds for ``LIKE`` on those columns and on
``territory_key`` (no query uses ``LIKE`` on them). Dropped by name (``DROP INDEX IF EXISTS``): Django's
``AlterField`` would rebuild the whole organisations table on SQLite for each field."""

import django.db.models.deletion
from django.db import migrations, models


ORGANIZATION = "organizations_organization"
DROPPED = [
    ("organizations_organization_kind_c167d154", ORGANIZATION, "kind"),
    ("organizations_organization_commune_id_e92ddd9e", ORGANIZATION, "commune_id"),
    ("organizations_organization_epci_id_a2be93e1", ORGANIZATION, "epci_id"),
    ("organizations_organization_departement_id_429753af", ORGANIZATION, "departement_id"),
    ("organizations_organization_region_id_1460e217", ORGANIZATION, "region_id"),
    ("organizations_searchtoken_organization_id_10ec166b", "organizations_searchtoken", "organization_id"),
]
LIKE_TWINS = [  # PostgreSQL only
    ("organizations_organization_kind_c167d154_like", "kind"),
    ("organizations_organization_commune_id_e92ddd9e_like", "commune_id"),
    ("organizations_organization_epci_id_a2be93e1_like", "epci_id"),
    ("organizations_organization_departement_id_429753af_like", "departement_id"),
    ("organizations_organization_region_id_1460e217_like", "region_id"),
    ("organizations_organization_territory_key_19c8726a_like", "territory_key"),
]


def drop(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    for name, *_ in DROPPED + (LIKE_TWINS if postgres else []):
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


def restore(apps, schema_editor):
    quote = schema_editor.quote_name
    for name, table, column in DROPPED:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {quote(name)} ON {quote(table)} ({quote(column)})")
    if schema_editor.connection.vendor == "postgresql":
        for name, column in LIKE_TWINS:
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {quote(name)} ON {quote(ORGANIZATION)} ({quote(column)} varchar_pattern_ops)"
            )


class Migration(migrations.Migration):
    dependencies = [
        ("organizations", "0004_organization_created_by_workspace"),
        ("territories", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(drop, restore)],
            state_operations=[
                migrations.AlterField(
                    model_name="organization",
                    name="commune",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="territories.commune",
                        verbose_name="commune",
                    ),
                ),
                migrations.AlterField(
                    model_name="organization",
                    name="departement",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="territories.departement",
                    ),
                ),
                migrations.AlterField(
                    model_name="organization",
                    name="epci",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="territories.epci",
                    ),
                ),
                migrations.AlterField(
                    model_name="organization",
                    name="kind",
                    field=models.CharField(
                        choices=[
                            ("association", "Association"),
                            ("foundation", "Fondation ou fonds de dotation"),
                            ("company", "Entreprise"),
                            ("commune", "Commune"),
                            ("epci", "Intercommunalité (EPCI)"),
                            ("departement", "Département"),
                            ("region", "Région"),
                            ("state_service", "Service de l'État"),
                            ("school", "Établissement d'enseignement ou université"),
                            ("siae", "Structure d'insertion (SIAE)"),
                            ("research_lab", "Laboratoire de recherche"),
                            ("other", "Autre"),
                        ],
                        max_length=20,
                        verbose_name="type",
                    ),
                ),
                migrations.AlterField(
                    model_name="organization",
                    name="region",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="territories.region",
                    ),
                ),
                migrations.AlterField(
                    model_name="searchtoken",
                    name="organization",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="organizations.organization",
                    ),
                ),
            ],
        ),
        migrations.RemoveIndex(model_name="organization", name="org_commune_name_idx"),
        migrations.AddIndex(
            model_name="organization",
            index=models.Index(fields=["commune", "name_search", "id"], name="org_commune_name_idx"),
        ),
    ]
