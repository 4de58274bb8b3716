from typing import Any

import pytest
from pytest_django.fixtures import Settings

from tapestry.core.geography import distance_miles, zip_lookup
from tapestry.network.models import Organization, OrganizationType
from tapestry.network.selectors import DirectoryFilters, organization_search
from tapestry.network.tests.factories import OrganizationFactory, region, zip_place

pytestmark = pytest.mark.django_db


@pytest.fixture
def members() -> None:
    """Six members around the Midwest and the East, with different services and audiences."""
    OrganizationFactory.create(
        name="Chicago Public Library",
        zip_code="60601",
        org_type=OrganizationType.PUBLIC_LIBRARY,
        services={"reference": ["public"], "document_delivery": ["affiliated"]},
    )
    OrganizationFactory.create(
        name="Evanston Hospital Library",
        zip_code="60201",
        org_type=OrganizationType.HOSPITAL_LIBRARY,
        services={"reference": ["affiliated", "unaffiliated_professionals"]},
    )
    OrganizationFactory.create(
        name="Madison Academic Library",
        zip_code="53703",
        org_type=OrganizationType.ACADEMIC_LIBRARY,
        services={"database_training": ["public"]},
    )
    OrganizationFactory.create(name="Indianapolis Health Library", zip_code="46204")
    OrganizationFactory.create(name="Louisville Health Library", zip_code="40202")
    OrganizationFactory.create(name="New York Health Library", zip_code="10001")


def _names(**filters: Any) -> list[str]:
    page = organization_search(filters=DirectoryFilters(**filters))
    return [organization.name for organization in page.organizations]


def _near(zip_code: str, radius_miles: int, **filters: Any) -> list[tuple[str, float | None]]:
    page = organization_search(
        filters=DirectoryFilters(near=zip_lookup(zip_code), radius_miles=radius_miles, **filters)
    )
    return [(organization.name, organization.distance_miles) for organization in page.organizations]


def test_without_filters_every_member_is_listed_by_name(members: None) -> None:
    page = organization_search(filters=DirectoryFilters())

    assert [organization.name for organization in page.organizations] == [
        "Chicago Public Library",
        "Evanston Hospital Library",
        "Indianapolis Health Library",
        "Louisville Health Library",
        "Madison Academic Library",
        "New York Health Library",
    ]
    assert (page.total, page.page, page.num_pages, page.near) == (6, 1, 1, None)
    assert {organization.distance_miles for organization in page.organizations} == {None}


def test_name_search_is_case_insensitive_and_matches_part_of_the_name(members: None) -> None:
    assert _names(q="PUBLIC") == ["Chicago Public Library"]
    assert _names(q="health lib") == [
        "Indianapolis Health Library",
        "Louisville Health Library",
        "New York Health Library",
    ]


def test_name_search_treats_sql_as_plain_text(members: None) -> None:
    assert _names(q="' OR '1'='1") == []
    assert _names(q="%") == []
    assert _names(q="_") == []


def test_filter_by_type(members: None) -> None:
    assert _names(org_type=OrganizationType.HOSPITAL_LIBRARY) == ["Evanston Hospital Library"]


def test_filter_by_state(members: None) -> None:
    assert _names(state="IL") == ["Chicago Public Library", "Evanston Hospital Library"]


def test_filter_by_current_region(members: None) -> None:
    assert _names(region=region("region-6")) == [
        "Chicago Public Library",
        "Evanston Hospital Library",
        "Indianapolis Health Library",
        "Madison Academic Library",
    ]


def test_filter_by_a_region_of_the_earlier_map(members: None) -> None:
    # Kentucky belonged to the Greater Midwest until April 2021; it is in Region 1 now.
    assert _names(region=region("greater-midwest")) == [
        "Chicago Public Library",
        "Evanston Hospital Library",
        "Indianapolis Health Library",
        "Louisville Health Library",
        "Madison Academic Library",
    ]
    assert _names(region=region("region-1")) == ["Louisville Health Library"]


def test_filter_by_service(members: None) -> None:
    assert _names(service="reference") == ["Chicago Public Library", "Evanston Hospital Library"]


def test_filter_by_audience(members: None) -> None:
    assert _names(audience="public") == ["Chicago Public Library", "Madison Academic Library"]


def test_filter_by_service_and_audience_needs_that_service_for_that_audience(members: None) -> None:
    assert _names(service="reference", audience="public") == ["Chicago Public Library"]
    assert _names(service="reference", audience="unaffiliated_professionals") == [
        "Evanston Hospital Library"
    ]


def test_filters_combine(members: None) -> None:
    assert _names(region=region("region-6"), service="reference", state="IL", q="hospital") == [
        "Evanston Hospital Library"
    ]


def test_near_me_lists_members_within_the_radius_nearest_first_with_distances(
    members: None,
) -> None:
    assert _near("60601", 25) == [
        ("Chicago Public Library", 0.0),
        ("Evanston Hospital Library", 12.3),
    ]


def test_a_wider_radius_reaches_further_in_order_of_distance(members: None) -> None:
    assert _near("60601", 200) == [
        ("Chicago Public Library", 0.0),
        ("Evanston Hospital Library", 12.3),
        ("Madison Academic Library", 121.9),
        ("Indianapolis Health Library", 164.9),
    ]


def test_the_radius_excludes_members_just_beyond_it(members: None) -> None:
    assert _near("60601", 12) == [("Chicago Public Library", 0.0)]
    assert _near("60601", 121) == [
        ("Chicago Public Library", 0.0),
        ("Evanston Hospital Library", 12.3),
    ]


def test_distances_are_measured_from_the_given_zip_code(members: None) -> None:
    assert _near("53703", 125) == [
        ("Madison Academic Library", 0.0),
        ("Evanston Hospital Library", 111.3),
        ("Chicago Public Library", 121.9),
    ]


def test_near_me_combines_with_the_other_filters(members: None) -> None:
    assert _near("60601", 200, org_type=OrganizationType.ACADEMIC_LIBRARY) == [
        ("Madison Academic Library", 121.9)
    ]


def test_near_me_with_nothing_in_reach_is_an_empty_page(members: None) -> None:
    page = organization_search(filters=DirectoryFilters(near=zip_lookup("90210"), radius_miles=500))

    assert (page.organizations, page.total, page.page, page.num_pages) == ([], 0, 1, 1)
    assert page.near == zip_lookup("90210")


def test_pagination_splits_the_results(members: None) -> None:
    page = organization_search(filters=DirectoryFilters(), page=2, page_size=4)

    assert [organization.name for organization in page.organizations] == [
        "Madison Academic Library",
        "New York Health Library",
    ]
    assert (page.total, page.page, page.num_pages) == (6, 2, 2)
    assert (page.has_previous, page.has_next) == (True, False)


def test_the_first_page_has_a_next_page(members: None) -> None:
    page = organization_search(filters=DirectoryFilters(), page=1, page_size=4)

    assert len(page.organizations) == 4
    assert (page.has_previous, page.has_next) == (False, True)


def test_a_page_past_the_end_shows_the_last_page(members: None) -> None:
    page = organization_search(filters=DirectoryFilters(), page=99, page_size=4)

    assert page.page == 2
    assert [organization.name for organization in page.organizations] == [
        "Madison Academic Library",
        "New York Health Library",
    ]


def test_near_me_is_paginated_in_distance_order(members: None) -> None:
    page = organization_search(
        filters=DirectoryFilters(near=zip_lookup("60601"), radius_miles=200),
        page=2,
        page_size=3,
    )

    assert [(o.name, o.distance_miles) for o in page.organizations] == [
        ("Indianapolis Health Library", 164.9)
    ]
    assert (page.total, page.page, page.num_pages) == (4, 2, 2)


def test_the_default_page_size_comes_from_settings(settings: Settings, members: None) -> None:
    settings.NETWORK_PAGE_SIZE = 5

    page = organization_search(filters=DirectoryFilters())

    assert (len(page.organizations), page.page_size, page.num_pages) == (5, 5, 2)


def test_the_far_corner_of_a_500_mile_circle_is_within_reach() -> None:
    # Swain, New York is 499.5 miles from downtown Chicago, north-east of the circle's widest
    # point: a bounding box as wide as the circle at its centre left it out.
    OrganizationFactory.create(name="Swain Public Library", zip_code="14884")

    assert _near("60601", 500) == [("Swain Public Library", 499.5)]
    assert _near("60601", 499) == []


def test_near_me_at_the_largest_radius_agrees_with_the_distance_of_every_member(
    settings: Any,
) -> None:
    # Members on ZIP codes across the Midwest, two on one ZIP code (a tie broken by name).
    zip_codes = ["60601", "60201", "53703", "46204", "40202", "10001", "63101", "55401"]
    zip_codes += ["48226", "44113", "50309", "68102", "37203", "60601"]
    for number, zip_code in enumerate(zip_codes):
        OrganizationFactory.create(name=f"Member {number:02d}", zip_code=zip_code)
    origin = zip_lookup("60601")
    assert origin is not None
    everyone = Organization.objects.all()
    miles = distance_miles(
        origin.latitude,
        origin.longitude,
        [member.latitude for member in everyone],
        [member.longitude for member in everyone],
    ).tolist()
    expected = sorted(
        (round(distance, 1), member.name)
        for member, distance in zip(everyone, miles, strict=True)
        if distance <= settings.NETWORK_MAX_RADIUS_MILES
    )

    pages = [
        organization_search(
            filters=DirectoryFilters(near=origin, radius_miles=settings.NETWORK_MAX_RADIUS_MILES),
            page=page,
            page_size=5,
        )
        for page in (1, 2, 3)
    ]

    assert [(o.distance_miles, o.name) for page in pages for o in page.organizations] == expected
    assert len(expected) == 13  # New York is 711 miles away
    assert [(page.total, page.num_pages) for page in pages] == [(13, 3)] * 3


def test_a_member_whose_zip_code_changes_is_found_at_its_new_place(alice_liaison: Any) -> None:
    library = OrganizationFactory.create(
        name="Alice Memorial Library", liaison=alice_liaison, zip_code="60601"
    )
    evanston = zip_place("60201")
    library.zip_code = evanston.zip_code
    library.latitude, library.longitude = evanston.latitude, evanston.longitude

    library.save(update_fields=["zip_code", "latitude", "longitude"])

    assert _near("60201", 1) == [("Alice Memorial Library", 0.0)]
    assert _near("60601", 5) == []
