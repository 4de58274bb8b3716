"""Filling a report's rows from a CSV upload: every wrong row named, nothing saved unless all
are right; wrong columns, not a CSV, too big; Spanish headers and role names accepted."""

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tapestry.engagement.models import ActivityReport
from tapestry.engagement.report_csv import ReportCsvError, rows_from_csv
from tapestry.engagement.tests.factories import ActivityReportFactory, ActivityReportRowFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(alice_library: Any, alice_liaison: Any) -> ActivityReport:
    report = ActivityReportFactory.create(organization_id=alice_library.pk, author=alice_liaison)
    ActivityReportRowFactory.create(report=report, participants=4, zip_code="60601")
    return report


def upload(client: Client, report: ActivityReport, content: bytes, name: str = "rows.csv") -> Any:
    return client.post(
        f"/engagement/reports/{report.pk}/upload/",
        {"file": SimpleUploadedFile(name, content, content_type="text/csv")},
    )


def rows_of(report: ActivityReport) -> list[tuple[int, str, str]]:
    return [(row.participants, row.zip_code, row.role) for row in report.rows.all()]


def problems(content: bytes, name: str = "rows.csv") -> list[str]:
    with pytest.raises(ReportCsvError) as refused:
        rows_from_csv(content, file_name=name)
    return refused.value.problems


def test_a_good_file_replaces_the_rows(alice_client: Client, draft: ActivityReport) -> None:
    response = upload(
        alice_client,
        draft,
        b"participants,zip_code,role\n12,60601,community_member\n3,60614,Library staff\n",
    )

    assert response.status_code == 302
    assert response["Location"] == f"/engagement/reports/{draft.pk}/edit/"
    assert rows_of(draft) == [(12, "60601", "community_member"), (3, "60614", "library_staff")]


def test_every_wrong_row_is_named_and_nothing_is_saved(
    alice_client: Client, draft: ActivityReport
) -> None:
    content = (
        b"participants,zip_code,role\n"
        b"12,60601,student\n"
        b"many,60601,student\n"
        b"5,00000,student\n"
        b"two,ABCDE,astronaut\n"
        b"0,60601,student\n"
    )

    response = upload(alice_client, draft, content)

    page = response.content.decode()
    assert response.status_code == 400
    for problem in [
        "row 3: participants must be a whole number",
        "row 4: 00000 is not a known U.S. ZIP code",
        "row 5: participants must be a whole number",
        "row 5: the ZIP code must be 5 digits",
        "row 5: “astronaut” is not one of the roles",
        "row 6: participants must be at least 1",
    ]:
        assert problem in page
    assert rows_of(draft) == [(4, "60601", "community_member")]


def test_wrong_columns_are_named(alice_client: Client, draft: ActivityReport) -> None:
    response = upload(alice_client, draft, b"count,zip,job\n3,60601,student\n")

    assert response.status_code == 400
    assert (
        "Row 1 must name the columns participants, zip_code and role (or participantes, "
        "codigo_postal and rol); this file has: count, zip, job."
    ) in response.content.decode()
    assert rows_of(draft) == [(4, "60601", "community_member")]


def test_spanish_headers_and_role_names_are_read() -> None:
    rows = rows_from_csv("Participantes,Código postal,Rol\n8,60601,Estudiante\n".encode())

    assert [(row.participants, row.zip_code, row.role) for row in rows] == [(8, "60601", "student")]


def test_not_a_csv_file_too_big_empty_or_a_short_row(settings: Any) -> None:
    settings.ENGAGEMENT_REPORT_CSV_MAX_BYTES = 100

    assert problems(b"participants,zip_code,role\n", name="rows.xlsx") == [
        "The file must be a CSV file (its name ends in .csv)."
    ]
    assert problems(b"x" * 101) == ["The file is too big: at most 0 KB."]
    assert problems(b"\xff\xfe\x00binary") == [
        "The file is not a CSV text file (save it as “CSV UTF-8” and try again)."
    ]
    assert problems(b"") == ["The file is empty."]
    assert problems(b"participants,zip_code,role\n3,60601\n") == ["row 2: it has 2 cells, not 3"]
    assert problems(b"participants,zip_code,role\n") == ["The file has no rows under its header."]


def test_a_submitted_report_takes_no_upload(alice_client: Client, draft: ActivityReport) -> None:
    ActivityReport.objects.filter(pk=draft.pk).update(status=ActivityReport.Status.SUBMITTED)

    response = upload(alice_client, draft, b"participants,zip_code,role\n1,60601,student\n")

    assert response.status_code == 404
    assert rows_of(draft) == [(4, "60601", "community_member")]


def test_the_upload_page_in_spanish_names_the_rows_in_spanish(
    alice_client: Client, draft: ActivityReport
) -> None:
    alice_client.cookies["django_language"] = "es"

    response = upload(alice_client, draft, b"participants,zip_code,role\nmany,60601,student\n")

    assert (
        "fila 2: el número de participantes debe ser un número entero" in response.content.decode()
    )
