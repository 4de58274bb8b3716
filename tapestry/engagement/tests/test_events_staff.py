"""Organizers' pages: creating and publishing events, cancelling (registrants emailed), the
registrant list and check-in, and privacy: nobody else sees who registered."""

import datetime
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks

from tapestry.accounts.api import Role
from tapestry.accounts.tests.factories import UserFactory
from tapestry.engagement import services
from tapestry.engagement.models import Event, Registration
from tapestry.engagement.tests.factories import (
    EventFactory,
    RegistrationFactory,
    organization_make,
)

pytestmark = pytest.mark.django_db


def event_form(organization: Any, **overrides: str) -> dict[str, str]:
    starts = timezone.localdate() + datetime.timedelta(days=10)
    return {
        "title": "Medicines and the internet",
        "description": "How to check what you read about medicines.",
        "focus_area": "health_literacy",
        "audience": "Adults",
        "language": "en",
        "format": "in_person",
        "organization_id": str(organization.pk) if organization else "",
        "capacity": "25",
        "starts_at": f"{starts.isoformat()}T18:00",
        "ends_at": f"{starts.isoformat()}T19:30",
        "time_zone": "America/Chicago",
        **overrides,
    }


@pytest.fixture
def alice_event(alice_library: Any, alice_liaison: Any) -> Event:
    return EventFactory.create(organization_id=alice_library.pk, organizer=alice_liaison)


def test_a_liaison_creates_an_event_at_her_library_in_its_time_zone(
    alice_client: Client, alice_library: Any, audit_log: Any
) -> None:
    response = alice_client.post("/engagement/events/new/", event_form(alice_library))

    event = Event.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/engagement/events/{event.pk}/registrants/"
    assert event.status == Event.Status.DRAFT
    assert (event.zip_code, event.state_code, event.region_code) == ("60601", "IL", "region-6")
    assert event.venue_name == "Alice Memorial Library"
    local = event.starts_at.astimezone(datetime.timezone(datetime.timedelta(0)))
    assert event.starts_at.tzinfo is not None
    assert (event.ends_at - event.starts_at) == datetime.timedelta(minutes=90)
    assert local.hour in (23, 0)  # 18:00 in Chicago is 23:00 or 00:00 UTC
    assert [row[0] for row in audit_log()] == ["engagement.event_create"]


def test_a_liaison_cannot_hold_an_event_for_another_library(
    alice_client: Client, alice_library: Any
) -> None:
    other = organization_make(zip_code="10001")

    response = alice_client.post("/engagement/events/new/", event_form(other))

    assert response.status_code == 400
    assert not Event.objects.exists()


def test_someone_without_an_organizer_role_gets_403(bob_client: Client) -> None:
    assert bob_client.get("/engagement/events/new/").status_code == 403
    assert bob_client.get("/engagement/events/mine/").status_code == 403


def test_publishing_puts_the_event_in_the_finder(
    alice_client: Client, alice_event: Event, client: Client
) -> None:
    Event.objects.filter(pk=alice_event.pk).update(status=Event.Status.DRAFT)
    assert client.get(f"/engagement/events/{alice_event.pk}/").status_code == 404

    alice_client.post(f"/engagement/events/{alice_event.pk}/publish/")

    assert client.get(f"/engagement/events/{alice_event.pk}/").status_code == 200
    assert alice_event.title in client.get("/engagement/events/?near=60601").content.decode()


def test_cancelling_emails_every_registrant_in_their_language(
    alice_client: Client,
    alice_event: Event,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    RegistrationFactory.create(event=alice_event, email="seated@example.net")
    RegistrationFactory.create(
        event=alice_event, email="waiting@example.net", status="waitlisted", language="es"
    )
    RegistrationFactory.create(event=alice_event, email="gone@example.net", status="cancelled")

    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(
            f"/engagement/events/{alice_event.pk}/cancel/", {"reason": "The room flooded."}
        )

    assert response.status_code == 302
    assert Event.objects.get().status == Event.Status.CANCELLED
    sent = sorted((m.to[0], m.subject) for m in mail.outbox)
    assert [to for to, _subject in sent] == ["seated@example.net", "waiting@example.net"]
    assert "The room flooded." in mail.outbox[0].body


def test_the_organizer_sees_the_registrants(alice_client: Client, alice_event: Event) -> None:
    RegistrationFactory.create(event=alice_event, name="Zoe Quinn", email="zoe@example.net")

    response = alice_client.get(f"/engagement/events/{alice_event.pk}/registrants/")

    assert response.status_code == 200
    assert "Zoe Quinn" in response.content.decode()
    assert "zoe@example.net" in response.content.decode()


def test_the_specialist_of_the_region_sees_the_registrants(
    sam_client: Client, alice_event: Event
) -> None:
    RegistrationFactory.create(event=alice_event, name="Zoe Quinn")

    response = sam_client.get(f"/engagement/events/{alice_event.pk}/registrants/")

    assert response.status_code == 200
    assert "Zoe Quinn" in response.content.decode()


@pytest.mark.parametrize(
    "path",
    [
        "registrants/",
        "check-in/",
        "edit/",
        "cancel/",
    ],
)
def test_other_people_cannot_see_or_touch_an_event_they_do_not_organize(
    path: str,
    alice_event: Event,
    olga_client: Client,
    signed_in: object,
    client: Client,
) -> None:
    other_liaison = UserFactory.create(roles=[Role.LIAISON])
    organization_make(zip_code="60614", liaison=other_liaison)
    RegistrationFactory.create(event=alice_event, name="Zoe Quinn")

    other = signed_in(other_liaison).get(f"/engagement/events/{alice_event.pk}/{path}")  # type: ignore[operator]
    specialist_elsewhere = olga_client.get(f"/engagement/events/{alice_event.pk}/{path}")
    visitor = client.get(f"/engagement/events/{alice_event.pk}/{path}")

    assert other.status_code == 404
    assert specialist_elsewhere.status_code == 404
    assert visitor.status_code == 302  # to sign in
    assert "Zoe Quinn" not in other.content.decode() + specialist_elsewhere.content.decode()


def test_a_refused_check_in_or_cancel_changes_nothing(
    alice_event: Event, olga_client: Client, audit_log: Any
) -> None:
    registration = RegistrationFactory.create(event=alice_event)

    check_in = olga_client.post(f"/engagement/events/{alice_event.pk}/check-in/{registration.pk}/")
    cancel = olga_client.post(f"/engagement/events/{alice_event.pk}/cancel/", {"reason": "x"})
    publish = olga_client.post(f"/engagement/events/{alice_event.pk}/publish/")

    assert (check_in.status_code, cancel.status_code, publish.status_code) == (404, 404, 404)
    registration.refresh_from_db()
    assert registration.attended is False
    assert Event.objects.get().status == Event.Status.PUBLISHED
    assert audit_log() == []
    assert mail.outbox == []


def test_the_public_pages_never_show_registrants(client: Client, alice_event: Event) -> None:
    RegistrationFactory.create(event=alice_event, name="Zoe Quinn", email="zoe@example.net")

    pages = [
        client.get(f"/engagement/events/{alice_event.pk}/"),
        client.get("/engagement/events/?near=60601"),
        client.get(f"/engagement/events/{alice_event.pk}/event.ics"),
        client.get(f"/api/v1/engagement/events/{alice_event.pk}"),
    ]

    for page in pages:
        assert page.status_code == 200
        assert b"Zoe Quinn" not in page.content
        assert b"zoe@example.net" not in page.content


def test_check_in_by_htmx_swaps_the_row(alice_client: Client, alice_event: Event) -> None:
    registration = RegistrationFactory.create(event=alice_event, name="Zoe Quinn")

    response = alice_client.post(
        f"/engagement/events/{alice_event.pk}/check-in/{registration.pk}/",
        {"attended": "1"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert html.strip().startswith("<li")
    assert "Undo check-in of Zoe Quinn" in html
    registration.refresh_from_db()
    assert registration.attended is True
    assert registration.checked_in_at is not None


def test_check_in_search_finds_by_name(alice_client: Client, alice_event: Event) -> None:
    RegistrationFactory.create(event=alice_event, name="Zoe Quinn")
    RegistrationFactory.create(event=alice_event, name="Adam Smith")

    html = alice_client.get(
        f"/engagement/events/{alice_event.pk}/check-in/?q=zoe", headers={"HX-Request": "true"}
    ).content.decode()

    assert "Check in Zoe Quinn" in html
    assert "Adam Smith" not in html


def test_someone_without_a_seat_cannot_be_checked_in(
    alice_liaison: Any, alice_event: Event
) -> None:
    waiting = RegistrationFactory.create(event=alice_event, status="waitlisted")

    with pytest.raises(services.EventError, match="has no seat"):
        services.registration_check_in(
            actor=alice_liaison, event_id=alice_event.pk, registration_id=waiting.pk
        )

    waiting.refresh_from_db()
    assert waiting.attended is False


def test_more_seats_seat_the_waitlist_in_order(
    alice_liaison: Any,
    alice_event: Event,
    alice_library: Any,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    Event.objects.filter(pk=alice_event.pk).update(capacity=1)
    RegistrationFactory.create(event=alice_event)
    now = timezone.now()
    later = RegistrationFactory.create(
        event=alice_event, status="waitlisted", confirmed_at=now, email="later@example.net"
    )
    first = RegistrationFactory.create(
        event=alice_event,
        status="waitlisted",
        confirmed_at=now - datetime.timedelta(minutes=5),
        email="first@example.net",
    )
    alice_event.refresh_from_db()
    details = {
        **{f: getattr(alice_event, f) for f in services.EVENT_FIELDS},
        "capacity": 2,
        "organization_id": alice_library.pk,
        "virtual_link": "",
    }

    with django_capture_on_commit_callbacks(execute=True):
        services.event_update(actor=alice_liaison, event_id=alice_event.pk, details=details)

    first.refresh_from_db()
    later.refresh_from_db()
    assert (first.status, later.status) == ("confirmed", "waitlisted")
    assert [m.to for m in mail.outbox] == [["first@example.net"]]


def test_seats_cannot_drop_below_those_taken(
    alice_liaison: Any, alice_event: Event, alice_library: Any
) -> None:
    RegistrationFactory.create_batch(3, event=alice_event)
    details = {
        **{f: getattr(alice_event, f) for f in services.EVENT_FIELDS},
        "capacity": 2,
        "organization_id": alice_library.pk,
    }

    with pytest.raises(services.EventError, match="3 people already have a seat"):
        services.event_update(actor=alice_liaison, event_id=alice_event.pk, details=details)

    assert Event.objects.get().capacity == 20


def test_registration_status_counts_stay_on_the_registrants_page(
    alice_client: Client, alice_event: Event
) -> None:
    RegistrationFactory.create_batch(2, event=alice_event, attended=True)
    RegistrationFactory.create(event=alice_event, status=Registration.Status.WAITLISTED)

    html = alice_client.get(f"/engagement/events/{alice_event.pk}/registrants/").content.decode()

    assert "Seated: 2 of 20" in html
    assert "On the waitlist: 1" in html
    assert "Attended: 2" in html


def test_a_specialist_holds_an_event_at_an_address_in_his_region(sam_client: Client) -> None:
    response = sam_client.post(
        "/engagement/events/new/",
        event_form(
            None,
            venue_name="Pilsen park district hall",
            address_line1="1419 W Blackhawk St",
            city="Chicago",
            zip_code="60642",
        ),
    )

    event = Event.objects.get()
    assert response.status_code == 302
    assert (event.organization_id, event.zip_code, event.region_code) == (None, "60642", "region-6")
    assert event.latitude is not None


def test_a_specialist_cannot_hold_an_event_outside_his_regions(sam_client: Client) -> None:
    response = sam_client.post(
        "/engagement/events/new/",
        event_form(None, address_line1="350 5th Ave", city="New York", zip_code="10118"),
    )

    assert response.status_code == 400
    assert "That place is outside the regions you cover." in response.content.decode()
    assert not Event.objects.exists()


def test_a_virtual_event_has_no_place_and_needs_its_link(
    alice_client: Client, alice_library: Any
) -> None:
    refused = alice_client.post(
        "/engagement/events/new/", event_form(alice_library, format="virtual")
    )
    made = alice_client.post(
        "/engagement/events/new/",
        event_form(alice_library, format="virtual", virtual_link="https://meet.example.org/a"),
    )

    assert refused.status_code == 400
    assert "An online event needs its link." in refused.content.decode()
    assert made.status_code == 302
    event = Event.objects.get()
    assert (event.latitude, event.zip_code, event.region_code) == (None, "", "region-6")


def test_an_event_that_ends_before_it_starts_is_refused(
    alice_client: Client, alice_library: Any
) -> None:
    starts = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    response = alice_client.post(
        "/engagement/events/new/",
        event_form(alice_library, starts_at=f"{starts}T18:00", ends_at=f"{starts}T17:00"),
    )

    assert response.status_code == 400
    assert "The event must end after it starts." in response.content.decode()
    assert not Event.objects.exists()


def test_the_dashboard_shows_a_liaison_her_next_events(
    alice_client: Client, alice_event: Event, bob_client: Client
) -> None:
    RegistrationFactory.create(event=alice_event)

    mine = alice_client.get("/me/").content.decode()
    others = bob_client.get("/me/").content.decode()

    assert "Your events" in mine
    assert f"{alice_event.title}</a>" in mine
    assert "1 of 20 seats taken" in mine
    assert "Your events" not in others


def test_the_edit_form_shows_the_events_own_local_times(
    alice_client: Client, alice_library: Any, alice_liaison: Any
) -> None:
    from zoneinfo import ZoneInfo

    starts = datetime.datetime(2030, 5, 6, 18, 0, tzinfo=ZoneInfo("America/Denver"))
    event = EventFactory.create(
        organization_id=alice_library.pk,
        organizer=alice_liaison,
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=1),
        time_zone="America/Denver",
    )

    html = alice_client.get(f"/engagement/events/{event.pk}/edit/").content.decode()
    saved = alice_client.post(
        f"/engagement/events/{event.pk}/edit/",
        event_form(
            alice_library,
            starts_at="2030-05-06T19:00",
            ends_at="2030-05-06T20:00",
            time_zone="America/Denver",
        ),
    )

    assert 'value="2030-05-06T18:00"' in html
    assert 'value="2030-05-06T19:00"' in html
    assert saved.status_code == 302
    event.refresh_from_db()
    assert event.starts_at == datetime.datetime(2030, 5, 7, 1, 0, tzinfo=datetime.UTC)
