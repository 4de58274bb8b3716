"""Load every state and territory and both region maps from data/regions.json."""

import json
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "regions.json"


def load(apps, schema_editor):
    StateTerritory = apps.get_model("network", "StateTerritory")
    RegionMap = apps.get_model("network", "RegionMap")
    Region = apps.get_model("network", "Region")
    RegionState = apps.get_model("network", "RegionState")
    data = json.loads(DATA.read_text(encoding="utf-8"))
    for state in data["states"]:
        StateTerritory.objects.update_or_create(
            code=state["code"],
            defaults={
                "name": state["name"], "kind": state["kind"],
                "tile_column": state["tile"][0], "tile_row": state["tile"][1],
            },
        )
    for map_data in data["maps"]:
        region_map, _ = RegionMap.objects.update_or_create(
            code=map_data["code"],
            defaults={
                "name": map_data["name"], "name_es": map_data["name_es"], "effective_from": map_data["effective_from"],
                "effective_to": map_data["effective_to"],
            },
        )
        for region_data in map_data["regions"]:
            region, _ = Region.objects.update_or_create(
                region_map=region_map, code=region_data["code"],
                defaults={
                    "name": region_data["name"], "name_es": region_data["name_es"],
                    "color": region_data["color"],
                },
            )
            for code in region_data["states"]:
                RegionState.objects.update_or_create(
                    region_map=region_map, state_id=code, defaults={"region": region}
                )


def unload(apps, schema_editor):
    apps.get_model("network", "RegionState").objects.all().delete()
    apps.get_model("network", "Region").objects.all().delete()
    apps.get_model("network", "RegionMap").objects.all().delete()
    apps.get_model("network", "StateTerritory").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("network", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
