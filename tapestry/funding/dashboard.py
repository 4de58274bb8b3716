"""The funding dashboards' figures, and funding's panels on "My Tapestry".

Every figure is an aggregate query (a GROUP BY), whatever the number of applications: the
pipeline is one query over applications, money one over awards and one over invoices, reach
one `engagement.api.activity_reach` call per distinct award period. The panel providers are
registered by the app's config (`dashboard_panel_register`).
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils.formats import number_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from tapestry.accounts.api import DashboardPanel, Role, user_has_role
from tapestry.engagement.api import activity_reach
from tapestry.funding.awards import awards_visible, overdue_reports
from tapestry.funding.models import Application, Award, Invoice, Opportunity, ReviewAssignment
from tapestry.funding.selectors import applications_of_person
from tapestry.funding.services import is_staff
from tapestry.funding.states import Status
from tapestry.network.api import regions

# Invoices that count as money spent: approved for payment or paid.
SPENT_STATUSES = (Invoice.Status.APPROVED, Invoice.Status.PAID)
# The stages the pipeline shows, in the order an application moves through them.
STAGES = list(Status)


# --- the pipeline ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PipelineRow:
    opportunity: Opportunity
    counts: list[int]  # one per STAGES entry
    total: int

    @property
    def cells(self) -> list[tuple[Status, int]]:
        return list(zip(STAGES, self.counts, strict=True))


@dataclass(frozen=True)
class Pipeline:
    rows: list[PipelineRow]
    totals: list[int]  # per stage, every call together
    total: int


def pipeline(*, opportunities: Iterable[Opportunity] | None = None) -> Pipeline:
    """The number of applications at each stage, for each call (every call by default,
    newest deadline first) and together: one query for the counts."""
    calls = (
        list(opportunities)
        if opportunities is not None
        else list(Opportunity.objects.order_by("-deadline", "-pk"))
    )
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for opportunity_id, status, number in (
        Application.objects.filter(opportunity__in=[call.pk for call in calls])
        .order_by()
        .values_list("opportunity_id", "status")
        .annotate(number=Count("pk"))
    ):
        counts[opportunity_id][status] = number
    rows = [
        PipelineRow(
            opportunity=call,
            counts=[counts[call.pk].get(stage, 0) for stage in STAGES],
            total=sum(counts[call.pk].values()),
        )
        for call in calls
    ]
    totals = [sum(row.counts[index] for row in rows) for index in range(len(STAGES))]
    return Pipeline(rows=rows, totals=totals, total=sum(totals))


# --- money by region -----------------------------------------------------------------------


@dataclass(frozen=True)
class MoneyRow:
    region_code: str
    region_name: str
    awarded: Decimal
    spent: Decimal
    awards: int


def _region_names() -> dict[str, str]:
    language = get_language()
    return {region.code: region.display_name(language) for region in regions()}


def _region_name(names: dict[str, str], code: str) -> str:
    return names.get(code) or (code if code else _("No region"))


def money_by_region() -> list[MoneyRow]:
    """Award amounts summed by the award's region, and what was spent there: the amounts of
    invoices approved or paid (submitted and returned ones are not money spent). Two queries;
    regions in code order, an award without a region last."""
    awarded = {
        row["region_code"]: row
        for row in Award.objects.order_by()
        .values("region_code")
        .annotate(total=Sum("amount"), awards=Count("pk"))
    }
    spent = dict(
        Invoice.objects.filter(status__in=SPENT_STATUSES)
        .order_by()
        .values("award__region_code")
        .annotate(total=Sum("amount"))
        .values_list("award__region_code", "total")
    )
    names = _region_names()
    codes = sorted(set(awarded) | set(spent), key=lambda code: (code == "", code))
    return [
        MoneyRow(
            region_code=code,
            region_name=_region_name(names, code),
            awarded=awarded[code]["total"] if code in awarded else Decimal("0.00"),
            spent=spent.get(code) or Decimal("0.00"),
            awards=awarded[code]["awards"] if code in awarded else 0,
        )
        for code in codes
    ]


# --- reach -----------------------------------------------------------------------------------


@dataclass
class ReachRow:
    region_code: str
    region_name: str
    awards: int = 0
    participants: int = 0
    activities: int = 0
    trainings: int = 0


@dataclass
class ReachFigures:
    rows: list[ReachRow] = field(default_factory=list)
    total: ReachRow = field(default_factory=lambda: ReachRow("", ""))


def reach_of_awards() -> ReachFigures:
    """What the funded projects reached together: each award counts its organization's filed
    activity reports over the award's period (engagement's `activity_reach`), by the award's
    region and in total. Awards sharing a period (most do: May 1 to April 30) are asked about
    in one call; an organization with two awards over the same period is counted once."""
    by_period: dict[tuple[Any, Any], list[tuple[int, str]]] = defaultdict(list)
    awards_by_region: dict[str, int] = defaultdict(int)
    for organization_id, region_code, start, end in Award.objects.order_by().values_list(
        "organization_id", "region_code", "period_start", "period_end"
    ):
        by_period[(start, end)].append((organization_id, region_code))
        awards_by_region[region_code] += 1
    names = _region_names()
    rows: dict[str, ReachRow] = {
        code: ReachRow(code, _region_name(names, code), awards=count)
        for code, count in awards_by_region.items()
    }
    for (start, end), awardees in by_period.items():
        reach = activity_reach(
            organization_ids={organization_id for organization_id, _code in awardees},
            start=start,
            end=end,
        )
        for organization_id, region_code in dict(awardees).items():
            found = reach.get(organization_id)
            if found is None:
                continue
            row = rows[region_code]
            row.participants += found.participants
            row.activities += found.activities
            row.trainings += found.trainings
    ordered = sorted(rows.values(), key=lambda row: (row.region_code == "", row.region_code))
    total = ReachRow(
        "",
        _("All regions"),
        awards=sum(row.awards for row in ordered),
        participants=sum(row.participants for row in ordered),
        activities=sum(row.activities for row in ordered),
        trainings=sum(row.trainings for row in ordered),
    )
    return ReachFigures(rows=ordered, total=total)


# --- charts ------------------------------------------------------------------------------------

# USWDS colors, each at least 3:1 against white (WCAG 1.4.11).
PRIMARY = "#005ea2"
SECONDARY = "#c05600"
CHART_WIDTH = 400
LEFT = 4
VALUE_ROOM = 96
LABEL_HEIGHT = 22
BAR_HEIGHT = 18
SECOND_HEIGHT = 12
GAP = 12
LABEL_CHARACTERS = 44


@dataclass(frozen=True)
class ChartBar:
    label: str
    label_y: float
    y: float
    width: float
    value_x: float
    value_text: str
    second_y: float
    second_width: float
    second_value_x: float
    second_value_text: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[ChartBar]
    has_second: bool
    bar_height: int = BAR_HEIGHT
    second_height: int = SECOND_HEIGHT


def bar_chart(lines: list[tuple[str, float, float | None]], *, money: bool = False) -> Chart:
    """Horizontal bars, one per (label, value, second value or None) line, drawn as inline
    SVG by the template; the table beside the chart says the same figures."""
    has_second = any(second is not None for _label, _value, second in lines)
    top = max((max(value, second or 0) for _label, value, second in lines), default=0) or 1
    plot = CHART_WIDTH - LEFT - VALUE_ROOM
    step = LABEL_HEIGHT + BAR_HEIGHT + (SECOND_HEIGHT + 2 if has_second else 0) + GAP

    def text(value: float) -> str:
        # Dollars the U.S. way in both languages, as the tables beside the charts write them.
        return f"${round(value):,}" if money else number_format(round(value), force_grouping=True)

    bars = []
    for index, (label, value, second) in enumerate(lines):
        y = index * step + LABEL_HEIGHT
        width = round(plot * value / top, 1)
        second_width = round(plot * (second or 0) / top, 1)
        bars.append(
            ChartBar(
                label=label
                if len(label) <= LABEL_CHARACTERS
                else label[: LABEL_CHARACTERS - 1] + "…",
                label_y=y - 5,
                y=y,
                width=width,
                value_x=round(LEFT + width + 6, 1),
                value_text=text(value),
                second_y=y + BAR_HEIGHT + 2,
                second_width=second_width,
                second_value_x=round(LEFT + second_width + 6, 1),
                second_value_text=text(second or 0),
            )
        )
    return Chart(
        width=CHART_WIDTH, height=max(step * len(lines), step), bars=bars, has_second=has_second
    )


# --- "My Tapestry" panels --------------------------------------------------------------------


def staff_panels(user: Any) -> list[DashboardPanel]:
    """Program staff: how many applications wait to be screened and how many are in review."""
    if not is_staff(user):
        return []
    counts = Application.objects.order_by().aggregate(
        to_screen=Count("pk", filter=Q(status=Status.SUBMITTED)),
        to_assign=Count("pk", filter=Q(status=Status.SCREENED)),
        in_review=Count("pk", filter=Q(status=Status.UNDER_REVIEW)),
    )
    return [DashboardPanel(template="funding/staff/dashboard_panel.html", context=counts)]


def reviewer_panels(user: Any) -> list[DashboardPanel]:
    """A reviewer: how many of their assignments are still to score."""
    if not user_has_role(user, Role.REVIEWER):
        return []
    to_score = ReviewAssignment.objects.filter(
        reviewer=user,
        submitted_at__isnull=True,
        application__status__in=[Status.SCREENED, Status.UNDER_REVIEW],
    ).count()
    return [
        DashboardPanel(
            template="funding/review/dashboard_panel.html", context={"to_score": to_score}
        )
    ]


def applicant_panels(user: Any) -> list[DashboardPanel]:
    """An applicant or awardee: their drafts, applications in progress and active awards,
    with how many of those awards have a report overdue. None for someone with neither."""
    if is_staff(user):
        return []
    counts = (
        applications_of_person(user=user)
        .order_by()
        .aggregate(
            drafts=Count("pk", filter=Q(status=Status.DRAFT), distinct=True),
            in_progress=Count(
                "pk",
                filter=Q(status__in=[Status.SUBMITTED, Status.SCREENED, Status.UNDER_REVIEW]),
                distinct=True,
            ),
        )
    )
    active = list(awards_visible(user=user).filter(status=Award.Status.ACTIVE))
    if not (counts["drafts"] or counts["in_progress"] or active):
        return []
    context = {
        **counts,
        "awards": len(active),
        "overdue": sum(1 for award in active if overdue_reports(award)),
    }
    return [DashboardPanel(template="funding/applicant/dashboard_panel.html", context=context)]
