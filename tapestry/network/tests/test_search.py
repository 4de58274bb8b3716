import pytest

from tapestry.core.geography import zip_lookup
from tapestry.network.models import OrganizationType
from tapestry.network.selectors import DirectoryFilters, organization_search
from tapestry.network.tests.factories import OrganizationFactory, region

pytestmark = pytest.mark.django_db


@pytest.fixture
def members():
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


def _names(**filters) -> list[str]:
    page = organization_search(filters=DirectoryFilters(**filters))
    return [organization.name for organization in page.organizations]


def _near(zip_code: str, radius_miles: int, **filters) -> list[tuple[str, float | None]]:
    page = organization_search(
        filters=DirectoryFilters(near=zip_lookup(zip_code), radius_miles=radius_miles, **filters)
    )
    return [(organization.name, organization.distance_miles) for organization in page.organizations]


def test_without_filters_every_member_is_listed_by_name(members):
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


def test_name_search_is_case_insensitive_and_matches_part_of_the_name(members):
    assert _names(q="PUBLIC") == ["Chicago Public Library"]
    assert _names(q="health lib") == [
        "Indianapolis Health Library",
        "Louisville Health Library",
        "New York Health Library",
    ]


def test_name_search_treats_sql_as_plain_text(members):
    assert _names(q="' OR '1'='1") == []
    assert _names(q="%") == []
    assert _names(q="_") == []


def test_filter_by_type(members):
    assert _names(org_type=OrganizationType.HOSPITAL_LIBRARY) == ["Evanston Hospital Library"]


def test_filter_by_state(members):
    assert _names(state="IL") == ["Chicago Public Library", "Evanston Hospital Library"]


def test_filter_by_current_region(members):
    assert _names(region=region("region-6")) == [
        "Chicago Public Library",
        "Evanston Hospital Library",
        "Indianapolis Health Library",
        "Madison Academic Library",
    ]


def test_filter_by_a_region_of_the_earlier_map(members):
    # Kentucky belonged to the Greater Midwest until April 2021; it is in Region 1 now.
    assert _names(region=region("greater-midwest")) == [
        "Chicago Public Library",
        "Evanston Hospital Library",
        "Indianapolis Health Library",
        "Louisville Health Library",
        "Madison Academic Library",
    ]
    assert _names(region=region("region-1")) == ["Louisville Health Library"]


def test_filter_by_service(members):
    assert _names(service="reference") == ["Chicago Public Library", "Evanston Hospital Library"]


def test_filter_by_audience(members):
    assert _names(audience="public") == ["Chicago Public Library", "Madison Academic Library"]


def test_filter_by_service_and_audience_needs_that_service_for_that_audience(members):
    assert _names(service="reference", audience="public") == ["Chicago Public Library"]
    assert _names(service="reference", audience="unaffiliated_professionals") == [
        "Evanston Hospital Library"
    ]


def test_filters_combine(members):
    assert _names(region=region("region-6"), service="reference", state="IL", q="hospital") == [
        "Evanston Hospital Library"
    ]


def test_near_me_lists_members_within_the_radius_nearest_first_with_distances(members):
    assert _near("60601", 25) == [
        ("Chicago Public Library", 0.0),
        ("Evanston Hospital Library", 12.3),
    ]


def test_a_wider_radius_reaches_further_in_order_of_distance(members):
    assert _near("60601", 200) == [
        ("Chicago Public Library", 0.0),
        ("Evanston Hospital Library", 12.3),
        ("Madison Academic Library", 121.9),
        ("Indianapolis Health Library", 164.9),
    ]


def test_the_radius_excludes_members_just_beyond_it(members):
    assert _near("60601", 12) == [("Chicago Public Library", 0.0)]
    assert _near("60601", 121) == [
        ("Chicago Public Library", 0.0),
        ("Evanston Hospital Library", 12.3),
    ]


def test_distances_are_measured_from_the_given_zip_code(members):
    assert _near("53703", 125) == [
        ("Madison Academic Library", 0.0),
        ("Evanston Hospital Library", 111.3),
        ("Chicago Public Library", 121.9),
    ]


def test_near_me_combines_with_the_other_filters(members):
    assert _near("60601", 200, org_type=OrganizationType.ACADEMIC_LIBRARY) == [
        ("Madison Academic Library", 121.9)
    ]


def test_near_me_with_nothing_in_reach_is_an_empty_page(members):
    page = organization_search(filters=DirectoryFilters(near=zip_lookup("90210"), radius_miles=500))

    assert (page.organizations, page.total, page.page, page.num_pages) == ([], 0, 1, 1)
    assert page.near == zip_lookup("90210")


def test_pagination_splits_the_results(members):
    page = organization_search(filters=DirectoryFilters(), page=2, page_size=4)

    assert [organization.name for organization in page.organizations] == [
        "Madison Academic Library",
        "New York Health Library",
    ]
    assert (page.total, page.page, page.num_pages) == (6, 2, 2)
    assert (page.has_previous, page.has_next) == (True, False)


def test_the_first_page_has_a_next_page(members):
    page = organization_search(filters=DirectoryFilters(), page=1, page_size=4)

    assert len(page.organizations) == 4
    assert (page.has_previous, page.has_next) == (False, True)


def test_a_page_past_the_end_shows_the_last_page(members):
    page = organization_search(filters=DirectoryFilters(), page=99, page_size=4)

    assert page.page == 2
    assert [organization.name for organization in page.organizations] == [
        "Madison Academic Library",
        "New York Health Library",
    ]


def test_near_me_is_paginated_in_distance_order(members):
    page = organization_search(
        filters=DirectoryFilters(near=zip_lookup("60601"), radius_miles=200),
        page=2,
        page_size=3,
    )

    assert [(o.name, o.distance_miles) for o in page.organizations] == [
        ("Indianapolis Health Library", 164.9)
    ]
    assert (page.total, page.page, page.num_pages) == (4, 2, 2)


def test_the_default_page_size_comes_from_settings(settings, members):
    settings.NETWORK_PAGE_SIZE = 5

    page = organization_search(filters=DirectoryFilters())

    assert (len(page.organizations), page.page_size, page.num_pages) == (5, 5, 2)
