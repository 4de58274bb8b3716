"""Community engagement's reads, one block per part."""

import calendar
import datetime
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import (
    Count,
    F,
    Prefetch,
    Q,
    QuerySet,
    Sum,
)
from django.utils import timezone

from tapestry.accounts.api import Role, user_has_role
from tapestry.core.api import PageFacts
from tapestry.core.geography import (
    ZipPlace,
    bounding_box,
    distance_miles,
    unit_vector,
    within_radius_dot,
)
from tapestry.engagement import kit_calendar
from tapestry.engagement.models import (
    ActivityReport,
    EngagementRequest,
    Event,
    Kit,
    KitReservation,
    Registration,
)
from tapestry.engagement.permissions import kit_organizations_of, kit_reservations_in_scope
from tapestry.engagement.services import (
    activity_report_scope,
    engagement_request_scope,
    event_scope,
)
from tapestry.network.api import (
    organizations_of_liaison,
    region_codes_of_specialist,
)

# --- Events ---


@dataclass(frozen=True)
class EventFilters:
    """Validated finder filters (see forms.EventFinderForm)."""

    near: ZipPlace | None = None
    radius_miles: int = 25
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    focus_area: str = ""
    language: str = ""
    format: str = ""


@dataclass
class EventPage(PageFacts):
    events: list[Event]
    page_obj: Page[int]
    near: ZipPlace | None = None


# Any day is a valid bound; these keep the arithmetic and the database's timestamps in range
# (no event is held before the first or after the last anyway).
FIRST_DAY = datetime.date(1900, 1, 1)
LAST_DAY = datetime.date(9000, 12, 31)


def _day_start(day: datetime.date) -> datetime.datetime:
    day = min(max(day, FIRST_DAY), LAST_DAY)
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_current_timezone())


def event_search(
    *,
    filters: EventFilters,
    page: int = 1,
    page_size: int | None = None,
    now: datetime.datetime | None = None,
) -> EventPage:
    """One page of the public finder: published events not yet over, soonest first.

    With `near`, only events with a place within the radius: the bounding box narrows the
    candidates on the location index, the dot product of unit vectors keeps those truly within
    the radius, the database orders and pages over ids, and only the page's rows are loaded
    and given an exact distance. Dates are whole days, `date_to` included (a range that ends before it starts finds
    nothing).
    """
    page_size = page_size or settings.ENGAGEMENT_EVENTS_PAGE_SIZE
    now = now or timezone.now()
    events = Event.objects.filter(status=Event.Status.PUBLISHED, ends_at__gt=now)
    if filters.date_from:
        events = events.filter(ends_at__gte=_day_start(filters.date_from))
    if filters.date_to:
        events = events.filter(
            starts_at__lt=_day_start(filters.date_to + datetime.timedelta(days=1))
        )
    if filters.focus_area:
        events = events.filter(focus_area=filters.focus_area)
    if filters.language:
        events = events.filter(language=filters.language)
    if filters.format:
        events = events.filter(format=filters.format)
    origin = filters.near
    if origin is not None:
        min_lat, max_lat, min_lon, max_lon = bounding_box(
            origin.latitude, origin.longitude, filters.radius_miles
        )
        x, y, z = unit_vector(origin.latitude, origin.longitude)
        events = (
            events.filter(latitude__range=(min_lat, max_lat), longitude__range=(min_lon, max_lon))
            .alias(closeness=F("location_x") * x + F("location_y") * y + F("location_z") * z)
            .filter(closeness__gte=within_radius_dot(filters.radius_miles))
        )
    ordered = events.order_by("starts_at", "pk")
    page_obj = Paginator(ordered.values_list("pk", flat=True), page_size).get_page(page)
    page_ids = list(page_obj.object_list)
    by_pk = Event.objects.in_bulk(page_ids)
    page_events = [by_pk[pk] for pk in page_ids]
    located = [
        event for event in page_events if event.latitude is not None and event.longitude is not None
    ]
    if origin is not None and located:
        miles = distance_miles(
            origin.latitude,
            origin.longitude,
            [float(event.latitude or 0.0) for event in located],
            [float(event.longitude or 0.0) for event in located],
        )
        for event, distance in zip(located, miles.tolist(), strict=True):
            event.distance_miles = round(distance, 1)
    return EventPage(page_events, page_obj, near=origin)


def event_public_get(*, event_id: int) -> Event | None:
    """A published or cancelled event as anyone may see it (drafts are their organizers')."""
    return (
        Event.objects.filter(pk=event_id)
        .exclude(status=Event.Status.DRAFT)
        .annotate(
            seats_taken=Count(
                "registrations", filter=Q(registrations__status=Registration.Status.CONFIRMED)
            )
        )
        .first()
    )


def events_manageable(*, user: Any) -> QuerySet[Event]:
    """The events this person organizes (see services.event_scope), with their counts."""
    return (
        Event.objects.filter(event_scope(user))
        .annotate(
            seats_taken=Count(
                "registrations", filter=Q(registrations__status=Registration.Status.CONFIRMED)
            ),
            waitlisted=Count(
                "registrations", filter=Q(registrations__status=Registration.Status.WAITLISTED)
            ),
            attended=Count("registrations", filter=Q(registrations__attended=True)),
        )
        .order_by("-starts_at", "pk")
    )


def event_manageable_get(*, user: Any, event_id: int) -> Event | None:
    return events_manageable(user=user).filter(pk=event_id).first()


def registrants_of(*, event: Event, q: str = "") -> QuerySet[Registration]:
    """An event's registrations, for its organizers only (the caller fetched `event` through
    event_manageable_get): seated first, then the waitlist in order, then the rest."""
    registrations = event.registrations.all()
    if q:
        registrations = registrations.filter(Q(name__icontains=q) | Q(email__icontains=q))
    return registrations.order_by("status", "confirmed_at", "name", "pk")


def registration_counts(*, event: Event) -> dict[str, int]:
    """Registrations by status and attendance (kept after the names are erased)."""
    counts = dict(event.registrations.values_list("status").annotate(count=Count("pk")).order_by())
    return {
        **{status: counts.get(status, 0) for status in Registration.Status.values},
        "attended": event.registrations.filter(attended=True).count(),
    }


def events_of_organization(*, organization_id: int) -> QuerySet[Event]:
    """The published and cancelled events of one member organization, for its feed."""
    return (
        Event.objects.filter(organization_id=organization_id)
        .exclude(status=Event.Status.DRAFT)
        .order_by("starts_at", "pk")
    )


def events_of_region(*, region_code: str) -> QuerySet[Event]:
    """The published and cancelled events of one region, for its feed."""
    return (
        Event.objects.filter(region_code=region_code)
        .exclude(status=Event.Status.DRAFT)
        .order_by("starts_at", "pk")
    )


def event_attendance(*, event_id: int) -> list[tuple[str, str, int]]:
    """Who came to an event, as the activity report counts them: (ZIP code, role, attendees),
    by ZIP code then role ("" where the registrant gave none). Kept after the names and emails
    are erased, so a report can be pre-filled from it at any time."""
    return list(
        Registration.objects.filter(event_id=event_id, attended=True)
        .values_list("zip_code", "role")
        .annotate(count=Count("pk"))
        .order_by("zip_code", "role")
    )


# --- Program kits ---


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


# --- Activity reports ---


def _with_totals(reports: QuerySet[ActivityReport]) -> QuerySet[ActivityReport]:
    return reports.annotate(total_participants=Sum("rows__participants"), row_count=Count("rows"))


def reports_of_author(*, user: Any, page: int = 1) -> Page:
    """The reports this person wrote or that their organizations hold, newest activity first."""
    organizations = organizations_of_liaison(user_id=user.pk)
    reports = ActivityReport.objects.filter(
        Q(author_id=user.pk) | Q(organization_id__in=organizations)
    ).order_by("-activity_date", "-pk")
    return Paginator(_with_totals(reports), settings.ENGAGEMENT_REPORTS_PAGE_SIZE).get_page(page)


def report_review_queue(*, user: Any, page: int = 1) -> Page:
    """The reports waiting for this specialist: submitted or resubmitted, in their regions,
    oldest submission first. Nobody else has a queue (empty)."""
    regions_covered = (
        region_codes_of_specialist(user_id=user.pk)
        if user_has_role(user, Role.ENGAGEMENT_SPECIALIST)
        else []
    )
    reports = ActivityReport.objects.filter(
        region_code__in=regions_covered,
        status__in=[ActivityReport.Status.SUBMITTED, ActivityReport.Status.RESUBMITTED],
    ).order_by("submitted_at", "pk")
    return Paginator(_with_totals(reports), settings.ENGAGEMENT_REPORTS_PAGE_SIZE).get_page(page)


def report_visible_get(*, user: Any, report_id: int) -> ActivityReport | None:
    """One report, if this person may read it (services.activity_report_scope)."""
    return (
        _with_totals(ActivityReport.objects.filter(activity_report_scope(user), pk=report_id))
        .select_related("event", "author", "reviewer")
        .first()
    )


# --- Engagement requests ---


def requests_visible(*, user: Any) -> QuerySet[EngagementRequest]:
    """The requests this person may see, open ones first, newest first."""
    return (
        EngagementRequest.objects.filter(engagement_request_scope(user))
        .select_related("requester", "specialist", "event")
        .order_by("-created_at", "-pk")
    )


def request_visible_get(*, user: Any, request_id: int) -> EngagementRequest | None:
    return requests_visible(user=user).filter(pk=request_id).first()
