import datetime
from typing import Any

import pytest
from django.db.models import Count

from tapestry.network.models import RegionMap, RegionState, StateTerritory
from tapestry.network.selectors import region_for_state, region_map_current
from tapestry.network.tests.factories import region

pytestmark = pytest.mark.django_db

SEVEN = "seven-regions-2021"
EIGHT = "eight-regions-2016"
BEFORE_THE_CHANGE = datetime.date(2021, 4, 30)
FIRST_DAY_OF_SEVEN = datetime.date(2021, 5, 1)


def test_every_state_and_territory_is_loaded() -> None:
    assert StateTerritory.objects.count() == 59
    assert dict(
        StateTerritory.objects.values_list("kind").annotate(n=Count("code")).order_by("kind")
    ) == {"district": 1, "freely_associated": 3, "state": 50, "territory": 5}


@pytest.mark.parametrize("map_code", [SEVEN, EIGHT])
def test_every_state_and_territory_has_exactly_one_region_in_each_map(map_code: Any) -> None:
    links = RegionState.objects.filter(region_map__code=map_code)

    assert links.count() == 59
    assert set(links.values_list("state_id", flat=True)) == set(
        StateTerritory.objects.values_list("code", flat=True)
    )
    assert set(links.values_list("region__region_map__code", flat=True)) == {map_code}


def test_the_maps_have_seven_and_eight_regions() -> None:
    assert dict(RegionMap.objects.annotate(n=Count("regions")).values_list("code", "n")) == {
        SEVEN: 7,
        EIGHT: 8,
    }


def test_the_seven_region_map_is_in_force_from_may_2021() -> None:
    assert region_map_current(on=FIRST_DAY_OF_SEVEN).code == SEVEN
    assert region_map_current(on=datetime.date(2026, 1, 15)).code == SEVEN


def test_the_eight_region_map_was_in_force_until_april_2021() -> None:
    assert region_map_current(on=BEFORE_THE_CHANGE).code == EIGHT
    assert region_map_current(on=datetime.date(2016, 5, 1)).code == EIGHT


def test_no_map_is_in_force_before_2016() -> None:
    with pytest.raises(RegionMap.DoesNotExist):
        region_map_current(on=datetime.date(2016, 4, 30))


@pytest.mark.parametrize(
    ("state", "day", "region_code"),
    [
        ("KY", datetime.date(2020, 1, 1), "greater-midwest"),
        ("KY", BEFORE_THE_CHANGE, "greater-midwest"),
        ("KY", FIRST_DAY_OF_SEVEN, "region-1"),
        ("DC", datetime.date(2020, 1, 1), "southeastern-atlantic"),
        ("DC", datetime.date(2024, 6, 1), "region-1"),
        ("NY", datetime.date(2020, 1, 1), "middle-atlantic"),
        ("NY", datetime.date(2024, 6, 1), "region-7"),
        ("IL", datetime.date(2024, 6, 1), "region-6"),
        ("PR", datetime.date(2024, 6, 1), "region-2"),
        ("GU", datetime.date(2019, 6, 1), "pacific-southwest"),
    ],
)
def test_region_for_state_on_a_day(state: str, day: Any, region_code: str) -> None:
    assert region_for_state(state_code=state, on=day) == region(region_code)


def test_region_for_state_defaults_to_today() -> None:
    assert region_for_state(state_code="KY") == region("region-1")


def test_region_for_an_unknown_state_is_none() -> None:
    assert region_for_state(state_code="ZZ") is None
