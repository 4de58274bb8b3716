"""Business days and hours: weekdays that are not U.S. federal holidays (the `holidays`
library's calendar, observed days included) and not a library's own closures. A lender's time
to answer ends at midnight after its last business day; turnaround counts only the hours of
business days between SHARING_BUSINESS_HOURS, in the network's time zone."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings


@cache
def _federal_holidays() -> holidays.HolidayBase:
    # Years are filled in on demand as dates are looked up.
    return holidays.country_holidays("US")


def network_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


@dataclass(frozen=True)
class Closed:
    """Days a library is closed: from `starts_on` to `ends_on` (None: until it reopens)."""

    starts_on: datetime.date
    ends_on: datetime.date | None


def is_business_day(day: datetime.date, closures: Iterable[Closed] = ()) -> bool:
    if day.weekday() >= 5 or day in _federal_holidays():
        return False
    return not any(
        closed.starts_on <= day and (closed.ends_on is None or day <= closed.ends_on)
        for closed in closures
    )


def answer_due(
    asked_at: datetime.datetime, business_days: int, closures: Iterable[Closed] = ()
) -> datetime.datetime:
    """When an answer is due: midnight (network time) after the `business_days`-th business
    day following the day it was asked."""
    closures = tuple(closures)
    day = asked_at.astimezone(network_zone()).date()
    counted = 0
    # A library closed without an end never comes due here: routing skips it before asking.
    for _step in range(366):
        day += datetime.timedelta(days=1)
        if is_business_day(day, closures):
            counted += 1
            if counted == business_days:
                break
    next_midnight = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time())
    return next_midnight.replace(tzinfo=network_zone())


def business_hours_between(start: datetime.datetime, end: datetime.datetime) -> float:
    """Hours between two moments that fall inside business hours of business days."""
    if end <= start:
        return 0.0
    zone = network_zone()
    opens, closes = settings.SHARING_BUSINESS_HOURS
    start, end = start.astimezone(zone), end.astimezone(zone)
    total = 0.0
    day = start.date()
    while day <= end.date():
        if is_business_day(day):
            window_start = datetime.datetime.combine(day, datetime.time(opens), tzinfo=zone)
            window_end = datetime.datetime.combine(day, datetime.time(closes), tzinfo=zone)
            overlap = (min(end, window_end) - max(start, window_start)).total_seconds()
            total += max(overlap, 0.0)
        day += datetime.timedelta(days=1)
    return total / 3600
