"""The outreach dashboard's figures: what community engagement reached, by region, state or
month, within the caller's scope.

Five figure families, each one GROUP BY query the database answers (no loop over rows):

- events held: published (never cancelled) events that have ended, by the month they started,
  and those in Spanish;
- attendees: registrations checked in at those events (kept when the registrants' names and
  emails are erased), and those at Spanish-language events;
- activity-report participants: the sum of the rows of ACCEPTED reports (drafts, submitted and
  returned reports count nothing), by the activity's date, and those from rural ZIP codes: on
  the FORHP list in force on the activity's date (`tapestry.research.api.rural_zip_lists`);
- kits lent: reservations shipped in the period (shipped, or shipped and returned since);
- requests handled: engagement requests planned or completed, dated by the program they led to
  (the converted event's start, else the first preferred date).

Each query groups by region code, state code (where the row has one), organization and month;
the groups (at most organizations × months, never rows) are then folded into the grouping the
reader chose. A row's state is the event's or request's own state, else its organization's
(network.api).

Scope (`outreach_scope`), deny by default: program staff and administrators see everything;
engagement specialists their regions; liaisons their own organizations; anyone else nothing
(None: the page answers 403).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, DateField, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncDate, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tapestry.accounts.api import Role, user_has_role
from tapestry.engagement.models import (
    ActivityReport,
    ActivityReportRow,
    EngagementRequest,
    Event,
    KitReservation,
    Registration,
)
from tapestry.network.api import (
    organizations_get,
    organizations_of_liaison,
    region_codes_of_specialist,
)
from tapestry.research.api import rural_zip_lists

GROUPINGS = ("region", "state", "month")

# (key, label): the figures in the order the page, the charts and the CSV show them.
FIGURES: tuple[tuple[str, Any], ...] = (
    ("events", _("Events held")),
    ("events_es", _("Spanish-language events")),
    ("attendees", _("Attendees")),
    ("attendees_es", _("Attendees at Spanish-language events")),
    ("participants", _("Activity-report participants")),
    ("participants_rural", _("Participants from rural ZIP codes")),
    ("kits", _("Kits lent")),
    ("requests", _("Requests handled")),
)
FIGURE_KEYS = tuple(key for key, _label in FIGURES)


@dataclass(frozen=True)
class OutreachScope:
    """What a person may count: everything, or the union of some regions and organizations."""

    everyone: bool = False
    region_codes: tuple[str, ...] = ()
    organization_ids: tuple[int, ...] = ()

    def q(self, prefix: str = "") -> Q:
        """The scope as a filter on a model with `region_code` and `organization_id` (through
        `prefix`, e.g. "event__")."""
        if self.everyone:
            return Q()
        scope = Q(pk__in=[])
        if self.region_codes:
            scope |= Q(**{f"{prefix}region_code__in": list(self.region_codes)})
        if self.organization_ids:
            scope |= Q(**{f"{prefix}organization_id__in": list(self.organization_ids)})
        return scope


def outreach_scope(user: Any) -> OutreachScope | None:
    """The figures this person may see, or None if none (deny by default)."""
    if not getattr(user, "is_authenticated", False):
        return None
    if user_has_role(user, Role.PROGRAM_STAFF, Role.ADMINISTRATOR):
        return OutreachScope(everyone=True)
    regions: list[str] = []
    organizations: list[int] = []
    if user_has_role(user, Role.ENGAGEMENT_SPECIALIST):
        regions = region_codes_of_specialist(user_id=user.pk)
    if user_has_role(user, Role.LIAISON):
        organizations = organizations_of_liaison(user_id=user.pk)
    if not regions and not organizations:
        return None
    return OutreachScope(region_codes=tuple(regions), organization_ids=tuple(organizations))


@dataclass(frozen=True)
class OutreachFilters:
    """Validated filters (forms.outreach.OutreachFilterForm): whole days, both included."""

    date_from: datetime.date
    date_to: datetime.date
    region_code: str = ""
    state_code: str = ""
    group_by: str = "region"


def default_period(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The last twelve months: the first day of the month a year before this one, to today."""
    year, month = (today.year - 1, today.month + 1) if today.month < 12 else (today.year, 1)
    return datetime.date(year, month, 1), today


@dataclass
class OutreachGroup:
    """One line of the figures: a region, a state or a month, with every figure."""

    key: str
    values: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIGURE_KEYS, 0))


@dataclass
class OutreachFigures:
    filters: OutreachFilters
    groups: list[OutreachGroup]
    totals: dict[str, int]
    # Whether a FORHP rural ZIP list applies to the period (else the rural figure is unknown).
    rural_known: bool

    @property
    def is_empty(self) -> bool:
        return not any(self.totals.values())


def _day_start(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_current_timezone())


def _month(value: datetime.date | datetime.datetime) -> str:
    return f"{value.year:04d}-{value.month:02d}"


def months_between(first: datetime.date, last: datetime.date) -> list[str]:
    """Every month from `first`'s to `last`'s, as "YYYY-MM" (none if `last` is before)."""
    months = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


# Every family's query gives rows of (region code, state code or "", organization id or None,
# month start, figure, figure...).
GroupRow = tuple[Any, ...]


def _events(
    scope: OutreachScope, filters: OutreachFilters, now: datetime.datetime
) -> QuerySet[Any]:
    start, end = _day_start(filters.date_from), _day_start(filters.date_to + datetime.timedelta(1))
    events = Event.objects.filter(
        scope.q(),
        status=Event.Status.PUBLISHED,
        cancelled_at__isnull=True,
        ends_at__lte=now,
        starts_at__gte=start,
        starts_at__lt=end,
    )
    if filters.region_code:
        events = events.filter(region_code=filters.region_code)
    return (
        events.annotate(month=TruncMonth("starts_at"))
        .values_list("region_code", "state_code", "organization_id", "month")
        .annotate(count=Count("pk"), spanish=Count("pk", filter=Q(language="es")))
        .order_by()
    )


def _attendees(
    scope: OutreachScope, filters: OutreachFilters, now: datetime.datetime
) -> QuerySet[Any]:
    start, end = _day_start(filters.date_from), _day_start(filters.date_to + datetime.timedelta(1))
    registrations = Registration.objects.filter(
        scope.q("event__"),
        attended=True,
        event__status=Event.Status.PUBLISHED,
        event__cancelled_at__isnull=True,
        event__ends_at__lte=now,
        event__starts_at__gte=start,
        event__starts_at__lt=end,
    )
    if filters.region_code:
        registrations = registrations.filter(event__region_code=filters.region_code)
    return (
        registrations.annotate(month=TruncMonth("event__starts_at"))
        .values_list("event__region_code", "event__state_code", "event__organization_id", "month")
        .annotate(count=Count("pk"), spanish=Count("pk", filter=Q(event__language="es")))
        .order_by()
    )


def rural_condition(
    lists: Iterable[tuple[datetime.date, frozenset[str]]],
    date_from: datetime.date,
    date_to: datetime.date,
) -> Q | None:
    """Rows whose ZIP code is on the FORHP list in force on their report's activity date, for
    the lists that apply within the period; None if none does."""
    ordered = sorted(lists, key=lambda item: item[0])
    condition: Q | None = None
    for index, (effective_from, codes) in enumerate(ordered):
        until = ordered[index + 1][0] if index + 1 < len(ordered) else None
        if effective_from > date_to or (until is not None and until <= date_from) or not codes:
            continue
        part = Q(report__activity_date__gte=effective_from, zip_code__in=sorted(codes))
        if until is not None:
            part &= Q(report__activity_date__lt=until)
        condition = part if condition is None else condition | part
    return condition


def _participants(
    scope: OutreachScope, filters: OutreachFilters, rural: Q | None
) -> QuerySet[Any]:
    rows = ActivityReportRow.objects.filter(
        scope.q("report__"),
        report__status=ActivityReport.Status.ACCEPTED,
        report__activity_date__gte=filters.date_from,
        report__activity_date__lte=filters.date_to,
    )
    if filters.region_code:
        rows = rows.filter(report__region_code=filters.region_code)
    figures: dict[str, Any] = {"count": Sum("participants")}
    if rural is not None:
        figures["rural"] = Sum("participants", filter=rural)
    return (
        rows.annotate(month=TruncMonth("report__activity_date"))
        .values_list("report__region_code", "report__organization_id", "month")
        .annotate(**figures)
        .order_by()
    )


def _kits(scope: OutreachScope, filters: OutreachFilters) -> QuerySet[Any]:
    start, end = _day_start(filters.date_from), _day_start(filters.date_to + datetime.timedelta(1))
    loans = KitReservation.objects.filter(
        scope.q(),
        status__in=(KitReservation.Status.SHIPPED, KitReservation.Status.RETURNED),
        shipped_at__gte=start,
        shipped_at__lt=end,
    )
    if filters.region_code:
        loans = loans.filter(region_code=filters.region_code)
    return (
        loans.annotate(month=TruncMonth("shipped_at"))
        .values_list("region_code", "organization_id", "month")
        .annotate(count=Count("pk"))
        .order_by()
    )


def _requests(scope: OutreachScope, filters: OutreachFilters) -> QuerySet[Any]:
    handled = EngagementRequest.objects.annotate(
        program_day=Coalesce(TruncDate("event__starts_at"), "preferred_date_1", output_field=DateField())
    ).filter(
        scope.q(),
        status__in=(EngagementRequest.Status.PLANNED, EngagementRequest.Status.COMPLETED),
        program_day__gte=filters.date_from,
        program_day__lte=filters.date_to,
    )
    if filters.region_code:
        handled = handled.filter(region_code=filters.region_code)
    return (
        handled.annotate(month=TruncMonth("program_day", output_field=DateField()))
        .values_list("region_code", "state_code", "organization_id", "month")
        .annotate(count=Count("pk"))
        .order_by()
    )


def outreach_figures(
    *, scope: OutreachScope, filters: OutreachFilters, now: datetime.datetime | None = None
) -> OutreachFigures:
    """The figures within `scope` and `filters`, grouped as `filters.group_by` says (groups in
    region code, state code or month order), with their totals. Five queries, one per family
    (and one for the organizations' states, one for the rural lists)."""
    now = now or timezone.now()
    rural = rural_condition(rural_zip_lists(), filters.date_from, filters.date_to)
    # (region, state, organization, month, {figure: value}) from every family.
    lines: list[tuple[str, str, int | None, str, dict[str, int]]] = []
    for region, state, organization, month, count, spanish in _events(scope, filters, now):
        lines.append(
            (region, state, organization, _month(month), {"events": count, "events_es": spanish})
        )
    for region, state, organization, month, count, spanish in _attendees(scope, filters, now):
        lines.append(
            (
                region,
                state,
                organization,
                _month(month),
                {"attendees": count, "attendees_es": spanish},
            )
        )
    for row in _participants(scope, filters, rural):
        region, organization, month, count = row[:4]
        values = {"participants": count or 0}
        if rural is not None:
            values["participants_rural"] = row[4] or 0
        lines.append((region, "", organization, _month(month), values))
    for region, organization, month, count in _kits(scope, filters):
        lines.append((region, "", organization, _month(month), {"kits": count}))
    for region, state, organization, month, count in _requests(scope, filters):
        lines.append((region, state, organization, _month(month), {"requests": count}))

    stateless = {organization for _r, state, organization, _m, _v in lines if not state}
    state_of = {
        pk: ref.state_code
        for pk, ref in organizations_get(
            organization_ids=[pk for pk in stateless if pk is not None]
        ).items()
    }
    groups: dict[str, OutreachGroup] = {}
    totals: dict[str, int] = defaultdict(int)
    for region, state, organization, month, values in lines:
        state = state or state_of.get(organization or 0, "")
        if filters.state_code and state != filters.state_code:
            continue
        key = {"region": region, "state": state, "month": month}[filters.group_by]
        group = groups.setdefault(key, OutreachGroup(key=key))
        for name, value in values.items():
            group.values[name] += value
            totals[name] += value
    if filters.group_by == "month":
        for month in months_between(filters.date_from, filters.date_to):
            groups.setdefault(month, OutreachGroup(key=month))
    return OutreachFigures(
        filters=filters,
        groups=[groups[key] for key in sorted(groups)],
        totals={key: totals.get(key, 0) for key in FIGURE_KEYS},
        rural_known=rural is not None,
    )
