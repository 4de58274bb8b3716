import math

import numpy as np

from tapestry.core.geography import (
    bounding_box,
    distance_miles,
    ordinary_zip_places,
    unit_vector,
    unit_vectors,
    within_radius_dot,
    zip_lookup,
    zip_places,
)


def test_a_zip_code_is_found_with_its_place() -> None:
    place = zip_lookup(" 60601 ")

    assert place is not None
    assert (place.zip_code, place.city, place.state, place.county) == (
        "60601",
        "Chicago",
        "IL",
        "Cook County",
    )
    assert (place.latitude, place.longitude, place.kind, place.is_ordinary) == (
        41.8858,
        -87.6181,
        "STANDARD",
        True,
    )


def test_malformed_and_unknown_zip_codes_are_none() -> None:
    assert [zip_lookup(code) for code in ["", None, "6060", "606011", "6060A", "00000"]] == [
        None
    ] * 6


def test_the_zip_list_is_read_once_and_kept() -> None:
    assert zip_places() is zip_places()
    assert ordinary_zip_places() is ordinary_zip_places()
    assert all(place.is_ordinary for place in ordinary_zip_places())
    assert [place.zip_code for place in zip_places()] == sorted(
        place.zip_code for place in zip_places()
    )


def test_distances_are_great_circle_miles_from_one_point_to_many() -> None:
    chicago, evanston, madison = (zip_lookup(code) for code in ["60601", "60201", "53703"])
    assert chicago is not None and evanston is not None and madison is not None

    miles = distance_miles(
        chicago.latitude,
        chicago.longitude,
        [chicago.latitude, evanston.latitude, madison.latitude],
        [chicago.longitude, evanston.longitude, madison.longitude],
    )

    assert [round(value, 1) for value in miles.tolist()] == [0.0, 12.3, 121.9]


def test_the_dot_product_of_unit_vectors_agrees_with_the_distance() -> None:
    chicago, madison = zip_lookup("60601"), zip_lookup("53703")
    assert chicago is not None and madison is not None
    dot = float(
        np.dot(
            unit_vector(chicago.latitude, chicago.longitude),
            unit_vector(madison.latitude, madison.longitude),
        )
    )

    # Madison is 121.9 miles from Chicago: within 122 miles, not within 121.
    assert dot >= within_radius_dot(122)
    assert dot < within_radius_dot(121)
    assert unit_vectors([0.0, 90.0], [0.0, 0.0]).round(12).tolist() == [
        [1.0, 0.0, 0.0],
        [0.0, 0.0, 1.0],
    ]
    assert within_radius_dot(1e9) == math.cos(math.pi)


def test_the_bounding_box_holds_every_point_within_the_radius() -> None:
    chicago = zip_lookup("60601")
    assert chicago is not None
    min_lat, max_lat, min_lon, max_lon = bounding_box(chicago.latitude, chicago.longitude, 500)
    within = [
        place
        for place, miles in zip(
            zip_places(),
            distance_miles(
                chicago.latitude,
                chicago.longitude,
                [place.latitude for place in zip_places()],
                [place.longitude for place in zip_places()],
            ).tolist(),
            strict=True,
        )
        if miles <= 500
    ]

    assert len(within) > 5000
    assert all(min_lat <= place.latitude <= max_lat for place in within)
    assert all(min_lon <= place.longitude <= max_lon for place in within)
