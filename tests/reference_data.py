"""What the data migrations load, loaded again where a transactional test flushed it."""

import importlib

from django.apps import apps

# What the data migrations load (role groups, states and territories, both region maps, the
# resources' focus areas and audiences): the
# migrations' own loaders, run again where a transactional test has flushed the tables.
REFERENCE_DATA_LOADERS = [
    ("tapestry.accounts.migrations.0002_create_role_groups", "create_role_groups"),
    ("tapestry.network.migrations.0002_load_states_and_region_maps", "load"),
    ("tapestry.network.migrations.0005_fill_state_territory_spanish_names", "fill"),
    ("tapestry.resources.migrations.0002_load_focus_areas_and_audiences", "load"),
]


def reference_data_load() -> None:
    """Role groups, states and territories, both region maps: the migrations' own loaders."""
    for module, function in REFERENCE_DATA_LOADERS:
        getattr(importlib.import_module(module), function)(apps, None)


def reference_data_ensure() -> None:
    """Load the reference data if a transactional test flushed it (the states are its mark)."""
    from tapestry.network.models import StateTerritory

    if not StateTerritory.objects.exists():
        reference_data_load()
