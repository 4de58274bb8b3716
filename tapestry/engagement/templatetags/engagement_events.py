"""`{% event_when event %}`: an event's date and times in its own time zone, in the reader's
language ("Tuesday, March 3, 2026, 6:00 p.m. to 7:30 p.m. (Central time)")."""

import datetime
from zoneinfo import ZoneInfo

from django import template
from django.utils import formats
from django.utils.translation import get_language

from tapestry.engagement.forms.events import event_time_zones
from tapestry.engagement.models import Event

register = template.Library()


def _zone_label(zone: str) -> str:
    for choice in event_time_zones():
        if choice.zone == zone:
            return choice.label(get_language())
    return zone


def _day(moment: datetime.datetime) -> str:
    return f"{formats.date_format(moment, 'l')}, {formats.date_format(moment, 'DATE_FORMAT')}"


@register.simple_tag
def event_when(event: Event) -> str:
    zone = ZoneInfo(event.time_zone)
    starts: datetime.datetime = event.starts_at.astimezone(zone)
    ends: datetime.datetime = event.ends_at.astimezone(zone)
    day = _day(starts)
    start_time = formats.time_format(starts, "TIME_FORMAT")
    if ends.date() == starts.date():
        end = formats.time_format(ends, "TIME_FORMAT")
    else:
        end = f"{_day(ends)}, {formats.time_format(ends, 'TIME_FORMAT')}"
    return f"{day}, {start_time} – {end} ({_zone_label(event.time_zone)})"


@register.simple_tag
def event_date(event: Event) -> str:
    """The day only, in the event's time zone (for lists)."""
    return formats.date_format(event.starts_at.astimezone(ZoneInfo(event.time_zone)), "DATE_FORMAT")
