import unicodedata

from django.db import migrations


def name_key(name):
    # A copy of models.organization_name_key as it was when this migration was written
    # (migrations must not import app code that may change later).
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(
        character
        for character in decomposed
        if character.isalnum() and not unicodedata.combining(character)
    )


def fill(apps, schema_editor):
    for model_name in ("Organization", "MembershipApplication"):
        model = apps.get_model("network", model_name)
        rows = list(model.objects.only("pk", "name"))
        for row in rows:
            row.name_key = name_key(row.name)
        model.objects.bulk_update(rows, ["name_key"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("network", "0009_liaison_email_confirmation_name_key_phone_library_id"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
