"""iCalendar files for events: one `.ics` per event and a feed per organization and region.

Built with the `icalendar` library. Each event is written in its own IANA time zone with the
matching VTIMEZONE, so a calendar client shows it at the right hour wherever the reader is. A
calendar never carries who registered: no ATTENDEE (or ORGANIZER email) lines, only what the
public event page shows.
"""

import datetime
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar
from icalendar import Event as CalendarEvent

from tapestry.engagement.models import Event

PRODUCT_ID = "-//Tapestry//Community engagement events//EN"


def _location(event: Event) -> str:
    if not event.is_in_person:
        return str(event.virtual_link)
    parts = [
        event.venue_name,
        event.address_line1,
        event.city,
        f"{event.state_code} {event.zip_code}",
    ]
    return ", ".join(part.strip() for part in parts if part.strip())


def _component(event: Event, *, site_url: str) -> CalendarEvent:
    zone = ZoneInfo(event.time_zone)
    url = f"{site_url}{reverse('engagement:event_detail', args=[event.pk])}"
    component = CalendarEvent()
    component.add("uid", f"event-{event.pk}@{site_url.split('://')[-1]}")
    component.add("dtstamp", event.updated_at.astimezone(datetime.UTC))
    component.add("last-modified", event.updated_at.astimezone(datetime.UTC))
    component.add("dtstart", event.starts_at.astimezone(zone))
    component.add("dtend", event.ends_at.astimezone(zone))
    component.add("summary", event.title)
    description = event.description
    if event.accessibility_notes:
        description += f"\n\n{event.accessibility_notes}"
    component.add("description", f"{description}\n\n{url}")
    component.add("url", url)
    location = _location(event)
    if location:
        component.add("location", location)
    if event.latitude is not None and event.longitude is not None and event.is_in_person:
        component.add("geo", (event.latitude, event.longitude))
    cancelled = event.status == Event.Status.CANCELLED
    component.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    # A client replaces its copy when the sequence grows: count the changes by the clock.
    component.add("sequence", int(event.updated_at.timestamp()) - int(event.created_at.timestamp()))
    return component


def calendar_build(events: Iterable[Event], *, name: str) -> bytes:
    """An iCalendar document of these events, with a VTIMEZONE for each zone they use."""
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    site_url = settings.SITE_URL.rstrip("/")
    for event in events:
        calendar.add_component(_component(event, site_url=site_url))
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())


def feed_window_start(now: datetime.datetime | None = None) -> datetime.datetime:
    """A feed carries events that ended within ENGAGEMENT_FEED_PAST_DAYS, and all later ones."""
    return (now or timezone.now()) - datetime.timedelta(days=settings.ENGAGEMENT_FEED_PAST_DAYS)
