from django.db import migrations, models
from django.db.models import F


def existing_accounts_verified(apps, schema_editor):
    """Accounts made before the proof existed keep working: they count as verified from their sign-up."""
    apps.get_model("workspaces", "User").objects.update(email_verified_at=F("date_joined"))


class Migration(migrations.Migration):
    dependencies = [
        ("workspaces", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="email_verified_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="adresse vérifiée le"),
        ),
        migrations.RunPython(existing_accounts_verified, migrations.RunPython.noop),
    ]
