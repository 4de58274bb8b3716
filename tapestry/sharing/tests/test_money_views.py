"""The money and figures pages: a liaison reads its own library's statement and figures (another
library's are a 404 that shows nothing of it), program staff read the network's, a liaison on
the network page is refused, a month or period that cannot be read is said on the page."""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from tapestry.sharing.models import Lender
from tapestry.sharing.tests.factories import library
from tapestry.sharing.tests.money_factories import Library, at, filled_request, unfilled_request

pytestmark = pytest.mark.django_db

OCTOBER = {"month": "2026-10"}
AUTUMN = {"from": "2026-09", "to": "2026-10", "month": "2026-10"}


def statement_url(organization: Library, csv: bool = False) -> str:
    return f"/sharing/library/{organization.pk}/statements" + (".csv" if csv else "/")


def figures_url(organization: Library) -> str:
    return f"/sharing/library/{organization.pk}/figures/"


@pytest.fixture
def birch() -> Library:
    return library("Birch Public Library", org_type="public_library")


@pytest.fixture
def cedar() -> Library:
    return library("Cedar Medical Library", zip_code="19901")


@pytest.fixture
def october(alice_library: Library, birch: Library, cedar: Library) -> None:
    """Birch borrows from Alice ($12.50), Alice from Cedar ($9.99), Cedar from Birch ($77.77,
    which Alice must never see), and Cedar's request no one fills (Alice: not owned)."""
    filled_request(
        borrower=birch,
        lender=alice_library,
        filled_at=at(2026, 10, 5, 11),
        routed_at=at(2026, 10, 5, 9),
        amount_cents=1250,
    )
    filled_request(
        borrower=alice_library,
        lender=cedar,
        filled_at=at(2026, 10, 7, 15),
        routed_at=at(2026, 10, 6, 15),
        amount_cents=999,
        region_code="region-6",
    )
    filled_request(
        borrower=cedar,
        lender=birch,
        filled_at=at(2026, 10, 8, 12),
        routed_at=at(2026, 10, 8, 10),
        amount_cents=7777,
        region_code="region-1",
        title="Secret title of Cedar",
    )
    unfilled_request(
        borrower=cedar,
        closed_at=at(2026, 10, 21),
        turns=[(alice_library, Lender.Status.NOT_FILLED, Lender.Reason.NOT_OWNED)],
        region_code="region-1",
    )


# --- A library's statement ---


def test_a_liaison_reads_its_librarys_statement(
    october: None, alice_client: Client, alice_library: Library
) -> None:
    response = alice_client.get(statement_url(alice_library), OCTOBER)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Statement of Alice Memorial Library" in page
    assert "October 2026" in page
    # Birch owes Alice $12.50, Alice owes Cedar $9.99: $2.51 owed to Alice in all
    assert '<td class="text-right">$12.50</td>' in page
    assert "Owed to us $12.50" in page
    assert "We owe $9.99" in page
    assert "Owed to us $2.51" in page
    # and nothing of the fill between Birch and Cedar
    assert "$77.77" not in page
    assert "Secret title of Cedar" not in page


def test_a_month_without_charges_is_an_empty_statement(
    october: None, alice_client: Client, alice_library: Library
) -> None:
    response = alice_client.get(statement_url(alice_library), {"month": "2019-02"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "February 2019" in page
    assert "nothing is owed either way" in page
    assert "$0.00" in page


def test_another_librarys_statement_is_not_found_and_shows_nothing(
    october: None, alice_client: Client, cedar: Library
) -> None:
    # when Alice asks for Cedar's statement, its CSV and its figures
    responses = [
        alice_client.get(statement_url(cedar), OCTOBER),
        alice_client.get(statement_url(cedar, csv=True), OCTOBER),
        alice_client.get(figures_url(cedar)),
    ]

    # then not found, as for a library that does not exist, with nothing of Cedar's
    assert [response.status_code for response in responses] == [404, 404, 404]
    for response in responses:
        assert b"Cedar" not in response.content
        assert b"77.77" not in response.content


def test_a_library_that_does_not_exist_is_not_found(alice_client: Client) -> None:
    assert alice_client.get("/sharing/library/999999/statements/").status_code == 404


def test_program_staff_do_not_act_for_a_library(
    october: None, paula_client: Client, alice_library: Library
) -> None:
    assert paula_client.get(statement_url(alice_library), OCTOBER).status_code == 404


def test_a_visitor_is_sent_to_sign_in(visitor: Client, alice_library: Library) -> None:
    response = visitor.get(statement_url(alice_library), OCTOBER)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize(
    ("month", "message"),
    [
        ("2026-13", "“2026-13” is not a month: write it as year and month, like 2026-03."),
        ("<b>oct</b>", "is not a month"),
    ],
)
def test_a_month_that_cannot_be_read_is_said_on_the_page(
    alice_client: Client, alice_library: Library, month: str, message: str
) -> None:
    response = alice_client.get(statement_url(alice_library), {"month": month})

    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert "<b>oct</b>" not in page


def test_the_statement_csv_downloads(
    october: None, alice_client: Client, alice_library: Library, cedar: Library
) -> None:
    response = alice_client.get(statement_url(alice_library, csv=True), OCTOBER)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="statement-{alice_library.pk}-2026-10.csv"'
    )
    lines = response.getvalue().decode().split("\r\n")
    assert lines[0] == "Library,Library ID,We owe,We are owed,Net we owe,Net we are owed"
    assert lines[3] == "Total,,9.99,12.50,0.00,2.51"


def test_a_bad_month_on_the_csv_is_a_400_with_the_reason(
    alice_client: Client, alice_library: Library
) -> None:
    response = alice_client.get(statement_url(alice_library, csv=True), {"month": "soon"})

    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == (
        "“soon” is not a month: write it as year and month, like 2026-03."
    )


def test_the_statement_in_spanish(
    october: None,
    signed_in: Callable[[Any], Client],
    alice_liaison: Any,
    alice_library: Library,
) -> None:
    # given Alice reads Spanish
    alice_liaison.preferred_language = "es"
    alice_liaison.save(update_fields=["preferred_language"])

    response = signed_in(alice_liaison).get(statement_url(alice_library), OCTOBER)

    assert response.status_code == 200
    page = response.content.decode()
    assert '<html lang="es">' in page
    assert "Octubre de 2026" in page
    assert "$12.50" in page


# --- A library's own figures ---


def test_a_liaison_reads_its_librarys_figures(
    october: None, alice_client: Client, alice_library: Library
) -> None:
    response = alice_client.get(figures_url(alice_library), {"from": "2026-09", "to": "2026-10"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "Resource sharing figures of Alice Memorial Library" in page
    # as lender: filled Birch's (2 business hours), refused Cedar's: 50%
    assert page.count("<svg") == 6
    assert "50.0%" in page
    assert "2.0 h" in page
    # as borrower: Cedar filled Alice's in 8 business hours (15:00 to 15:00 the next day)
    assert "8.0 h" in page
    assert "Not owned" in page


def test_a_period_that_cannot_be_shown_is_said_on_the_figures_page(
    alice_client: Client, alice_library: Library
) -> None:
    response = alice_client.get(figures_url(alice_library), {"from": "2026-05", "to": "2026-04"})

    assert response.status_code == 400
    assert "The period must end in or after the month it starts." in response.content.decode()


# --- The network ---


def test_program_staff_read_the_networks_figures(
    october: None, paula_client: Client, alice_library: Library
) -> None:
    response = paula_client.get("/sharing/network/", AUTUMN)

    assert response.status_code == 200
    page = response.content.decode()
    # 3 filled, 1 unfilled, from September to October
    assert "From September 2026 to October 2026" in page
    assert "75.0%" in page
    # charts with their tables, by region and by month
    assert page.count("<svg") == 5
    assert "Fill rate by region" in page
    assert "Unfilled reasons by month" in page
    # every library's net for October, and the total even
    assert "Is owed $2.51" in page
    assert "Is owed $65.27" in page
    assert "Owes $67.78" in page
    assert "Alice Memorial Library" in page


def test_an_administrator_reads_the_networks_figures(admin_signed_in: Client) -> None:
    assert admin_signed_in.get("/sharing/network/").status_code == 200


def test_a_liaison_is_refused_the_networks_figures(october: None, alice_client: Client) -> None:
    responses = [
        alice_client.get("/sharing/network/", AUTUMN),
        alice_client.get("/sharing/network/figures.csv", AUTUMN),
        alice_client.get("/sharing/network/statements.csv", AUTUMN),
    ]

    assert [response.status_code for response in responses] == [403, 403, 403]
    for response in responses:
        assert b"77.77" not in response.content


def test_a_visitor_is_sent_to_sign_in_from_the_network(visitor: Client) -> None:
    response = visitor.get("/sharing/network/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"from": "2020-01", "to": "2026-01"}, "A period may cover at most 60 months."),
        ({"from": "2026-05", "to": "2026-04"}, "The period must end in or after the month it"),
        ({"month": "10/2026"}, "“10/2026” is not a month"),
    ],
)
def test_a_bad_period_on_the_network_page_is_said(
    paula_client: Client, query: dict[str, str], message: str
) -> None:
    response = paula_client.get("/sharing/network/", query)

    assert response.status_code == 400
    assert message in response.content.decode()


def test_the_network_csvs_download(
    october: None,
    paula_client: Client,
    alice_library: Library,
    birch: Library,
    cedar: Library,
) -> None:
    figures = paula_client.get("/sharing/network/figures.csv", AUTUMN)
    statements = paula_client.get("/sharing/network/statements.csv", AUTUMN)

    assert figures["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        figures["Content-Disposition"]
        == 'attachment; filename="sharing-figures-2026-09-2026-10.csv"'
    )
    figure_lines = figures.getvalue().decode().split("\r\n")
    assert figure_lines[0].startswith("Grouped by,Group,Code,Filled,Not filled,Fill rate (%),")
    assert "Month,October 2026,2026-10,3,1,75.0,2.0,8.0,1,0,0,0,0,0,0,0,0" in figure_lines
    # and every library, as lender (its turns) and as borrower
    assert [line for line in figure_lines if line.startswith("Library as")] == [
        f"Library as lender,Alice Memorial Library,{alice_library.pk},1,1,50.0,2.0,2.0,1,0,0,0,0,0,0,0,0",
        f"Library as lender,Birch Public Library,{birch.pk},1,0,100.0,2.0,2.0,0,0,0,0,0,0,0,0,0",
        f"Library as lender,Cedar Medical Library,{cedar.pk},1,0,100.0,8.0,8.0,0,0,0,0,0,0,0,0,0",
        f"Library as borrower,Alice Memorial Library,{alice_library.pk},1,0,100.0,8.0,8.0,0,0,0,0,0,0,0,0,0",
        f"Library as borrower,Birch Public Library,{birch.pk},1,0,100.0,2.0,2.0,0,0,0,0,0,0,0,0,0",
        f"Library as borrower,Cedar Medical Library,{cedar.pk},1,1,50.0,2.0,2.0,1,0,0,0,0,0,0,0,0",
    ]
    assert (
        statements["Content-Disposition"] == 'attachment; filename="sharing-statements-2026-10.csv"'
    )
    statement_lines = statements.getvalue().decode().split("\r\n")
    assert statement_lines[-2] == "Total,,100.26,100.26,0.00,0.00"


def test_the_network_page_in_spanish(
    october: None, paula_program_staff: Any, staff_signed_in: Callable[[Any], Client]
) -> None:
    client = staff_signed_in(paula_program_staff)
    client.cookies["django_language"] = "es"

    response = client.get("/sharing/network/", AUTUMN)

    assert response.status_code == 200
    page = response.content.decode()
    assert '<html lang="es">' in page
    assert "Septiembre de 2026" in page
