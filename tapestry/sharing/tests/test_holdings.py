"""A library's holdings and lending: the holdings statement, the services (scoped to the
library's liaison; a refusal changes nothing), the CSV import (all or nothing, row by row
errors) and export, the lending policy, closures, preferred lenders, and the directory's
"document delivery" service that follows from them."""

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.test import Client, override_settings
from django.utils import timezone

from tapestry.core.api import csv_lines
from tapestry.sharing import holdings
from tapestry.sharing.holdings import HoldingSpan, statement_format, statement_parse
from tapestry.sharing.models import Closure, Holding, HoldingRange, LendingPolicy, PreferredLender
from tapestry.sharing.tests.factories import LendingPolicyFactory, library, serial_holding
from tapestry.sharing.tests.holdings_factories import holdings_csv

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 30)
Audit = Callable[[], list[tuple[Any, ...]]]


@pytest.fixture
def lakeshore(db: None) -> Any:
    return library("Lakeshore Medical Library")


@pytest.fixture
def prairie(db: None) -> Any:
    return library("Prairie Public Library")


def _ranges(holding: Holding) -> list[tuple[Any, ...]]:
    return list(
        HoldingRange.objects.filter(holding=holding)
        .order_by("year_from")
        .values_list(
            "organization_id",
            "issn",
            "lendable",
            "year_from",
            "year_to",
            "volume_from",
            "volume_to",
        )
    )


def _holdings(organization: Any) -> list[tuple[Any, ...]]:
    return list(
        Holding.objects.filter(organization_id=organization.pk)
        .order_by("title")
        .values_list("kind", "title", "issn", "isbn", "holding_format", "licence_allows_lending")
    )


def _services(organization: Any) -> dict[str, list[str]]:
    organization.refresh_from_db()
    return dict(organization.services)


# --- The holdings statement ---


def test_a_statement_with_a_gap_is_two_ranges() -> None:
    assert statement_parse("1990-1995; 1998-", today=TODAY) == [
        HoldingSpan(1990, 1995, None, None),
        HoldingSpan(1998, None, None, None),
    ]


def test_a_statement_with_volumes() -> None:
    assert statement_parse("1990-1995 v.1-6; 1998- v.9-", today=TODAY) == [
        HoldingSpan(1990, 1995, 1, 6),
        HoldingSpan(1998, None, 9, None),
    ]


def test_a_statement_in_any_order_and_spacing_reads_in_year_order() -> None:
    assert statement_parse(" 2001 vol. 40 ;1980 – 1985 v 1-5;; ", today=TODAY) == [
        HoldingSpan(1980, 1985, 1, 5),
        HoldingSpan(2001, 2001, 40, 40),
    ]


def test_an_empty_statement_is_no_ranges() -> None:
    assert statement_parse("  ", today=TODAY) == []


@pytest.mark.parametrize(
    "statement",
    ["1990-1995; 1998-", "1990-1995 v.1-6; 1998- v.9-", "1984; 2001 v.40", "1600-2027"],
)
def test_a_statement_reads_back_as_written(statement: str) -> None:
    assert statement_format(statement_parse(statement, today=TODAY)) == statement


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        (
            "1995-1990",
            "In “1995-1990” the years are out of order: 1995 comes after 1990.",
        ),
        (
            "1990-1995 v.6-1",
            "In “1990-1995 v.6-1” the volumes are out of order: 6 comes after 1.",
        ),
        (
            "1990-1996; 1995-",
            "“1990-1996” and “1995-” overlap: name each year once.",
        ),
        (
            "1998-; 2005-2010",
            "“1998-” and “2005-2010” overlap: name each year once.",
        ),
        (
            "1599-1610",
            "In “1599-1610”, 1599 is not a year held: years run from 1600 to 2027.",
        ),
        (
            "2020-2028",
            "In “2020-2028”, 2028 is not a year held: years run from 1600 to 2027.",
        ),
        (
            "since 1990",
            "“since 1990” is not a range of years: write it like 1990-1995, 1998- (to the "
            "present) or 1990-1995 v.1-6, with a semicolon between ranges.",
        ),
        (
            "1990, 1991",
            "“1990, 1991” is not a range of years: write it like 1990-1995, 1998- (to the "
            "present) or 1990-1995 v.1-6, with a semicolon between ranges.",
        ),
    ],
)
def test_a_wrong_statement_says_what_is_wrong(statement: str, message: str) -> None:
    with pytest.raises(ValidationError) as refused:
        statement_parse(statement, today=TODAY)

    assert refused.value.messages == [message]


def test_every_problem_of_a_statement_is_listed() -> None:
    with pytest.raises(ValidationError) as refused:
        statement_parse("90-95; 2000-1999", today=TODAY)

    assert len(refused.value.messages) == 2


# --- Holdings ---


def test_the_liaison_adds_a_journal_with_its_ranges(lakeshore: Any, audit_log: Audit) -> None:
    holding = holdings.holding_save(
        actor=lakeshore.liaison,
        organization_id=lakeshore.pk,
        kind="serial",
        title="  The  Lancet ",
        issn="01406736",
        holding_format="print",
        licence_allows_lending=True,
        statement="1990-1995 v.335-346; 1998-",
    )

    assert _holdings(lakeshore) == [("serial", "The Lancet", "0140-6736", "", "print", False)]
    assert _ranges(holding) == [
        (lakeshore.pk, "0140-6736", True, 1990, 1995, 335, 346),
        (lakeshore.pk, "0140-6736", True, 1998, None, None, None),
    ]
    assert audit_log() == [
        (
            "sharing.holding_create",
            "lakeshore-medical-library@example.org",
            "sharing.holding",
            str(holding.pk),
        )
    ]


def test_changing_a_holding_rewrites_its_ranges_and_copied_fields(lakeshore: Any) -> None:
    holding = serial_holding(lakeshore, years=[(1990, None)])

    holdings.holding_save(
        actor=lakeshore.liaison,
        organization_id=lakeshore.pk,
        holding_id=holding.pk,
        kind="serial",
        title="Nature (online)",
        issn="1476-4687",
        holding_format="electronic",
        licence_allows_lending=False,
        statement="2000-2010",
    )

    assert _holdings(lakeshore) == [
        ("serial", "Nature (online)", "1476-4687", "", "electronic", False)
    ]
    assert _ranges(holding) == [(lakeshore.pk, "1476-4687", False, 2000, 2010, None, None)]


def test_a_book_has_no_ranges(lakeshore: Any) -> None:
    holding = holdings.holding_save(
        actor=lakeshore.liaison,
        organization_id=lakeshore.pk,
        kind="book",
        title="Gray's Anatomy",
        isbn="0-306-40615-2",
        holding_format="print",
        licence_allows_lending=False,
    )

    assert _holdings(lakeshore) == [("book", "Gray's Anatomy", "", "9780306406157", "print", False)]
    assert _ranges(holding) == []


def test_a_book_with_years_held_is_refused(lakeshore: Any) -> None:
    with pytest.raises(ValidationError) as refused:
        holdings.holding_save(
            actor=lakeshore.liaison,
            organization_id=lakeshore.pk,
            kind="book",
            title="Gray's Anatomy",
            isbn="9780306406157",
            holding_format="print",
            licence_allows_lending=False,
            statement="1990-",
        )

    assert refused.value.message_dict == {
        "statement": ["A book has no years held: leave the holdings empty."]
    }
    assert _holdings(lakeshore) == []


def test_a_wrong_issn_and_statement_are_refused_by_field(lakeshore: Any, audit_log: Audit) -> None:
    with pytest.raises(ValidationError) as refused:
        holdings.holding_save(
            actor=lakeshore.liaison,
            organization_id=lakeshore.pk,
            kind="serial",
            title="Nature",
            issn="0028-0837",
            holding_format="print",
            licence_allows_lending=False,
            statement="1995-1990",
        )

    assert refused.value.message_dict == {
        "issn": ["“0028-0837” is not a valid ISSN: its last character (the check digit) is wrong."],
        "statement": ["In “1995-1990” the years are out of order: 1995 comes after 1990."],
    }
    assert _holdings(lakeshore) == []
    assert audit_log() == []


def test_the_same_journal_in_the_same_format_twice_is_refused(lakeshore: Any) -> None:
    held = serial_holding(lakeshore, years=[(1990, None)])

    with pytest.raises(ValidationError) as refused:
        holdings.holding_save(
            actor=lakeshore.liaison,
            organization_id=lakeshore.pk,
            kind="serial",
            title="Nature again",
            issn="00280836",
            holding_format="print",
            licence_allows_lending=False,
            statement="2000-",
        )

    assert refused.value.message_dict == {
        "issn": [
            "Your library already holds the print journal 0028-0836 (“Nature”): change that one instead."
        ]
    }
    assert _holdings(lakeshore) == [("serial", "Nature", "0028-0836", "", "print", False)]
    assert _ranges(held) == [(lakeshore.pk, "0028-0836", True, 1990, None, None, None)]


def test_a_twin_saved_at_the_same_moment_is_refused_not_an_error(
    lakeshore: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the same journal saved by another request after this one looked for it
    serial_holding(lakeshore)
    monkeypatch.setattr(holdings, "_same_holding", lambda *args: Q(pk__in=[]))

    with pytest.raises(ValidationError) as refused:
        holdings.holding_save(
            actor=lakeshore.liaison,
            organization_id=lakeshore.pk,
            kind="serial",
            title="Nature",
            issn="0028-0836",
            holding_format="print",
            licence_allows_lending=False,
            statement="2000-",
        )

    assert refused.value.message_dict == {
        "issn": [
            "Your library already holds the print journal 0028-0836 (“Nature”): change that "
            "one instead."
        ]
    }
    assert Holding.objects.count() == 1
    assert HoldingRange.objects.filter(year_from=2000).count() == 0


def test_the_same_journal_in_another_format_is_another_holding(lakeshore: Any) -> None:
    serial_holding(lakeshore)

    holdings.holding_save(
        actor=lakeshore.liaison,
        organization_id=lakeshore.pk,
        kind="serial",
        title="Nature",
        issn="0028-0836",
        holding_format="electronic",
        licence_allows_lending=True,
        statement="1997-",
    )

    assert Holding.objects.filter(organization_id=lakeshore.pk).count() == 2


def test_another_librarys_liaison_cannot_add_or_change_holdings(
    lakeshore: Any, prairie: Any, audit_log: Audit
) -> None:
    held = serial_holding(lakeshore)
    fields: dict[str, Any] = {
        "kind": "serial",
        "title": "Taken over",
        "issn": "0140-6736",
        "holding_format": "print",
        "licence_allows_lending": False,
        "statement": "2000-",
    }

    with pytest.raises(holdings.NotYourLibrary):
        holdings.holding_save(actor=prairie.liaison, organization_id=lakeshore.pk, **fields)
    with pytest.raises(holdings.NotYourLibrary):
        holdings.holding_save(
            actor=prairie.liaison, organization_id=lakeshore.pk, holding_id=held.pk, **fields
        )
    with pytest.raises(holdings.NotYourLibrary):
        holdings.holding_delete(
            actor=prairie.liaison, organization_id=lakeshore.pk, holding_id=held.pk
        )

    assert _holdings(lakeshore) == [("serial", "Nature", "0028-0836", "", "print", False)]
    assert _holdings(prairie) == []
    assert audit_log() == []


def test_a_holding_is_changed_only_through_its_own_library(lakeshore: Any, prairie: Any) -> None:
    # Given Prairie's liaison names Lakeshore's holding under Prairie's own id
    held = serial_holding(lakeshore)

    with pytest.raises(Holding.DoesNotExist):
        holdings.holding_save(
            actor=prairie.liaison,
            organization_id=prairie.pk,
            holding_id=held.pk,
            kind="serial",
            title="Taken over",
            issn="0028-0836",
            holding_format="print",
            licence_allows_lending=False,
            statement="2000-",
        )
    with pytest.raises(Holding.DoesNotExist):
        holdings.holding_delete(
            actor=prairie.liaison, organization_id=prairie.pk, holding_id=held.pk
        )

    assert _holdings(lakeshore) == [("serial", "Nature", "0028-0836", "", "print", False)]


def test_the_liaison_deletes_a_holding(lakeshore: Any, audit_log: Audit) -> None:
    held = serial_holding(lakeshore)

    holdings.holding_delete(
        actor=lakeshore.liaison, organization_id=lakeshore.pk, holding_id=held.pk
    )

    assert _holdings(lakeshore) == []
    assert HoldingRange.objects.count() == 0
    assert audit_log() == [
        (
            "sharing.holding_delete",
            "lakeshore-medical-library@example.org",
            "sharing.holding",
            str(held.pk),
        )
    ]


def test_holdings_are_searched_by_title_or_issn(lakeshore: Any, prairie: Any) -> None:
    serial_holding(lakeshore)
    serial_holding(lakeshore, issn="0140-6736", title="The Lancet")
    serial_holding(prairie, issn="0140-6736", title="The Lancet at Prairie")

    def titles(query: str) -> list[str]:
        found = holdings.holdings_search(
            actor=lakeshore.liaison, organization_id=lakeshore.pk, query=query
        )
        return [holding.title for holding in found]

    assert titles("") == ["Nature", "The Lancet"]
    assert titles("lanc") == ["The Lancet"]
    assert titles("01406736") == ["The Lancet"]
    assert titles("0028-08") == ["Nature"]
    assert titles("nothing like it") == []


# --- CSV import and export ---


def test_an_import_adds_and_updates_holdings(lakeshore: Any, audit_log: Audit) -> None:
    # Given Nature in print already held
    nature = serial_holding(lakeshore, years=[(1990, None)])
    data = holdings_csv(
        [
            ("serial", "Nature", "0028-0836", "", "print", "no", "1980-1995 v.283-378; 1998-"),
            ("serial", "The Lancet", "01406736", "", "electronic", "yes", "2000-"),
            ("book", "Gray's Anatomy", "", "0-306-40615-2", "print", "", ""),
        ]
    )

    result = holdings.holdings_import(
        actor=lakeshore.liaison, organization_id=lakeshore.pk, data=data
    )

    assert (result.created, result.updated) == (2, 1)
    assert _holdings(lakeshore) == [
        ("book", "Gray's Anatomy", "", "9780306406157", "print", False),
        ("serial", "Nature", "0028-0836", "", "print", False),
        ("serial", "The Lancet", "0140-6736", "", "electronic", True),
    ]
    assert _ranges(nature) == [
        (lakeshore.pk, "0028-0836", True, 1980, 1995, 283, 378),
        (lakeshore.pk, "0028-0836", True, 1998, None, None, None),
    ]
    assert [row[0] for row in audit_log()] == ["sharing.holdings_import"]


def test_an_import_with_a_wrong_row_writes_nothing_and_lists_each_error(
    lakeshore: Any, audit_log: Audit
) -> None:
    nature = serial_holding(lakeshore, years=[(1990, None)])
    data = holdings_csv(
        [
            ("serial", "Nature", "0028-0836", "", "print", "no", "2001-"),
            ("serial", "The Lancet", "0140-6737", "", "print", "no", "1995-1990"),
            ("magazine", "Time", "", "", "paper", "maybe", ""),
            ("serial", "JAMA", "0098-7484", "", "print", "no", "1990-"),
            ("serial", "Nature", "00280836", "", "print", "no", "2001-"),
        ]
    )

    with pytest.raises(holdings.HoldingsImportRefused) as refused:
        holdings.holdings_import(actor=lakeshore.liaison, organization_id=lakeshore.pk, data=data)

    assert refused.value.errors == [
        holdings.RowError(
            3,
            "issn",
            "“0140-6737” is not a valid ISSN: its last character (the check digit) is wrong.",
        ),
        holdings.RowError(
            3, "holdings", "In “1995-1990” the years are out of order: 1995 comes after 1990."
        ),
        holdings.RowError(4, "kind", "Write “serial” for a journal or “book” for a book."),
        holdings.RowError(4, "format", "Write “print” or “electronic”."),
        holdings.RowError(4, "licence_allows_lending", "Write “yes” or “no”."),
        holdings.RowError(6, "issn", "Row 2 already lists this holding: keep one row for it."),
    ]
    # Nothing was written: not the good rows, not the update of Nature
    assert _holdings(lakeshore) == [("serial", "Nature", "0028-0836", "", "print", False)]
    assert _ranges(nature) == [(lakeshore.pk, "0028-0836", True, 1990, None, None, None)]
    assert audit_log() == []


def test_every_problem_of_a_row_is_listed(lakeshore: Any) -> None:
    data = holdings_csv([("serial", "", "0140-6737", "", "paper", "no", "1995-1990")])

    with pytest.raises(holdings.HoldingsImportRefused) as refused:
        holdings.holdings_import(actor=lakeshore.liaison, organization_id=lakeshore.pk, data=data)

    assert refused.value.errors == [
        holdings.RowError(2, "format", "Write “print” or “electronic”."),
        holdings.RowError(2, "title", "Enter the title."),
        holdings.RowError(
            2,
            "issn",
            "“0140-6737” is not a valid ISSN: its last character (the check digit) is wrong.",
        ),
        holdings.RowError(
            2, "holdings", "In “1995-1990” the years are out of order: 1995 comes after 1990."
        ),
    ]


def test_an_import_is_all_or_nothing_when_the_database_refuses_a_row(lakeshore: Any) -> None:
    # Given a good file whose last row the database refuses (a holding saved meanwhile)
    data = holdings_csv(
        [
            ("serial", "Nature", "0028-0836", "", "print", "no", "2001-"),
            ("serial", "The Lancet", "0140-6736", "", "print", "no", "1990-"),
        ]
    )
    original = holdings._holding_write

    def write_then_fail(holding: Holding, values: holdings.HoldingValues) -> None:
        if values.title == "The Lancet":
            from django.db import IntegrityError

            raise IntegrityError("sharing_one_serial_holding_per_format")
        original(holding, values)

    holdings._holding_write = write_then_fail  # type: ignore[assignment]
    try:
        with pytest.raises(holdings.HoldingsImportRefused) as refused:
            holdings.holdings_import(
                actor=lakeshore.liaison, organization_id=lakeshore.pk, data=data
            )
    finally:
        holdings._holding_write = original  # type: ignore[assignment]

    assert refused.value.errors == [
        holdings.RowError(3, "", "This holding was saved meanwhile: import again.")
    ]
    assert _holdings(lakeshore) == []
    assert HoldingRange.objects.count() == 0


NOT_CSV = (
    "The file is not a CSV file. In your spreadsheet, choose Save As and “CSV UTF-8 (comma "
    "delimited)”, then import that file."
)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"  \r\n", "The file is empty."),
        (
            "kind,title\r\nserial,Ärzteblatt\r\n".encode("latin-1"),
            "The file is not UTF-8 text. In your spreadsheet, save it as “CSV UTF-8 (comma "
            "delimited)” and try again.",
        ),
        (b"PK\x03\x04\x14\x00\x06\x00", NOT_CSV),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3", NOT_CSV),
        (b"kind,title\x00\x00", NOT_CSV),
        (
            b"kind,title,issn\r\nserial,Nature,0028-0836\r\n",
            "The first row must name the columns kind, title, issn, isbn, format, "
            "licence_allows_lending, holdings; it lacks isbn, format, licence_allows_lending, "
            "holdings. Start from an export of your holdings.",
        ),
        (holdings_csv([]), "The file has a header but no holdings."),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_whole(
    lakeshore: Any, data: bytes, message: str
) -> None:
    with pytest.raises(holdings.HoldingsImportRefused) as refused:
        holdings.holdings_import(actor=lakeshore.liaison, organization_id=lakeshore.pk, data=data)

    assert refused.value.errors == [holdings.RowError(None, "", message)]
    assert _holdings(lakeshore) == []


@override_settings(SHARING_HOLDINGS_CSV_MAX_BYTES=200)
def test_a_file_over_the_size_limit_is_refused(lakeshore: Any) -> None:
    data = holdings_csv([("serial", "Nature", "0028-0836", "", "print", "no", "1990-")] * 5)

    with pytest.raises(holdings.HoldingsImportRefused) as refused:
        holdings.holdings_import(actor=lakeshore.liaison, organization_id=lakeshore.pk, data=data)

    assert refused.value.errors == [
        holdings.RowError(None, "", "The file is larger than 0 KB: split it into smaller files.")
    ]
    assert _holdings(lakeshore) == []


@override_settings(SHARING_HOLDINGS_CSV_MAX_ROWS=2)
def test_a_file_over_the_row_limit_is_refused(lakeshore: Any) -> None:
    data = holdings_csv(
        [
            ("serial", "Nature", "0028-0836", "", "print", "no", "1990-"),
            ("serial", "The Lancet", "0140-6736", "", "print", "no", "1990-"),
            ("serial", "JAMA", "0098-7484", "", "print", "no", "1990-"),
        ]
    )

    with pytest.raises(holdings.HoldingsImportRefused) as refused:
        holdings.holdings_import(actor=lakeshore.liaison, organization_id=lakeshore.pk, data=data)

    assert refused.value.errors == [
        holdings.RowError(
            None, "", "The file has 3 holdings; one import takes at most 2: split it."
        )
    ]
    assert _holdings(lakeshore) == []


def test_another_librarys_liaison_cannot_import_or_export(lakeshore: Any, prairie: Any) -> None:
    data = holdings_csv([("serial", "Nature", "0028-0836", "", "print", "no", "1990-")])

    with pytest.raises(holdings.NotYourLibrary):
        holdings.holdings_import(actor=prairie.liaison, organization_id=lakeshore.pk, data=data)
    with pytest.raises(holdings.NotYourLibrary):
        list(holdings.holdings_export_rows(actor=prairie.liaison, organization_id=lakeshore.pk))

    assert _holdings(lakeshore) == []


def test_the_export_reads_back_and_cannot_run_formulas(lakeshore: Any) -> None:
    serial_holding(lakeshore, title='=HYPERLINK("http://evil")', years=[(1990, 1995), (1998, None)])
    holdings.holding_save(
        actor=lakeshore.liaison,
        organization_id=lakeshore.pk,
        kind="book",
        title="Gray's Anatomy",
        isbn="9780306406157",
        holding_format="electronic",
        licence_allows_lending=True,
    )

    text = "".join(
        csv_lines(
            holdings.holdings_export_rows(actor=lakeshore.liaison, organization_id=lakeshore.pk)
        )
    )

    assert text.splitlines() == [
        "kind,title,issn,isbn,format,licence_allows_lending,holdings",
        'serial,"\'=HYPERLINK(""http://evil"")",0028-0836,,print,no,1990-1995; 1998-',
        "book,Gray's Anatomy,,9780306406157,electronic,yes,",
    ]


def test_a_spreadsheet_saved_with_semicolons_imports(lakeshore: Any) -> None:
    # Given a file saved by a spreadsheet set to Spanish: cells separated by semicolons
    data = (
        "\ufeffkind;title;issn;isbn;format;licence_allows_lending;holdings\r\n"
        'serial;Revista Médica;0028-0836;;print;sí;"1990-1995; 1998-"\r\n'
    ).encode()

    result = holdings.holdings_import(
        actor=lakeshore.liaison, organization_id=lakeshore.pk, data=data
    )

    assert (result.created, result.updated) == (1, 0)
    holding = Holding.objects.get(organization_id=lakeshore.pk)
    assert holding.title == "Revista Médica"
    assert [(span[3], span[4]) for span in _ranges(holding)] == [(1990, 1995), (1998, None)]


def test_an_exported_file_imports_as_an_update(lakeshore: Any) -> None:
    serial_holding(lakeshore, years=[(1990, 1995), (1998, None)])
    text = "".join(
        csv_lines(
            holdings.holdings_export_rows(actor=lakeshore.liaison, organization_id=lakeshore.pk)
        )
    )

    result = holdings.holdings_import(
        actor=lakeshore.liaison, organization_id=lakeshore.pk, data=text.encode()
    )

    assert (result.created, result.updated) == (0, 1)
    assert _holdings(lakeshore) == [("serial", "Nature", "0028-0836", "", "print", False)]


# --- Lending policy ---


def test_the_liaison_sets_the_lending_policy(lakeshore: Any, audit_log: Audit) -> None:
    policy = holdings.lending_policy_save(
        actor=lakeshore.liaison,
        organization_id=lakeshore.pk,
        lends=True,
        lends_to_network=True,
        fee_cents=1250,
        delivers_electronically=True,
        delivers_by_mail=False,
        answer_business_days=3,
    )

    saved = LendingPolicy.objects.get(organization_id=lakeshore.pk)
    assert saved.pk == policy.pk
    assert (saved.lends_to_network, saved.fee_cents, saved.answer_business_days) == (True, 1250, 3)
    assert [row[0] for row in audit_log()] == ["sharing.policy_create"]


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        (
            {"lends": True, "delivers_electronically": False, "delivers_by_mail": False},
            {
                "__all__": [
                    "A library that lends must deliver somehow: choose secure electronic "
                    "delivery, mail, or both."
                ]
            },
        ),
        (
            {"lends": True, "lends_to_region": False, "lends_to_network": False},
            {
                "__all__": [
                    "Choose whom you lend to: your region, the whole network, or public libraries."
                ]
            },
        ),
        (
            {"answer_business_days": 0},
            {"answer_business_days": ["Answer within 1 to 10 business days."]},
        ),
        (
            {"answer_business_days": 11},
            {"answer_business_days": ["Answer within 1 to 10 business days."]},
        ),
        ({"fee_cents": -1}, {"fee_cents": ["The fee is an amount of at least $0.00."]}),
    ],
)
def test_a_policy_that_cannot_work_is_refused(
    lakeshore: Any, fields: dict[str, Any], errors: dict[str, list[str]], audit_log: Audit
) -> None:
    LendingPolicyFactory.create(organization_id=lakeshore.pk, fee_cents=500)

    with pytest.raises(ValidationError) as refused:
        holdings.lending_policy_save(
            actor=lakeshore.liaison, organization_id=lakeshore.pk, **fields
        )

    assert refused.value.message_dict == errors
    policy = LendingPolicy.objects.get(organization_id=lakeshore.pk)
    assert (policy.lends, policy.fee_cents, policy.answer_business_days) == (True, 500, 2)
    assert audit_log() == []


def test_a_library_that_does_not_lend_needs_no_delivery(lakeshore: Any) -> None:
    policy = holdings.lending_policy_save(
        actor=lakeshore.liaison,
        organization_id=lakeshore.pk,
        lends=False,
        delivers_electronically=False,
        delivers_by_mail=False,
    )

    assert policy.lends is False


def test_another_librarys_liaison_cannot_set_the_policy(lakeshore: Any, prairie: Any) -> None:
    with pytest.raises(holdings.NotYourLibrary):
        holdings.lending_policy_save(
            actor=prairie.liaison, organization_id=lakeshore.pk, lends=True
        )

    assert LendingPolicy.objects.count() == 0


# --- Closures ---


def test_the_liaison_adds_and_removes_closures(lakeshore: Any, audit_log: Audit) -> None:
    today = timezone.localdate()
    winter = holdings.closure_add(
        actor=lakeshore.liaison,
        organization_id=lakeshore.pk,
        starts_on=today + datetime.timedelta(days=20),
        ends_on=today + datetime.timedelta(days=22),
        reason="Winter break",
    )
    paused = holdings.closure_add(
        actor=lakeshore.liaison,
        organization_id=lakeshore.pk,
        starts_on=today + datetime.timedelta(days=30),
        ends_on=None,
        reason="Moving the collection",
    )

    holdings.closure_remove(
        actor=lakeshore.liaison, organization_id=lakeshore.pk, closure_id=winter.pk
    )

    assert list(Closure.objects.values_list("pk", "ends_on")) == [(paused.pk, None)]
    assert [closed.ends_on for closed in holdings.closures_of(organization_id=lakeshore.pk)] == [
        None
    ]
    assert [row[0] for row in audit_log()] == [
        "sharing.closure_add",
        "sharing.closure_add",
        "sharing.closure_remove",
    ]


def test_a_closure_ending_before_it_starts_is_refused(lakeshore: Any) -> None:
    today = timezone.localdate()

    with pytest.raises(ValidationError) as refused:
        holdings.closure_add(
            actor=lakeshore.liaison,
            organization_id=lakeshore.pk,
            starts_on=today + datetime.timedelta(days=5),
            ends_on=today + datetime.timedelta(days=4),
            reason="",
        )

    assert refused.value.message_dict == {
        "reason": ["Say why, such as “Thanksgiving” or “Moving the collection”."],
        "ends_on": ["The last day closed cannot come before the first."],
    }
    assert Closure.objects.count() == 0


def test_closures_of_another_library_cannot_be_touched(lakeshore: Any, prairie: Any) -> None:
    closure = Closure.objects.create(
        organization_id=lakeshore.pk, starts_on=timezone.localdate(), reason="Inventory"
    )

    with pytest.raises(holdings.NotYourLibrary):
        holdings.closure_add(
            actor=prairie.liaison,
            organization_id=lakeshore.pk,
            starts_on=timezone.localdate(),
            ends_on=None,
            reason="Sabotage",
        )
    with pytest.raises(Closure.DoesNotExist):
        holdings.closure_remove(
            actor=prairie.liaison, organization_id=prairie.pk, closure_id=closure.pk
        )

    assert list(Closure.objects.values_list("pk", flat=True)) == [closure.pk]


# --- Preferred lenders ---


def test_preferred_lenders_keep_their_order(lakeshore: Any, prairie: Any, audit_log: Audit) -> None:
    river = library("River Valley Hospital Library")
    holdings.preferred_lenders_set(
        actor=lakeshore.liaison, borrower_id=lakeshore.pk, lender_ids=[prairie.pk, river.pk]
    )

    holdings.preferred_lenders_set(
        actor=lakeshore.liaison, borrower_id=lakeshore.pk, lender_ids=[river.pk, prairie.pk]
    )

    assert holdings.preferred_lenders_of(organization_id=lakeshore.pk) == [river.pk, prairie.pk]
    assert list(PreferredLender.objects.values_list("lender_id", "position")) == [
        (river.pk, 1),
        (prairie.pk, 2),
    ]
    assert [row[0] for row in audit_log()] == ["sharing.preferred_lenders_set"] * 2


@pytest.mark.parametrize(
    ("lenders", "message"),
    [
        ("self", "Your library cannot lend to itself: leave it out."),
        ("twice", "Name each library once."),
        ("unknown", "Choose member libraries of the network."),
    ],
)
def test_preferred_lenders_that_cannot_be_are_refused(
    lakeshore: Any, prairie: Any, lenders: str, message: str
) -> None:
    holdings.preferred_lenders_set(
        actor=lakeshore.liaison, borrower_id=lakeshore.pk, lender_ids=[prairie.pk]
    )
    lender_ids = {
        "self": [prairie.pk, lakeshore.pk],
        "twice": [prairie.pk, prairie.pk],
        "unknown": [prairie.pk, 987654],
    }[lenders]

    with pytest.raises(ValidationError) as refused:
        holdings.preferred_lenders_set(
            actor=lakeshore.liaison, borrower_id=lakeshore.pk, lender_ids=lender_ids
        )

    assert refused.value.message_dict == {"lender_ids": [message]}
    assert holdings.preferred_lenders_of(organization_id=lakeshore.pk) == [prairie.pk]


def test_another_librarys_liaison_cannot_set_preferred_lenders(
    lakeshore: Any, prairie: Any
) -> None:
    with pytest.raises(holdings.NotYourLibrary):
        holdings.preferred_lenders_set(
            actor=prairie.liaison, borrower_id=lakeshore.pk, lender_ids=[prairie.pk]
        )

    assert PreferredLender.objects.count() == 0


# --- The directory's "document delivery" service ---


def _policy(organization: Any, **fields: Any) -> None:
    holdings.lending_policy_save(
        actor=organization.liaison, organization_id=organization.pk, **fields
    )


def _nature(organization: Any, **fields: Any) -> Holding:
    values: dict[str, Any] = {
        "kind": "serial",
        "title": "Nature",
        "issn": "0028-0836",
        "holding_format": "print",
        "licence_allows_lending": False,
        "statement": "1990-",
        **fields,
    }
    return holdings.holding_save(
        actor=organization.liaison, organization_id=organization.pk, **values
    )


def test_a_library_with_a_policy_and_a_holding_is_listed_for_document_delivery(
    lakeshore: Any,
) -> None:
    _policy(lakeshore, lends=True)
    assert _services(lakeshore) == {}

    _nature(lakeshore)

    assert _services(lakeshore) == {"document_delivery": ["affiliated"]}


def test_a_library_taking_patron_requests_is_listed_for_the_public_too(lakeshore: Any) -> None:
    _nature(lakeshore)

    _policy(lakeshore, lends=True, accepts_patron_requests=True)

    assert _services(lakeshore) == {
        "document_delivery": ["affiliated", "public", "unaffiliated_professionals"]
    }


def test_an_electronic_journal_whose_licence_forbids_lending_does_not_list(lakeshore: Any) -> None:
    _policy(lakeshore, lends=True)

    _nature(lakeshore, holding_format="electronic", licence_allows_lending=False)

    assert _services(lakeshore) == {}


def test_the_service_leaves_the_directory_with_the_last_holding_or_the_policy(
    lakeshore: Any, prairie: Any
) -> None:
    _policy(lakeshore, lends=True)
    nature = _nature(lakeshore)
    _policy(prairie, lends=True)
    _nature(prairie)

    holdings.holding_delete(
        actor=lakeshore.liaison, organization_id=lakeshore.pk, holding_id=nature.pk
    )
    _policy(prairie, lends=False)

    assert _services(lakeshore) == {}
    assert _services(prairie) == {}


def test_the_other_services_of_the_directory_entry_stay(lakeshore: Any) -> None:
    lakeshore.services = {"reference": ["public"]}
    lakeshore.save(update_fields=["services"])

    _policy(lakeshore, lends=True)
    _nature(lakeshore)

    assert _services(lakeshore) == {
        "reference": ["public"],
        "document_delivery": ["affiliated"],
    }


def test_an_import_lists_the_library(lakeshore: Any) -> None:
    _policy(lakeshore, lends=True)

    holdings.holdings_import(
        actor=lakeshore.liaison,
        organization_id=lakeshore.pk,
        data=holdings_csv([("book", "Gray's Anatomy", "", "9780306406157", "print", "no", "")]),
    )

    assert _services(lakeshore) == {"document_delivery": ["affiliated"]}


def test_the_directory_page_shows_document_delivery(lakeshore: Any, visitor: Client) -> None:
    _policy(lakeshore, lends=True)
    _nature(lakeshore)

    page = " ".join(visitor.get(f"/network/organizations/{lakeshore.pk}/").content.decode().split())

    assert "Document delivery" in page
    assert "Affiliated users" in page
