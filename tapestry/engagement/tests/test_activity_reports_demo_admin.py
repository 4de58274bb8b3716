"""The demo's activity reports and engagement request, and their admin pages."""

from typing import Any

import pytest
from django.test import Client

from tapestry.accounts.api import Role
from tapestry.accounts.tests.factories import UserFactory
from tapestry.engagement.demo import demo_events_seed, demo_reports_seed, demo_requests_seed
from tapestry.engagement.models import ActivityReport, EngagementRequest
from tapestry.engagement.tests.factories import (
    ActivityReportFactory,
    ActivityReportRowFactory,
    EngagementRequestFactory,
    organization_make,
    specialist_make,
)

pytestmark = pytest.mark.django_db


def test_the_demo_holds_reports_in_every_state_in_both_languages_and_a_request_in_progress() -> (
    None
):
    liaison = UserFactory.create(roles=[Role.LIAISON])
    specialist = specialist_make(region_code="region-6", email="samuel@example.org")
    library = organization_make(zip_code="60601", liaison=liaison)
    organization_make(zip_code="10001")
    organization_make(zip_code="35203")
    organization_make(zip_code="80202")
    demo_events_seed(liaison_id=liaison.pk, specialist_id=specialist.pk)

    lines = demo_reports_seed(liaison_id=liaison.pk, specialist_id=specialist.pk)
    request_lines = demo_requests_seed(liaison_id=liaison.pk, specialist_id=specialist.pk)
    again = demo_reports_seed(liaison_id=liaison.pk, specialist_id=specialist.pk)

    reports = ActivityReport.objects.all()
    assert set(reports.values_list("status", flat=True)) == set(ActivityReport.Status.values)
    assert len(set(reports.values_list("region_code", flat=True))) == 4
    titles = set(reports.values_list("title", flat=True))
    assert "Finding health information online" in titles
    assert "Cómo encontrar información de salud confiable" in titles
    from_event = reports.get(organization_id=library.pk, status="accepted")
    assert from_event.event is not None
    assert sum(row.participants for row in from_event.rows.all()) == (
        from_event.event.registrations.filter(attended=True).count()
    )
    assert all(report.rows.exists() for report in reports)
    assert lines == [f"Activity reports: {reports.count()}, in every state, across 7 regions."]
    assert again == [f"Activity reports already there: {reports.count()}."]
    request = EngagementRequest.objects.get()
    assert (request.status, request.specialist, request.region_code) == (
        "in_discussion",
        specialist,
        "region-6",
    )
    assert request.messages.count() == 3 and request.milestones.count() == 2
    assert request_lines == ["Engagement requests: 1 in discussion, 3 messages."]


def test_the_admin_lists_and_shows_reports_and_requests(admin_signed_in: Client) -> None:
    report = ActivityReportFactory.create(
        organization_id=organization_make(zip_code="60601").pk, title="Admin report"
    )
    ActivityReportRowFactory.create(report=report, zip_code="60614")
    request = EngagementRequestFactory.create(audience="Teen volunteers")

    assert (
        "Admin report" in admin_signed_in.get("/admin/engagement/activityreport/").content.decode()
    )
    assert (
        "60614"
        in admin_signed_in.get(
            f"/admin/engagement/activityreport/{report.pk}/change/"
        ).content.decode()
    )
    assert (
        "Teen volunteers"
        in admin_signed_in.get(
            f"/admin/engagement/engagementrequest/{request.pk}/change/"
        ).content.decode()
    )


def test_people_who_are_not_administrators_cannot_open_the_admin(alice_client: Any) -> None:
    assert alice_client.get("/admin/engagement/activityreport/").status_code == 302
