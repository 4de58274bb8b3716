"""The library's holdings and lending pages as its liaison sees them, in English and Spanish;
another library's id is a 404 and a visitor is sent to sign in, and nothing changes."""

from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.utils.html import strip_tags

from tapestry.sharing.models import Closure, Holding, LendingPolicy, PreferredLender
from tapestry.sharing.tests.factories import LendingPolicyFactory, library, serial_holding
from tapestry.sharing.tests.holdings_factories import holdings_csv

pytestmark = pytest.mark.django_db

Audit = Callable[[], list[tuple[Any, ...]]]
PAGES = ["holdings/", "holdings/new/", "holdings/import/", "policy/", "closures/", "preferred/"]


@pytest.fixture
def lakeshore(db: None) -> Any:
    return library("Lakeshore Medical Library")


@pytest.fixture
def prairie(db: None) -> Any:
    return library("Prairie Public Library")


@pytest.fixture
def liaison(lakeshore: Any, signed_in: Callable[[Any], Client]) -> Client:
    return signed_in(lakeshore.liaison)


def _url(organization: Any, page: str) -> str:
    return f"/sharing/library/{organization.pk}/{page}"


def _text(response: Any) -> str:
    return " ".join(response.content.decode().split())


@pytest.mark.parametrize("page", PAGES)
def test_each_page_renders_for_the_liaison(lakeshore: Any, liaison: Client, page: str) -> None:
    serial_holding(lakeshore)
    LendingPolicyFactory.create(organization_id=lakeshore.pk)

    response = liaison.get(_url(lakeshore, page))

    assert response.status_code == 200
    assert "Lakeshore Medical Library" in _text(response)
    assert '<html lang="en">' in response.content.decode()


@pytest.mark.parametrize("page", PAGES)
def test_each_page_renders_in_spanish(signed_in: Callable[[Any], Client], page: str) -> None:
    # Given the liaison of a library who reads Spanish (their profile says so)
    biblioteca = library("Biblioteca Pública del Valle", language="es")
    serial_holding(biblioteca)

    response = signed_in(biblioteca.liaison).get(_url(biblioteca, page), HTTP_ACCEPT_LANGUAGE="es")

    assert response.status_code == 200
    assert '<html lang="es">' in response.content.decode()
    assert "Biblioteca Pública del Valle" in _text(response)


def test_the_chosen_language_sticks_through_setlang(lakeshore: Any, liaison: Client) -> None:
    liaison.post("/i18n/setlang/", {"language": "es", "next": _url(lakeshore, "holdings/")})

    response = liaison.get(_url(lakeshore, "policy/"))

    assert response.status_code == 200
    assert '<html lang="es">' in response.content.decode()


@pytest.mark.parametrize("page", PAGES)
def test_another_librarys_pages_are_not_found(
    lakeshore: Any, prairie: Any, liaison: Client, page: str
) -> None:
    assert liaison.get(_url(prairie, page)).status_code == 404
    assert liaison.get(f"/sharing/library/987654/{page}").status_code == 404


@pytest.mark.parametrize("page", PAGES)
def test_a_visitor_is_sent_to_sign_in(lakeshore: Any, visitor: Client, page: str) -> None:
    response = visitor.get(_url(lakeshore, page))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_the_empty_list_explains_what_holdings_are_for(lakeshore: Any, liaison: Client) -> None:
    page = _text(liaison.get(_url(lakeshore, "holdings/")))

    assert "No holdings yet" in page
    assert "its request is routed to you" in page
    assert "Not listed in the directory yet" in page


@override_settings(SHARING_PAGE_SIZE=2)
def test_the_list_searches_and_pages(lakeshore: Any, liaison: Client) -> None:
    serial_holding(lakeshore)
    serial_holding(lakeshore, issn="0140-6736", title="The Lancet")
    serial_holding(lakeshore, issn="0098-7484", title="JAMA", years=[(1990, 1995), (1998, None)])

    first = _text(liaison.get(_url(lakeshore, "holdings/")))
    second = _text(liaison.get(_url(lakeshore, "holdings/"), {"page": 2}))
    found = _text(liaison.get(_url(lakeshore, "holdings/"), {"q": "0140-6736"}))
    none = _text(liaison.get(_url(lakeshore, "holdings/"), {"q": "Cell"}))

    assert "3 holdings" in first and "JAMA" in first and "1990-1995; 1998-" in first
    assert "Page 1 of 2" in first and "The Lancet" not in first
    assert "The Lancet" in second
    assert "1 holding" in found and "The Lancet" in found and "Nature" not in found
    assert "No holding matches “Cell”." in none


def test_the_liaison_adds_a_holding_through_the_form(lakeshore: Any, liaison: Client) -> None:
    response = liaison.post(
        _url(lakeshore, "holdings/new/"),
        {
            "kind": "serial",
            "title": "The Lancet",
            "issn": "0140-6736",
            "holding_format": "print",
            "statement": "1990-1995; 1998-",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == _url(lakeshore, "holdings/")
    assert list(Holding.objects.values_list("organization_id", "title")) == [
        (lakeshore.pk, "The Lancet")
    ]


def test_a_wrong_holding_shows_the_errors_on_its_fields(lakeshore: Any, liaison: Client) -> None:
    response = liaison.post(
        _url(lakeshore, "holdings/new/"),
        {
            "kind": "serial",
            "title": "Nature",
            "issn": "0028-0837",
            "holding_format": "print",
            "statement": "1995-1990",
        },
    )

    page = _text(response)
    assert response.status_code == 400
    assert "its last character (the check digit) is wrong" in page
    assert "the years are out of order: 1995 comes after 1990" in page
    assert Holding.objects.count() == 0


def test_a_duplicate_holding_is_explained_on_the_form(lakeshore: Any, liaison: Client) -> None:
    serial_holding(lakeshore)

    response = liaison.post(
        _url(lakeshore, "holdings/new/"),
        {
            "kind": "serial",
            "title": "Nature",
            "issn": "00280836",
            "holding_format": "print",
            "statement": "2000-",
        },
    )

    assert response.status_code == 400
    assert (
        "Your library already holds the print journal 0028-0836 (“Nature”): change that one "
        "instead." in _text(response)
    )
    assert Holding.objects.count() == 1


def test_the_liaison_changes_and_deletes_a_holding(lakeshore: Any, liaison: Client) -> None:
    holding = serial_holding(lakeshore)

    form = _text(liaison.get(_url(lakeshore, f"holdings/{holding.pk}/")))
    liaison.post(
        _url(lakeshore, f"holdings/{holding.pk}/"),
        {
            "kind": "serial",
            "title": "Nature (London)",
            "issn": "0028-0836",
            "holding_format": "print",
            "statement": "1990-",
        },
    )
    renamed = Holding.objects.get().title
    liaison.post(_url(lakeshore, f"holdings/{holding.pk}/delete/"))

    assert 'value="1990-"' in form
    assert renamed == "Nature (London)"
    assert Holding.objects.count() == 0


def test_another_librarys_holding_is_not_found(
    lakeshore: Any, prairie: Any, liaison: Client, audit_log: Audit
) -> None:
    theirs = serial_holding(prairie)

    pages = [
        liaison.get(_url(lakeshore, f"holdings/{theirs.pk}/")).status_code,
        liaison.post(_url(lakeshore, f"holdings/{theirs.pk}/delete/")).status_code,
        liaison.post(_url(prairie, f"holdings/{theirs.pk}/delete/")).status_code,
    ]

    assert pages == [404, 404, 404]
    assert list(Holding.objects.values_list("pk", flat=True)) == [theirs.pk]
    assert audit_log() == []


def test_the_export_is_a_csv_file(lakeshore: Any, liaison: Client) -> None:
    serial_holding(lakeshore, years=[(1990, 1995), (1998, None)])

    response = liaison.get(_url(lakeshore, "holdings/export.csv"))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="holdings-{lakeshore.pk}.csv"'
    content = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert content.decode().splitlines() == [
        "kind,title,issn,isbn,format,licence_allows_lending,holdings",
        "serial,Nature,0028-0836,,print,no,1990-1995; 1998-",
    ]


def test_an_import_with_errors_shows_them_row_by_row(lakeshore: Any, liaison: Client) -> None:
    data = holdings_csv(
        [
            ("serial", "Nature", "0028-0836", "", "print", "no", "1990-"),
            ("serial", "The Lancet", "0140-6737", "", "print", "no", "1990-"),
        ]
    )

    response = liaison.post(
        _url(lakeshore, "holdings/import/"),
        {"file": SimpleUploadedFile("holdings.csv", data, content_type="text/csv")},
    )

    page = _text(response)
    assert response.status_code == 400
    assert "Nothing was imported" in page
    assert "<caption>Problems in the file, row by row</caption>" in page
    assert (
        '<th scope="row" data-label="Row">3</th><td data-label="Column">issn</td>'
        '<td data-label="Problem">“0140-6737” is not a valid ISSN' in page
    )
    assert Holding.objects.count() == 0


def test_a_good_import_adds_the_holdings(lakeshore: Any, liaison: Client) -> None:
    data = holdings_csv([("serial", "Nature", "0028-0836", "", "print", "no", "1990-")])

    response = liaison.post(
        _url(lakeshore, "holdings/import/"),
        {"file": SimpleUploadedFile("holdings.csv", data, content_type="text/csv")},
        follow=True,
    )

    assert "Imported: 1 holdings added, 0 updated." in _text(response)
    assert list(Holding.objects.values_list("title", flat=True)) == ["Nature"]


def test_the_liaison_saves_the_policy_in_dollars(lakeshore: Any, liaison: Client) -> None:
    response = liaison.post(
        _url(lakeshore, "policy/"),
        {
            "lends": "on",
            "lends_to_network": "on",
            "fee": "12.50",
            "delivers_electronically": "on",
            "answer_business_days": "3",
        },
        follow=True,
    )

    policy = LendingPolicy.objects.get(organization_id=lakeshore.pk)
    assert (policy.fee_cents, policy.lends_to_network, policy.answer_business_days) == (
        1250,
        True,
        3,
    )
    page = " ".join(strip_tags(response.content.decode()).split())
    assert "Fee: $12.50 for each item" in page
    assert "Answers: within 3 business days" in page
    assert "Lends to: every member of the network" in page


def test_a_policy_without_delivery_is_refused_in_plain_words(
    lakeshore: Any, liaison: Client
) -> None:
    response = liaison.post(
        _url(lakeshore, "policy/"),
        {"lends": "on", "lends_to_region": "on", "fee": "-1", "answer_business_days": "2"},
    )

    page = _text(response)
    assert response.status_code == 400
    assert "The fee is an amount of at least $0.00." in page
    assert LendingPolicy.objects.count() == 0

    response = liaison.post(
        _url(lakeshore, "policy/"),
        {"lends": "on", "lends_to_region": "on", "fee": "0", "answer_business_days": "2"},
    )

    assert response.status_code == 400
    assert "A library that lends must deliver somehow" in _text(response)
    assert LendingPolicy.objects.count() == 0


def test_the_liaison_adds_and_reopens_a_closure(lakeshore: Any, liaison: Client) -> None:
    liaison.post(_url(lakeshore, "closures/"), {"starts_on": "2099-01-04", "reason": "Inventory"})
    closure = Closure.objects.get(organization_id=lakeshore.pk)
    page = _text(liaison.get(_url(lakeshore, "closures/")))

    liaison.post(_url(lakeshore, f"closures/{closure.pk}/remove/"))

    assert "Paused until you reopen" in page
    assert Closure.objects.count() == 0


def test_another_librarys_closure_is_not_found(
    lakeshore: Any, prairie: Any, liaison: Client
) -> None:
    theirs = Closure.objects.create(organization_id=prairie.pk, starts_on="2099-01-04", reason="x")

    assert liaison.post(_url(lakeshore, f"closures/{theirs.pk}/remove/")).status_code == 404
    assert Closure.objects.count() == 1


def test_the_liaison_orders_preferred_lenders(
    lakeshore: Any, prairie: Any, liaison: Client
) -> None:
    river = library("River Valley Hospital Library")

    liaison.post(_url(lakeshore, "preferred/"), {"lender_1": river.pk, "lender_3": prairie.pk})
    page = _text(liaison.get(_url(lakeshore, "preferred/")))

    assert list(PreferredLender.objects.values_list("lender_id", "position")) == [
        (river.pk, 1),
        (prairie.pk, 2),
    ]
    assert "First choice" in page
    assert f'<option value="{river.pk}" selected>' in page


def test_the_preferred_lenders_menu_leaves_out_the_library_itself(
    lakeshore: Any, liaison: Client
) -> None:
    response = liaison.post(_url(lakeshore, "preferred/"), {"lender_1": lakeshore.pk})

    assert response.status_code == 400
    assert PreferredLender.objects.count() == 0
