"""The activity reports API: a liaison's `reports` token submits a report with its rows; every
refusal is its documented 4xx and saves nothing."""

from typing import Any

import pytest
from django.test import Client

from tapestry.accounts.tests.factories import api_token_make
from tapestry.engagement.models import ActivityReport
from tapestry.engagement.tests.factories import ActivityReportFactory, organization_make

pytestmark = pytest.mark.django_db


def body(organization: Any, **overrides: Any) -> dict[str, Any]:
    return {
        "organization_id": organization.pk,
        "title": "Webinar: MedlinePlus",
        "activity_type": "webinar",
        "delivery": "virtual",
        "activity_date": "2026-10-14",
        "rows": [
            {"participants": 14, "zip_code": "60601", "role": "library_staff"},
            {"participants": 2, "zip_code": "60614", "role": "educator"},
        ],
        **overrides,
    }


def post(token: str | None, data: dict[str, Any]) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return Client().post(
        "/api/v1/engagement/reports/", data, content_type="application/json", headers=headers
    )


@pytest.fixture
def token(alice_liaison: Any, alice_library: Any) -> str:
    return api_token_make(user=alice_liaison, scopes=["reports"])


def test_a_liaison_submits_a_report(token: str, alice_library: Any) -> None:
    response = post(token, body(alice_library))

    report = ActivityReport.objects.get()
    assert response.status_code == 201
    assert response.json() == {
        "id": report.pk,
        "organization_id": alice_library.pk,
        "title": "Webinar: MedlinePlus",
        "activity_type": "webinar",
        "delivery": "virtual",
        "activity_date": "2026-10-14",
        "event_id": None,
        "status": "submitted",
        "region": "region-6",
        "participants": 16,
        "rows": [
            {"participants": 14, "zip_code": "60601", "role": "library_staff"},
            {"participants": 2, "zip_code": "60614", "role": "educator"},
        ],
        "url": f"http://testserver/engagement/reports/{report.pk}/",
    }


def test_a_draft_when_asked(token: str, alice_library: Any) -> None:
    response = post(token, body(alice_library, submit=False))

    assert response.json()["status"] == "draft"


def test_bad_rows_are_400_and_nothing_is_saved(token: str, alice_library: Any) -> None:
    unknown_zip = post(
        token,
        body(alice_library, rows=[{"participants": 3, "zip_code": "00000", "role": "student"}]),
    )
    not_a_number = post(
        token,
        body(alice_library, rows=[{"participants": "x", "zip_code": "60601", "role": "student"}]),
    )
    not_a_day = post(token, body(alice_library, activity_date="2026-02-30"))

    assert unknown_zip.status_code == 400
    assert unknown_zip.json()["errors"] == {"rows": ["row 1: 00000 is not a known U.S. ZIP code"]}
    assert not_a_number.status_code == 400
    assert not_a_day.json()["errors"] == {"activity_date": ["Not a calendar day."]}
    assert not ActivityReport.objects.exists()


def test_someone_elses_organization_or_event_is_404(token: str, alice_library: Any) -> None:
    other = organization_make(zip_code="10001")

    assert post(token, body(other)).status_code == 404
    assert post(token, body(alice_library, event_id=999)).status_code == 404
    assert not ActivityReport.objects.exists()


def test_no_token_401_no_scope_or_no_organization_403(
    alice_liaison: Any, alice_library: Any, bob_applicant: Any
) -> None:
    read_only = api_token_make(user=alice_liaison, scopes=["read"])
    bobs = api_token_make(user=bob_applicant, scopes=["reports"])

    assert post(None, body(alice_library)).status_code == 401
    assert post(read_only, body(alice_library)).status_code == 403
    assert post(bobs, body(alice_library)).status_code == 403
    assert not ActivityReport.objects.exists()


def test_reading_a_report_is_scoped(token: str, alice_library: Any, alice_liaison: Any) -> None:
    mine = ActivityReportFactory.create(organization_id=alice_library.pk, author=alice_liaison)
    theirs = ActivityReportFactory.create(organization_id=organization_make(zip_code="10001").pk)
    headers = {"Authorization": f"Bearer {token}"}

    assert Client().get(f"/api/v1/engagement/reports/{mine.pk}", headers=headers).status_code == 200
    assert (
        Client().get(f"/api/v1/engagement/reports/{theirs.pk}", headers=headers).status_code == 404
    )
