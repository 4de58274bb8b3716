"""Load the five focus areas and the audiences from data/focus_areas.csv and data/audiences.csv."""

import csv
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data"


def _rows(name):
    with (DATA / name).open(newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def load(apps, schema_editor):
    FocusArea = apps.get_model("resources", "FocusArea")
    Audience = apps.get_model("resources", "Audience")
    for position, row in enumerate(_rows("focus_areas.csv")):
        FocusArea.objects.update_or_create(
            slug=row["slug"], defaults={**row, "position": position}
        )
    for position, row in enumerate(_rows("audiences.csv")):
        Audience.objects.update_or_create(
            slug=row["slug"], defaults={**row, "position": position}
        )


def unload(apps, schema_editor):
    apps.get_model("resources", "FocusArea").objects.all().delete()
    apps.get_model("resources", "Audience").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("resources", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
