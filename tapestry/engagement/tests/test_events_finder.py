"""The public finder and its API: distance at the radius edge, dates, filters, paging, empty
states, and the .ics files and feeds (parsed with icalendar)."""

import datetime
import math
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from icalendar import Calendar
from pytest_django.fixtures import Settings

from tapestry.core.geography import EARTH_RADIUS_MILES, distance_miles, zip_lookup
from tapestry.engagement import selectors
from tapestry.engagement.models import Event
from tapestry.engagement.tests.factories import EventFactory, RegistrationFactory

pytestmark = pytest.mark.django_db

CHICAGO = "60601"


def point_due_east(zip_code: str, miles: float) -> tuple[float, float]:
    """A point `miles` from the ZIP code's centroid along its parallel's great circle east."""
    place = zip_lookup(zip_code)
    assert place is not None
    latitude, longitude = math.radians(place.latitude), math.radians(place.longitude)
    angle = miles / EARTH_RADIUS_MILES
    # Destination point for bearing 90 degrees.
    lat2 = math.asin(math.sin(latitude) * math.cos(angle))
    lon2 = longitude + math.atan2(
        math.sin(angle) * math.cos(latitude), math.cos(angle) - math.sin(latitude) * math.sin(lat2)
    )
    return math.degrees(lat2), math.degrees(lon2)


def event_at(latitude: float, longitude: float, **fields: object) -> Event:
    return EventFactory.create(latitude=latitude, longitude=longitude, **fields)


def test_an_event_just_inside_the_radius_is_found_and_one_just_outside_is_not() -> None:
    inside = event_at(*point_due_east(CHICAGO, 49.9), title="Inside")
    outside = event_at(*point_due_east(CHICAGO, 50.1), title="Outside")
    place = zip_lookup(CHICAGO)
    assert place is not None
    measured = distance_miles(
        place.latitude,
        place.longitude,
        [inside.latitude or 0.0, outside.latitude or 0.0],
        [inside.longitude or 0.0, outside.longitude or 0.0],
    ).tolist()
    assert measured[0] < 50 < measured[1]

    result = selectors.event_search(filters=selectors.EventFilters(near=place, radius_miles=50))

    assert [event.title for event in result.events] == ["Inside"]
    assert result.events[0].distance_miles == 49.9


def test_the_largest_radius_reaches_the_far_corner_of_its_box() -> None:
    place = zip_lookup(CHICAGO)
    assert place is not None
    event_at(*point_due_east(CHICAGO, 249.5), title="Far east")

    result = selectors.event_search(filters=selectors.EventFilters(near=place, radius_miles=250))

    assert [event.title for event in result.events] == ["Far east"]


def test_results_are_soonest_first_and_only_upcoming_published_ones(client: Client) -> None:
    now = timezone.now()
    EventFactory.create(title="Later", starts_at=now + datetime.timedelta(days=9))
    EventFactory.create(title="Sooner", starts_at=now + datetime.timedelta(days=2))
    EventFactory.create(
        title="Over",
        starts_at=now - datetime.timedelta(days=2),
        ends_at=now - datetime.timedelta(days=2) + datetime.timedelta(hours=1),
    )
    EventFactory.create(title="Draft", status=Event.Status.DRAFT)
    EventFactory.create(title="Cancelled", status=Event.Status.CANCELLED)

    response = client.get("/api/v1/engagement/events", {"near": CHICAGO})

    assert response.status_code == 200
    assert [event["title"] for event in response.json()["results"]] == ["Sooner", "Later"]


def test_filters_by_focus_language_format_and_dates(client: Client) -> None:
    day = timezone.localdate() + datetime.timedelta(days=20)
    starts = datetime.datetime.combine(day, datetime.time(18), tzinfo=datetime.UTC)
    EventFactory.create(
        title="Match", focus_area="citizen_science", language="es", starts_at=starts
    )
    EventFactory.create(
        title="Other focus", focus_area="digital_literacy", language="es", starts_at=starts
    )
    EventFactory.create(
        title="Other language", focus_area="citizen_science", language="en", starts_at=starts
    )
    EventFactory.create(
        title="Other day",
        focus_area="citizen_science",
        language="es",
        starts_at=starts + datetime.timedelta(days=3),
    )

    response = client.get(
        "/engagement/events/",
        {
            "focus_area": "citizen_science",
            "language": "es",
            "date_from": day.isoformat(),
            "date_to": day.isoformat(),
        },
    )

    assert response.status_code == 200
    titles = [event.title for event in response.context["result"].events]
    assert titles == ["Match"]


def test_paging(client: Client, settings: Settings) -> None:
    settings.ENGAGEMENT_EVENTS_PAGE_SIZE = 2
    now = timezone.now()
    for day in range(5):
        EventFactory.create(title=f"Day {day}", starts_at=now + datetime.timedelta(days=day + 1))

    body = client.get("/api/v1/engagement/events", {"page": 3}).json()

    assert (body["count"], body["pages"], body["page"]) == (5, 3, 3)
    assert [event["title"] for event in body["results"]] == ["Day 4"]


def test_empty_states_say_what_to_try(client: Client) -> None:
    near = client.get(
        "/engagement/events/", {"near": CHICAGO, "radius_miles": "5"}
    ).content.decode()
    anywhere = client.get("/engagement/events/", {"language": "es"}).content.decode()

    assert "No events within that distance. Try a larger radius" in near
    assert "No upcoming events match these filters. Try removing one." in anywhere


def test_bad_finder_input_is_a_400_naming_the_field(client: Client) -> None:
    page = client.get("/engagement/events/", {"near": "00000", "radius_miles": "900"})
    api_radius = client.get("/api/v1/engagement/events", {"radius_miles": 251})
    api_zip = client.get("/api/v1/engagement/events", {"near": "00000"})
    api_dates = client.get(
        "/api/v1/engagement/events", {"date_from": "2030-02-02", "date_to": "2030-02-01"}
    )

    assert page.status_code == 400
    assert "We could not find ZIP code “00000”" in page.content.decode()
    assert "Ensure this value is less than or equal to 250." in page.content.decode()
    assert api_radius.status_code == 400
    assert list(api_radius.json()["errors"]) == ["radius_miles"]
    assert api_zip.status_code == 404
    assert list(api_zip.json()["errors"]) == ["near"]
    # Any well-formed range is accepted; one that ends before it starts finds nothing.
    assert api_dates.status_code == 200
    assert api_dates.json()["count"] == 0


def test_the_event_api_gives_seats_not_people(client: Client) -> None:
    event = EventFactory.create(capacity=3)
    RegistrationFactory.create_batch(2, event=event)
    draft = EventFactory.create(status=Event.Status.DRAFT)

    body = client.get(f"/api/v1/engagement/events/{event.pk}").json()
    hidden = client.get(f"/api/v1/engagement/events/{draft.pk}")

    assert body["seats_left"] == 1
    assert "registrations" not in body
    assert hidden.status_code == 404


def _calendar(content: bytes) -> Calendar:
    return Calendar.from_ical(content)


def test_an_event_ics_parses_with_its_time_zone_and_no_attendee(client: Client) -> None:
    event = EventFactory.create(title="Salud", time_zone="America/Chicago")
    RegistrationFactory.create(event=event, name="Zoe Quinn", email="zoe@example.net")

    response = client.get(f"/engagement/events/{event.pk}/event.ics")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = _calendar(response.content)
    [timezone_component] = calendar.walk("VTIMEZONE")
    assert str(timezone_component["TZID"]) == "America/Chicago"
    [component] = calendar.walk("VEVENT")
    assert str(component["SUMMARY"]) == "Salud"
    assert component.decoded("DTSTART") == event.starts_at
    assert str(component.decoded("DTSTART").tzinfo) == "America/Chicago"
    assert "ATTENDEE" not in component
    assert b"ATTENDEE" not in response.content
    assert b"zoe@example.net" not in response.content


def test_the_organization_and_region_feeds_parse_and_carry_no_attendees(
    client: Client, alice_library: Any
) -> None:
    mine = EventFactory.create(organization_id=alice_library.pk, title="At Alice's")
    EventFactory.create(title="Elsewhere in the region", time_zone="America/New_York")
    EventFactory.create(organization_id=alice_library.pk, status=Event.Status.DRAFT)
    RegistrationFactory.create(event=mine, email="zoe@example.net")

    organization = client.get(f"/engagement/events/feeds/organization/{alice_library.pk}.ics")
    region = client.get("/engagement/events/feeds/region/region-6.ics")

    organization_events = _calendar(organization.content).walk("VEVENT")
    assert [str(e["SUMMARY"]) for e in organization_events] == ["At Alice's"]
    region_calendar = _calendar(region.content)
    assert sorted(str(e["SUMMARY"]) for e in region_calendar.walk("VEVENT")) == [
        "At Alice's",
        "Elsewhere in the region",
    ]
    assert sorted(str(tz["TZID"]) for tz in region_calendar.walk("VTIMEZONE")) == [
        "America/Chicago",
        "America/New_York",
    ]
    for content in (organization.content, region.content):
        assert b"ATTENDEE" not in content
        assert b"zoe@example.net" not in content
    assert client.get("/engagement/events/feeds/region/no-such-region.ics").status_code == 404
    assert client.get("/engagement/events/feeds/organization/999999.ics").status_code == 404


def test_a_cancelled_event_stays_in_its_feed_marked_cancelled(
    client: Client, alice_library: Any
) -> None:
    EventFactory.create(organization_id=alice_library.pk, status=Event.Status.CANCELLED)

    response = client.get(f"/engagement/events/feeds/organization/{alice_library.pk}.ics")

    [component] = _calendar(response.content).walk("VEVENT")
    assert str(component["STATUS"]) == "CANCELLED"
