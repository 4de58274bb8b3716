import django.core.validators
from django.db import migrations, models

import tapestry.network.models


class Migration(migrations.Migration):
    """Liaison emails wait for confirmation; names get a comparison key; phone and library ID
    are validated. The key is filled by the next migration, the constraint moved by the one
    after it."""

    dependencies = [
        ("network", "0008_fill_organization_location_vector"),
    ]

    operations = [
        migrations.AddField(
            model_name="membershipapplication",
            name="liaison_email_confirmed_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="membershipapplication",
            name="name_key",
            field=models.CharField(default="", editable=False, max_length=200),
        ),
        migrations.AddField(
            model_name="organization",
            name="liaison_email_confirmed_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="organization",
            name="name_key",
            field=models.CharField(default="", editable=False, max_length=200),
        ),
        migrations.AlterField(
            model_name="membershipapplication",
            name="library_id",
            field=models.CharField(
                blank=True,
                help_text="Optional identifier, such as a DOCLINE or OCLC symbol.",
                max_length=30,
                validators=[
                    django.core.validators.RegexValidator(
                        "^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,28}[A-Za-z0-9])?$",
                        "Use only letters, digits, hyphens and periods, as in a DOCLINE or OCLC symbol (for example GAUEMO).",
                        code="invalid_library_id",
                    )
                ],
                verbose_name="library ID",
            ),
        ),
        migrations.AlterField(
            model_name="membershipapplication",
            name="phone",
            field=models.CharField(
                blank=True,
                max_length=30,
                validators=[tapestry.network.models.validate_phone],
                verbose_name="phone",
            ),
        ),
        migrations.AlterField(
            model_name="organization",
            name="library_id",
            field=models.CharField(
                blank=True,
                help_text="Optional identifier, such as a DOCLINE or OCLC symbol.",
                max_length=30,
                validators=[
                    django.core.validators.RegexValidator(
                        "^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,28}[A-Za-z0-9])?$",
                        "Use only letters, digits, hyphens and periods, as in a DOCLINE or OCLC symbol (for example GAUEMO).",
                        code="invalid_library_id",
                    )
                ],
                verbose_name="library ID",
            ),
        ),
        migrations.AlterField(
            model_name="organization",
            name="phone",
            field=models.CharField(
                blank=True,
                max_length=30,
                validators=[tapestry.network.models.validate_phone],
                verbose_name="phone",
            ),
        ),
    ]
