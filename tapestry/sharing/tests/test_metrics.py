"""Figures: fill rate over closed requests, turnaround in business hours (weekends and federal
holidays left out), unfilled reasons, each by library, region and month; the period a person
asks for; a lender's load."""

import datetime

import pytest

from tapestry.sharing.metrics import (
    GroupFigures,
    Period,
    PeriodError,
    default_period,
    lender_load,
    library_figures,
    month_parse,
    percentile,
    period_of,
    period_parse,
    sharing_figures,
)
from tapestry.sharing.models import Lender, Request
from tapestry.sharing.tests.factories import LenderFactory, RequestFactory, library
from tapestry.sharing.tests.money_factories import (
    Library,
    asked_request,
    at,
    filled_request,
    unfilled_request,
)

pytestmark = pytest.mark.django_db

JULY_2025 = Period(first_month=datetime.date(2025, 7, 1), last_month=datetime.date(2025, 7, 1))
AUTUMN_2026 = Period(first_month=datetime.date(2026, 9, 1), last_month=datetime.date(2026, 10, 1))
NOT_FILLED = Lender.Status.NOT_FILLED
TIMED_OUT = Lender.Status.TIMED_OUT


@pytest.fixture
def ada() -> Library:
    return library("Ada Hospital Library")


@pytest.fixture
def birch() -> Library:
    return library("Birch Public Library", org_type="public_library")


@pytest.fixture
def cedar() -> Library:
    return library("Cedar Medical Library", zip_code="19901")


@pytest.fixture
def autumn(ada: Library, birch: Library, cedar: Library) -> None:
    """Birch (Region 6) borrows three times: filled by Ada in September after Cedar said "not
    owned", filled by Ada in October, and unfilled in October (Ada timed out, Cedar "in use").
    Cedar (Region 1) borrows twice in October: filled by Birch, and unfilled (Ada "not
    owned"). Outside the figures: a fill in August, a cancelled request, one still routing."""
    filled_request(
        borrower=birch,
        lender=ada,
        filled_at=at(2026, 9, 15),
        refused_by=[(cedar, NOT_FILLED, Lender.Reason.NOT_OWNED)],
    )
    filled_request(borrower=birch, lender=ada, filled_at=at(2026, 10, 6))
    unfilled_request(
        borrower=birch,
        closed_at=at(2026, 10, 20),
        turns=[(ada, TIMED_OUT, ""), (cedar, NOT_FILLED, Lender.Reason.IN_USE)],
    )
    filled_request(borrower=cedar, lender=birch, filled_at=at(2026, 10, 7), region_code="region-1")
    unfilled_request(
        borrower=cedar,
        closed_at=at(2026, 10, 21),
        turns=[(ada, NOT_FILLED, Lender.Reason.NOT_OWNED)],
        region_code="region-1",
    )
    filled_request(borrower=birch, lender=ada, filled_at=at(2026, 8, 31, 23))
    RequestFactory.create(
        borrower_id=birch.pk, status=Request.Status.CANCELLED, closed_at=at(2026, 10, 2)
    )
    asked_request(borrower=cedar, lender=ada, asked_at=at(2026, 10, 9))


def _counts(groups: list[GroupFigures]) -> dict[str, tuple[int, int, dict[str, int]]]:
    return {group.key: (group.filled, group.unfilled, group.reasons) for group in groups}


# --- Fill rate and unfilled reasons ---


def test_fill_rate_counts_closed_requests_only(autumn: None) -> None:
    figures = sharing_figures(period=AUTUMN_2026, group_by="month")

    # three filled and two unfilled in September and October; the August fill, the cancelled
    # and the routing request do not count
    assert (figures.total.filled, figures.total.unfilled) == (3, 2)
    assert figures.total.fill_rate == 0.6
    assert figures.total.reasons == {"not_owned": 2, "in_use": 1, "timed_out": 1}


def test_figures_by_month(autumn: None) -> None:
    figures = sharing_figures(period=AUTUMN_2026, group_by="month")

    assert _counts(figures.groups) == {
        "2026-09": (1, 0, {"not_owned": 1}),
        "2026-10": (2, 2, {"timed_out": 1, "in_use": 1, "not_owned": 1}),
    }
    assert [group.key for group in figures.groups] == ["2026-09", "2026-10"]


def test_figures_by_region_of_the_borrower(autumn: None) -> None:
    figures = sharing_figures(period=AUTUMN_2026, group_by="region")

    assert _counts(figures.groups) == {
        "region-1": (1, 1, {"not_owned": 1}),
        "region-6": (2, 1, {"not_owned": 1, "timed_out": 1, "in_use": 1}),
    }


def test_figures_by_borrower(autumn: None, ada: Library, birch: Library, cedar: Library) -> None:
    figures = sharing_figures(period=AUTUMN_2026, group_by="borrower")

    assert _counts(figures.groups) == {
        str(birch.pk): (2, 1, {"not_owned": 1, "timed_out": 1, "in_use": 1}),
        str(cedar.pk): (1, 1, {"not_owned": 1}),
    }
    by_key = {group.key: group for group in figures.groups}
    assert by_key[str(birch.pk)].fill_rate == pytest.approx(2 / 3)


def test_figures_by_lender_count_its_turns(
    autumn: None, ada: Library, birch: Library, cedar: Library
) -> None:
    figures = sharing_figures(period=AUTUMN_2026, group_by="lender", as_lender=True)

    # Ada filled two and let one time out and refused one; Cedar refused two
    assert _counts(figures.groups) == {
        str(ada.pk): (2, 2, {"timed_out": 1, "not_owned": 1}),
        str(birch.pk): (1, 0, {}),
        str(cedar.pk): (0, 2, {"not_owned": 1, "in_use": 1}),
    }
    by_key = {group.key: group for group in figures.groups}
    assert by_key[str(ada.pk)].fill_rate == 0.5
    assert by_key[str(cedar.pk)].fill_rate == 0.0


def test_one_library_as_lender_and_as_borrower(autumn: None, ada: Library, birch: Library) -> None:
    as_lender = sharing_figures(
        period=AUTUMN_2026, group_by="month", as_lender=True, organization_id=ada.pk
    )
    as_borrower = sharing_figures(period=AUTUMN_2026, group_by="month", organization_id=birch.pk)

    assert _counts(as_lender.groups) == {
        "2026-09": (1, 0, {}),
        "2026-10": (1, 2, {"timed_out": 1, "not_owned": 1}),
    }
    assert _counts(as_borrower.groups) == {
        "2026-09": (1, 0, {"not_owned": 1}),
        "2026-10": (1, 1, {"timed_out": 1, "in_use": 1}),
    }


def test_a_period_without_requests_has_no_groups_and_no_rate(autumn: None) -> None:
    empty = Period(first_month=datetime.date(2020, 1, 1), last_month=datetime.date(2020, 12, 1))

    figures = sharing_figures(period=empty, group_by="region")

    assert figures.groups == []
    assert (figures.total.closed, figures.total.fill_rate) == (0, None)
    assert figures.total.turnaround_median_hours is None


def test_grouping_by_lender_needs_the_lenders_turns() -> None:
    with pytest.raises(ValueError, match="lender"):
        sharing_figures(period=AUTUMN_2026, group_by="lender")


def test_figures_take_three_queries_whatever_the_number_of_requests(
    autumn: None, ada: Library, birch: Library, django_assert_num_queries: object
) -> None:
    for day in range(1, 16):
        filled_request(borrower=birch, lender=ada, filled_at=at(2026, 10, day))

    with django_assert_num_queries(3):  # type: ignore[operator]
        figures = sharing_figures(period=AUTUMN_2026, group_by="region")
    assert figures.total.filled == 18


# --- Turnaround in business hours ---


def test_turnaround_leaves_out_nights_weekends_and_the_fourth_of_july(
    ada: Library, birch: Library
) -> None:
    # given, in July 2025 (the 4th a Friday), with business hours 9:00 to 17:00:
    # routed Thursday 3rd 15:00, filled Monday 7th 11:00: 2 + 0 (holiday) + 0 + 0 + 2 = 4 hours
    filled_request(
        borrower=birch, lender=ada, routed_at=at(2025, 7, 3, 15), filled_at=at(2025, 7, 7, 11)
    )
    # routed Wednesday 2nd 10:00, filled Monday 7th 10:00: 7 + 8 + 0 + 0 + 0 + 1 = 16 hours
    filled_request(
        borrower=birch, lender=ada, routed_at=at(2025, 7, 2, 10), filled_at=at(2025, 7, 7, 10)
    )
    # routed Tuesday 1st 9:00, filled 13:30 the same day: 4.5 hours
    filled_request(
        borrower=birch, lender=ada, routed_at=at(2025, 7, 1, 9), filled_at=at(2025, 7, 1, 13, 30)
    )
    # routed Saturday 5th 10:00 (never routed: its creation counts), filled Monday 7th 9:30
    weekend = filled_request(
        borrower=birch, lender=ada, routed_at=at(2025, 7, 5, 10), filled_at=at(2025, 7, 7, 9, 30)
    )
    Request.objects.filter(pk=weekend.pk).update(routed_at=None)

    figures = sharing_figures(period=JULY_2025, group_by="month")

    # then the hours are 0.5, 4, 4.5 and 16: median 4.25, 90th percentile (nearest rank) 16
    assert figures.total.turnaround_median_hours == 4.25
    assert figures.total.turnaround_p90_hours == 16.0
    assert figures.groups[0].turnaround_median_hours == 4.25
    # and the lender's turnaround is the same request-to-fill time
    as_lender = sharing_figures(period=JULY_2025, group_by="lender", as_lender=True)
    assert (
        as_lender.groups[0].turnaround_median_hours,
        as_lender.groups[0].turnaround_p90_hours,
    ) == (
        4.25,
        16.0,
    )


def test_percentile_is_the_nearest_rank() -> None:
    assert percentile([], 0.9) is None
    assert percentile([7.0], 0.9) == 7.0
    assert percentile([float(hours) for hours in range(1, 11)], 0.9) == 9.0
    assert percentile([float(hours) for hours in range(1, 12)], 0.9) == 10.0


# --- The period ---


def test_the_default_period_is_the_last_twelve_months() -> None:
    period = default_period(datetime.date(2026, 11, 30))

    assert (period.first_month, period.last_month) == (
        datetime.date(2025, 12, 1),
        datetime.date(2026, 11, 1),
    )
    assert len(period.months) == 12
    assert period.start.isoformat() == "2025-12-01T00:00:00-05:00"
    assert period.end.isoformat() == "2026-12-01T00:00:00-05:00"


def test_a_period_from_the_form() -> None:
    today = datetime.date(2026, 11, 30)

    assert period_parse(first="2026-03", last="2026-05", today=today) == Period(
        first_month=datetime.date(2026, 3, 1), last_month=datetime.date(2026, 5, 1)
    )
    assert period_parse(first="", last="", today=today) == default_period(today)
    assert period_parse(first="2026-10", last="", today=today).last_month == datetime.date(
        2026, 11, 1
    )


@pytest.mark.parametrize(
    "text", ["2026-13", "2026-00", "26-03", "March 2026", "2026-3", "", "0999-01"]
)
def test_a_month_must_be_year_and_month(text: str) -> None:
    with pytest.raises(PeriodError, match="like 2026-03"):
        month_parse(text)


def test_a_period_ends_after_it_starts() -> None:
    with pytest.raises(PeriodError, match="must end in or after the month it starts"):
        period_of(first_month=datetime.date(2026, 5, 1), last_month=datetime.date(2026, 4, 1))


def test_a_period_covers_at_most_sixty_months() -> None:
    sixty = period_of(first_month=datetime.date(2021, 1, 1), last_month=datetime.date(2025, 12, 1))
    assert len(sixty.months) == 60

    with pytest.raises(PeriodError, match="at most 60 months"):
        period_of(first_month=datetime.date(2020, 12, 1), last_month=datetime.date(2025, 12, 1))


# --- A lender's load ---


def test_a_lenders_load(ada: Library, birch: Library, cedar: Library) -> None:
    now = at(2026, 11, 30, 12)
    # given Ada is asked two requests now
    asked_request(borrower=birch, lender=ada, asked_at=at(2026, 11, 27, 10))
    asked_request(borrower=cedar, lender=ada, asked_at=at(2026, 11, 30, 9))
    # and answered two in the last 30 days: asked Monday 16 November 9:00, filled Tuesday
    # 11:00 (8 + 2 = 10 hours); asked Wednesday 25th 16:00, refused Monday 30th 10:00 across
    # Thanksgiving (1 + 0 + 8 + 0 + 0 + 1 = 10 hours)
    for asked_at, answered_at, status in [
        (at(2026, 11, 16, 9), at(2026, 11, 17, 11), Lender.Status.FILLED),
        (at(2026, 11, 25, 16), at(2026, 11, 30, 10), Lender.Status.NOT_FILLED),
        # and long ago, or not an answer: not counted
        (at(2026, 10, 1, 9), at(2026, 10, 2, 9), Lender.Status.FILLED),
        (at(2026, 11, 20, 9), at(2026, 11, 24, 9), Lender.Status.TIMED_OUT),
    ]:
        LenderFactory.create(
            request=RequestFactory.create(borrower_id=birch.pk),
            organization_id=ada.pk,
            status=status,
            asked_at=asked_at,
            answered_at=answered_at,
        )
    # and Cedar answered one in 3 business hours
    LenderFactory.create(
        request=RequestFactory.create(borrower_id=birch.pk),
        organization_id=cedar.pk,
        status=Lender.Status.NOT_FILLED,
        asked_at=at(2026, 11, 23, 9),
        answered_at=at(2026, 11, 23, 12),
    )

    loads = lender_load(now=now)

    assert [
        (load.name, load.asked_now, load.answered_recently, load.median_answer_hours)
        for load in loads
    ] == [
        ("Ada Hospital Library", 2, 2, 10.0),
        ("Cedar Medical Library", 0, 1, 3.0),
    ]
    assert library_figures(organization_id=cedar.pk, period=AUTUMN_2026, now=now).load == loads[1]


def test_a_library_without_turns_has_an_empty_load(ada: Library) -> None:
    figures = library_figures(organization_id=ada.pk, period=AUTUMN_2026)

    assert (figures.load.asked_now, figures.load.answered_recently) == (0, 0)
    assert figures.load.median_answer_hours is None
    assert figures.as_lender.groups == []
    assert figures.as_borrower.groups == []
