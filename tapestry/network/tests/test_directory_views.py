from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from django.core.cache import cache
from django.test import Client
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks, Settings

from tapestry.network import selectors
from tapestry.network.models import Organization, OrganizationType
from tapestry.network.services import membership_application_decide
from tapestry.network.tests.factories import MembershipApplicationFactory, OrganizationFactory

if TYPE_CHECKING:
    from tapestry.accounts.api import User

pytestmark = pytest.mark.django_db

CONTROL_CHARACTERS = "Remove the control characters from this field."


@pytest.fixture
def members(alice_library: Organization) -> None:
    """Alice's library in Chicago, a hospital library in Evanston and one in Louisville, KY."""
    OrganizationFactory.create(
        name="Evanston Hospital Library",
        zip_code="60201",
        org_type=OrganizationType.HOSPITAL_LIBRARY,
        services={"reference": ["public"]},
    )
    OrganizationFactory.create(name="Louisville Health Library", zip_code="40202")


def _names(response: Any) -> list[str]:
    return [organization.name for organization in response.context["result"].organizations]


# The directory


def test_anyone_may_browse_the_directory(visitor: Client, members: None) -> None:
    response = visitor.get("/network/")

    assert response.status_code == 200
    assert _names(response) == [
        "Alice Memorial Library",
        "Evanston Hospital Library",
        "Louisville Health Library",
    ]
    assert "3 members" in response.text
    assert response.context["can_export"] is False


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ({"q": "hospital"}, ["Evanston Hospital Library"]),
        ({"org_type": "hospital_library"}, ["Evanston Hospital Library"]),
        ({"state": "KY"}, ["Louisville Health Library"]),
        ({"state": "ky"}, ["Louisville Health Library"]),
        ({"region": "region-6"}, ["Alice Memorial Library", "Evanston Hospital Library"]),
        (
            {"region": "greater-midwest"},
            ["Alice Memorial Library", "Evanston Hospital Library", "Louisville Health Library"],
        ),
        ({"service": "reference"}, ["Evanston Hospital Library"]),
        ({"service": "reference", "audience": "public"}, ["Evanston Hospital Library"]),
        ({"audience": "affiliated"}, []),
    ],
)
def test_directory_filters(
    visitor: Client, members: None, query: dict[str, Any], names: list[Any]
) -> None:
    response = visitor.get("/network/", query)

    assert response.status_code == 200
    assert _names(response) == names


def test_near_me_shows_each_distance(visitor: Client, members: None) -> None:
    response = visitor.get("/network/", {"near": "60601", "radius_miles": "25"})

    assert response.status_code == 200
    assert [(o.name, o.distance_miles) for o in response.context["result"].organizations] == [
        ("Alice Memorial Library", 0.0),
        ("Evanston Hospital Library", 12.3),
    ]
    assert "2 members within reach of 60601 (Chicago)" in response.text
    assert "12.3 miles away" in response.text


def test_near_me_defaults_to_a_25_mile_radius(visitor: Client, members: None) -> None:
    response = visitor.get("/network/", {"near": "60201"})

    assert _names(response) == ["Evanston Hospital Library", "Alice Memorial Library"]


def test_an_htmx_request_gets_only_the_results(visitor: Client, members: None) -> None:
    response = visitor.get("/network/", {"state": "IL"}, headers={"hx-request": "true"})

    assert response.status_code == 200
    assert "<html" not in response.text
    assert "<form" not in response.text
    assert 'id="result-count"' in response.text
    assert "Evanston Hospital Library" in response.text


def test_the_directory_pages_through_results(
    visitor: Client, settings: Settings, members: None
) -> None:
    settings.NETWORK_PAGE_SIZE = 2

    response = visitor.get("/network/", {"page": "2"})

    assert _names(response) == ["Louisville Health Library"]
    assert (response.context["result"].page, response.context["result"].num_pages) == (2, 2)


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        (
            {"near": "ABCDE"},
            "near",
            "We could not find ZIP code “ABCDE”. Enter a five-digit U.S. ZIP code.",
        ),
        (
            {"near": "00000"},
            "near",
            "We could not find ZIP code “00000”. Enter a five-digit U.S. ZIP code.",
        ),
        (
            {"near": "60601", "radius_miles": "0"},
            "radius_miles",
            "Ensure this value is greater than or equal to 1.",
        ),
        (
            {"near": "60601", "radius_miles": "501"},
            "radius_miles",
            "Ensure this value is less than or equal to 500.",
        ),
        (
            {"near": "60601", "radius_miles": "-5"},
            "radius_miles",
            "Ensure this value is greater than or equal to 1.",
        ),
        ({"near": "60601", "radius_miles": "ten"}, "radius_miles", "Enter a whole number."),
        (
            {"state": "ZZ"},
            "state",
            "Select a valid choice. ZZ is not one of the available choices.",
        ),
        (
            {"region": "atlantis"},
            "region",
            "Select a valid choice. atlantis is not one of the available choices.",
        ),
        (
            {"org_type": "castle"},
            "org_type",
            "Select a valid choice. castle is not one of the available choices.",
        ),
        (
            {"q": "x" * 101},
            "q",
            "Ensure this value has at most 100 characters (it has 101).",
        ),
        ({"q": "Library\x07"}, "q", CONTROL_CHARACTERS),
        ({"q": "Library\x1b[31m"}, "q", CONTROL_CHARACTERS),
        ({"q": "Library\x00"}, "q", "Null characters are not allowed."),
        ({"page": "0"}, "page", "Ensure this value is greater than or equal to 1."),
        ({"page": "last"}, "page", "Enter a whole number."),
    ],
)
def test_bad_directory_input_gets_a_400_with_a_clear_message(
    visitor: Client, members: None, query: dict[str, Any], field: str, message: Any
) -> None:
    response = visitor.get("/network/", query)

    assert response.status_code == 400
    assert response.context["form"].errors == {field: [message]}
    assert "Please correct the search" in response.text
    assert Organization.objects.count() == 3


@pytest.mark.parametrize(
    ("radius", "message"),
    [
        ("0", "Ensure this value is greater than or equal to 1."),
        ("501", "Ensure this value is less than or equal to 500."),
    ],
)
def test_radius_out_of_range_says_what_is_allowed(
    visitor: Client, radius: str, message: str
) -> None:
    response = visitor.get("/network/", {"near": "60601", "radius_miles": radius})

    assert response.status_code == 400
    assert response.context["form"].errors == {"radius_miles": [message]}
    assert message in response.text


def test_messages_name_the_problem_exactly(visitor: Client) -> None:
    response = visitor.get("/network/", {"near": "ABCDE", "q": "<b>bold</b>"})

    assert response.context["form"].errors == {
        "near": ["We could not find ZIP code “ABCDE”. Enter a five-digit U.S. ZIP code."],
    }
    assert "&lt;b&gt;bold&lt;/b&gt;" in response.text
    assert "<b>bold</b>" not in response.text


def test_bad_input_in_an_htmx_request_gets_a_400_partial(visitor: Client) -> None:
    response = visitor.get("/network/", {"near": "ABCDE"}, headers={"hx-request": "true"})

    assert response.status_code == 400
    assert "<html" not in response.text
    assert "Please correct the search" in response.text


def test_bad_input_is_explained_in_spanish_to_a_spanish_browser(visitor: Client) -> None:
    response = visitor.get("/network/", {"radius_miles": "501"}, headers={"accept-language": "es"})

    assert response.status_code == 400
    assert '<html lang="es">' in response.text


# One organization


def test_an_organization_page_shows_the_member_and_its_region(
    visitor: Client, members: None
) -> None:
    library = Organization.objects.get(name="Louisville Health Library")

    response = visitor.get(f"/network/organizations/{library.pk}/")

    assert response.status_code == 200
    assert response.context["organization"] == library
    assert response.context["region_name"] == "Region 1"
    assert response.context["is_liaison"] is False


def test_an_unknown_organization_is_404(visitor: Client) -> None:
    response = visitor.get("/network/organizations/999999/")

    assert response.status_code == 404
    assert "We could not find that page" in response.text


def test_an_organization_id_too_big_for_the_database_is_404(visitor: Client) -> None:
    response = visitor.get("/network/organizations/99999999999999999999999/")

    assert response.status_code == 404


def test_the_liaison_is_offered_the_review(
    alice_client: Client, alice_library: Organization
) -> None:
    response = alice_client.get(f"/network/organizations/{alice_library.pk}/")

    assert response.context["is_liaison"] is True
    assert f"/network/organizations/{alice_library.pk}/review/" in response.text


def test_other_people_are_not_offered_the_review(
    bob_client: Client, alice_library: Organization
) -> None:
    response = bob_client.get(f"/network/organizations/{alice_library.pk}/")

    assert response.context["is_liaison"] is False
    assert f"/network/organizations/{alice_library.pk}/review/" not in response.text


def test_a_visitor_is_not_offered_the_review_of_a_record_without_a_liaison(visitor: Client) -> None:
    library = OrganizationFactory.create(liaison=None)

    response = visitor.get(f"/network/organizations/{library.pk}/")

    assert response.context["is_liaison"] is False
    assert f"/network/organizations/{library.pk}/review/" not in response.text


# The region map


def test_the_region_map_shows_the_current_map_by_default(visitor: Client, members: None) -> None:
    response = visitor.get("/network/regions/")

    assert response.status_code == 200
    assert response.context["region_map"].code == "seven-regions-2021"
    assert [(r.code, r.member_count) for r in response.context["regions"]] == [
        ("region-1", 1),
        ("region-2", 0),
        ("region-3", 0),
        ("region-4", 0),
        ("region-5", 0),
        ("region-6", 2),
        ("region-7", 0),
    ]
    assert len(response.context["rows"]) == 59
    assert "<svg" in response.text


def test_the_region_map_shows_the_earlier_map_on_request(visitor: Client, members: None) -> None:
    response = visitor.get("/network/regions/", {"map": "eight-regions-2016"})

    assert response.status_code == 200
    assert response.context["region_map"].code == "eight-regions-2016"
    assert {r.code: r.member_count for r in response.context["regions"]}["greater-midwest"] == 3
    assert "Greater Midwest" in response.text


def test_an_unknown_region_map_is_404(visitor: Client) -> None:
    response = visitor.get("/network/regions/", {"map": "atlantis"})

    assert response.status_code == 404


# CSV export


@pytest.fixture
def export_members(members: None) -> None:
    OrganizationFactory.create(
        name='=HYPERLINK("http://evil.example")',
        zip_code="60614",
        liaison_name="+Mallory",
        phone="-1",
        library_id="@SUM(A1)",
        last_reviewed_on=datetime.date(2025, 1, 1),
        joined_on=datetime.date(2020, 3, 4),
    )


def _csv(response: Any) -> list[list[str]]:
    content = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(content)))


def test_a_visitor_is_sent_to_sign_in_before_exporting(
    visitor: Client, export_members: None
) -> None:
    response = visitor.get("/network/export.csv")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/network/export.csv"


def test_a_liaison_cannot_export(
    alice_client: Client, export_members: None, audit_log: Callable[[], list[tuple]]
) -> None:
    response = alice_client.get("/network/export.csv")

    assert response.status_code == 403
    assert audit_log() == []


def test_a_person_without_a_role_cannot_export(
    bob_client: Client, export_members: None, audit_log: Callable[[], list[tuple]]
) -> None:
    response = bob_client.get("/network/export.csv")

    assert response.status_code == 403
    assert audit_log() == []


def test_a_specialist_exports_only_their_regions(
    sam_client: Client, export_members: None, audit_log: Callable[[], list[tuple]]
) -> None:
    response = sam_client.get("/network/export.csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="tapestry-directory.csv"'
    rows = _csv(response)
    assert rows[0][:3] == ["id", "name", "type"]
    assert sorted(row[1] for row in rows[1:]) == [
        '\'=HYPERLINK("http://evil.example")',
        "Alice Memorial Library",
        "Evanston Hospital Library",
    ]
    assert audit_log() == [("directory.export", "sam@example.org", "", "")]


def test_the_export_and_the_api_list_the_same_fields_in_the_same_order(
    sam_client: Client, client: Client, export_members: None
) -> None:
    header = _csv(sam_client.get("/network/export.csv"))[0]
    api_fields = list(client.get("/api/v1/network/organizations").json()["results"][0])

    assert header == [
        "id",
        "name",
        "type",
        "address_line1",
        "address_line2",
        "city",
        "state",
        "zip_code",
        "phone",
        "website",
        "library_id",
        "liaison_name",
        "liaison_email",
        "services",
        "joined_on",
        "last_reviewed_on",
        "review_due_on",
    ]
    # The API adds the type's label, the location, the distance and the page's address.
    assert [field for field in api_fields if field in header] == header[:15]
    assert [field for field in api_fields if field not in header] == [
        "type_label",
        "latitude",
        "longitude",
        "distance_miles",
        "url",
    ]


def test_exported_cells_cannot_run_as_formulas(sam_client: Client, export_members: None) -> None:
    rows = _csv(sam_client.get("/network/export.csv", {"q": "HYPERLINK"}))

    header, row = rows
    cells = dict(zip(header, row, strict=True))
    assert cells["name"] == '\'=HYPERLINK("http://evil.example")'
    assert cells["liaison_name"] == "'+Mallory"
    assert cells["phone"] == "'-1"
    assert cells["library_id"] == "'@SUM(A1)"
    assert (cells["state"], cells["zip_code"]) == ("IL", "60614")
    assert (cells["joined_on"], cells["last_reviewed_on"], cells["review_due_on"]) == (
        "2020-03-04",
        "2025-01-01",
        "2026-01-01",
    )


def test_program_staff_export_every_region(paula_client: Client, export_members: None) -> None:
    rows = _csv(paula_client.get("/network/export.csv"))

    assert [row[6] for row in rows[1:]] == ["IL", "IL", "IL", "KY"]


def test_an_administrator_exports_every_region(
    admin_signed_in: Client, export_members: None
) -> None:
    rows = _csv(admin_signed_in.get("/network/export.csv"))

    assert len(rows) == 5


def test_export_applies_the_directory_filters(paula_client: Client, export_members: None) -> None:
    rows = _csv(paula_client.get("/network/export.csv", {"state": "KY"}))

    assert [row[1] for row in rows[1:]] == ["Louisville Health Library"]


def test_export_with_bad_filters_is_400(
    paula_client: Client, export_members: None, audit_log: Callable[[], list[tuple]]
) -> None:
    response = paula_client.get("/network/export.csv", {"near": "ABCDE"})

    assert response.status_code == 400
    assert audit_log() == []


def test_staff_see_the_export_link(sam_client: Client, members: None) -> None:
    response = sam_client.get("/network/")

    assert response.context["can_export"] is True
    assert "/network/export.csv?" in response.text


# The cached results


def test_a_member_approved_after_the_results_were_cached_shows_at_once(
    visitor: Client,
    members: None,
    sam_specialist: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    assert "Prairie Commons Library" not in visitor.get("/network/").text
    application = MembershipApplicationFactory.create(name="Prairie Commons Library")

    with django_capture_on_commit_callbacks(execute=True):
        membership_application_decide(
            specialist=sam_specialist, application_id=application.pk, approve=True
        )

    response = visitor.get("/network/")
    assert "Prairie Commons Library" in response.text
    assert "4 members" in response.text


def test_other_changes_show_once_the_directory_version_is_read_again(
    visitor: Client, members: None
) -> None:
    assert "Quiet Addition Library" not in visitor.get("/network/?state=IL").text
    OrganizationFactory.create(name="Quiet Addition Library", zip_code="60201")

    # Served from the cache until the version is read again from the database
    assert "Quiet Addition Library" not in visitor.get("/network/?state=IL").text
    cache.delete(selectors.DIRECTORY_VERSION_KEY)  # as after NETWORK_DIRECTORY_VERSION_SECONDS

    assert "Quiet Addition Library" in visitor.get("/network/?state=IL").text


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("Library -- Main", ["Library -- Main Campus"]),
        ("Smith & Jones <Annex>", ["Smith & Jones <Annex> Library"]),
        ("' OR 1=1 --", []),
    ],
)
def test_a_name_with_punctuation_is_searched_as_typed_and_shown_escaped(
    visitor: Client, query: str, found: list[str]
) -> None:
    OrganizationFactory.create(name="Library -- Main Campus", zip_code="60601")
    OrganizationFactory.create(name="Smith & Jones <Annex> Library", zip_code="60601")

    response = visitor.get("/network/", {"q": query})

    assert response.status_code == 200
    assert _names(response) == found
    assert "<Annex>" not in response.text


def test_the_directory_error_summary_links_to_the_filter_in_error(visitor: Client) -> None:
    response = visitor.get("/network/", {"near": "ABCDE"})

    assert response.status_code == 400
    assert (
        '<a class="usa-link" href="#id_near">Near ZIP code: We could not find ZIP code “ABCDE”. '
        "Enter a five-digit U.S. ZIP code.</a>" in response.text
    )


def test_the_drawn_filters_follow_each_query_though_cached(visitor: Client, members: None) -> None:
    # given a search that draws (and caches) the selects with Illinois chosen
    first = visitor.get("/network/", {"state": "IL", "near": "60608"}).text

    # when the same ZIP code is searched in Kentucky, and Illinois again near another ZIP code
    kentucky = visitor.get("/network/", {"state": "KY", "near": "60608"}).text
    elsewhere = visitor.get("/network/", {"state": "IL", "near": "60601"}).text

    # then each page shows its own state chosen and its own ZIP code in the box
    assert '<option value="IL" selected>' in first
    assert '<option value="KY" selected>' in kentucky
    assert '<option value="IL" selected>' not in kentucky
    assert '<option value="IL" selected>' in elsewhere
    assert 'value="60601"' in elsewhere
