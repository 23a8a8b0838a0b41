"""Indexes for the reads of the alliance pages (queries.py), added as SQL so that the models stay the lead's.

- the alliance list, ordered by last update: walked from the newest, stopping after one page;
- the dashboard sums of what a workspace's party received, by giver, kind and status: read from the index alone.

``CREATE INDEX IF NOT EXISTS`` / ``DROP INDEX IF EXISTS`` are understood alike by SQLite and PostgreSQL.
"""

from django.db import migrations

INDEXES = {
    "alliance_updated_idx": "alliances_alliance (updated_at, id)",
    "contribution_received_sums_idx": "contributions_contribution (receiver_id, giver_id, kind, status, value)",
}


class Migration(migrations.Migration):
    dependencies = [
        ("alliances", "0002_workspace_settings"),
        ("contributions", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(
            sql=f"CREATE INDEX IF NOT EXISTS {name} ON {target}",
            reverse_sql=f"DROP INDEX IF EXISTS {name}",
        )
        for name, target in INDEXES.items()
    ]
