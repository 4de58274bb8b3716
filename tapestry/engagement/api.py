"""What other apps may use of community engagement: the activity reports member
organizations filed, as plain values (funding links an award's reports and rolls up the reach
of every funded project)."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Q, Sum

from tapestry.engagement.models import ActivityReport, ActivityType

# A report counts once it is filed: submitted, accepted or resubmitted; drafts and reports
# returned for changes do not.
_FILED = [
    ActivityReport.Status.SUBMITTED,
    ActivityReport.Status.ACCEPTED,
    ActivityReport.Status.RESUBMITTED,
]


@dataclass(frozen=True)
class ActivityReportRef:
    """A filed activity report: what, when, and how many people it reached."""

    id: int
    organization_id: int
    title: str
    activity_date: datetime.date
    activity_type: str
    activity_type_label: str
    status: str
    participants: int


def activity_reports_of(
    *, organization_id: int, start: datetime.date, end: datetime.date
) -> list[ActivityReportRef]:
    """The filed activity reports of one organization for activities from `start` to `end`
    (inclusive), newest first."""
    reports = (
        ActivityReport.objects.filter(
            organization_id=organization_id,
            activity_date__range=(start, end),
            status__in=_FILED,
        )
        .annotate(participants=Sum("rows__participants"))
        .order_by("-activity_date", "-pk")
    )
    return [
        ActivityReportRef(
            id=report.pk,
            organization_id=report.organization_id,
            title=report.title,
            activity_date=report.activity_date,
            activity_type=report.activity_type,
            activity_type_label=str(report.get_activity_type_display()),
            status=report.status,
            participants=report.participants or 0,
        )
        for report in reports
    ]


@dataclass(frozen=True)
class Reach:
    """What filed activity reports add up to: people reached, activities, trainings."""

    participants: int = 0
    activities: int = 0
    trainings: int = 0


def activity_reach(
    *, organization_ids: Iterable[int], start: datetime.date, end: datetime.date
) -> dict[int, Reach]:
    """The reach of each of these organizations' filed activity reports from `start` to
    `end` (inclusive), by organization id (an organization with no report is left out)."""
    ids = list(organization_ids)
    if not ids:
        return {}
    filed = ActivityReport.objects.filter(
        organization_id__in=ids, activity_date__range=(start, end), status__in=_FILED
    )
    participants = dict(
        filed.values("organization_id")
        .annotate(total=Sum("rows__participants"))
        .values_list("organization_id", "total")
    )
    counts = filed.values("organization_id").annotate(
        activities=Count("pk", distinct=True),
        trainings=Count("pk", filter=Q(activity_type=ActivityType.TRAINING), distinct=True),
    )
    return {
        row["organization_id"]: Reach(
            participants=participants.get(row["organization_id"]) or 0,
            activities=row["activities"],
            trainings=row["trainings"],
        )
        for row in counts
    }
