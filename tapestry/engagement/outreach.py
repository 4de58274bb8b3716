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

Each query groups by only what the reader's grouping needs: the region code, the month, or for
states the state code (where the row has one) and the organization; the groups (a handful, at
most one per organization, never rows) are then folded together. A row's state is the event's
or request's own state, else its organization's (network.api).

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

from django.db.models import Count, DateField, F, Lookup, Q, QuerySet, Sum
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


def _grouping(
    filters: OutreachFilters, *, region: str, month: Any, organization: str, state: str = ""
) -> dict[str, Any]:
    """The columns a family's query groups by: only what the reader's grouping and filters
    need (the organization only for states, where the row has no state of its own or a state
    filter applies), so the database returns a handful of groups, not one per organization."""
    columns: dict[str, Any] = {}
    if filters.group_by == "region":
        columns["g_region"] = F(region)
    elif filters.group_by == "month":
        columns["g_month"] = month
    if filters.group_by == "state" or filters.state_code:
        if state:
            columns["g_state"] = F(state)
        columns["g_organization"] = F(organization)
    return columns


def _held(filters: OutreachFilters, now: datetime.datetime, prefix: str = "") -> Q:
    """Events held in the period (published, never cancelled, over by now), in the filtered
    region; `prefix` reaches the event from another model ("event__")."""
    start, end = _day_start(filters.date_from), _day_start(filters.date_to + datetime.timedelta(1))
    held = Q(
        **{
            f"{prefix}status": Event.Status.PUBLISHED,
            f"{prefix}cancelled_at__isnull": True,
            f"{prefix}ends_at__lte": now,
            f"{prefix}starts_at__gte": start,
            f"{prefix}starts_at__lt": end,
        }
    )
    if filters.region_code:
        held &= Q(**{f"{prefix}region_code": filters.region_code})
    return held


def _events(
    scope: OutreachScope, filters: OutreachFilters, now: datetime.datetime
) -> QuerySet[Any]:
    events = Event.objects.filter(scope.q(), _held(filters, now))
    grouping = _grouping(
        filters,
        region="region_code",
        month=TruncMonth("starts_at"),
        organization="organization_id",
        state="state_code",
    )
    return (
        events.values(**grouping)
        .annotate(events=Count("pk"), events_es=Count("pk", filter=Q(language="es")))
        .order_by()
    )


def _attendees(
    scope: OutreachScope, filters: OutreachFilters, now: datetime.datetime
) -> QuerySet[Any]:
    registrations = Registration.objects.filter(
        scope.q("event__"), _held(filters, now, "event__"), attended=True
    )
    grouping = _grouping(
        filters,
        region="event__region_code",
        month=TruncMonth("event__starts_at"),
        organization="event__organization_id",
        state="event__state_code",
    )
    return (
        registrations.values(**grouping)
        .annotate(attendees=Count("pk"), attendees_es=Count("pk", filter=Q(event__language="es")))
        .order_by()
    )


class AnyOf(Lookup):
    """`field__any_of=[...]`: the value is one of a long list (a FORHP list holds some 18,000
    ZIP codes). On PostgreSQL one array parameter, `= ANY(%s)` (the planner hashes it), rather
    than 18,000 placeholders to build, send and parse; elsewhere a plain IN list."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, Any]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = list(self.rhs)
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", (*lhs_params, values)
        placeholders = ", ".join(["%s"] * len(values))
        return f"{lhs} IN ({placeholders})", (*lhs_params, *values)


ActivityReportRow._meta.get_field("zip_code").register_lookup(AnyOf)


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
        part = Q(report__activity_date__gte=effective_from, zip_code__any_of=sorted(codes))
        if until is not None:
            part &= Q(report__activity_date__lt=until)
        condition = part if condition is None else condition | part
    return condition


def _participants(scope: OutreachScope, filters: OutreachFilters, rural: Q | None) -> QuerySet[Any]:
    rows = ActivityReportRow.objects.filter(
        scope.q("report__"),
        report__status=ActivityReport.Status.ACCEPTED,
        report__activity_date__gte=filters.date_from,
        report__activity_date__lte=filters.date_to,
    )
    if filters.region_code:
        rows = rows.filter(report__region_code=filters.region_code)
    # Named apart from the field they sum (the database cannot sum an aggregate's name).
    figures: dict[str, Any] = {"sum_participants": Sum("participants")}
    if rural is not None:
        figures["sum_rural"] = Sum("participants", filter=rural)
    grouping = _grouping(
        filters,
        region="report__region_code",
        month=TruncMonth("report__activity_date"),
        organization="report__organization_id",
    )
    return rows.values(**grouping).annotate(**figures).order_by()


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
    grouping = _grouping(
        filters,
        region="region_code",
        month=TruncMonth("shipped_at"),
        organization="organization_id",
    )
    return loans.values(**grouping).annotate(kits=Count("pk")).order_by()


def _requests(scope: OutreachScope, filters: OutreachFilters) -> QuerySet[Any]:
    handled = EngagementRequest.objects.annotate(
        program_day=Coalesce(
            TruncDate("event__starts_at"), "preferred_date_1", output_field=DateField()
        )
    ).filter(
        scope.q(),
        status__in=(EngagementRequest.Status.PLANNED, EngagementRequest.Status.COMPLETED),
        program_day__gte=filters.date_from,
        program_day__lte=filters.date_to,
    )
    if filters.region_code:
        handled = handled.filter(region_code=filters.region_code)
    grouping = _grouping(
        filters,
        region="region_code",
        month=TruncMonth("program_day", output_field=DateField()),
        organization="organization_id",
        state="state_code",
    )
    return handled.values(**grouping).annotate(requests=Count("pk")).order_by()


# The participants' query's column names for its figures.
RENAMED = {"sum_participants": "participants", "sum_rural": "participants_rural"}


def outreach_figures(
    *, scope: OutreachScope, filters: OutreachFilters, now: datetime.datetime | None = None
) -> OutreachFigures:
    """The figures within `scope` and `filters`, grouped as `filters.group_by` says (groups in
    region code, state code or month order), with their totals. Five queries, one per family
    (and one for the organizations' states, one for the rural lists)."""
    now = now or timezone.now()
    rural = rural_condition(rural_zip_lists(), filters.date_from, filters.date_to)
    families = [
        _events(scope, filters, now),
        _attendees(scope, filters, now),
        _participants(scope, filters, rural),
        _kits(scope, filters),
        _requests(scope, filters),
    ]
    # Each group of each family: its region, state, organization and month (those its query
    # grouped by) and its figures.
    lines = [dict(row) for family in families for row in family]
    stateless = {
        line["g_organization"]
        for line in lines
        if "g_organization" in line and not line.get("g_state")
    }
    state_of = (
        {
            pk: ref.state_code
            for pk, ref in organizations_get(
                organization_ids=[pk for pk in stateless if pk is not None]
            ).items()
        }
        if stateless
        else {}
    )
    groups: dict[str, OutreachGroup] = {}
    totals: dict[str, int] = defaultdict(int)
    for line in lines:
        if "g_organization" in line:
            organization = line.pop("g_organization")
            state = line.pop("g_state", "") or state_of.get(organization or 0, "")
            if filters.state_code and state != filters.state_code:
                continue
            line["g_state"] = state
        if filters.group_by == "region":
            key = line.pop("g_region")
        elif filters.group_by == "state":
            key = line.pop("g_state")
        else:
            key = _month(line.pop("g_month"))
        line.pop("g_state", None)
        group = groups.setdefault(key, OutreachGroup(key=key))
        for column, value in line.items():
            name = RENAMED.get(column) or column
            group.values[name] += value or 0
            totals[name] += value or 0
    if filters.group_by == "month":
        for month in months_between(filters.date_from, filters.date_to):
            groups.setdefault(month, OutreachGroup(key=month))
    return OutreachFigures(
        filters=filters,
        groups=[groups[key] for key in sorted(groups)],
        totals={key: totals.get(key, 0) for key in FIGURE_KEYS},
        rural_known=rural is not None,
    )
