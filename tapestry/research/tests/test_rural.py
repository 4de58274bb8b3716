from typing import Any

import numpy as np
import pytest
import zipcodes

from tapestry.research.warehouse import rural, schema

MILES_PER_DEGREE_OF_LATITUDE = 69.09

# ZIP codes in some of the largest U.S. cities (by the package's city name).
BIG_CITIES = {
    ("NY", "New York"),
    ("NY", "Brooklyn"),
    ("NY", "Bronx"),
    ("CA", "Los Angeles"),
    ("IL", "Chicago"),
    ("TX", "Houston"),
    ("AZ", "Phoenix"),
    ("PA", "Philadelphia"),
    ("TX", "San Antonio"),
    ("CA", "San Diego"),
    ("TX", "Dallas"),
    ("CA", "San Jose"),
    ("TX", "Austin"),
    ("FL", "Jacksonville"),
    ("OH", "Columbus"),
    ("IN", "Indianapolis"),
    ("NC", "Charlotte"),
    ("CA", "San Francisco"),
    ("WA", "Seattle"),
    ("CO", "Denver"),
    ("DC", "Washington"),
    ("MA", "Boston"),
    ("TN", "Nashville"),
    ("MI", "Detroit"),
    ("OR", "Portland"),
    ("NV", "Las Vegas"),
    ("MD", "Baltimore"),
    ("WI", "Milwaukee"),
    ("GA", "Atlanta"),
    ("MO", "Kansas City"),
    ("FL", "Miami"),
    ("MN", "Minneapolis"),
    ("AL", "Birmingham"),
}


def test_downtown_chicago_is_not_rural() -> None:
    # given the Loop's ZIP code
    # when it is classified
    # then it is not rural
    assert rural.is_rural("60601") is False


@pytest.mark.parametrize(
    "zip_code",
    [
        "59001",  # Absarokee, Montana
        "69001",  # McCook, Nebraska
        "67601",  # Hays, Kansas
        "57501",  # Pierre, South Dakota
    ],
)
def test_small_towns_far_from_others_are_rural(zip_code: str) -> None:
    # given a ZIP code of a town with few neighbours within 15 miles
    # when it is classified
    # then it is rural
    assert rural.is_rural(zip_code) is True


@pytest.mark.parametrize("zip_code", [site[3] for site in schema.LAUNCH_SITES])
def test_the_launch_sites_are_not_rural(zip_code: Any) -> None:
    # given a ZIP code at one of the six launch sites
    # when it is classified
    # then it is not rural
    assert rural.is_rural(zip_code) is False


def test_a_zip_plus_four_is_read_by_its_first_five_digits() -> None:
    # given a rural ZIP+4 code with spaces around it
    # when it is classified
    # then the five-digit ZIP decides
    assert rural.is_rural(" 59001-1234 ") is True


@pytest.mark.parametrize("zip_code", [None, "", "00000", "abcde", "6060"])
def test_an_unknown_or_malformed_zip_is_not_rural(zip_code: str | None) -> None:
    # given a ZIP code the package does not know
    # when it is classified
    # then unknown is not counted as rural
    assert rural.is_rural(zip_code) is False


def test_about_one_in_six_us_zip_codes_is_rural() -> None:
    # given every ZIP code the package knows with a location
    known = [record for record in zipcodes.list_all() if record["zip_code_type"] != "MILITARY"]

    # when the rural set is computed
    share = len(rural.rural_zips()) / len(known)

    # then it holds roughly 15-20% of them
    assert 0.15 <= share <= 0.20


def test_almost_no_big_city_zip_code_is_rural() -> None:
    # given the ordinary ZIP codes of some of the largest cities
    city_zips = [
        record["zip_code"]
        for record in zipcodes.list_all()
        if record["zip_code_type"] == "STANDARD" and (record["state"], record["city"]) in BIG_CITIES
    ]

    # when they are classified
    rural_share = sum(rural.is_rural(code) for code in city_zips) / len(city_zips)

    # then fewer than 1 in 100 is rural
    assert len(city_zips) > 1_000
    assert rural_share < 0.01


def test_military_zip_codes_are_never_rural() -> None:
    # given the APO/FPO ZIP codes
    military = [r["zip_code"] for r in zipcodes.list_all() if r["zip_code_type"] == "MILITARY"]

    # when the rural set is computed
    # then none of them is in it
    assert military
    assert rural.rural_zips().isdisjoint(military)


def test_the_rural_set_is_computed_once() -> None:
    # given a process that has not computed the set (the cache's wrapped function)
    # when it is computed from scratch, then asked for twice
    fresh = rural.rural_zips.__wrapped__()

    # then later calls return the same set, cached
    assert fresh == rural.rural_zips()
    assert rural.rural_zips() is rural.rural_zips()


def test_neighbor_counts_uses_the_radius_in_miles() -> None:
    # given a point and neighbours 10, 14 and 20 miles north of it
    degrees = np.array([0, 10, 14, 20]) / MILES_PER_DEGREE_OF_LATITUDE
    neighbor_latitudes = 40.0 + degrees
    neighbor_longitudes = np.full(4, -100.0)

    # when the neighbours within 15 miles are counted
    counts = rural.neighbor_counts([40.0], [-100.0], neighbor_latitudes, neighbor_longitudes)

    # then the point itself and the two closer ones count, the one 20 miles away does not
    assert counts.tolist() == [3]


def test_neighbor_counts_measures_east_west_distance_on_the_sphere() -> None:
    # given neighbours 12 and 18 miles east of a point at 60°N (a degree of longitude is
    # half as long there as at the equator)
    miles_per_degree_of_longitude = MILES_PER_DEGREE_OF_LATITUDE * np.cos(np.radians(60))
    longitudes = -150.0 + np.array([12, 18]) / miles_per_degree_of_longitude

    # when the neighbours within 15 miles are counted
    counts = rural.neighbor_counts([60.0], [-150.0], [60.0, 60.0], longitudes)

    # then only the nearer one counts
    assert counts.tolist() == [1]
