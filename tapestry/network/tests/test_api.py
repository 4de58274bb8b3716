import datetime
import warnings
from typing import Any

import pytest
from django.test import Client
from pytest_django.fixtures import Settings

from tapestry.network.models import Organization, OrganizationType
from tapestry.network.schemas import DIRECTORY_NAME_PATTERN
from tapestry.network.tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

ORGANIZATIONS = "/api/v1/network/organizations"
PLAIN_TEXT = f"String should match pattern '{DIRECTORY_NAME_PATTERN}'"


@pytest.fixture
def members() -> Organization:
    chicago = OrganizationFactory.create(
        name="Chicago Public Library",
        zip_code="60601",
        address_line1="400 S State St",
        phone="312-555-0100",
        website="https://chipublib.example.org",
        library_id="ILCPL",
        liaison_name="Alice Liaison",
        liaison_email="alice@example.org",
        services={"reference": ["public"]},
        joined_on=datetime.date(2019, 9, 1),
    )
    OrganizationFactory.create(
        name="Evanston Hospital Library",
        zip_code="60201",
        org_type=OrganizationType.HOSPITAL_LIBRARY,
        services={"reference": ["affiliated"]},
    )
    OrganizationFactory.create(name="Louisville Health Library", zip_code="40202")
    return chicago


def _names(response: Any) -> list[str]:
    return [result["name"] for result in response.json()["results"]]


def test_the_directory_lists_every_member_with_its_details(client: Client, members: Any) -> None:
    response = client.get(ORGANIZATIONS)

    assert response.status_code == 200
    body = response.json()
    assert {key: body[key] for key in ["count", "page", "pages", "page_size", "near"]} == {
        "count": 3,
        "page": 1,
        "pages": 1,
        "page_size": 20,
        "near": None,
    }
    assert body["radius_miles"] is None
    assert body["results"][0] == {
        "id": members.pk,
        "name": "Chicago Public Library",
        "type": "public_library",
        "type_label": "Public library",
        "address_line1": "400 S State St",
        "address_line2": "",
        "city": "Chicago",
        "state": "IL",
        "zip_code": "60601",
        "phone": "312-555-0100",
        "website": "https://chipublib.example.org",
        "library_id": "ILCPL",
        "liaison_name": "Alice Liaison",
        "liaison_email": "alice@example.org",
        "services": [{"service": "reference", "audiences": ["public"]}],
        "joined_on": "2019-09-01",
        "latitude": 41.8858,
        "longitude": -87.6181,
        "distance_miles": None,
        "url": f"http://testserver/network/organizations/{members.pk}/",
    }


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ({"q": "hospital"}, ["Evanston Hospital Library"]),
        ({"type": "hospital_library"}, ["Evanston Hospital Library"]),
        ({"state": "KY"}, ["Louisville Health Library"]),
        ({"region": "region-6"}, ["Chicago Public Library", "Evanston Hospital Library"]),
        ({"region": "region-1"}, ["Louisville Health Library"]),
        (
            {"region": "greater-midwest"},
            ["Chicago Public Library", "Evanston Hospital Library", "Louisville Health Library"],
        ),
        ({"service": "reference"}, ["Chicago Public Library", "Evanston Hospital Library"]),
        ({"service": "reference", "audience": "public"}, ["Chicago Public Library"]),
        ({"audience": "affiliated"}, ["Evanston Hospital Library"]),
    ],
)
def test_the_directory_filters(
    client: Client, members: Any, query: dict[str, Any], names: list[Any]
) -> None:
    response = client.get(ORGANIZATIONS, query)

    assert response.status_code == 200
    assert _names(response) == names


def test_near_a_zip_code_within_a_radius_nearest_first(client: Client, members: Any) -> None:
    response = client.get(ORGANIZATIONS, {"near": "60201", "radius_miles": "20"})

    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["near"], body["radius_miles"]) == (2, "60201", 20)
    assert [(r["name"], r["distance_miles"]) for r in body["results"]] == [
        ("Evanston Hospital Library", 0.0),
        ("Chicago Public Library", 12.3),
    ]


def test_near_defaults_to_a_25_mile_radius(client: Client, members: Any) -> None:
    body = client.get(ORGANIZATIONS, {"near": "60601"}).json()

    assert (body["count"], body["radius_miles"]) == (2, 25)


def test_pages(client: Client, settings: Settings, members: Any) -> None:
    settings.NETWORK_PAGE_SIZE = 2

    body = client.get(ORGANIZATIONS, {"page": "2"}).json()

    assert (body["count"], body["page"], body["pages"], body["page_size"]) == (3, 2, 2, 2)
    assert [r["name"] for r in body["results"]] == ["Louisville Health Library"]


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ({"near": "ABCDE"}, {"near": ["String should match pattern '^[0-9]{5}$'"]}),
        (
            {"near": "60601", "radius_miles": "0"},
            {"radius_miles": ["Input should be greater than or equal to 1"]},
        ),
        (
            {"near": "60601", "radius_miles": "501"},
            {"radius_miles": ["Input should be less than or equal to 500"]},
        ),
        (
            {"radius_miles": "far"},
            {
                "radius_miles": [
                    "Input should be a valid integer, unable to parse string as an integer"
                ]
            },
        ),
        ({"state": "Kentucky"}, {"state": ["String should match pattern '^[A-Za-z]{2}$'"]}),
        (
            {"type": "castle"},
            {
                "type": [
                    "Input should be 'resource_library', 'hospital_library', 'academic_library', "
                    "'public_library', 'community_organization', 'government_agency', "
                    "'social_service', 'k12_school' or 'other'"
                ]
            },
        ),
        ({"q": "x" * 101}, {"q": ["String should have at most 100 characters"]}),
        ({"q": "Library\x07"}, {"q": [PLAIN_TEXT]}),
        ({"page": "0"}, {"page": ["Input should be greater than or equal to 1"]}),
        (
            {"page": "2", "service": ""},
            {
                "service": [
                    "Input should be 'reference', 'document_delivery', "
                    "'database_training', 'internet_training' or 'collections'"
                ]
            },
        ),
    ],
)
def test_filters_outside_the_documented_constraints_get_a_400_naming_them(
    client: Client, members: Organization, query: dict[str, str], errors: dict[str, list[str]]
) -> None:
    response = client.get(ORGANIZATIONS, query)

    assert response.status_code == 400
    assert response.json() == {"detail": "Invalid request.", "errors": errors}


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        (
            {"near": "00000"},
            {"near": ["We could not find ZIP code “00000”. Enter a five-digit U.S. ZIP code."]},
        ),
        (
            {"state": "ZZ"},
            {"state": ["Select a valid choice. ZZ is not one of the available choices."]},
        ),
        (
            {"region": "atlantis"},
            {"region": ["Select a valid choice. atlantis is not one of the available choices."]},
        ),
    ],
)
def test_a_well_formed_filter_that_names_nothing_gets_a_404_naming_it(
    client: Client, members: Organization, query: dict[str, str], errors: dict[str, list[str]]
) -> None:
    response = client.get(ORGANIZATIONS, query)

    assert response.status_code == 404
    assert response.json() == {"detail": "No such state, region or ZIP code.", "errors": errors}


def test_a_state_code_in_lower_case_finds_the_state(client: Client, members: Organization) -> None:
    response = client.get(ORGANIZATIONS, {"state": "ky"})

    assert response.status_code == 200
    assert _names(response) == ["Louisville Health Library"]


def test_one_organization(client: Client, members: Any) -> None:
    response = client.get(f"{ORGANIZATIONS}/{members.pk}")

    assert response.status_code == 200
    assert response.json()["name"] == "Chicago Public Library"
    assert response.json()["distance_miles"] is None


def test_an_unknown_organization_is_a_json_404(client: Client, members: Any) -> None:
    response = client.get(f"{ORGANIZATIONS}/999999")

    assert response.status_code == 404
    assert response.json() == {"detail": "No member organization has that id.", "errors": {}}


def test_the_endpoints_use_no_deprecated_return_form(client: Client, members: Any) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        client.get(ORGANIZATIONS)
        client.get(ORGANIZATIONS, {"type": "castle"})
        client.get(f"{ORGANIZATIONS}/{members.pk}")
        client.get(f"{ORGANIZATIONS}/999999")

    assert [str(w.message) for w in caught if issubclass(w.category, DeprecationWarning)] == []


def test_a_non_numeric_organization_id_is_a_json_400(client: Client) -> None:
    response = client.get(f"{ORGANIZATIONS}/abc")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Invalid request.",
        "errors": {
            "organization_id": [
                "Input should be a valid integer, unable to parse string as an integer"
            ]
        },
    }


@pytest.mark.parametrize(
    ("organization_id", "message"),
    [
        ("0", "Input should be greater than or equal to 1"),
        ("99999999999999999999999", "Input should be less than or equal to 9223372036854775807"),
    ],
)
def test_an_organization_id_outside_the_documented_range_is_a_json_400(
    client: Client, organization_id: str, message: str
) -> None:
    response = client.get(f"{ORGANIZATIONS}/{organization_id}")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Invalid request.",
        "errors": {"organization_id": [message]},
    }


def test_regions_of_both_maps_newest_first(client: Client) -> None:
    response = client.get("/api/v1/network/regions")

    assert response.status_code == 200
    regions = response.json()
    assert len(regions) == 15
    assert [r["map"] for r in regions] == ["seven-regions-2021"] * 7 + ["eight-regions-2016"] * 8
    assert regions[5] == {
        "code": "region-6",
        "name": "Region 6",
        "name_es": "Región 6",
        "map": "seven-regions-2021",
        "effective_from": "2021-05-01",
        "effective_to": None,
        "states": ["IA", "IL", "IN", "MI", "MN", "OH", "WI"],
    }
    assert sum(len(r["states"]) for r in regions) == 2 * 59


def test_regions_of_one_map(client: Client) -> None:
    response = client.get("/api/v1/network/regions", {"map": "eight-regions-2016"})

    assert response.status_code == 200
    regions = response.json()
    assert [r["code"] for r in regions] == [
        "greater-midwest",
        "midcontinental",
        "middle-atlantic",
        "new-england",
        "pacific-northwest",
        "pacific-southwest",
        "south-central",
        "southeastern-atlantic",
    ]
    assert {r["effective_to"] for r in regions} == {"2021-04-30"}
    assert "KY" in next(r for r in regions if r["code"] == "greater-midwest")["states"]


def test_regions_of_an_unknown_map_is_a_json_404(client: Client) -> None:
    response = client.get("/api/v1/network/regions", {"map": "atlantis"})

    assert response.status_code == 404
    assert response.json() == {"detail": "No region map has that code.", "errors": {}}


def test_regions_of_a_malformed_map_code_is_a_json_400(client: Client) -> None:
    response = client.get("/api/v1/network/regions", {"map": "Eight Regions"})

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Invalid request.",
        "errors": {"map": ["String should match pattern '^[a-z0-9]+(?:-[a-z0-9]+)*$'"]},
    }


def test_the_openapi_document_lists_the_endpoints(client: Client) -> None:
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    document = response.json()
    assert document["info"]["title"] == "Tapestry API"
    assert {
        "/api/v1/network/organizations",
        "/api/v1/network/organizations/{organization_id}",
        "/api/v1/network/regions",
        "/api/v1/accounts/me",
    } <= set(document["paths"])
    parameters = {
        p["name"] for p in document["paths"]["/api/v1/network/organizations"]["get"]["parameters"]
    }
    assert parameters == {
        "q",
        "type",
        "state",
        "region",
        "service",
        "audience",
        "near",
        "radius_miles",
        "page",
    }


def test_the_api_needs_no_sign_in_and_ignores_a_session(alice_client: Client, members: Any) -> None:
    response = alice_client.get(ORGANIZATIONS)

    assert response.status_code == 200
    assert response.json()["count"] == 3
