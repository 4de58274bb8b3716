"""engagement.api: the filed activity reports other apps read (funding's award reports and
its reach dashboard)."""

import datetime
from typing import Any

from tapestry.engagement.api import Reach, activity_reach, activity_reports_of
from tapestry.engagement.models import ActivityReport
from tapestry.engagement.tests.factories import ActivityReportFactory, ActivityReportRowFactory

MAY = datetime.date(2027, 5, 1)
APRIL = datetime.date(2028, 4, 30)


def _report(author: Any, organization: Any, **fields: object) -> ActivityReport:
    report: ActivityReport = ActivityReportFactory.create(
        author=author, organization_id=organization.pk, **fields
    )
    ActivityReportRowFactory(report=report, participants=12)
    ActivityReportRowFactory(report=report, participants=8, zip_code="60602")
    return report


def test_filed_reports_of_the_period_with_their_participants(
    alice_liaison: Any, alice_library: Any
) -> None:
    filed = _report(
        alice_liaison, alice_library, status="accepted", activity_date=datetime.date(2027, 6, 2)
    )
    _report(alice_liaison, alice_library, status="draft", activity_date=datetime.date(2027, 6, 3))
    _report(
        alice_liaison, alice_library, status="returned", activity_date=datetime.date(2027, 6, 4)
    )
    _report(
        alice_liaison, alice_library, status="submitted", activity_date=datetime.date(2027, 4, 30)
    )

    reports = activity_reports_of(organization_id=alice_library.pk, start=MAY, end=APRIL)

    assert [(report.id, report.participants, report.activity_type_label) for report in reports] == [
        (filed.pk, 20, "Training")
    ]


def test_reach_adds_up_participants_activities_and_trainings(
    alice_liaison: Any, alice_library: Any
) -> None:
    _report(
        alice_liaison, alice_library, status="accepted", activity_date=datetime.date(2027, 6, 2)
    )
    _report(
        alice_liaison,
        alice_library,
        status="submitted",
        activity_type="exhibit",
        activity_date=datetime.date(2028, 4, 30),
    )
    _report(alice_liaison, alice_library, status="draft", activity_date=datetime.date(2027, 7, 1))

    reach = activity_reach(organization_ids=[alice_library.pk, 999_999], start=MAY, end=APRIL)

    assert reach == {alice_library.pk: Reach(participants=40, activities=2, trainings=1)}
