"""Business days and hours: weekends, federal holidays (observed days too), a library's
closures, when a lender's answer is due, and business hours between two moments."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings

from tapestry.sharing.business_days import (
    Closed,
    answer_due,
    business_hours_between,
    is_business_day,
    network_zone,
)

DAY = datetime.date


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=network_zone())


def test_weekdays_are_business_days_and_weekends_are_not() -> None:
    assert is_business_day(DAY(2026, 12, 1)) is True  # Tuesday
    assert is_business_day(DAY(2026, 12, 5)) is False  # Saturday
    assert is_business_day(DAY(2026, 12, 6)) is False  # Sunday


@pytest.mark.parametrize(
    ("day", "what"),
    [
        (DAY(2026, 7, 3), "Independence Day (observed: July 4 is a Saturday)"),
        (DAY(2026, 11, 26), "Thanksgiving"),
        (DAY(2026, 12, 25), "Christmas Day"),
        (DAY(2027, 1, 1), "New Year's Day"),
        (DAY(2026, 1, 19), "Martin Luther King Jr. Day"),
    ],
)
def test_federal_holidays_are_not_business_days(day: datetime.date, what: str) -> None:
    assert is_business_day(day) is False, what


def test_the_days_around_holidays_are_business_days() -> None:
    assert is_business_day(DAY(2026, 7, 2)) is True
    assert is_business_day(DAY(2026, 11, 27)) is True  # the Friday after Thanksgiving


def test_a_closure_closes_its_days_included() -> None:
    holiday_week = [Closed(starts_on=DAY(2026, 12, 21), ends_on=DAY(2026, 12, 23))]

    assert is_business_day(DAY(2026, 12, 18), holiday_week) is True
    assert is_business_day(DAY(2026, 12, 21), holiday_week) is False
    assert is_business_day(DAY(2026, 12, 23), holiday_week) is False
    assert is_business_day(DAY(2026, 12, 24), holiday_week) is True


def test_an_open_ended_closure_closes_every_day_after_it_starts() -> None:
    paused = [Closed(starts_on=DAY(2026, 12, 1), ends_on=None)]

    assert is_business_day(DAY(2026, 11, 30), paused) is True
    assert is_business_day(DAY(2026, 12, 1), paused) is False
    assert is_business_day(DAY(2027, 6, 1), paused) is False


def test_an_answer_is_due_at_midnight_after_the_last_business_day() -> None:
    # Given a request asked on Monday 30 November 2026 at 10:00 with two business days
    due = answer_due(at(2026, 11, 30, 10), 2)

    # Then it is due at the end of Wednesday (midnight starting Thursday)
    assert due == at(2026, 12, 3)


def test_an_answer_due_skips_the_weekend() -> None:
    # Asked on Friday 4 December: Monday and Tuesday are the two business days
    assert answer_due(at(2026, 12, 4, 16), 2) == at(2026, 12, 9)


def test_an_answer_due_skips_thanksgiving() -> None:
    # Asked Wednesday 25 November 2026: Thursday is Thanksgiving, Friday counts, then Monday
    assert answer_due(at(2026, 11, 25, 9), 2) == at(2026, 12, 1)


def test_an_answer_due_skips_the_observed_independence_day() -> None:
    # Asked Thursday 2 July 2026: Friday 3 July is the observed holiday, then the weekend
    assert answer_due(at(2026, 7, 2, 9), 1) == at(2026, 7, 7)


def test_an_answer_due_skips_the_library_closures() -> None:
    closed = [Closed(starts_on=DAY(2026, 12, 1), ends_on=DAY(2026, 12, 2))]

    assert answer_due(at(2026, 11, 30, 10), 2, closed) == at(2026, 12, 5)


def test_an_answer_due_counts_from_the_day_in_network_time() -> None:
    # 03:00 UTC on Tuesday is still Monday evening in the network's zone
    asked = datetime.datetime(2026, 12, 1, 3, 0, tzinfo=ZoneInfo("UTC"))

    assert answer_due(asked, 1) == at(2026, 12, 2)


def test_business_hours_within_one_day() -> None:
    assert business_hours_between(at(2026, 12, 1, 10), at(2026, 12, 1, 13, 30)) == 3.5


def test_business_hours_count_only_the_open_hours_of_business_days() -> None:
    # Friday 16:00 to Monday 10:00: one hour on Friday, one on Monday
    assert business_hours_between(at(2026, 12, 4, 16), at(2026, 12, 7, 10)) == 2.0


def test_business_hours_skip_holidays() -> None:
    # Wednesday before Thanksgiving 09:00 to Friday 17:00: 8 + 0 + 8
    assert business_hours_between(at(2026, 11, 25, 9), at(2026, 11, 27, 17)) == 16.0


def test_business_hours_of_a_moment_outside_hours_are_zero() -> None:
    assert business_hours_between(at(2026, 12, 1, 18), at(2026, 12, 1, 23)) == 0.0
    assert business_hours_between(at(2026, 12, 1, 12), at(2026, 12, 1, 11)) == 0.0


@override_settings(SHARING_BUSINESS_HOURS=(8, 20))
def test_business_hours_follow_the_setting() -> None:
    assert business_hours_between(at(2026, 12, 1, 7), at(2026, 12, 1, 21)) == 12.0
