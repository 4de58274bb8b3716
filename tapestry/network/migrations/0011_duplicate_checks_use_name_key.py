from django.db import migrations, models


class Migration(migrations.Migration):
    """The duplicate checks compare the name key, not the lower-cased name."""

    dependencies = [
        ("network", "0010_fill_name_key"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="membershipapplication",
            name="one_pending_application_per_org",
        ),
        migrations.AddConstraint(
            model_name="membershipapplication",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "pending")),
                fields=("name_key", "zip_code"),
                name="one_pending_application_per_org",
            ),
        ),
        migrations.AddIndex(
            model_name="organization",
            index=models.Index(fields=["name_key", "zip_code"], name="org_name_key_zip"),
        ),
    ]
