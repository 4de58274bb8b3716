"""The resource-sharing API: a library's liaison enters, follows and cancels its requests, and
answers the requests its library is asked to lend, with a `sharing` token or signed in. Another
library's ids are 404s that change nothing; a lender never sees the borrower's patron
reference; every refusal is its documented 4xx."""

import datetime
import uuid
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tapestry.accounts.tests.factories import UserFactory, api_token_make
from tapestry.sharing.models import Charge, Delivery, Lender, Request, RequestEvent
from tapestry.sharing.tests.factories import LendingPolicyFactory, library, serial_holding

pytestmark = pytest.mark.django_db

API = "/api/v1/sharing/libraries"
EASTERN = ZoneInfo("America/New_York")
# A Tuesday morning.
TUESDAY = datetime.datetime(2026, 12, 1, 10, 0, tzinfo=EASTERN)
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PATRON_REFERENCE = "PR-7781-jd"


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture(autouse=True)
def clock() -> Any:
    with time_machine.travel(TUESDAY, tick=False) as traveller:
        yield traveller


def sharing_token(user: Any) -> str:
    """A live token of `user` with the `sharing` scope."""
    return api_token_make(user=user, scopes=["sharing"])


def call_api(method: str, path: str, token: str | None = None, data: Any = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return getattr(Client(), method)(
        f"{API}{path}", data, content_type="application/json", headers=headers
    )


def fill_api(path: str, token: str, data: dict[str, Any]) -> Any:
    """The fill is a form (multipart), to carry the PDF."""
    return Client().post(f"{API}{path}", data, headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def oak_park(db: None) -> Any:
    return library("Oak Park Public Library", org_type="public_library")


def _lender(name: str, fee: int, zip_code: str = "60612") -> Any:
    organization = library(name, zip_code=zip_code)
    LendingPolicyFactory.create(organization_id=organization.pk, fee_cents=fee)
    serial_holding(organization)
    return organization


@pytest.fixture
def galter(db: None) -> Any:
    return _lender("Northwestern Galter Library", 800)


@pytest.fixture
def rush(db: None) -> Any:
    return _lender("Rush Medical Library", 1200)


@pytest.fixture
def oak_token(oak_park: Any) -> str:
    return sharing_token(oak_park.liaison)


@pytest.fixture
def galter_token(galter: Any) -> str:
    return sharing_token(galter.liaison)


@pytest.fixture
def rush_token(rush: Any) -> str:
    return sharing_token(rush.liaison)


def citation(**changes: Any) -> dict[str, Any]:
    return {
        "journal_title": "Nature",
        "issn": "0028-0836",
        "year": 2024,
        "volume": "625",
        "pages": "12-19",
        "title": "Gut microbes and the immune system",
        "authors": "Rivera A, Chen B",
        "needed_by": "2026-12-15",
        "max_cost_cents": 2000,
        "urgency": "regular",
        "patron_reference": PATRON_REFERENCE,
        "compliance": "ccg",
        **changes,
    }


def ask(borrower: Any, token: str, **changes: Any) -> Any:
    return call_api("post", f"/{borrower.pk}/requests", token, citation(**changes))


# --- The borrowing library ---


def test_a_library_enters_a_request_and_it_goes_to_the_cheapest_lender(
    oak_park: Any, oak_token: str, galter: Any, rush: Any
) -> None:
    # Given two lenders holding Nature, Galter charging less than Rush
    # When Oak Park's liaison enters a request
    response = ask(oak_park, oak_token)

    # Then it is entered and Galter is asked first, Rush waits its turn
    body = response.json()
    item = Request.objects.get()
    assert response.status_code == 201
    assert body["id"] == item.pk
    assert body["reference"] == item.reference
    assert body["organization_id"] == oak_park.pk
    assert body["status"] == "routing"
    assert body["patron_reference"] == PATRON_REFERENCE
    assert body["max_cost_cents"] == 2000
    assert body["needed_by"] == "2026-12-15"
    assert [
        (lender["position"], lender["name"], lender["status"], lender["fee_cents"])
        for lender in body["lenders"]
    ] == [
        (1, "Northwestern Galter Library", "asked", 800),
        (2, "Rush Medical Library", "waiting", 1200),
    ]
    assert body["lenders"][0]["due_at"] is not None
    assert body["delivery"] is None
    assert body["unfilled_reasons"] == []


def test_the_same_submission_token_twice_returns_the_first_request(
    oak_park: Any, oak_token: str, galter: Any
) -> None:
    token = str(uuid.uuid4())

    first = ask(oak_park, oak_token, submission_token=token)
    second = ask(oak_park, oak_token, submission_token=token)

    assert first.status_code == 201
    assert second.status_code == 201
    assert second.json()["id"] == first.json()["id"]
    assert Request.objects.count() == 1
    assert Lender.objects.filter(status=Lender.Status.ASKED).count() == 1


def test_no_library_to_lend_ends_the_request_unfilled_with_the_reason(
    oak_park: Any, oak_token: str
) -> None:
    response = ask(oak_park, oak_token)

    assert response.status_code == 201
    assert response.json()["status"] == "unfilled"
    assert response.json()["lenders"] == []
    assert response.json()["unfilled_reasons"] == [
        "No member library that lends to yours holds this journal for 2024, is open now and "
        "charges no more than your maximum of $20.00."
    ]


def test_the_sixth_article_from_a_journal_is_a_409_with_the_count(
    oak_park: Any, oak_token: str, galter: Any
) -> None:
    for _ in range(5):
        assert ask(oak_park, oak_token).status_code == 201

    response = ask(oak_park, oak_token)

    assert response.status_code == 409
    assert response.json()["count"] == 5
    assert response.json()["detail"].startswith(
        "This would be article 6 this year from this journal's issues of the last 5 years."
    )
    assert Request.objects.count() == 5


def test_the_sixth_article_goes_with_the_copyright_law_statement(
    oak_park: Any, oak_token: str, galter: Any
) -> None:
    for _ in range(5):
        ask(oak_park, oak_token)

    response = ask(oak_park, oak_token, compliance="ccl")

    assert response.status_code == 201
    assert response.json()["compliance"] == "ccl"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"needed_by": "2026-11-30"}, "needed_by", "in the past"),
        ({"needed_by": "2026-13-45"}, "needed_by", "valid date"),
        ({"needed_by": "next week"}, "needed_by", "valid date"),
        ({"max_cost_cents": -1}, "max_cost_cents", "greater than or equal to 0"),
        ({"max_cost_cents": "a lot"}, "max_cost_cents", "valid integer"),
        ({"urgency": "yesterday"}, "urgency", "'regular', 'rush' or 'urgent'"),
        ({"compliance": "none"}, "compliance", "'ccg' or 'ccl'"),
        ({"kind": "map"}, "kind", "'article' or 'book'"),
        ({"issn": "0028-0837"}, "issn", "ISSN"),
        ({"year": None}, "year", "Enter the year"),
        ({"title": "   "}, "title", "Enter the article's or the book's title."),
        ({"patron_reference": "x" * 61}, "patron_reference", "at most 60 characters"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_nothing_is_entered(
    oak_park: Any,
    oak_token: str,
    galter: Any,
    changes: dict[str, Any],
    field: str,
    message: str,
) -> None:
    response = ask(oak_park, oak_token, **changes)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert message in response.json()["errors"][field][0]
    assert Request.objects.count() == 0


def test_a_library_lists_its_requests_filtered_and_a_page_at_a_time(
    oak_park: Any, oak_token: str, galter: Any, settings: Any
) -> None:
    settings.SHARING_PAGE_SIZE = 2
    for title in ("Sleep and memory", "Gut microbes", "Heart failure"):
        ask(oak_park, oak_token, title=title, compliance="ccl")
    cancelled = Request.objects.get(title="Gut microbes")
    call_api("post", f"/{oak_park.pk}/requests/{cancelled.pk}/cancel", oak_token)

    first = call_api("get", f"/{oak_park.pk}/requests", oak_token)
    second = call_api("get", f"/{oak_park.pk}/requests?page=2", oak_token)
    open_ones = call_api("get", f"/{oak_park.pk}/requests?status=open", oak_token)
    found = call_api("get", f"/{oak_park.pk}/requests?q=sleep", oak_token)

    assert first.status_code == 200
    assert (first.json()["count"], first.json()["page"], first.json()["pages"]) == (3, 1, 2)
    assert [item["title"] for item in first.json()["requests"]] == [
        "Heart failure",
        "Gut microbes",
    ]
    assert [item["title"] for item in second.json()["requests"]] == ["Sleep and memory"]
    assert [item["title"] for item in open_ones.json()["requests"]] == [
        "Heart failure",
        "Sleep and memory",
    ]
    assert [item["title"] for item in found.json()["requests"]] == ["Sleep and memory"]


@pytest.mark.parametrize(
    ("query", "field"),
    [("status=lost", "status"), ("page=0", "page"), ("colour=red", "colour")],
)
def test_a_bad_or_unknown_filter_is_a_400(
    oak_park: Any, oak_token: str, query: str, field: str
) -> None:
    response = call_api("get", f"/{oak_park.pk}/requests?{query}", oak_token)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]


def test_a_library_reads_one_request_and_cancels_it(
    oak_park: Any, oak_token: str, galter: Any
) -> None:
    request_id = ask(oak_park, oak_token).json()["id"]

    read = call_api("get", f"/{oak_park.pk}/requests/{request_id}", oak_token)
    cancelled = call_api("post", f"/{oak_park.pk}/requests/{request_id}/cancel", oak_token)
    again = call_api("post", f"/{oak_park.pk}/requests/{request_id}/cancel", oak_token)

    assert read.status_code == 200
    assert read.json()["title"] == "Gut microbes and the immune system"
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["lenders"][0]["status"] == "skipped"
    assert again.status_code == 409
    assert again.json() == {
        "detail": "Only a request still open can be cancelled.",
        "count": None,
    }


# --- Scope ---


def test_another_librarys_token_finds_nothing_and_changes_nothing(
    oak_park: Any, oak_token: str, galter: Any, galter_token: str
) -> None:
    # Given Oak Park's request, asked of Galter
    request_id = ask(oak_park, oak_token).json()["id"]
    events = RequestEvent.objects.count()

    # When Galter's liaison uses Oak Park's ids
    answers = [
        call_api("get", f"/{oak_park.pk}/requests", galter_token),
        call_api("get", f"/{oak_park.pk}/requests/{request_id}", galter_token),
        call_api("post", f"/{oak_park.pk}/requests/{request_id}/cancel", galter_token),
        call_api("post", f"/{oak_park.pk}/requests", galter_token, citation()),
        call_api("get", f"/{oak_park.pk}/lending", galter_token),
        # and its own library's path with Oak Park's request
        call_api("get", f"/{galter.pk}/requests/{request_id}", galter_token),
        call_api("post", f"/{galter.pk}/requests/{request_id}/cancel", galter_token),
    ]

    # Then every answer is a 404 and nothing changed
    assert [answer.status_code for answer in answers] == [404] * 7
    assert answers[0].json() == {"detail": "No such library among those you act for."}
    assert answers[5].json() == {"detail": "No such request among your library's."}
    assert Request.objects.get().status == Request.Status.ROUTING
    assert Request.objects.count() == 1
    assert RequestEvent.objects.count() == events


def test_a_token_of_someone_who_acts_for_no_library_finds_nothing(
    oak_park: Any, oak_token: str, galter: Any
) -> None:
    request_id = ask(oak_park, oak_token).json()["id"]
    stranger = sharing_token(UserFactory.create())

    listing = call_api("get", f"/{oak_park.pk}/requests", stranger)
    entering = ask(oak_park, stranger)
    cancelling = call_api("post", f"/{oak_park.pk}/requests/{request_id}/cancel", stranger)

    assert (listing.status_code, entering.status_code, cancelling.status_code) == (404, 404, 404)
    assert Request.objects.count() == 1
    assert Request.objects.get().status == Request.Status.ROUTING


def test_anonymous_is_a_401_and_a_token_without_the_scope_a_403(
    oak_park: Any,
) -> None:
    read_only = api_token_make(user=oak_park.liaison, scopes=["read"])

    anonymous = call_api("get", f"/{oak_park.pk}/requests")
    anonymous_write = ask(oak_park, "")
    unscoped = call_api("get", f"/{oak_park.pk}/requests", read_only)
    bogus = call_api("get", f"/{oak_park.pk}/requests", "tap_not-a-token")

    assert anonymous.status_code == 401
    assert anonymous.json() == {"detail": "A valid API token is required."}
    assert anonymous_write.status_code == 401
    assert unscoped.status_code == 403
    assert "“sharing” scope" in unscoped.json()["detail"]
    assert bogus.status_code == 401
    assert Request.objects.count() == 0


def test_a_signed_in_liaison_uses_the_api_with_the_session(oak_park: Any, galter: Any) -> None:
    client = Client()
    client.force_login(oak_park.liaison)

    created = client.post(
        f"{API}/{oak_park.pk}/requests", citation(), content_type="application/json"
    )
    listing = client.get(f"{API}/{oak_park.pk}/requests")

    assert created.status_code == 201
    assert listing.json()["count"] == 1


def test_a_session_write_without_the_csrf_token_is_refused(oak_park: Any, galter: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(oak_park.liaison)

    response = client.post(
        f"{API}/{oak_park.pk}/requests", citation(), content_type="application/json"
    )

    assert response.status_code == 403
    assert Request.objects.count() == 0


# --- The lending library ---


def test_the_lender_sees_its_queue_without_the_patron_reference(
    oak_park: Any, oak_token: str, galter: Any, galter_token: str
) -> None:
    request_id = ask(oak_park, oak_token).json()["id"]

    response = call_api("get", f"/{galter.pk}/lending", galter_token)

    assert response.status_code == 200
    assert response.json()["count"] == 1
    queued = response.json()["requests"][0]
    assert queued["id"] == request_id
    assert queued["borrower_name"] == "Oak Park Public Library"
    assert queued["fee_cents"] == 800
    assert queued["status"] == "asked"
    assert "patron_reference" not in queued
    assert "max_cost_cents" not in queued
    assert PATRON_REFERENCE not in response.content.decode()


def test_a_lender_that_was_not_asked_yet_sees_nothing(
    oak_park: Any, oak_token: str, galter: Any, rush: Any
) -> None:
    # Given Rush waiting its turn behind Galter
    request_id = ask(oak_park, oak_token).json()["id"]
    rush_token = sharing_token(rush.liaison)

    queue = call_api("get", f"/{rush.pk}/lending", rush_token)
    fill = fill_api(f"/{rush.pk}/lending/{request_id}/fill", rush_token, {"method": "mail"})

    assert queue.json()["count"] == 0
    assert fill.status_code == 404
    assert fill.json() == {"detail": "Your library has not been asked for this request."}
    assert Request.objects.get().status == Request.Status.ROUTING
    assert Charge.objects.count() == 0


def test_not_filled_it_goes_to_the_next_lender_who_fills_it_by_mail(
    oak_park: Any,
    oak_token: str,
    galter: Any,
    galter_token: str,
    rush: Any,
    rush_token: str,
) -> None:
    request_id = ask(oak_park, oak_token).json()["id"]

    not_filled = call_api(
        "post",
        f"/{galter.pk}/lending/{request_id}/not-fill",
        galter_token,
        {"reason": "in_use", "note": "Out at the bindery"},
    )
    filled = fill_api(f"/{rush.pk}/lending/{request_id}/fill", rush_token, {"method": "mail"})
    seen = call_api("get", f"/{oak_park.pk}/requests/{request_id}", oak_token)

    assert not_filled.status_code == 200
    assert not_filled.json()["status"] == "not_filled"
    assert PATRON_REFERENCE not in not_filled.content.decode()
    assert filled.status_code == 200
    assert filled.json()["status"] == "filled"
    assert PATRON_REFERENCE not in filled.content.decode()
    assert [
        (lender["name"], lender["status"], lender["outcome"]) for lender in seen.json()["lenders"]
    ] == [
        ("Northwestern Galter Library", "not_filled", "In use or checked out"),
        ("Rush Medical Library", "filled", "Filled"),
    ]
    assert seen.json()["status"] == "filled"
    assert seen.json()["delivery"] == {
        "method": "mail",
        "expires_at": None,
        "download_path": None,
        "downloads": 0,
    }
    charge = Charge.objects.get()
    assert (charge.borrower_id, charge.lender_id, charge.amount_cents) == (
        oak_park.pk,
        rush.pk,
        1200,
    )


def test_a_lender_fills_with_a_pdf_and_the_borrower_gets_the_download_page(
    oak_park: Any, oak_token: str, galter: Any, galter_token: str
) -> None:
    request_id = ask(oak_park, oak_token).json()["id"]

    filled = fill_api(
        f"/{galter.pk}/lending/{request_id}/fill",
        galter_token,
        {
            "method": "electronic",
            "file": SimpleUploadedFile("scan.pdf", PDF, content_type="application/pdf"),
        },
    )
    seen = call_api("get", f"/{oak_park.pk}/requests/{request_id}", oak_token)

    assert filled.status_code == 200
    delivery = seen.json()["delivery"]
    assert delivery["method"] == "electronic"
    assert delivery["download_path"] == reverse(
        "sharing:request_document", args=[oak_park.pk, request_id]
    )
    assert delivery["expires_at"] == "2026-12-15T15:00:00Z"
    assert Delivery.objects.get().size == len(PDF)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"method": "electronic"}, "file"),
        (
            {
                "method": "electronic",
                "file": SimpleUploadedFile("scan.pdf", b"not a pdf", content_type="text/plain"),
            },
            "file",
        ),
        ({"method": "pigeon"}, "method"),
    ],
)
def test_a_fill_without_a_good_pdf_is_a_400_and_nothing_changes(
    oak_park: Any,
    oak_token: str,
    galter: Any,
    galter_token: str,
    data: dict[str, Any],
    field: str,
) -> None:
    request_id = ask(oak_park, oak_token).json()["id"]

    response = fill_api(f"/{galter.pk}/lending/{request_id}/fill", galter_token, data)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert Request.objects.get().status == Request.Status.ROUTING
    assert Delivery.objects.count() == 0
    assert Charge.objects.count() == 0


def test_a_lender_answering_a_request_that_moved_on_is_a_409(
    oak_park: Any, oak_token: str, galter: Any, galter_token: str
) -> None:
    request_id = ask(oak_park, oak_token).json()["id"]
    call_api("post", f"/{oak_park.pk}/requests/{request_id}/cancel", oak_token)

    fill = fill_api(f"/{galter.pk}/lending/{request_id}/fill", galter_token, {"method": "mail"})
    not_fill = call_api(
        "post", f"/{galter.pk}/lending/{request_id}/not-fill", galter_token, {"reason": "in_use"}
    )

    assert fill.status_code == 409
    assert fill.json()["detail"].startswith("This request has moved on")
    assert not_fill.status_code == 409
    assert Request.objects.get().status == Request.Status.CANCELLED
    assert Charge.objects.count() == 0


def test_a_double_fill_is_a_409_and_one_fill_counts(
    oak_park: Any, oak_token: str, galter: Any, galter_token: str
) -> None:
    request_id = ask(oak_park, oak_token).json()["id"]
    fill_api(f"/{galter.pk}/lending/{request_id}/fill", galter_token, {"method": "mail"})

    again = fill_api(f"/{galter.pk}/lending/{request_id}/fill", galter_token, {"method": "mail"})

    assert again.status_code == 409
    assert again.json()["detail"] == "Your library has already filled this request."
    assert Charge.objects.count() == 1


def test_a_bad_reason_is_a_400(
    oak_park: Any, oak_token: str, galter: Any, galter_token: str
) -> None:
    request_id = ask(oak_park, oak_token).json()["id"]

    response = call_api(
        "post", f"/{galter.pk}/lending/{request_id}/not-fill", galter_token, {"reason": "bored"}
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["reason"]
    assert Lender.objects.get(organization_id=galter.pk).status == Lender.Status.ASKED


def test_another_library_cannot_answer_for_the_lender(
    oak_park: Any, oak_token: str, galter: Any, rush: Any
) -> None:
    # Given Galter asked; Rush's liaison uses Galter's path
    request_id = ask(oak_park, oak_token).json()["id"]
    rush_token = sharing_token(rush.liaison)

    not_fill = call_api(
        "post", f"/{galter.pk}/lending/{request_id}/not-fill", rush_token, {"reason": "in_use"}
    )
    queue = call_api("get", f"/{galter.pk}/lending", rush_token)

    assert (not_fill.status_code, queue.status_code) == (404, 404)
    assert Lender.objects.get(organization_id=galter.pk).status == Lender.Status.ASKED


# --- Holdings and statements ---


def test_a_library_adds_lists_and_removes_its_holdings(galter: Any, galter_token: str) -> None:
    added = call_api(
        "post",
        f"/{galter.pk}/holdings",
        galter_token,
        {"kind": "serial", "title": "JAMA", "issn": "0098-7484", "holdings": "1990-1995; 1998-"},
    )

    assert added.status_code == 201
    assert (added.json()["issn"], added.json()["holdings"], added.json()["lendable"]) == (
        "0098-7484",
        "1990-1995; 1998-",
        True,
    )
    listed = call_api("get", f"/{galter.pk}/holdings?q=0098", galter_token)
    assert [holding["title"] for holding in listed.json()["holdings"]] == ["JAMA"]
    removed = call_api("delete", f"/{galter.pk}/holdings/{added.json()['id']}", galter_token)
    assert removed.status_code == 204
    assert call_api("get", f"/{galter.pk}/holdings?q=JAMA", galter_token).json()["count"] == 0


def test_a_holding_with_a_wrong_issn_or_years_is_refused_by_field(
    galter: Any, galter_token: str
) -> None:
    refused = call_api(
        "post",
        f"/{galter.pk}/holdings",
        galter_token,
        {"kind": "serial", "title": "JAMA", "issn": "0098-7485", "holdings": "1999-1990"},
    )

    assert refused.status_code == 400
    assert sorted(refused.json()["errors"]) == ["holdings", "issn"]
    assert call_api("get", f"/{galter.pk}/holdings?q=JAMA", galter_token).json()["count"] == 0


def test_a_holdings_csv_is_imported_whole_or_refused_row_by_row(
    galter: Any, galter_token: str
) -> None:
    good = (
        "kind,title,issn,isbn,format,licence_allows_lending,holdings\n"
        "serial,BMJ,0959-8138,,print,no,2000-\n"
    )
    bad = good + "serial,Broken,1234-5678,,print,no,2000-\n"

    refused = Client().post(
        f"{API}/{galter.pk}/holdings/import",
        {"file": SimpleUploadedFile("h.csv", bad.encode(), "text/csv")},
        headers={"Authorization": f"Bearer {galter_token}"},
    )
    assert refused.status_code == 400
    assert [(row["row"], row["column"]) for row in refused.json()["rows"]] == [(3, "issn")]
    assert call_api("get", f"/{galter.pk}/holdings?q=BMJ", galter_token).json()["count"] == 0

    imported = Client().post(
        f"{API}/{galter.pk}/holdings/import",
        {"file": SimpleUploadedFile("h.csv", good.encode(), "text/csv")},
        headers={"Authorization": f"Bearer {galter_token}"},
    )
    assert (imported.status_code, imported.json()) == (200, {"created": 1, "updated": 0})


def test_the_statement_nets_what_a_library_owes_and_is_owed(
    oak_park: Any, galter: Any, oak_token: str, galter_token: str
) -> None:
    request_id = ask(oak_park, oak_token).json()["id"]
    fill_api(f"/{galter.pk}/lending/{request_id}/fill", galter_token, {"method": "mail"})

    borrower = call_api("get", f"/{oak_park.pk}/statements/2026-12", oak_token).json()
    lender = call_api("get", f"/{galter.pk}/statements/2026-12", galter_token).json()

    assert (borrower["owed_by_us_cents"], borrower["net_cents"]) == (800, -800)
    assert [(line["library_name"], line["net_cents"]) for line in lender["lines"]] == [
        ("Oak Park Public Library", 800)
    ]
    assert [item["we_borrowed"] for item in borrower["items"]] == [True]
    assert call_api("get", f"/{oak_park.pk}/statements/2026-13", oak_token).status_code == 400


def test_another_librarys_holdings_and_statements_are_not_found(
    oak_park: Any, galter: Any, oak_token: str, galter_token: str
) -> None:
    holding_id = call_api("get", f"/{galter.pk}/holdings", galter_token).json()["holdings"][0]["id"]

    for method, path in [
        ("get", f"/{galter.pk}/holdings"),
        ("delete", f"/{galter.pk}/holdings/{holding_id}"),
        ("delete", f"/{oak_park.pk}/holdings/{holding_id}"),
        ("get", f"/{galter.pk}/statements/2026-12"),
    ]:
        assert call_api(method, path, oak_token).status_code == 404, path
    assert call_api("get", f"/{galter.pk}/holdings", galter_token).json()["count"] == 1
