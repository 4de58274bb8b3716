"""The events demo (`engagement_seed_demo`'s events part) and the events admin."""

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tapestry.accounts.api import Role
from tapestry.accounts.tests.factories import UserFactory
from tapestry.engagement.demo import DEMO_DAYS, demo_events_seed, state_time_zones
from tapestry.engagement.models import Event, Registration
from tapestry.engagement.tests.factories import EventFactory, RegistrationFactory, organization_make

pytestmark = pytest.mark.django_db


def test_the_demo_holds_events_past_and_upcoming_in_both_languages_in_every_region_with_members() -> (
    None
):
    liaison = UserFactory.create(roles=[Role.LIAISON])
    specialist = UserFactory.create(roles=[Role.ENGAGEMENT_SPECIALIST])
    organization_make(zip_code="60601", liaison=liaison)  # region-6
    organization_make(zip_code="10001")
    organization_make(zip_code="35203")

    lines = demo_events_seed(liaison_id=liaison.pk, specialist_id=specialist.pk)
    again = demo_events_seed(liaison_id=liaison.pk, specialist_id=specialist.pk)

    events = Event.objects.all()
    regions_with_events = set(events.values_list("region_code", flat=True))
    assert len(regions_with_events) == 3
    assert events.count() == 3 * len(DEMO_DAYS) + 3
    assert set(events.values_list("language", flat=True)) == {"en", "es"}
    assert events.filter(organizer=liaison).count() == 3
    assert Registration.objects.filter(status="waitlisted").exists()
    # Attendance only at past events.
    attended_at = set(
        Registration.objects.filter(attended=True).values_list("event__starts_at", flat=True)
    )
    assert attended_at
    assert max(attended_at) < timezone.now()
    assert lines[0].startswith(f"Events: {events.count()} across")
    assert again == [f"Events already there: {events.count()}."]


def test_every_state_has_a_time_zone_the_event_form_offers() -> None:
    from tapestry.engagement.forms.events import event_time_zones

    offered = {choice.zone for choice in event_time_zones()}
    assert set(state_time_zones().values()) <= offered
    assert len(state_time_zones()) == 56


def test_the_admin_lists_and_shows_events(admin_signed_in: Client) -> None:
    event = EventFactory.create(title="Admin view")
    RegistrationFactory.create(event=event, name="Zoe Quinn")

    listing = admin_signed_in.get("/admin/engagement/event/")
    page = admin_signed_in.get(f"/admin/engagement/event/{event.pk}/change/")

    assert listing.status_code == 200
    assert "Admin view" in listing.content.decode()
    assert page.status_code == 200
    assert "Zoe Quinn" in page.content.decode()


def test_people_who_are_not_administrators_cannot_open_the_admin(alice_client: Any) -> None:
    event = EventFactory.create()

    response = alice_client.get(f"/admin/engagement/event/{event.pk}/change/")

    assert response.status_code == 302
