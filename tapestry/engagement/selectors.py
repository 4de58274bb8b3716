"""Community engagement's reads, one block per part."""

# --- Program kits ---

import calendar
import datetime
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet

from tapestry.engagement import kit_calendar
from tapestry.engagement.models import Kit, KitReservation
from tapestry.engagement.permissions import kit_organizations_of, kit_reservations_in_scope


def kits_catalog(
    *, query: str = "", topic: str = "", language: str = "", include_inactive: bool = False
) -> QuerySet[Kit]:
    """The kits people may borrow, filtered by words (in either language), topic and language
    offered; by name."""
    kits = Kit.objects.all() if include_inactive else Kit.objects.filter(active=True)
    if query:
        for word in query.split():
            kits = kits.filter(
                Q(name__icontains=word)
                | Q(name_es__icontains=word)
                | Q(description__icontains=word)
                | Q(description_es__icontains=word)
            )
    if topic:
        kits = kits.filter(topic_tags__topic=topic)
    if language:
        kits = kits.filter(language_tags__language=language)
    return (
        kits.prefetch_related("topic_tags", "language_tags", "photos")
        .distinct()
        .order_by("name", "pk")
    )


def kit_get(*, slug: str) -> Kit | None:
    """An active kit with its checklist, photos and tags, or None."""
    return (
        Kit.objects.filter(slug=slug, active=True)
        .prefetch_related("items", "photos", "topic_tags", "language_tags")
        .first()
    )


@dataclass(frozen=True)
class CalendarDay:
    day: datetime.date
    state: str  # kit_calendar.DayState


@dataclass(frozen=True)
class CalendarMonth:
    first: datetime.date
    weeks: list[list[CalendarDay | None]]  # Monday first; None outside the month


@dataclass(frozen=True)
class BusyRange:
    first_day: datetime.date
    due_date: datetime.date
    last_day: datetime.date  # inclusive


def kit_busy_ranges(*, kit_id: int, since: datetime.date) -> list[BusyRange]:
    """The kit's loans that hold days from `since` on (no borrower named: the page is public)."""
    return [
        BusyRange(first_day=start, due_date=due, last_day=until - kit_calendar.DAY)
        for start, due, until in KitReservation.objects.filter(
            kit_id=kit_id, status__in=KitReservation.HOLDING, blocked_until__gt=since
        )
        .order_by("blocked_from")
        .values_list("blocked_from", "due_date", "blocked_until")
    ]


def kit_calendar_months(
    *, kit_id: int, today: datetime.date, months: int | None = None
) -> list[CalendarMonth]:
    """The availability calendar: this month and the next ones, each day free, on loan,
    returning (transit and turnaround) or past."""
    months = months or settings.ENGAGEMENT_KIT_CALENDAR_MONTHS
    first = today.replace(day=1)
    year, month = first.year, first.month
    for _step in range(months - 1):
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    last = datetime.date(year, month, calendar.monthrange(year, month)[1])
    loans = [
        (busy.first_day, busy.due_date, busy.last_day + kit_calendar.DAY)
        for busy in kit_busy_ranges(kit_id=kit_id, since=first)
    ]
    states = kit_calendar.day_states(first=first, last=last, loans=loans, today=today)
    result = []
    year, month = first.year, first.month
    for _step in range(months):
        weeks = [
            [
                CalendarDay(day=day, state=states[day]) if day.month == month else None
                for day in week
            ]
            for week in calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
        ]
        result.append(CalendarMonth(first=datetime.date(year, month, 1), weeks=weeks))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return result


def kit_next_free_ship_date(
    *, kit_id: int, today: datetime.date, wanted: datetime.date | None = None
) -> datetime.date | None:
    busy = KitReservation.objects.filter(
        kit_id=kit_id, status__in=KitReservation.HOLDING
    ).values_list("blocked_from", "blocked_until")
    return kit_calendar.next_free_ship_date(wanted=wanted or today, busy=list(busy), today=today)


def kit_reservations_of_liaison(*, user: Any) -> QuerySet[KitReservation]:
    """The reservations of the organizations this person is the liaison of, newest ship date
    first."""
    return (
        KitReservation.objects.filter(organization_id__in=kit_organizations_of(user))
        .select_related("kit")
        .order_by("-ship_date", "-pk")
    )


def kit_reservations_queue(*, user: Any, status: str = "") -> QuerySet[KitReservation]:
    """The desk's queue for this person (a specialist: their regions; program staff: all), by
    ship date."""
    rows = KitReservation.objects.filter(kit_reservations_in_scope(user))
    if status:
        rows = rows.filter(status=status)
    return rows.select_related("kit", "requested_by").order_by("ship_date", "pk")


def kit_reservation_for_desk(*, user: Any, reservation_id: int) -> KitReservation | None:
    return (
        KitReservation.objects.filter(kit_reservations_in_scope(user), pk=reservation_id)
        .select_related("kit", "requested_by")
        .prefetch_related(Prefetch("kit__items"), "return_items__item")
        .first()
    )


def kits_held() -> QuerySet[Kit]:
    return Kit.objects.filter(held=True).order_by("held_since", "name")
