"""Decision 0013: one "secret" label instead of primary/secondary, the auditor's report kept with each run, and the
flows of alliances (started, ended) per cell."""

from django.db import migrations, models


def one_label(apps, schema_editor):
    Cell = apps.get_model("observatory", "Cell")
    Cell.objects.exclude(suppression="").update(suppression="secret")


class Migration(migrations.Migration):
    dependencies = [("observatory", "0002_impact_scores")]

    operations = [
        migrations.AlterField(
            model_name="cell",
            name="suppression",
            field=models.CharField(
                blank=True, choices=[("", "Publiée"), ("secret", "Secret statistique")], max_length=10
            ),
        ),
        migrations.RunPython(one_label, migrations.RunPython.noop),
        migrations.AddField(
            model_name="cell", name="started_alliances", field=models.PositiveIntegerField(null=True)
        ),
        migrations.AddField(model_name="cell", name="ended_alliances", field=models.PositiveIntegerField(null=True)),
        migrations.AddField(
            model_name="refreshrun",
            name="audit",
            field=models.JSONField(blank=True, default=dict),
        ),
    ]
