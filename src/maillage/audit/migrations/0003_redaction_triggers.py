"""The journal's UPDATE trigger lets a redaction through (decision 0012): inside ``guard.redaction_allowed`` only,
and only when the fact's columns stay as they were; everything else is refused as before."""

from django.db import migrations

from maillage.audit import guard


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_append_only"),
    ]

    operations = [
        migrations.RunPython(guard.install_op, guard.install_op, elidable=False),
    ]
