"""The program kits' calendar rules (ADR 0021), as plain date arithmetic.

A reservation is a ship date S. The borrower mails the kit back on the due date
D = S + loan days; the return takes transit days and the desk needs turnaround days to check
and restock it. The kit is busy for this loan on [S, D + transit + turnaround): the next ship
date may be that end day at the earliest. Reservations are made between the minimum and the
maximum lead days ahead of today. Every number comes from settings.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings

DAY = datetime.timedelta(days=1)


@dataclass(frozen=True)
class LoanDates:
    ship_date: datetime.date
    due_date: datetime.date
    # Back at the desk (due date + transit): the day the turnaround starts.
    back_on: datetime.date
    blocked_from: datetime.date
    blocked_until: datetime.date  # exclusive: the first day another loan may ship


def loan_dates(ship_date: datetime.date) -> LoanDates:
    due = ship_date + datetime.timedelta(days=settings.ENGAGEMENT_KIT_LOAN_DAYS)
    back = due + datetime.timedelta(days=settings.ENGAGEMENT_KIT_TRANSIT_DAYS)
    return LoanDates(
        ship_date=ship_date,
        due_date=due,
        back_on=back,
        blocked_from=ship_date,
        blocked_until=back + datetime.timedelta(days=settings.ENGAGEMENT_KIT_TURNAROUND_DAYS),
    )


def earliest_ship_date(today: datetime.date) -> datetime.date:
    return today + datetime.timedelta(days=settings.ENGAGEMENT_KIT_MIN_LEAD_DAYS)


def latest_ship_date(today: datetime.date) -> datetime.date:
    return today + datetime.timedelta(days=settings.ENGAGEMENT_KIT_MAX_LEAD_DAYS)


def overlaps(
    first: tuple[datetime.date, datetime.date], second: tuple[datetime.date, datetime.date]
) -> bool:
    """Whether two half-open ranges [from, until) share a day."""
    return first[0] < second[1] and second[0] < first[1]


def next_free_ship_date(
    *,
    wanted: datetime.date,
    busy: Iterable[tuple[datetime.date, datetime.date]],
    today: datetime.date,
) -> datetime.date | None:
    """The first ship date on or after `wanted` (and not before the earliest allowed) whose
    loan overlaps none of the `busy` ranges, or None if there is none within the lead time."""
    candidate = max(wanted, earliest_ship_date(today))
    span = loan_dates(candidate).blocked_until - candidate
    for start, until in sorted(busy):
        if until > candidate and start < candidate + span:
            candidate = until
    return candidate if candidate <= latest_ship_date(today) else None


class DayState:
    FREE = "free"
    ON_LOAN = "on_loan"  # ship date to due date
    RETURNING = "returning"  # return transit and the desk's turnaround
    PAST = "past"


def day_states(
    *,
    first: datetime.date,
    last: datetime.date,
    loans: Iterable[tuple[datetime.date, datetime.date, datetime.date]],
    today: datetime.date,
) -> dict[datetime.date, str]:
    """Each day from `first` to `last` (inclusive): on loan, returning (transit and
    turnaround), past or free. `loans` are (blocked_from, due_date, blocked_until)."""
    states: dict[datetime.date, str] = {}
    day = first
    while day <= last:
        states[day] = DayState.PAST if day < today else DayState.FREE
        day += DAY
    for start, due, until in loans:
        day = max(start, first)
        while day < until and day <= last:
            if day >= today:
                states[day] = DayState.ON_LOAN if day < due else DayState.RETURNING
            day += DAY
    return states
