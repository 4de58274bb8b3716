"""The funding dashboard's figures on a small fixture, exact: the pipeline by stage and call,
money awarded and spent by region (spent = invoices approved or paid only), the reach of the
funded projects from engagement's filed activity reports over each award's period; the page
for staff only; the "My Tapestry" panels."""

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from tapestry.accounts.roles import Role
from tapestry.accounts.tests.factories import UserFactory
from tapestry.funding import dashboard
from tapestry.funding.models import Invoice
from tapestry.funding.states import Status
from tapestry.funding.tests.factories import OpportunityFactory
from tapestry.funding.tests.factories_applicant import draft_make
from tapestry.funding.tests.factories_awards import award_make
from tapestry.funding.tests.factories_staff import (
    ApplicationFactory,
    AwardFactory,
    InvoiceFactory,
    activity_report_make,
    reviewer_make,
)
from tapestry.network.api import regions
from tapestry.network.tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

MAY_2026 = datetime.date(2026, 5, 1)
APRIL_2027 = datetime.date(2027, 4, 30)


def region_name(code: str) -> str:
    return next(region.name for region in regions() if region.code == code)


@pytest.fixture
def awards(alice_liaison: Any) -> dict[str, Any]:
    """Two awards in region 6 and one in region 1, with invoices in every status and
    activity reports inside, outside and not yet filed in their periods."""
    chicago = OrganizationFactory.create(zip_code="60601")
    springfield = OrganizationFactory.create(zip_code="60601")
    louisville = OrganizationFactory.create(zip_code="40202")
    first = AwardFactory.create(
        organization_id=chicago.pk,
        application__organization_id=chicago.pk,
        region_code="region-6",
        amount=Decimal("5000.00"),
    )
    second = AwardFactory.create(
        organization_id=springfield.pk,
        application__organization_id=springfield.pk,
        region_code="region-6",
        amount=Decimal("2500.50"),
    )
    third = AwardFactory.create(
        organization_id=louisville.pk,
        application__organization_id=louisville.pk,
        region_code="region-1",
        amount=Decimal("4000.00"),
        period_start=MAY_2026,
        period_end=APRIL_2027,
    )
    for amount, status in [
        ("1000.00", Invoice.Status.APPROVED),
        ("500.00", Invoice.Status.PAID),
        ("300.00", Invoice.Status.SUBMITTED),
        ("200.00", Invoice.Status.RETURNED),
    ]:
        InvoiceFactory.create(award=first, amount=Decimal(amount), status=status)
    InvoiceFactory.create(award=second, amount=Decimal("250.25"), status=Invoice.Status.PAID)
    InvoiceFactory.create(award=third, amount=Decimal("999.00"), status=Invoice.Status.SUBMITTED)

    def report(organization: Any, on: datetime.date, participants: int, **kwargs: str) -> None:
        activity_report_make(
            organization_id=organization.pk,
            author=alice_liaison,
            on=on,
            participants=participants,
            **kwargs,
        )

    report(chicago, datetime.date(2027, 6, 1), 12, activity_type="training")
    report(chicago, datetime.date(2027, 7, 1), 8, status="submitted")
    report(chicago, datetime.date(2028, 5, 15), 100)  # after the award's period
    report(chicago, datetime.date(2027, 8, 1), 50, status="draft")  # not filed
    report(chicago, datetime.date(2027, 9, 1), 40, status="returned")  # not filed
    report(louisville, datetime.date(2026, 9, 1), 5, activity_type="webinar")
    report(louisville, datetime.date(2027, 6, 1), 70)  # after its period
    return {"first": first, "second": second, "third": third}


def test_money_awarded_and_spent_by_region(awards: dict[str, Any]) -> None:
    rows = dashboard.money_by_region()

    assert [
        (row.region_code, row.region_name, row.awards, row.awarded, row.spent) for row in rows
    ] == [
        ("region-1", region_name("region-1"), 1, Decimal("4000.00"), Decimal("0.00")),
        ("region-6", region_name("region-6"), 2, Decimal("7500.50"), Decimal("1750.25")),
    ]


def test_the_reach_of_the_funded_projects_counts_filed_reports_in_each_awards_period(
    awards: dict[str, Any],
) -> None:
    figures = dashboard.reach_of_awards()

    assert [
        (row.region_code, row.awards, row.participants, row.activities, row.trainings)
        for row in figures.rows
    ] == [("region-1", 1, 5, 1, 0), ("region-6", 2, 20, 2, 1)]
    total = figures.total
    assert (total.awards, total.participants, total.activities, total.trainings) == (3, 25, 3, 1)


def test_the_pipeline_counts_each_call_by_stage_in_two_queries(
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    spring = OpportunityFactory.create(title="Spring call")
    autumn = OpportunityFactory.create(title="Autumn call", published_at=None)
    for status, count in [(Status.SUBMITTED, 3), (Status.SCREENED, 2), (Status.DECLINED, 1)]:
        ApplicationFactory.create_batch(count, opportunity=spring, status=status)
    ApplicationFactory.create(opportunity=autumn, status=Status.DRAFT)

    with django_assert_num_queries(2):
        figures = dashboard.pipeline()

    by_title = {row.opportunity.title: row for row in figures.rows}
    stages = [stage.value for stage in dashboard.STAGES]
    assert stages == [
        "draft",
        "submitted",
        "screened",
        "under_review",
        "awarded",
        "declined",
        "withdrawn",
    ]
    assert by_title["Spring call"].counts == [0, 3, 2, 0, 0, 1, 0]
    assert by_title["Spring call"].total == 6
    assert by_title["Autumn call"].counts == [1, 0, 0, 0, 0, 0, 0]
    assert figures.totals == [1, 3, 2, 0, 0, 1, 0]
    assert figures.total == 7


def test_the_dashboard_page_shows_the_figures_to_staff_only(
    paula_client: Client, alice_client: Client, awards: dict[str, Any]
) -> None:
    response = paula_client.get("/funding/staff/dashboard/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "$7,500.50" in page and "$1,750.25" in page and "$11,500.50" in page
    assert '<td class="text-right">25</td>' in page
    assert 'role="img"' in page and "<caption" in page
    assert alice_client.get("/funding/staff/dashboard/").status_code == 403


def test_staff_and_reviewer_panels_count_what_waits_for_them(
    paula_program_staff: Any, alice_liaison: Any, paula_client: Client
) -> None:
    ApplicationFactory.create_batch(2, status=Status.SUBMITTED)
    ApplicationFactory.create(status=Status.SCREENED)
    in_review = ApplicationFactory.create(status=Status.UNDER_REVIEW)
    done = ApplicationFactory.create(status=Status.AWARDED)
    rita = reviewer_make("rita@example.org")
    in_review.assignments.create(reviewer=rita, assigned_by=paula_program_staff)
    done.assignments.create(reviewer=rita, assigned_by=paula_program_staff)

    (staff_panel,) = dashboard.staff_panels(paula_program_staff)
    (reviewer_panel,) = dashboard.reviewer_panels(rita)

    assert staff_panel.template == "funding/staff/dashboard_panel.html"
    assert staff_panel.context == {"to_screen": 2, "to_assign": 1, "in_review": 1}
    assert reviewer_panel.context == {"to_score": 1}
    staff_html = render_to_string(staff_panel.template, {"panel": staff_panel.context})
    reviewer_html = render_to_string(reviewer_panel.template, {"panel": reviewer_panel.context})
    assert "2 waiting to be screened" in staff_html and "1 in review" in staff_html
    assert "1 application assigned to you to score." in reviewer_html
    assert dashboard.staff_panels(alice_liaison) == []
    assert dashboard.reviewer_panels(alice_liaison) == []
    assert dashboard.reviewer_panels(paula_program_staff) == []


def test_the_staff_pages_speak_spanish_to_staff_who_read_it(
    staff_signed_in: Any, awards: dict[str, Any]
) -> None:
    marta = UserFactory.create(
        email="marta@example.org",
        roles=[Role.PROGRAM_STAFF],
        preferred_language="es",
        two_factor=True,
    )
    client = staff_signed_in(marta)
    application = awards["first"].application

    for url in (
        "/funding/staff/",
        "/funding/staff/dashboard/",
        f"/funding/staff/applications/{application.public_id}/",
        f"/funding/staff/calls/{application.opportunity.public_id}/applications/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert '<html lang="es">' in response.content.decode(), url
    application_page = client.get(f"/funding/staff/applications/{application.public_id}/")
    assert application.opportunity.title_es in application_page.content.decode()


def test_an_applicant_sees_drafts_applications_and_awards_with_an_overdue_report(
    alice_liaison: Any, alice_library: Any, paula_program_staff: Any
) -> None:
    assert dashboard.applicant_panels(alice_liaison) == []
    draft_make(liaison=alice_liaison, organization=alice_library)
    award = award_make(
        liaison=alice_liaison, organization_id=alice_library.pk, staff=paula_program_staff
    )
    award.reports.filter(kind="interim").update(
        due_on=timezone.localdate() - datetime.timedelta(days=1)
    )

    (panel,) = dashboard.applicant_panels(alice_liaison)

    assert panel.context == {"drafts": 1, "in_progress": 0, "awards": 1, "overdue": 1}
    html = render_to_string(panel.template, {"panel": panel.context})
    assert "1 draft application to finish before its deadline." in html
    assert "1 award has a report overdue" in html
    assert dashboard.applicant_panels(paula_program_staff) == []
