"""Activity reports: drafts, rows typed or added without JavaScript, pre-filled from an event's
attendance, submitted, accepted or returned with an email to the author in her language, the
review queue by region, and every other persona refused with nothing changed."""

import datetime
import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks

from tapestry.accounts.api import Role
from tapestry.accounts.tests.factories import UserFactory
from tapestry.engagement import services
from tapestry.engagement.models import ActivityReport, ActivityReportRow
from tapestry.engagement.tests.factories import (
    ActivityReportFactory,
    ActivityReportRowFactory,
    EventFactory,
    RegistrationFactory,
    organization_make,
)

pytestmark = pytest.mark.django_db


def report_form(organization: Any, *rows: tuple[str, str, str], **overrides: str) -> dict[str, str]:
    data = {
        "organization_id": str(organization.pk),
        "title": "Finding health information online",
        "activity_type": "training",
        "delivery": "in_person",
        "activity_date": timezone.localdate().isoformat(),
        "event_id": "",
        "form-TOTAL_FORMS": str(len(rows)),
        "form-INITIAL_FORMS": "0",
        **overrides,
    }
    for index, (participants, zip_code, role) in enumerate(rows):
        data[f"form-{index}-participants"] = participants
        data[f"form-{index}-zip_code"] = zip_code
        data[f"form-{index}-role"] = role
    return data


def rows_of(report: ActivityReport) -> list[tuple[int, str, str]]:
    return [(row.participants, row.zip_code, row.role) for row in report.rows.all()]


@pytest.fixture
def submitted(alice_library: Any, alice_liaison: Any) -> ActivityReport:
    report = ActivityReportFactory.create(
        organization_id=alice_library.pk,
        author=alice_liaison,
        status=ActivityReport.Status.SUBMITTED,
        submitted_at=timezone.now(),
        title="Medicines and the internet",
    )
    ActivityReportRowFactory.create(report=report, participants=12)
    return report


def test_a_liaison_saves_a_draft_with_rows(alice_client: Client, alice_library: Any) -> None:
    response = alice_client.post(
        "/engagement/reports/new/",
        report_form(
            alice_library, ("12", "60601", "community_member"), ("3", "60614", "library_staff")
        ),
    )

    report = ActivityReport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/engagement/reports/{report.pk}/"
    assert report.status == ActivityReport.Status.DRAFT
    assert report.region_code == "region-6"
    assert rows_of(report) == [(12, "60601", "community_member"), (3, "60614", "library_staff")]


def test_a_row_with_bad_values_saves_nothing_and_says_why(
    alice_client: Client, alice_library: Any
) -> None:
    response = alice_client.post(
        "/engagement/reports/new/",
        report_form(alice_library, ("twelve", "60601", "student"), ("3", "00000", "student")),
    )

    assert response.status_code == 400
    assert "Participants must be a whole number." in response.content.decode()
    assert "00000 is not a known U.S. ZIP code." in response.content.decode()
    assert not ActivityReport.objects.exists()


def test_add_a_row_without_javascript_keeps_what_was_typed(
    alice_client: Client, alice_library: Any
) -> None:
    data = report_form(alice_library, ("7", "60601", "student"), add_row="1")

    response = alice_client.post("/engagement/reports/new/", data)

    page = response.content.decode()
    assert response.status_code == 200
    assert 'name="form-TOTAL_FORMS" value="2"' in page
    assert re.search(r'name="form-0-participants" id="id_r\w+_form-0-participants" value="7"', page)
    assert 'name="form-1-participants"' in page
    assert not ActivityReport.objects.exists()


def test_add_a_row_with_htmx_answers_only_the_rows_table(
    alice_client: Client, alice_library: Any
) -> None:
    data = report_form(alice_library, ("7", "60601", "student"), add_row="1")

    response = alice_client.post("/engagement/reports/new/", data, headers={"HX-Request": "true"})

    page = response.content.decode()
    assert page.lstrip().startswith('<div class="tapestry-report-rows" role="group"')
    assert 'name="form-1-participants"' in page and "autofocus" in page


def test_submit_audit_and_the_regions_specialists_are_told(
    alice_client: Client,
    alice_library: Any,
    alice_liaison: Any,
    sam_specialist: Any,
    olga_other_specialist: Any,
    audit_log: Any,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    report = ActivityReportFactory.create(
        organization_id=alice_library.pk, author=alice_liaison, title="Chair yoga and MedlinePlus"
    )
    ActivityReportRowFactory.create(report=report)

    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(f"/engagement/reports/{report.pk}/submit/")

    report.refresh_from_db()
    assert response.status_code == 302
    assert report.status == ActivityReport.Status.SUBMITTED
    assert audit_log() == [
        (
            "engagement.report_submit",
            "alice@example.org",
            "engagement.activityreport",
            str(report.pk),
        )
    ]
    (message,) = mail.outbox
    assert message.to == ["sam@example.org"]
    assert message.subject == "Activity report to review: Chair yoga and MedlinePlus"
    assert f"/engagement/reports/{report.pk}/" in message.body


def test_a_report_without_rows_is_not_submitted(
    alice_client: Client, alice_library: Any, alice_liaison: Any, audit_log: Any
) -> None:
    report = ActivityReportFactory.create(organization_id=alice_library.pk, author=alice_liaison)

    response = alice_client.post(f"/engagement/reports/{report.pk}/submit/", follow=True)

    report.refresh_from_db()
    assert report.status == ActivityReport.Status.DRAFT
    assert "Add at least one row of participants before submitting." in response.content.decode()
    assert audit_log() == []


def test_a_report_on_an_activity_still_to_come_is_not_submitted(
    alice_client: Client, alice_library: Any, alice_liaison: Any, audit_log: Any
) -> None:
    report = ActivityReportFactory.create(
        organization_id=alice_library.pk,
        author=alice_liaison,
        activity_date=timezone.localdate() + datetime.timedelta(days=1),
    )
    ActivityReportRowFactory.create(report=report)

    response = alice_client.post(f"/engagement/reports/{report.pk}/submit/", follow=True)

    report.refresh_from_db()
    assert report.status == ActivityReport.Status.DRAFT
    assert (
        "The activity&#x27;s date is still to come: submit the report once it has happened."
        in response.content.decode()
    )
    assert audit_log() == []
    assert mail.outbox == []


def test_prefill_from_attendance_groups_checked_in_people_by_zip_and_role(
    alice_client: Client, alice_library: Any, alice_liaison: Any
) -> None:
    event = EventFactory.create(
        organization_id=alice_library.pk, organizer=alice_liaison, zip_code="60601"
    )
    for zip_code, role in [
        ("60614", "student"),
        ("60614", "student"),
        ("", "student"),  # no ZIP: counted under the event's
        ("60601", ""),  # no role: "other"
        ("60601", "student"),
    ]:
        RegistrationFactory.create(event=event, zip_code=zip_code, role=role, attended=True)
    RegistrationFactory.create(event=event, zip_code="60614", role="student", attended=False)

    rows = services.report_rows_from_attendance(actor=alice_liaison, event_id=event.pk)
    response = alice_client.get(f"/engagement/reports/new/?event={event.pk}")

    assert [(row.participants, row.zip_code, row.role) for row in rows] == [
        (1, "60601", "other"),
        (2, "60601", "student"),
        (2, "60614", "student"),
    ]
    page = response.content.decode()
    assert response.status_code == 200
    assert 'name="form-TOTAL_FORMS" value="3"' in page
    assert f'<option value="{event.pk}" selected>' in page


def test_prefill_from_someone_elses_event_is_404(alice_client: Client, alice_library: Any) -> None:
    other = EventFactory.create(organization_id=organization_make(zip_code="10001").pk)
    RegistrationFactory.create(event=other, zip_code="10001", attended=True)

    response = alice_client.get(f"/engagement/reports/new/?event={other.pk}")

    assert response.status_code == 404


def test_the_specialist_accepts_and_the_author_is_emailed(
    sam_client: Client,
    submitted: ActivityReport,
    audit_log: Any,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = sam_client.post(
            f"/engagement/reports/{submitted.pk}/review/", {"decision": "accept", "comments": ""}
        )

    submitted.refresh_from_db()
    assert response.status_code == 302
    assert submitted.status == ActivityReport.Status.ACCEPTED
    assert submitted.reviewer is not None and submitted.reviewer.email == "sam@example.org"
    (message,) = mail.outbox
    assert message.to == ["alice@example.org"]
    assert message.subject == "Report accepted: Medicines and the internet"
    assert f"/engagement/reports/{submitted.pk}/" in message.body
    assert [row[0] for row in audit_log()][-1] == "engagement.report_accept"


def test_the_specialist_returns_with_comments_in_the_authors_language(
    sam_client: Client,
    alice_library: Any,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    lucia = UserFactory.create(
        email="lucia@example.org", roles=[Role.LIAISON], preferred_language="es"
    )
    library = organization_make(zip_code="60614", liaison=lucia)
    report = ActivityReportFactory.create(
        organization_id=library.pk,
        author=lucia,
        title="Taller de salud",
        status=ActivityReport.Status.SUBMITTED,
    )

    with django_capture_on_commit_callbacks(execute=True):
        sam_client.post(
            f"/engagement/reports/{report.pk}/review/",
            {"decision": "return", "comments": "Add the webinar's participants."},
        )

    report.refresh_from_db()
    assert report.status == ActivityReport.Status.RETURNED
    assert report.review_comments == "Add the webinar's participants."
    (message,) = mail.outbox
    assert message.to == ["lucia@example.org"]
    assert message.subject == "Informe devuelto con comentarios: Taller de salud"
    assert "Add the webinar's participants." in message.body


def test_a_returned_report_is_changed_and_resubmitted(
    alice_client: Client, alice_library: Any, alice_liaison: Any
) -> None:
    report = ActivityReportFactory.create(
        organization_id=alice_library.pk,
        author=alice_liaison,
        status=ActivityReport.Status.RETURNED,
        review_comments="Add the second session.",
    )

    response = alice_client.post(
        f"/engagement/reports/{report.pk}/edit/",
        report_form(alice_library, ("20", "60601", "student"), send_for_review="1"),
    )

    report.refresh_from_db()
    assert response.status_code == 302
    assert report.status == ActivityReport.Status.RESUBMITTED
    assert rows_of(report) == [(20, "60601", "student")]


def test_returning_without_comments_is_refused(
    sam_client: Client, submitted: ActivityReport, audit_log: Any
) -> None:
    sam_client.post(f"/engagement/reports/{submitted.pk}/review/", {"decision": "return"})

    submitted.refresh_from_db()
    assert submitted.status == ActivityReport.Status.SUBMITTED
    assert audit_log() == []
    assert mail.outbox == []


def test_another_regions_specialist_cannot_see_or_review(
    olga_client: Client, submitted: ActivityReport, audit_log: Any
) -> None:
    detail = olga_client.get(f"/engagement/reports/{submitted.pk}/")
    review = olga_client.post(f"/engagement/reports/{submitted.pk}/review/", {"decision": "accept"})

    submitted.refresh_from_db()
    assert (detail.status_code, review.status_code) == (404, 404)
    assert submitted.status == ActivityReport.Status.SUBMITTED
    assert audit_log() == []
    assert mail.outbox == []


def test_another_liaison_cannot_see_edit_or_submit(
    signed_in: Any, alice_library: Any, alice_liaison: Any
) -> None:
    report = ActivityReportFactory.create(organization_id=alice_library.pk, author=alice_liaison)
    ActivityReportRowFactory.create(report=report)
    carl = UserFactory.create(email="carl@example.org", roles=[Role.LIAISON])
    organization_make(zip_code="10001", liaison=carl)
    client = signed_in(carl)

    answers = [
        client.get(f"/engagement/reports/{report.pk}/").status_code,
        client.get(f"/engagement/reports/{report.pk}/edit/").status_code,
        client.post(f"/engagement/reports/{report.pk}/submit/").status_code,
        client.post(f"/engagement/reports/{report.pk}/upload/").status_code,
    ]

    report.refresh_from_db()
    assert answers == [404, 404, 404, 404]
    assert report.status == ActivityReport.Status.DRAFT
    assert ActivityReportRow.objects.filter(report=report).count() == 1


def test_a_liaison_cannot_report_for_another_organization(
    alice_client: Client, alice_library: Any
) -> None:
    other = organization_make(zip_code="10001")

    response = alice_client.post(
        "/engagement/reports/new/", report_form(other, ("5", "10001", "student"))
    )

    assert response.status_code == 400
    assert not ActivityReport.objects.exists()


def test_a_visitor_is_sent_to_sign_in_and_a_person_without_an_organization_gets_403(
    visitor: Client, bob_client: Client
) -> None:
    assert visitor.get("/engagement/reports/").status_code == 302
    assert bob_client.get("/engagement/reports/").status_code == 403
    assert bob_client.get("/engagement/reports/new/").status_code == 403
    assert bob_client.get("/engagement/reports/review/").status_code == 403


def test_the_review_queue_holds_only_the_specialists_regions(
    sam_client: Client, olga_client: Client, submitted: ActivityReport
) -> None:
    elsewhere = ActivityReportFactory.create(
        organization_id=organization_make(zip_code="19104").pk,
        region_code="region-1",
        status=ActivityReport.Status.RESUBMITTED,
        title="Delaware valley exhibit",
    )

    sam_page = sam_client.get("/engagement/reports/review/").content.decode()
    olga_page = olga_client.get("/engagement/reports/review/").content.decode()

    assert "Medicines and the internet" in sam_page
    assert "Delaware valley exhibit" not in sam_page
    assert elsewhere.title in olga_page
    assert "Medicines and the internet" not in olga_page


def test_program_staff_read_any_report_but_do_not_review(
    paula_client: Client, submitted: ActivityReport
) -> None:
    page = paula_client.get(f"/engagement/reports/{submitted.pk}/")
    review = paula_client.post(
        f"/engagement/reports/{submitted.pk}/review/", {"decision": "accept"}
    )

    submitted.refresh_from_db()
    assert page.status_code == 200
    assert "Send the decision" not in page.content.decode()
    assert review.status_code == 404
    assert submitted.status == ActivityReport.Status.SUBMITTED


def test_my_reports_empty_state_then_pages(
    alice_client: Client, alice_library: Any, alice_liaison: Any, settings: Any
) -> None:
    empty = alice_client.get("/engagement/reports/").content.decode()
    settings.ENGAGEMENT_REPORTS_PAGE_SIZE = 2
    for _ in range(3):
        ActivityReportFactory.create(organization_id=alice_library.pk, author=alice_liaison)

    first = alice_client.get("/engagement/reports/").content.decode()
    second = alice_client.get("/engagement/reports/?page=2").content.decode()

    assert "No reports yet." in empty
    assert "Page 1 of 2" in first and first.count("/engagement/reports/") >= 2
    assert "Page 2 of 2" in second


def test_the_csv_template_downloads(alice_client: Client) -> None:
    response = alice_client.get("/engagement/reports/template.csv")

    assert response["Content-Type"] == "text/csv"
    assert response.getvalue().decode().splitlines() == [
        "participants,zip_code,role",
        "12,60601,community_member",
        "3,60614,library_staff",
    ]


def test_a_visitor_changes_nothing(
    visitor: Client, submitted: ActivityReport, audit_log: Any
) -> None:
    answers = [
        visitor.post(f"/engagement/reports/{submitted.pk}/review/", {"decision": "accept"}),
        visitor.post(f"/engagement/reports/{submitted.pk}/submit/"),
        visitor.get(f"/engagement/reports/{submitted.pk}/"),
    ]

    submitted.refresh_from_db()
    assert [answer.status_code for answer in answers] == [302, 302, 302]
    assert all(answer["Location"].startswith("/accounts/login/") for answer in answers)
    assert submitted.status == ActivityReport.Status.SUBMITTED
    assert audit_log() == []
