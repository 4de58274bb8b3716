"""Routing builds the lender sequence: holders of the cited year that lend to the borrower and
are open, preferred lenders first, then the region, then the network, cheaper before dearer,
never the borrower, at most SHARING_MAX_LENDERS."""

import datetime

import pytest

from tapestry.sharing.models import Closure, Holding, HoldingRange, PreferredLender
from tapestry.sharing.routing import PREFERRED, REGION, Citation, lenders_route
from tapestry.sharing.tests.factories import LendingPolicyFactory, library, serial_holding

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 12, 1)
NATURE_2024 = Citation(issn="0028-0836", year=2024, volume=625)


def _route(
    borrower_id: int, citation: Citation = NATURE_2024, max_cost: int = 5000
) -> list[tuple[str, int]]:
    from tapestry.network.api import organizations_get

    candidates = lenders_route(
        borrower_id=borrower_id, citation=citation, max_cost_cents=max_cost, today=TODAY, seed=1
    )
    names = organizations_get(organization_ids=[c.organization_id for c in candidates])
    return [(names[c.organization_id].name, c.group) for c in candidates]


def _lender(name: str, *, zip_code: str = "60612", fee: int = 1000, **policy: object) -> int:
    organization = library(name, zip_code=zip_code)
    LendingPolicyFactory.create(organization_id=organization.pk, fee_cents=fee, **policy)
    serial_holding(organization)
    return organization.pk


def test_preferred_lenders_come_first_in_the_borrowers_order_then_region_then_network() -> None:
    # Given a public library in Chicago (region 6); medical libraries in Illinois and Minnesota
    # (region 6), Texas, Washington and New York; it prefers Seattle, then Houston
    borrower = library("Oak Park Public Library", org_type="public_library")
    _lender("Rush Medical Library", fee=1200)
    _lender("Northwestern Galter Library", fee=800)
    _lender("Minnesota Bio-Medical Library", zip_code="55455", fee=500)
    houston = _lender("Texas Medical Center Library", zip_code="77030", fee=0)
    seattle = _lender("Washington Health Sciences Library", zip_code="98195", fee=2000)
    _lender("Columbia Health Sciences Library", zip_code="10032", fee=0)
    PreferredLender.objects.create(borrower_id=borrower.pk, lender_id=seattle, position=1)
    PreferredLender.objects.create(borrower_id=borrower.pk, lender_id=houston, position=2)

    # When routing an article from 2024
    sequence = _route(borrower.pk)

    # Then the preferred lenders lead in the borrower's order, the region follows cheaper
    # first, and the sixth qualified library (New York, free) is beyond the five asked
    assert sequence == [
        ("Washington Health Sciences Library", PREFERRED),
        ("Texas Medical Center Library", PREFERRED),
        ("Minnesota Bio-Medical Library", REGION),
        ("Northwestern Galter Library", REGION),
        ("Rush Medical Library", REGION),
    ]


def test_the_network_is_asked_cheaper_before_dearer_and_at_most_five() -> None:
    borrower = library("Oak Park Public Library", org_type="public_library")
    for number, fee in enumerate([900, 100, 700, 300, 500, 0, 1100]):
        _lender(f"Far Library {number}", zip_code="98195", fee=fee)

    sequence = _route(borrower.pk)

    assert [name for name, _group in sequence] == [
        "Far Library 5",
        "Far Library 1",
        "Far Library 3",
        "Far Library 4",
        "Far Library 2",
    ]


def test_never_the_borrower_itself_even_when_it_holds_the_journal() -> None:
    borrower = library("Rush Medical Library")
    LendingPolicyFactory.create(organization_id=borrower.pk)
    serial_holding(borrower)
    _lender("Northwestern Galter Library")

    assert _route(borrower.pk) == [("Northwestern Galter Library", REGION)]


def test_a_year_in_a_gap_of_the_holdings_or_a_volume_outside_them_is_not_routed() -> None:
    borrower = library("Oak Park Public Library", org_type="public_library")
    gap = library("Gap Library", zip_code="60612")
    LendingPolicyFactory.create(organization_id=gap.pk)
    serial_holding(gap, years=[(1990, 2019), (2025, None)])
    volumes = library("Volumes Library", zip_code="60612")
    LendingPolicyFactory.create(organization_id=volumes.pk)
    holding = serial_holding(volumes, years=[])
    HoldingRange.objects.create(
        holding=holding,
        organization_id=volumes.pk,
        issn="0028-0836",
        lendable=True,
        year_from=2020,
        year_to=None,
        volume_from=580,
        volume_to=600,
    )

    assert _route(borrower.pk, Citation(issn="0028-0836", year=2024, volume=625)) == []
    assert _route(borrower.pk, Citation(issn="0028-0836", year=2018, volume=None)) == [
        ("Gap Library", REGION)
    ]
    assert _route(borrower.pk, Citation(issn="0028-0836", year=2021, volume=590)) == [
        ("Volumes Library", REGION)
    ]


def test_an_electronic_journal_lends_only_where_its_licence_allows() -> None:
    borrower = library("Oak Park Public Library", org_type="public_library")
    for name, allowed in [("Licensed Library", True), ("Unlicensed Library", False)]:
        lender = library(name, zip_code="60612")
        LendingPolicyFactory.create(organization_id=lender.pk)
        serial_holding(lender, holding_format="electronic", licence_allows_lending=allowed)

    assert _route(borrower.pk) == [("Licensed Library", REGION)]


def test_a_policy_lends_only_to_whom_it_says() -> None:
    # Given a Texas library lending to its region only, and one lending to public libraries
    public = library("Oak Park Public Library", org_type="public_library")
    hospital = library("Advocate Hospital Library", zip_code="60612")
    _lender("Texas Region Library", zip_code="77030", lends_to_network=False)
    _lender(
        "Texas Public-Minded Library",
        zip_code="77030",
        lends_to_network=False,
        lends_to_region=False,
        lends_to_public_libraries=True,
    )

    # Then the public library reaches the second; the hospital library neither
    assert _route(public.pk) == [("Texas Public-Minded Library", 2)]
    assert _route(hospital.pk) == []


def test_a_library_closed_today_or_paused_is_skipped_and_one_reopened_is_asked() -> None:
    borrower = library("Oak Park Public Library", org_type="public_library")
    holiday = _lender("Holiday Library")
    paused = _lender("Paused Library")
    reopened = _lender("Reopened Library")
    Closure.objects.create(
        organization_id=holiday, starts_on=TODAY, ends_on=TODAY, reason="Staff day"
    )
    Closure.objects.create(
        organization_id=paused, starts_on=datetime.date(2026, 11, 1), reason="Move"
    )
    Closure.objects.create(
        organization_id=reopened,
        starts_on=datetime.date(2026, 11, 1),
        ends_on=TODAY - datetime.timedelta(days=1),
        reason="Renovation",
    )

    assert _route(borrower.pk) == [("Reopened Library", REGION)]


def test_a_lender_dearer_than_the_maximum_or_not_lending_is_not_asked() -> None:
    borrower = library("Oak Park Public Library", org_type="public_library")
    _lender("Dear Library", fee=2500)
    _lender("Resting Library", lends=False)
    _lender("Free Library", fee=0)

    assert _route(borrower.pk, max_cost=2000) == [("Free Library", REGION)]
    assert _route(borrower.pk, max_cost=0) == [("Free Library", REGION)]


def test_a_book_goes_to_libraries_that_hold_its_isbn_and_mail() -> None:
    borrower = library("Oak Park Public Library", org_type="public_library")
    for name, mails in [("Mailing Library", True), ("Scanning Library", False)]:
        lender = library(name, zip_code="60612")
        LendingPolicyFactory.create(organization_id=lender.pk, delivers_by_mail=mails)
        Holding.objects.create(
            organization_id=lender.pk,
            kind=Holding.Kind.BOOK,
            title="Harrison's",
            isbn="9781264268504",
        )

    assert _route(borrower.pk, Citation(isbn="9781264268504")) == [("Mailing Library", REGION)]


def test_libraries_of_equal_fee_share_the_load_in_an_order_drawn_from_the_request() -> None:
    borrower = library("Oak Park Public Library", org_type="public_library")
    for number in range(5):
        _lender(f"Equal Library {number}")

    firsts = {
        lenders_route(
            borrower_id=borrower.pk,
            citation=NATURE_2024,
            max_cost_cents=5000,
            today=TODAY,
            seed=seed,
        )[0].organization_id
        for seed in range(40)
    }
    again = lenders_route(
        borrower_id=borrower.pk, citation=NATURE_2024, max_cost_cents=5000, today=TODAY, seed=7
    )

    # Each of the five leads some requests; one request always gets the same order
    assert len(firsts) == 5
    assert again == lenders_route(
        borrower_id=borrower.pk, citation=NATURE_2024, max_cost_cents=5000, today=TODAY, seed=7
    )
