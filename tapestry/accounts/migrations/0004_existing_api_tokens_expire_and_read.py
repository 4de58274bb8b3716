"""Tokens made before tokens expired get 90 days from today and the read scope: they keep
working for a while, and then their owners make new ones with an expiry they choose."""

import datetime

from django.db import migrations
from django.utils import timezone

GRACE_DAYS = 90


def forwards(apps, schema_editor):
    api_token = apps.get_model("accounts", "ApiToken")
    api_token.objects.filter(expires_at__isnull=True).update(
        expires_at=timezone.now() + datetime.timedelta(days=GRACE_DAYS)
    )
    api_token.objects.filter(scopes=[]).update(scopes=["read"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_api_token_expiry_and_scopes")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
