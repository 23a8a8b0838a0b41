"""Issued receipts refused UPDATE of their legal fields and DELETE by triggers (see ``receipts/guard.py``).

Runs after 0002 (which rebuilds the table on SQLite); any later migration that alters ``receipts_receipt`` must run
``guard.install_op`` again."""

from django.db import migrations

from maillage.receipts import guard


class Migration(migrations.Migration):
    dependencies = [("receipts", "0002_donors_boxes_counterparts"), ("audit", "0002_append_only")]

    operations = [migrations.RunPython(guard.install_op, guard.uninstall_op, elidable=False)]
