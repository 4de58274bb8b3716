"""Engagement requests: routed to the specialists of the requester's state's region, moved
along with milestones, a message thread that emails the other side in their language, turned
into an event that links back; and every other persona refused with nothing changed."""

import datetime
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks

from tapestry.accounts.api import Role
from tapestry.accounts.tests.factories import UserFactory
from tapestry.engagement.models import EngagementRequest, Event, RequestMessage
from tapestry.engagement.tests.factories import (
    EngagementRequestFactory,
    organization_make,
    specialist_make,
)

pytestmark = pytest.mark.django_db


def request_form(organization: Any = None, **overrides: str) -> dict[str, str]:
    today = timezone.localdate()
    return {
        "organization_id": str(organization.pk) if organization else "",
        "audience": "Older adults",
        "focus_area": "health_literacy",
        "language": "es",
        "preferred_date_1": (today + datetime.timedelta(days=30)).isoformat(),
        "preferred_date_2": (today + datetime.timedelta(days=37)).isoformat(),
        "preferred_date_3": "",
        "expected_attendance": "25",
        "notes": "We have a room for 30.",
        **overrides,
    }


@pytest.fixture
def alice_request(alice_liaison: Any, alice_library: Any) -> EngagementRequest:
    return EngagementRequestFactory.create(
        requester=alice_liaison, organization_id=alice_library.pk
    )


def test_a_request_from_colorado_reaches_the_specialist_of_colorados_region(
    signed_in: Any,
    audit_log: Any,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    cora = specialist_make(region_code="region-4", email="cora@example.org", language="es")
    specialist_make(region_code="region-6", email="ivan@example.org")
    dana = UserFactory.create(
        email="dana@example.org", full_name="Dana Denver", roles=[Role.LIAISON]
    )
    denver = organization_make(zip_code="80202", liaison=dana, name="Denver Branch Library")

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(dana).post("/engagement/requests/new/", request_form(denver))

    found = EngagementRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/engagement/requests/{found.pk}/"
    assert (found.state_code, found.region_code, found.specialist) == ("CO", "region-4", cora)
    assert found.status == EngagementRequest.Status.NEW
    (message,) = mail.outbox
    assert message.to == ["cora@example.org"]
    assert message.subject == "Nueva solicitud de programa: Alfabetización en salud (CO)"
    assert f"/engagement/requests/{found.pk}/" in message.body
    assert [row[0] for row in audit_log()] == ["engagement.request_create"]


def test_library_staff_without_an_organization_name_their_state(
    bob_client: Client, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    specialist_make(region_code="region-4", email="cora@example.org")

    with django_capture_on_commit_callbacks(execute=True):
        response = bob_client.post("/engagement/requests/new/", request_form(state_code="CO"))

    found = EngagementRequest.objects.get()
    assert response.status_code == 302
    assert (found.organization_id, found.region_code) == (None, "region-4")
    assert [message.to for message in mail.outbox] == [["cora@example.org"]]


def test_bad_dates_and_attendance_are_refused_with_nothing_saved(
    alice_client: Client, alice_library: Any
) -> None:
    today = timezone.localdate()
    response = alice_client.post(
        "/engagement/requests/new/",
        request_form(
            alice_library,
            preferred_date_1=today.isoformat(),
            expected_attendance="zero",
        ),
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert "Choose a date after today." in page
    assert "Enter a whole number." in page
    assert not EngagementRequest.objects.exists()


def test_a_liaison_cannot_ask_for_another_organization(
    alice_client: Client, alice_library: Any
) -> None:
    other = organization_make(zip_code="80202")

    response = alice_client.post("/engagement/requests/new/", request_form(other))

    assert response.status_code == 400
    assert not EngagementRequest.objects.exists()


def test_messages_email_the_other_side_in_their_language(
    alice_client: Client,
    staff_signed_in: Any,
    sam_specialist: Any,
    alice_request: EngagementRequest,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    sam = sam_specialist
    alice_request.specialist = sam
    alice_request.save()
    lucia = UserFactory.create(email="lucia@example.org", preferred_language="es")
    spanish = EngagementRequestFactory.create(requester=lucia, specialist=sam)
    sam_client = staff_signed_in(sam)

    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(
            f"/engagement/requests/{alice_request.pk}/message/", {"body": "Could we do May?"}
        )
        sam_client.post(
            f"/engagement/requests/{spanish.pk}/message/", {"body": "Sí, el 3 de mayo."}
        )

    to_sam, to_lucia = mail.outbox
    assert to_sam.to == ["sam@example.org"]
    assert to_sam.subject == "New message on the engagement request: Health literacy"
    assert "Alice Liaison wrote:" in to_sam.body and "Could we do May?" in to_sam.body
    assert f"/engagement/requests/{alice_request.pk}/" in to_sam.body
    assert to_lucia.to == ["lucia@example.org"]
    assert to_lucia.subject == "Nuevo mensaje en la solicitud de programa: Alfabetización en salud"
    assert "Sí, el 3 de mayo." in to_lucia.body
    assert list(RequestMessage.objects.values_list("body", flat=True)) == [
        "Could we do May?",
        "Sí, el 3 de mayo.",
    ]


def test_the_specialist_moves_it_along_with_milestones_and_the_requester_is_told(
    sam_client: Client,
    alice_request: EngagementRequest,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        sam_client.post(
            f"/engagement/requests/{alice_request.pk}/status/",
            {"status": "in_discussion", "note": "Call on Monday"},
        )
    sam_client.post(
        f"/engagement/requests/{alice_request.pk}/milestone/",
        {"on": "2026-12-07", "note": "Room booked"},
    )
    skipped = sam_client.post(
        f"/engagement/requests/{alice_request.pk}/status/", {"status": "completed"}
    )

    alice_request.refresh_from_db()
    assert alice_request.status == EngagementRequest.Status.IN_DISCUSSION
    assert skipped.status_code == 400
    assert [(milestone.status, milestone.note) for milestone in alice_request.milestones.all()] == [
        ("in_discussion", "Call on Monday"),
        ("", "Room booked"),
    ]
    (message,) = mail.outbox
    assert message.to == ["alice@example.org"]
    assert message.subject == "Your engagement request is now: In discussion"
    assert "Call on Monday" in message.body


def test_conversion_prefills_the_event_form_and_links_both_ways(
    sam_client: Client, alice_request: EngagementRequest, alice_library: Any, audit_log: Any
) -> None:
    form = sam_client.get(f"/engagement/requests/{alice_request.pk}/convert/")
    day = alice_request.preferred_date_1.isoformat()

    response = sam_client.post(
        f"/engagement/requests/{alice_request.pk}/convert/",
        {
            "title": "Health literacy for Older adults",
            "description": "Planned with the library.",
            "focus_area": "health_literacy",
            "audience": "Older adults",
            "language": "en",
            "format": "in_person",
            "organization_id": str(alice_library.pk),
            "capacity": "25",
            "starts_at": f"{day}T18:00",
            "ends_at": f"{day}T19:30",
            "time_zone": "America/Chicago",
        },
    )

    alice_request.refresh_from_db()
    event = Event.objects.get()
    assert 'value="Health literacy for Older adults"' in form.content.decode()  # in English
    assert 'value="America/Chicago" selected' in form.content.decode()
    assert response.status_code == 302
    assert alice_request.event == event
    assert alice_request.status == EngagementRequest.Status.PLANNED
    assert event.organization_id == alice_library.pk and event.status == Event.Status.DRAFT
    assert [row[0] for row in audit_log()] == [
        "engagement.event_create",
        "engagement.request_convert",
    ]
    detail = sam_client.get(f"/engagement/requests/{alice_request.pk}/").content.decode()
    assert f"/engagement/events/{event.pk}/registrants/" in detail


def test_scope_requester_specialist_of_region_and_program_staff_see_it(
    alice_client: Client,
    sam_client: Client,
    paula_client: Client,
    olga_client: Client,
    bob_client: Client,
    visitor: Client,
    alice_request: EngagementRequest,
) -> None:
    url = f"/engagement/requests/{alice_request.pk}/"

    assert [
        alice_client.get(url).status_code,
        sam_client.get(url).status_code,
        paula_client.get(url).status_code,
        olga_client.get(url).status_code,
        bob_client.get(url).status_code,
    ] == [200, 200, 200, 404, 404]
    assert visitor.get(url).status_code == 302
    assert "Older adults" not in olga_client.get("/engagement/requests/").content.decode()


def test_others_change_nothing(
    olga_client: Client,
    bob_client: Client,
    alice_client: Client,
    alice_request: EngagementRequest,
    audit_log: Any,
) -> None:
    answers = [
        olga_client.post(
            f"/engagement/requests/{alice_request.pk}/status/", {"status": "declined"}
        ).status_code,
        olga_client.post(
            f"/engagement/requests/{alice_request.pk}/message/", {"body": "Hello"}
        ).status_code,
        bob_client.post(
            f"/engagement/requests/{alice_request.pk}/milestone/",
            {"on": "2026-12-01", "note": "x"},
        ).status_code,
        # The requester talks, but does not move her own request along or convert it.
        alice_client.post(
            f"/engagement/requests/{alice_request.pk}/status/", {"status": "planned"}
        ).status_code,
        alice_client.get(f"/engagement/requests/{alice_request.pk}/convert/").status_code,
    ]

    alice_request.refresh_from_db()
    assert answers == [404, 404, 404, 404, 404]
    assert alice_request.status == EngagementRequest.Status.NEW
    assert not alice_request.messages.exists() and not alice_request.milestones.exists()
    assert audit_log() == []
    assert mail.outbox == []


def test_a_visitor_changes_nothing(
    visitor: Client, alice_request: EngagementRequest, audit_log: Any
) -> None:
    answers = [
        visitor.post(f"/engagement/requests/{alice_request.pk}/message/", {"body": "Hi"}),
        visitor.post(f"/engagement/requests/{alice_request.pk}/status/", {"status": "declined"}),
        visitor.post("/engagement/requests/new/", request_form(state_code="CO")),
    ]

    alice_request.refresh_from_db()
    assert [answer.status_code for answer in answers] == [302, 302, 302]
    assert alice_request.status == EngagementRequest.Status.NEW
    assert EngagementRequest.objects.count() == 1
    assert not alice_request.messages.exists()
    assert audit_log() == []
