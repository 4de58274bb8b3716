"""Fill each state's and territory's Spanish name from data/regions.json."""

import json
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "regions.json"


def fill(apps, schema_editor):
    StateTerritory = apps.get_model("network", "StateTerritory")
    data = json.loads(DATA.read_text(encoding="utf-8"))
    for state in data["states"]:
        StateTerritory.objects.filter(code=state["code"]).update(name_es=state["name_es"])


def empty(apps, schema_editor):
    apps.get_model("network", "StateTerritory").objects.update(name_es="")


class Migration(migrations.Migration):
    dependencies = [("network", "0004_state_territory_spanish_name")]
    operations = [migrations.RunPython(fill, empty)]
