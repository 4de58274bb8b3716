"""The request pages as each library's liaison uses them, and what everyone else gets: 404 for
another library's pages, the login page when signed out, a message and nothing changed for
bad input."""

import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tapestry.sharing import services
from tapestry.sharing.models import Charge, Delivery, Request
from tapestry.sharing.tests.factories import LendingPolicyFactory, library, serial_holding

pytestmark = pytest.mark.django_db

EASTERN = ZoneInfo("America/New_York")
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _setting(settings: Any, tmp_path: Path) -> Any:
    settings.MEDIA_ROOT = tmp_path
    with time_machine.travel(datetime.datetime(2026, 12, 1, 10, tzinfo=EASTERN), tick=False):
        yield


@pytest.fixture
def oak_park(db: None) -> Any:
    return library("Oak Park Public Library", org_type="public_library")


@pytest.fixture
def galter(db: None) -> Any:
    organization = library("Northwestern Galter Library", zip_code="60612")
    LendingPolicyFactory.create(organization_id=organization.pk, fee_cents=800)
    serial_holding(organization)
    return organization


def _client(organization: Any, signed_in: Any) -> Client:
    return signed_in(organization.liaison)


def _form(**changes: Any) -> dict[str, Any]:
    values = {
        "kind": "article",
        "title": "Gut microbes and the immune system",
        "journal_title": "Nature",
        "issn": "0028-0836",
        "year": "2024",
        "volume": "625",
        "needed_by": "2026-12-15",
        "max_cost": "20.00",
        "urgency": "regular",
        "patron_reference": "P-114",
        "compliance": "ccg",
        "submission_token": "6f1c3a52-8d7e-4f0e-9a43-1b2c3d4e5f60",
    }
    values.update(changes)
    return values


def test_a_liaison_requests_an_article_and_follows_it(
    oak_park: Any, galter: Any, signed_in: Any
) -> None:
    client = _client(oak_park, signed_in)

    response = client.post(f"/sharing/library/{oak_park.pk}/requests/new/", _form(), follow=True)

    request = Request.objects.get()
    assert response.redirect_chain == [
        (f"/sharing/library/{oak_park.pk}/requests/{request.pk}/", 302)
    ]
    page = response.content.decode()
    assert f"Request {request.reference} is sent." in page
    assert "Northwestern Galter Library" in page
    assert "$8.00" in page
    listing = client.get(f"/sharing/library/{oak_park.pk}/requests/?q=microbes").content.decode()
    assert request.reference in listing


def test_a_request_with_wrong_fields_shows_each_message_and_stores_nothing(
    oak_park: Any, galter: Any, signed_in: Any
) -> None:
    client = _client(oak_park, signed_in)

    response = client.post(
        f"/sharing/library/{oak_park.pk}/requests/new/",
        _form(issn="0028-0837", needed_by="2026-11-01"),
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "its last character (the check digit) is wrong" in page
    assert "The date needed is in the past" in page
    assert Request.objects.count() == 0


def test_the_same_form_posted_twice_makes_one_request(
    oak_park: Any, galter: Any, signed_in: Any
) -> None:
    client = _client(oak_park, signed_in)

    client.post(f"/sharing/library/{oak_park.pk}/requests/new/", _form())
    client.post(f"/sharing/library/{oak_park.pk}/requests/new/", _form())

    assert Request.objects.count() == 1


def test_another_librarys_pages_are_not_found_and_signed_out_people_sign_in(
    oak_park: Any, galter: Any, signed_in: Any, alice_liaison: Any
) -> None:
    request = services.request_create(
        actor=oak_park.liaison,
        borrower_id=oak_park.pk,
        issn="0028-0836",
        year=2024,
        title="Gut microbes",
        needed_by=datetime.date(2026, 12, 15),
        max_cost_cents=2000,
        compliance="ccg",
    )
    alice = signed_in(alice_liaison)
    pages = [
        f"/sharing/library/{oak_park.pk}/requests/",
        f"/sharing/library/{oak_park.pk}/requests/new/",
        f"/sharing/library/{oak_park.pk}/requests/{request.pk}/",
        f"/sharing/library/{oak_park.pk}/requests/{request.pk}/document/",
        f"/sharing/library/{galter.pk}/lending/",
        f"/sharing/library/{galter.pk}/lending/{request.pk}/",
        f"/sharing/library/{oak_park.pk}/patrons/",
    ]

    for page in pages:
        assert alice.get(page).status_code == 404, page
        assert Client().get(page).status_code == 302, page
    # The lender's liaison sees its turn, but not the borrower's own page
    lender = _client(galter, signed_in)
    assert lender.get(f"/sharing/library/{galter.pk}/lending/{request.pk}/").status_code == 200
    assert lender.get(f"/sharing/library/{galter.pk}/requests/{request.pk}/").status_code == 404
    # Posting to another library's request changes nothing
    assert (
        alice.post(
            f"/sharing/library/{galter.pk}/lending/{request.pk}/fill/", {"method": "mail"}
        ).status_code
        == 404
    )
    assert Charge.objects.count() == 0


def test_the_lender_fills_with_a_pdf_and_the_borrower_downloads_it(
    oak_park: Any, galter: Any, signed_in: Any
) -> None:
    request = services.request_create(
        actor=oak_park.liaison,
        borrower_id=oak_park.pk,
        issn="0028-0836",
        year=2024,
        title="Gut microbes",
        needed_by=datetime.date(2026, 12, 15),
        max_cost_cents=2000,
        patron_reference="P-114",
        compliance="ccg",
    )
    lender = _client(galter, signed_in)
    queue = lender.get(f"/sharing/library/{galter.pk}/lending/").content.decode()
    assert request.reference in queue
    turn = lender.get(f"/sharing/library/{galter.pk}/lending/{request.pk}/").content.decode()
    assert "Oak Park Public Library asks Northwestern Galter Library for this item." in turn
    # The borrower's reference for its patron stays with the borrower.
    assert "P-114" not in turn

    response = lender.post(
        f"/sharing/library/{galter.pk}/lending/{request.pk}/fill/",
        {"method": "electronic", "file": SimpleUploadedFile("a.pdf", PDF, "application/pdf")},
    )

    assert response.status_code == 302
    borrower = _client(oak_park, signed_in)
    download = borrower.get(f"/sharing/library/{oak_park.pk}/requests/{request.pk}/document/")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Cache-Control"] == "private, no-store"
    assert b"".join(download.streaming_content) == PDF  # type: ignore[attr-defined]
    assert Delivery.objects.get().downloads == 1


def test_a_fill_with_a_file_that_is_not_a_pdf_shows_the_reason_and_changes_nothing(
    oak_park: Any, galter: Any, signed_in: Any
) -> None:
    request = services.request_create(
        actor=oak_park.liaison,
        borrower_id=oak_park.pk,
        issn="0028-0836",
        year=2024,
        title="Gut microbes",
        needed_by=datetime.date(2026, 12, 15),
        max_cost_cents=2000,
        compliance="ccg",
    )

    response = _client(galter, signed_in).post(
        f"/sharing/library/{galter.pk}/lending/{request.pk}/fill/",
        {"method": "electronic", "file": SimpleUploadedFile("a.pdf", b"GIF89a", "application/pdf")},
    )

    assert response.status_code == 400
    assert "The file is not a PDF." in response.content.decode()
    assert (Delivery.objects.count(), Charge.objects.count()) == (0, 0)


def test_the_rule_of_five_warning_shows_on_the_form(
    oak_park: Any, galter: Any, signed_in: Any
) -> None:
    client = _client(oak_park, signed_in)
    for number in range(5):
        client.post(
            f"/sharing/library/{oak_park.pk}/requests/new/",
            _form(submission_token=f"6f1c3a52-8d7e-4f0e-9a43-1b2c3d4e5f6{number}"),
        )

    response = client.post(
        f"/sharing/library/{oak_park.pk}/requests/new/",
        _form(submission_token="7f1c3a52-8d7e-4f0e-9a43-1b2c3d4e5f60"),
    )

    assert response.status_code == 409
    assert "Copyright: the rule of five" in response.content.decode()
    assert Request.objects.count() == 5


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_pages_render_in_both_languages(
    oak_park: Any, galter: Any, signed_in: Any, language: str
) -> None:
    client = _client(oak_park, signed_in)
    client.cookies["django_language"] = language

    for page in [
        "/sharing/",
        f"/sharing/library/{oak_park.pk}/requests/",
        f"/sharing/library/{oak_park.pk}/requests/new/",
        f"/sharing/library/{oak_park.pk}/lending/",
        f"/sharing/library/{oak_park.pk}/patrons/",
        "/sharing/patron/",
    ]:
        response = client.get(page)
        assert response.status_code == 200, page
        assert f'lang="{language}"' in response.content.decode(), page
