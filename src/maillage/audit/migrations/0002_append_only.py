"""The journal becomes append-only in the database: triggers refuse UPDATE and DELETE (see audit/guard.py).

On SQLite, a later migration that rebuilds ``audit_auditevent`` drops these triggers with the old table: it must
run ``guard.install_op`` again.
"""

from django.db import migrations, models

from maillage.audit import guard


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["actor", "-created_at"], name="audit_actor_idx"),
        ),
        migrations.RunPython(guard.install_op, guard.uninstall_op, elidable=False),
    ]
