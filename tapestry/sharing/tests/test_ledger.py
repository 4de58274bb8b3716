"""The fee ledger: statements net exact cents per counterparty, the network's nets sum to zero,
a month without charges is an empty statement, and the CSV is exact and formula-safe."""

import datetime

import pytest

from tapestry.sharing.ledger import (
    dollars,
    network_csv_lines,
    statement,
    statement_csv_lines,
    statements_network,
)
from tapestry.sharing.tests.factories import library
from tapestry.sharing.tests.money_factories import Library, at, filled_request

pytestmark = pytest.mark.django_db

OCTOBER = datetime.date(2026, 10, 1)


@pytest.fixture
def ada() -> Library:
    return library("Ada Hospital Library")


@pytest.fixture
def birch() -> Library:
    return library("Birch Public Library", org_type="public_library")


@pytest.fixture
def cedar() -> Library:
    return library("Cedar Medical Library")


@pytest.fixture
def october_charges(ada: Library, birch: Library, cedar: Library) -> None:
    """Birch borrows twice from Ada ($12.50, $10.75), Ada once from Cedar ($9.99) and once
    from Birch ($3.00), Cedar once from Birch ($15.00); and one charge each in September and
    November that October must not count."""
    filled_request(borrower=birch, lender=ada, filled_at=at(2026, 10, 5), amount_cents=1250)
    filled_request(borrower=birch, lender=ada, filled_at=at(2026, 10, 6), amount_cents=1075)
    filled_request(borrower=ada, lender=cedar, filled_at=at(2026, 10, 7), amount_cents=999)
    filled_request(borrower=ada, lender=birch, filled_at=at(2026, 10, 8), amount_cents=300)
    # 23:30 in New York on the last day is still October there (November in UTC).
    filled_request(
        borrower=cedar, lender=birch, filled_at=at(2026, 10, 31, 23, 30), amount_cents=1500
    )
    filled_request(borrower=ada, lender=birch, filled_at=at(2026, 9, 30, 12), amount_cents=4000)
    filled_request(borrower=birch, lender=ada, filled_at=at(2026, 11, 1, 9), amount_cents=7000)


def test_dollars_are_written_with_cents_and_grouping() -> None:
    assert [dollars(0), dollars(5), dollars(1250), dollars(-999), dollars(123456789)] == [
        "$0.00",
        "$0.05",
        "$12.50",
        "-$9.99",
        "$1,234,567.89",
    ]


def test_a_statement_nets_each_counterparty_in_exact_cents(
    october_charges: None, ada: Library, birch: Library, cedar: Library
) -> None:
    # given the October charges
    # when Ada reads its October statement (any day of the month names it)
    result = statement(organization_id=ada.pk, month=datetime.date(2026, 10, 17))

    # then one line per counterparty, by name: Birch owes Ada $20.25 net, Ada owes Cedar $9.99
    assert result.month == OCTOBER
    assert result.organization_name == "Ada Hospital Library"
    assert [
        (line.counterparty_name, line.owed_by_us_cents, line.owed_to_us_cents, line.net_cents)
        for line in result.lines
    ] == [
        ("Birch Public Library", 300, 2325, 2025),
        ("Cedar Medical Library", 999, 0, -999),
    ]
    assert (result.owed_by_us_cents, result.owed_to_us_cents, result.net_cents) == (
        1299,
        2325,
        1026,
    )
    # and the four filled requests behind it, oldest fill first
    assert [
        (item.counterparty_name, item.we_borrowed, item.amount_cents) for item in result.items
    ] == [
        ("Birch Public Library", False, 1250),
        ("Birch Public Library", False, 1075),
        ("Cedar Medical Library", True, 999),
        ("Birch Public Library", True, 300),
    ]


def test_the_last_evening_of_the_month_counts_in_that_month(
    october_charges: None, cedar: Library
) -> None:
    # given Cedar's fill from Birch at 23:30 on 31 October, New York time
    # when Cedar reads October
    result = statement(organization_id=cedar.pk, month=OCTOBER)

    # then it is there
    assert [
        (line.counterparty_name, line.owed_by_us_cents, line.owed_to_us_cents)
        for line in result.lines
    ] == [("Ada Hospital Library", 0, 999), ("Birch Public Library", 1500, 0)]
    assert result.owed_by_us_cents == 1500
    assert result.owed_to_us_cents == 999


def test_the_network_nets_sum_to_zero(
    october_charges: None, ada: Library, birch: Library, cedar: Library
) -> None:
    # when the network's October is read
    nets = statements_network(month=OCTOBER)

    # then every library's owing and owed, and the nets cancel out to the cent
    assert [(net.name, net.owes_cents, net.is_owed_cents, net.net_cents) for net in nets] == [
        ("Ada Hospital Library", 1299, 2325, 1026),
        ("Birch Public Library", 2325, 1800, -525),
        ("Cedar Medical Library", 1500, 999, -501),
    ]
    assert sum(net.net_cents for net in nets) == 0
    # and each library's own statement says the same net
    assert [
        statement(organization_id=net.organization_id, month=OCTOBER).net_cents for net in nets
    ] == [
        1026,
        -525,
        -501,
    ]


def test_the_network_reads_in_a_fixed_number_of_queries(
    october_charges: None,
    ada: Library,
    birch: Library,
    django_assert_max_num_queries: object,
) -> None:
    # given twenty more charges
    for day in range(1, 21):
        filled_request(borrower=ada, lender=birch, filled_at=at(2026, 10, day), amount_cents=100)

    # then the network's month is still a handful of queries
    with django_assert_max_num_queries(6):  # type: ignore[operator]
        nets = statements_network(month=OCTOBER)
    assert sum(net.net_cents for net in nets) == 0


def test_a_month_without_charges_is_an_empty_statement(october_charges: None, ada: Library) -> None:
    # when Ada reads a month years before any charge
    result = statement(organization_id=ada.pk, month=datetime.date(1999, 1, 1))

    # then nothing, zero totals, no error
    assert result.lines == ()
    assert result.items == ()
    assert result.is_empty
    assert (result.owed_by_us_cents, result.owed_to_us_cents, result.net_cents) == (0, 0, 0)
    assert statements_network(month=datetime.date(1999, 1, 1)) == []


def test_the_statement_csv_is_exact_and_a_formula_name_stays_text(ada: Library) -> None:
    # given a library whose name is a spreadsheet formula, which lent to Ada and borrowed from it
    formula = library(
        '=HYPERLINK("http://evil.example/","Click")', liaison_email="evil@example.org"
    )
    lent = filled_request(
        borrower=ada, lender=formula, filled_at=at(2026, 10, 2, 10), amount_cents=1250, title="-1+1"
    )
    borrowed = filled_request(
        borrower=formula, lender=ada, filled_at=at(2026, 10, 3, 10), amount_cents=200
    )

    # when Ada downloads October
    text = "".join(statement_csv_lines(statement(organization_id=ada.pk, month=OCTOBER)))

    # then every line exactly, the formula name and title quoted as text, amounts plain numbers
    name = '\'=HYPERLINK(""http://evil.example/"",""Click"")'
    assert text == (
        "Library,Library ID,We owe,We are owed,Net we owe,Net we are owed\r\n"
        f'"{name}",{formula.pk},12.50,2.00,10.50,0.00\r\n'
        "Total,,12.50,2.00,10.50,0.00\r\n"
        "\r\n"
        "Request,Filled on,Title,We borrowed or lent,Library,Library ID,Amount\r\n"
        f'R-{lent.pk:06d},2026-10-02,\'-1+1,Borrowed,"{name}",{formula.pk},12.50\r\n'
        f"R-{borrowed.pk:06d},2026-10-03,Gut microbes and the immune system,Lent,"
        f'"{name}",{formula.pk},2.00\r\n'
    )


def test_an_empty_statement_csv_has_its_headers_and_a_zero_total(ada: Library) -> None:
    text = "".join(statement_csv_lines(statement(organization_id=ada.pk, month=OCTOBER)))

    assert text == (
        "Library,Library ID,We owe,We are owed,Net we owe,Net we are owed\r\n"
        "Total,,0.00,0.00,0.00,0.00\r\n"
        "\r\n"
        "Request,Filled on,Title,We borrowed or lent,Library,Library ID,Amount\r\n"
    )


def test_the_network_csv_lists_every_library_and_balances(
    october_charges: None, ada: Library, birch: Library, cedar: Library
) -> None:
    text = "".join(network_csv_lines(statements_network(month=OCTOBER)))

    assert text == (
        "Library,Library ID,Owes,Is owed,Net owes,Net is owed\r\n"
        f"Ada Hospital Library,{ada.pk},12.99,23.25,0.00,10.26\r\n"
        f"Birch Public Library,{birch.pk},23.25,18.00,5.25,0.00\r\n"
        f"Cedar Medical Library,{cedar.pk},15.00,9.99,5.01,0.00\r\n"
        "Total,,51.24,51.24,0.00,0.00\r\n"
    )
