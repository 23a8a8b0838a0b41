"""PostgreSQL: the search words' reference to their organisation checked once per statement, not once per word
(decision 0024). The foreign key made PostgreSQL run one look-up per word at commit (≈ 22,000 for an import
batch of 2,000 organisations); statement triggers over the transition tables do the same checks set-based:

- a word inserted or updated must name an organisation that exists; the organisations named are locked
  ``FOR KEY SHARE`` as a foreign key's check locks them (none can be deleted before the transaction ends);
- an organisation that still has words cannot be deleted, truncated alone, or given another id (the foreign
  key's ``NO ACTION``: Django's ``on_delete=CASCADE`` deletes the words first, as before).

SQLite keeps its foreign key in the table (nothing changes there); the model says ``db_constraint=False``."""

import django.db.models.deletion
from django.db import migrations, models

WORDS = "organizations_searchtoken"
ORGANIZATIONS = "organizations_organization"

FORWARD = f"""
CREATE FUNCTION search_words_name_organizations() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  wanted bigint;
  locked bigint;
BEGIN
  SELECT count(DISTINCT organization_id) INTO wanted FROM new_words;
  PERFORM 1 FROM {ORGANIZATIONS} WHERE id IN (SELECT organization_id FROM new_words) FOR KEY SHARE;
  GET DIAGNOSTICS locked = ROW_COUNT;
  IF locked <> wanted THEN
    RAISE foreign_key_violation USING
      MESSAGE = 'Mot de l''index de recherche sans organisation (' || TG_OP || ' sur {WORDS})',
      DETAIL = 'Organisation(s) absente(s) : ' || (
        SELECT string_agg(DISTINCT w.organization_id::text, ', ') FROM new_words w
        WHERE NOT EXISTS (SELECT 1 FROM {ORGANIZATIONS} o WHERE o.id = w.organization_id));
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER search_words_inserted AFTER INSERT ON {WORDS}
  REFERENCING NEW TABLE AS new_words FOR EACH STATEMENT EXECUTE FUNCTION search_words_name_organizations();
CREATE TRIGGER search_words_updated AFTER UPDATE ON {WORDS}
  REFERENCING NEW TABLE AS new_words FOR EACH STATEMENT EXECUTE FUNCTION search_words_name_organizations();

CREATE FUNCTION organizations_keep_their_words() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  orphan bigint;
BEGIN
  IF TG_OP = 'DELETE' THEN
    SELECT w.organization_id INTO orphan FROM {WORDS} w WHERE w.organization_id IN (SELECT id FROM gone) LIMIT 1;
  ELSIF TG_OP = 'UPDATE' THEN
    SELECT w.organization_id INTO orphan FROM {WORDS} w WHERE w.organization_id = OLD.id LIMIT 1;
  ELSE  -- TRUNCATE: the words must have been truncated with the organisations
    SELECT w.organization_id INTO orphan FROM {WORDS} w LIMIT 1;
  END IF;
  IF orphan IS NOT NULL THEN
    RAISE foreign_key_violation USING
      MESSAGE = 'L''organisation ' || orphan || ' a encore des mots dans l''index de recherche ({WORDS})';
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER organizations_deleted AFTER DELETE ON {ORGANIZATIONS}
  REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION organizations_keep_their_words();
CREATE TRIGGER organizations_renumbered AFTER UPDATE OF id ON {ORGANIZATIONS}
  FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION organizations_keep_their_words();
CREATE TRIGGER organizations_truncated AFTER TRUNCATE ON {ORGANIZATIONS}
  FOR EACH STATEMENT EXECUTE FUNCTION organizations_keep_their_words();
"""

BACKWARD = f"""
DROP TRIGGER IF EXISTS organizations_truncated ON {ORGANIZATIONS};
DROP TRIGGER IF EXISTS organizations_renumbered ON {ORGANIZATIONS};
DROP TRIGGER IF EXISTS organizations_deleted ON {ORGANIZATIONS};
DROP FUNCTION IF EXISTS organizations_keep_their_words();
DROP TRIGGER IF EXISTS search_words_updated ON {WORDS};
DROP TRIGGER IF EXISTS search_words_inserted ON {WORDS};
DROP FUNCTION IF EXISTS search_words_name_organizations();
ALTER TABLE {WORDS} ADD CONSTRAINT organizations_search_organization_id_10ec166b_fk_organizat
  FOREIGN KEY (organization_id) REFERENCES {ORGANIZATIONS} (id) DEFERRABLE INITIALLY DEFERRED;
"""


def _foreign_keys(schema_editor) -> list[str]:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE contype = 'f' AND conrelid = %s::regclass"
            " AND confrelid = %s::regclass",
            [WORDS, ORGANIZATIONS],
        )
        return [name for (name,) in cursor.fetchall()]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # SQLite: the foreign key stays in the table
    for name in _foreign_keys(schema_editor):
        schema_editor.execute(f"ALTER TABLE {WORDS} DROP CONSTRAINT {schema_editor.quote_name(name)}")
    schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("organizations", "0005_fewer_indexes")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(forward, backward)],
            state_operations=[
                migrations.AlterField(
                    model_name="searchtoken",
                    name="organization",
                    field=models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="organizations.organization",
                    ),
                ),
            ],
        ),
    ]
