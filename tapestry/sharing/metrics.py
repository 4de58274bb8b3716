"""Resource sharing's figures: fill rate, turnaround and unfilled reasons over a period of months,
grouped by library (as lender or as borrower), by region or by month; and each lender's load.

Definitions (the pages and the CSV say the same):
- A request counts in the month it closed (filled or not filled), in the network's time zone,
  so a month's figures stop changing once it is over. Cancelled and open requests do not count.
- Fill rate: filled / (filled + not filled). For a library as lender it is over its turns on
  closed requests: the turns it filled against those it refused or let time out.
- Turnaround: business hours (`business_days.business_hours_between`) from routing (or, for a
  request never routed, its creation) to the fill (its delivery); the median and the 90th
  percentile (nearest rank) of the filled requests.
- Unfilled reasons: the lenders' turns on closed requests that ended without a fill, by the
  reason given (Lender.Reason), and "did not answer in time" for turns that timed out.
- A lender's load: requests it is asked now, the turns it answered (filled or refused) in the
  last 30 days, and the median business hours from being asked to answering among those.

Every count is one aggregate query per figure, whatever the number of requests; turnaround
reads one row per filled request (two timestamps) because business hours are computed here.
"""

import datetime
import math
import re
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from django.db.models import Count, DateTimeField, Expression, F, Q, QuerySet
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from tapestry.network.api import organizations_get
from tapestry.sharing.business_days import business_hours_between, network_zone
from tapestry.sharing.models import Lender, Request

DEFAULT_PERIOD_MONTHS = 12
MAX_PERIOD_MONTHS = 60
LOAD_ANSWERED_DAYS = 30
# The reason key of a lender's turn that ended by its time running out.
TIMED_OUT = "timed_out"

GroupBy = Literal["lender", "borrower", "region", "month"]
GROUPINGS: tuple[GroupBy, ...] = ("lender", "borrower", "region", "month")

CLOSED = (Request.Status.FILLED, Request.Status.UNFILLED)
TURN_ENDED = (Lender.Status.FILLED, Lender.Status.NOT_FILLED, Lender.Status.TIMED_OUT)
TURN_UNFILLED = (Lender.Status.NOT_FILLED, Lender.Status.TIMED_OUT)


def reason_choices() -> list[tuple[str, str]]:
    """Every unfilled reason as (key, label in the active language), in a fixed order."""
    return [(str(value), str(label)) for value, label in Lender.Reason.choices] + [
        (TIMED_OUT, _("Did not answer in time"))
    ]


# --- The period ---


class PeriodError(ValueError):
    """A period a person asked for that cannot be shown; the message says why, translated."""


_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def month_parse(text: str) -> datetime.date:
    """ "2026-03" → 1 March 2026; anything else raises PeriodError."""
    match = _MONTH.match(text.strip())
    if match is None or not 1 <= int(match[2]) <= 12 or int(match[1]) < 1900:
        raise PeriodError(
            _("“%(text)s” is not a month: write it as year and month, like 2026-03.")
            % {"text": text[:20]}
        )
    return datetime.date(int(match[1]), int(match[2]), 1)


def add_months(month: datetime.date, count: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 + count
    return datetime.date(index // 12, index % 12 + 1, 1)


def _month_start_moment(month: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(month, datetime.time(), tzinfo=network_zone())


@dataclass(frozen=True)
class Period:
    """Whole months, from the first to the last, both included."""

    first_month: datetime.date
    last_month: datetime.date

    @property
    def start(self) -> datetime.datetime:
        return _month_start_moment(self.first_month)

    @property
    def end(self) -> datetime.datetime:
        """The first moment after the period."""
        return _month_start_moment(add_months(self.last_month, 1))

    @property
    def months(self) -> list[datetime.date]:
        count = (self.last_month.year - self.first_month.year) * 12
        count += self.last_month.month - self.first_month.month
        return [add_months(self.first_month, step) for step in range(count + 1)]


def period_of(*, first_month: datetime.date, last_month: datetime.date) -> Period:
    """A period of whole months; PeriodError if it ends before it starts or is too long."""
    first_month, last_month = first_month.replace(day=1), last_month.replace(day=1)
    if last_month < first_month:
        raise PeriodError(_("The period must end in or after the month it starts."))
    period = Period(first_month=first_month, last_month=last_month)
    if len(period.months) > MAX_PERIOD_MONTHS:
        raise PeriodError(
            _("A period may cover at most %(months)s months.") % {"months": MAX_PERIOD_MONTHS}
        )
    return period


def default_period(today: datetime.date) -> Period:
    """The last 12 months, this one included."""
    this_month = today.replace(day=1)
    return Period(
        first_month=add_months(this_month, 1 - DEFAULT_PERIOD_MONTHS), last_month=this_month
    )


def period_parse(*, first: str, last: str, today: datetime.date) -> Period:
    """The period from a form's "YYYY-MM" texts; both empty: the default period; one empty: the
    default's end (or start) in its place."""
    default = default_period(today)
    first_month = month_parse(first) if first.strip() else default.first_month
    last_month = month_parse(last) if last.strip() else default.last_month
    return period_of(first_month=first_month, last_month=last_month)


# --- Fill rate, turnaround, unfilled reasons ---


def percentile(values: list[float], fraction: float) -> float | None:
    """The nearest-rank percentile: the smallest value with at least `fraction` of the values
    at or below it; None without values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(fraction * len(ordered)), 1) - 1]


@dataclass(frozen=True)
class GroupFigures:
    """The figures of one group: a library (its id as text), a region code ("" for none) or a
    month ("2026-03"); or the total."""

    key: str
    filled: int = 0
    unfilled: int = 0
    turnaround_median_hours: float | None = None
    turnaround_p90_hours: float | None = None
    reasons: dict[str, int] = field(default_factory=dict)

    @property
    def closed(self) -> int:
        return self.filled + self.unfilled

    @property
    def fill_rate(self) -> float | None:
        """Between 0 and 1; None with nothing closed."""
        return self.filled / self.closed if self.closed else None

    @property
    def unfilled_turns(self) -> int:
        return sum(self.reasons.values())


@dataclass(frozen=True)
class Figures:
    period: Period
    group_by: GroupBy
    as_lender: bool
    groups: list[GroupFigures]
    total: GroupFigures


def _zone_month_key(moment: datetime.datetime | datetime.date) -> str:
    if isinstance(moment, datetime.datetime):
        moment = moment.astimezone(network_zone()) if timezone.is_aware(moment) else moment
    return f"{moment.year:04d}-{moment.month:02d}"


def _key_expression(group_by: GroupBy, *, prefix: str) -> Expression | F:
    if group_by == "borrower":
        return F(f"{prefix}borrower_id")
    if group_by == "region":
        return F(f"{prefix}region_code")
    if group_by == "month":
        return TruncMonth(f"{prefix}closed_at", tzinfo=network_zone())
    # Only turns have a lender.
    return F("organization_id")


def _key_text(group_by: GroupBy, value: Any) -> str:
    if group_by == "month":
        return _zone_month_key(value)
    return "" if value is None else str(value)


def _closed_in(period: Period, *, prefix: str) -> Q:
    return Q(
        **{
            f"{prefix}status__in": CLOSED,
            f"{prefix}closed_at__gte": period.start,
            f"{prefix}closed_at__lt": period.end,
        }
    )


def _group(
    key: str,
    filled: dict[str, int],
    unfilled: dict[str, int],
    hours: dict[str, list[float]],
    reasons: dict[str, dict[str, int]],
) -> GroupFigures:
    hours_of = hours.get(key, [])
    return GroupFigures(
        key=key,
        filled=filled.get(key, 0),
        unfilled=unfilled.get(key, 0),
        turnaround_median_hours=statistics.median(hours_of) if hours_of else None,
        turnaround_p90_hours=percentile(hours_of, 0.9),
        reasons=dict(reasons.get(key, {})),
    )


def sharing_figures(
    *,
    period: Period,
    group_by: GroupBy,
    as_lender: bool = False,
    organization_id: int | None = None,
) -> Figures:
    """Fill rate, turnaround and unfilled reasons of the requests closed in the period, by
    group. `as_lender`: counted over the lenders' turns (grouping by "lender" needs it), and
    `organization_id` keeps one lender's turns; otherwise over requests, and `organization_id`
    keeps one borrower's requests. Groups in key order (months in time order)."""
    if group_by not in GROUPINGS or (group_by == "lender" and not as_lender):
        raise ValueError(f"cannot group by {group_by!r} here")
    turns = Lender.objects.filter(_closed_in(period, prefix="request__"))
    if as_lender:
        turns = turns.filter(status__in=TURN_ENDED)
        if organization_id is not None:
            turns = turns.filter(organization_id=organization_id)
        key = _key_expression(group_by, prefix="request__")
        counted: QuerySet[Any, Any] = turns.values(group=key).annotate(
            filled=Count("pk", filter=Q(status=Lender.Status.FILLED)),
            unfilled=Count("pk", filter=Q(status__in=TURN_UNFILLED)),
        )
        filled_rows: QuerySet[Any, Any] = turns.filter(status=Lender.Status.FILLED).values_list(
            key,
            Coalesce("request__routed_at", "request__created_at", output_field=DateTimeField()),
            Coalesce(
                "request__delivery__created_at",
                "request__closed_at",
                output_field=DateTimeField(),
            ),
        )
    else:
        requests = Request.objects.filter(_closed_in(period, prefix=""))
        if organization_id is not None:
            requests = requests.filter(borrower_id=organization_id)
            turns = turns.filter(request__borrower_id=organization_id)
        key = _key_expression(group_by, prefix="")
        counted = requests.values(group=key).annotate(
            filled=Count("pk", filter=Q(status=Request.Status.FILLED)),
            unfilled=Count("pk", filter=Q(status=Request.Status.UNFILLED)),
        )
        filled_rows = requests.filter(status=Request.Status.FILLED).values_list(
            key,
            Coalesce("routed_at", "created_at", output_field=DateTimeField()),
            Coalesce("delivery__created_at", "closed_at", output_field=DateTimeField()),
        )
        key = _key_expression(group_by, prefix="request__")
    reason_rows = (
        turns.filter(status__in=TURN_UNFILLED)
        .values("status", "reason", group=key)
        .annotate(count=Count("pk"))
        .values_list("group", "status", "reason", "count")
    )

    filled: dict[str, int] = defaultdict(int)
    unfilled: dict[str, int] = defaultdict(int)
    for row in counted.order_by():
        group = _key_text(group_by, row["group"])
        filled[group] += row["filled"]
        unfilled[group] += row["unfilled"]
    hours: dict[str, list[float]] = defaultdict(list)
    for group_value, started, ended in filled_rows.order_by():
        hours[_key_text(group_by, group_value)].append(business_hours_between(started, ended))
    reasons: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for group_value, status, reason, count in reason_rows.order_by():
        reason_key = TIMED_OUT if status == Lender.Status.TIMED_OUT else reason or "other"
        reasons[_key_text(group_by, group_value)][reason_key] += count

    keys = sorted(filled.keys() | unfilled.keys() | hours.keys() | reasons.keys())
    groups = [_group(key_text, filled, unfilled, hours, reasons) for key_text in keys]
    every_hour = [value for values in hours.values() for value in values]
    every_reason: dict[str, int] = defaultdict(int)
    for reasons_of_group in reasons.values():
        for reason_key, count in reasons_of_group.items():
            every_reason[reason_key] += count
    return Figures(
        period=period,
        group_by=group_by,
        as_lender=as_lender,
        groups=groups,
        total=GroupFigures(
            key="",
            filled=sum(filled.values()),
            unfilled=sum(unfilled.values()),
            turnaround_median_hours=statistics.median(every_hour) if every_hour else None,
            turnaround_p90_hours=percentile(every_hour, 0.9),
            reasons=dict(every_reason),
        ),
    )


# --- A lender's load ---


@dataclass(frozen=True)
class LenderLoad:
    organization_id: int
    name: str
    asked_now: int
    answered_recently: int
    median_answer_hours: float | None


def lender_load(
    *, organization_ids: Iterable[int] | None = None, now: datetime.datetime | None = None
) -> list[LenderLoad]:
    """Each lender with requests asked of it now or answered in the last 30 days (only these
    libraries if given), busiest first, then by name."""
    now = now or timezone.now()
    since = now - datetime.timedelta(days=LOAD_ANSWERED_DAYS)
    answered = Q(
        status__in=(Lender.Status.FILLED, Lender.Status.NOT_FILLED),
        answered_at__gte=since,
        answered_at__lte=now,
    )
    turns = Lender.objects.filter(Q(status=Lender.Status.ASKED) | answered)
    if organization_ids is not None:
        turns = turns.filter(organization_id__in=list(organization_ids))
    counts = {
        row["organization_id"]: (row["asked_now"], row["answered_recently"])
        for row in turns.values("organization_id")
        .annotate(
            asked_now=Count("pk", filter=Q(status=Lender.Status.ASKED)),
            answered_recently=Count("pk", filter=answered),
        )
        .order_by()
    }
    hours: dict[int, list[float]] = defaultdict(list)
    for organization_id, asked_at, answered_at in (
        turns.filter(answered, asked_at__isnull=False)
        .values_list("organization_id", "asked_at", "answered_at")
        .order_by()
    ):
        if asked_at is not None and answered_at is not None:
            hours[organization_id].append(business_hours_between(asked_at, answered_at))
    known = organizations_get(organization_ids=counts.keys())
    loads = [
        LenderLoad(
            organization_id=organization_id,
            name=known[organization_id].name if organization_id in known else f"#{organization_id}",
            asked_now=asked_now,
            answered_recently=answered_recently,
            median_answer_hours=(
                statistics.median(hours[organization_id]) if hours[organization_id] else None
            ),
        )
        for organization_id, (asked_now, answered_recently) in counts.items()
    ]
    return sorted(
        loads, key=lambda load: (-load.asked_now, load.name.casefold(), load.organization_id)
    )


# --- One library's own figures ---


@dataclass(frozen=True)
class LibraryFigures:
    organization_id: int
    period: Period
    as_lender: Figures
    as_borrower: Figures
    load: LenderLoad


def library_figures(
    *, organization_id: int, period: Period, now: datetime.datetime | None = None
) -> LibraryFigures:
    """A library's figures month by month, as lender and as borrower, and its load today."""
    loads = lender_load(organization_ids=[organization_id], now=now)
    return LibraryFigures(
        organization_id=organization_id,
        period=period,
        as_lender=sharing_figures(
            period=period, group_by="month", as_lender=True, organization_id=organization_id
        ),
        as_borrower=sharing_figures(
            period=period, group_by="month", organization_id=organization_id
        ),
        load=loads[0]
        if loads
        else LenderLoad(
            organization_id=organization_id,
            name="",
            asked_now=0,
            answered_recently=0,
            median_answer_hours=None,
        ),
    )
