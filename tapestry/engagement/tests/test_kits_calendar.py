"""The kit calendar rules at their boundaries (ADR 0021): 14 to 365 days ahead, the loan, the
return transit and the 7 turnaround days, the organization's limit of kits at once, held and
inactive kits. Every refusal leaves nothing behind."""

import datetime
from typing import Any

import pytest
from django.core import mail
from django.test import override_settings
from pytest_django import DjangoCaptureOnCommitCallbacks

from tapestry.engagement import kit_calendar, services
from tapestry.engagement.models import Kit, KitReservation
from tapestry.engagement.tests.factories import KitFactory, reservation_place
from tapestry.network.api import organizations_get

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("kit_today")]

TODAY = datetime.date(2027, 3, 1)


def days(count: int) -> datetime.timedelta:
    return datetime.timedelta(days=count)


def reserve(user: Any, kit: Kit, organization_id: int, ship_date: datetime.date) -> KitReservation:
    return services.kit_reserve(
        user=user, kit_id=kit.pk, organization_id=organization_id, ship_date=ship_date
    )


def test_the_loan_dates_follow_the_settings() -> None:
    dates = kit_calendar.loan_dates(datetime.date(2027, 4, 1))

    assert dates.due_date == datetime.date(2027, 5, 13)  # 42 days
    assert dates.back_on == datetime.date(2027, 5, 18)  # 5 days of transit
    assert (dates.blocked_from, dates.blocked_until) == (
        datetime.date(2027, 4, 1),
        datetime.date(2027, 5, 25),  # 7 days of turnaround
    )


@override_settings(ENGAGEMENT_KIT_LOAN_DAYS=28, ENGAGEMENT_KIT_TRANSIT_DAYS=3)
def test_the_numbers_come_from_settings() -> None:
    dates = kit_calendar.loan_dates(datetime.date(2027, 4, 1))

    assert (dates.due_date, dates.blocked_until) == (
        datetime.date(2027, 4, 29),
        datetime.date(2027, 5, 9),
    )


def test_fourteen_days_ahead_is_accepted_and_emailed(
    alice_liaison: Any,
    alice_library: Any,
    story_kit: Kit,
    audit_log: Any,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        reservation = reserve(alice_liaison, story_kit, alice_library.pk, TODAY + days(14))

    assert (reservation.status, reservation.ship_date, reservation.due_date) == (
        "requested",
        datetime.date(2027, 3, 15),
        datetime.date(2027, 4, 26),
    )
    assert reservation.region_code == "region-6"
    assert audit_log() == [
        ("kit.reserve", "alice@example.org", "engagement.kitreservation", str(reservation.pk))
    ]
    [message] = mail.outbox
    assert message.to == ["alice@example.org"]
    assert message.subject == "Kit request received: Health literacy story time kit"
    assert "Ship date: 15 Mar 2027" in message.body
    assert "Due back in the mail: 26 Apr 2027" in message.body


def test_thirteen_days_ahead_is_too_soon(
    alice_liaison: Any, alice_library: Any, story_kit: Kit, audit_log: Any
) -> None:
    with pytest.raises(services.KitError) as refused:
        reserve(alice_liaison, story_kit, alice_library.pk, TODAY + days(13))

    assert str(refused.value) == "That ship date is too soon: the earliest is 15 Mar 2027."
    assert KitReservation.objects.count() == 0
    assert audit_log() == []
    assert mail.outbox == []


def test_365_days_ahead_is_accepted_366_is_too_far(
    alice_liaison: Any, alice_library: Any, story_kit: Kit
) -> None:
    accepted = reserve(alice_liaison, story_kit, alice_library.pk, TODAY + days(365))
    with pytest.raises(services.KitError) as refused:
        reserve(alice_liaison, KitFactory.create(), alice_library.pk, TODAY + days(366))

    assert accepted.ship_date == datetime.date(2028, 2, 29)
    assert str(refused.value) == "That ship date is too far ahead: the latest is 29 Feb 2028."
    assert KitReservation.objects.count() == 1


def test_the_next_loan_may_ship_on_due_date_plus_transit_plus_seven_days(
    alice_liaison: Any, alice_library: Any, bea_liaison: Any, bea_library: int, story_kit: Kit
) -> None:
    first = reserve(alice_liaison, story_kit, alice_library.pk, datetime.date(2027, 4, 1))
    # Due 13 May, back 18 May, restocked for 7 days: 25 May is the first free ship date.
    with pytest.raises(services.KitDatesTaken) as refused:
        reserve(bea_liaison, story_kit, bea_library, datetime.date(2027, 5, 24))
    second = reserve(bea_liaison, story_kit, bea_library, datetime.date(2027, 5, 25))

    assert first.due_date + days(5 + 7) == second.ship_date
    assert str(refused.value) == (
        "Those dates overlap another loan of this kit: the next free ship date is 25 May 2027."
    )
    assert refused.value.next_free == datetime.date(2027, 5, 25)
    assert list(KitReservation.objects.values_list("ship_date", flat=True)) == [
        datetime.date(2027, 4, 1),
        datetime.date(2027, 5, 25),
    ]


def test_an_earlier_loan_must_be_back_and_restocked_before_the_booked_ship_date(
    alice_liaison: Any, alice_library: Any, bea_liaison: Any, bea_library: int, story_kit: Kit
) -> None:
    reserve(alice_liaison, story_kit, alice_library.pk, datetime.date(2027, 6, 1))
    # A loan shipped 54 days before ends its turnaround the day before 1 June; 53 runs into it.
    with pytest.raises(services.KitDatesTaken) as refused:
        reserve(bea_liaison, story_kit, bea_library, datetime.date(2027, 6, 1) - days(53))
    earlier = reserve(bea_liaison, story_kit, bea_library, datetime.date(2027, 6, 1) - days(54))

    assert earlier.blocked_until == datetime.date(2027, 6, 1)
    assert refused.value.next_free == datetime.date(2027, 7, 25)


def test_a_request_overlapping_only_the_return_transit_is_refused(
    alice_liaison: Any, alice_library: Any, bea_liaison: Any, bea_library: int, story_kit: Kit
) -> None:
    first = reserve(alice_liaison, story_kit, alice_library.pk, datetime.date(2027, 4, 1))

    with pytest.raises(services.KitDatesTaken):
        reserve(bea_liaison, story_kit, bea_library, first.due_date + days(2))

    assert KitReservation.objects.count() == 1


def test_declined_and_cancelled_reservations_free_their_dates(
    alice_liaison: Any, alice_library: Any, bea_liaison: Any, bea_library: int, story_kit: Kit
) -> None:
    for status in ("declined", "cancelled"):
        reservation_place(
            kit=story_kit,
            organization_id=alice_library.pk,
            requested_by=alice_liaison,
            ship_date=datetime.date(2027, 4, 1),
            status=status,
        )

    taken = reserve(bea_liaison, story_kit, bea_library, datetime.date(2027, 4, 1))

    assert taken.status == "requested"


def test_a_third_kit_at_once_is_refused(
    alice_liaison: Any, alice_library: Any, audit_log: Any
) -> None:
    reserve(alice_liaison, KitFactory.create(), alice_library.pk, TODAY + days(20))
    reserve(alice_liaison, KitFactory.create(), alice_library.pk, TODAY + days(30))
    before = audit_log()

    with pytest.raises(services.KitLimitReached) as refused:
        reserve(alice_liaison, KitFactory.create(), alice_library.pk, TODAY + days(40))

    assert str(refused.value) == (
        "Your organization already has 2 kits requested or on loan, the most it may have at "
        "once. A kit must come back, or a request be cancelled, before you reserve another."
    )
    assert KitReservation.objects.count() == 2
    assert audit_log() == before


def test_a_returned_kit_no_longer_counts_toward_the_limit(
    alice_liaison: Any, alice_library: Any
) -> None:
    for ship_date, status in ((datetime.date(2026, 12, 1), "returned"), (TODAY, "shipped")):
        reservation_place(
            kit=KitFactory.create(),
            organization_id=alice_library.pk,
            requested_by=alice_liaison,
            ship_date=ship_date,
            status=status,
        )

    second = reserve(alice_liaison, KitFactory.create(), alice_library.pk, TODAY + days(20))

    assert second.status == "requested"


def test_a_held_kit_and_an_inactive_kit_are_refused(alice_liaison: Any, alice_library: Any) -> None:
    held = KitFactory.create(held=True)
    inactive = KitFactory.create(active=False)

    with pytest.raises(services.KitUnavailable) as held_refused:
        reserve(alice_liaison, held, alice_library.pk, TODAY + days(20))
    with pytest.raises(services.KitUnavailable) as inactive_refused:
        reserve(alice_liaison, inactive, alice_library.pk, TODAY + days(20))

    assert str(held_refused.value) == (
        "This kit is being checked and restocked after its last loan. Please try again in a "
        "few days."
    )
    assert str(inactive_refused.value) == "This kit is not being lent at the moment."
    assert KitReservation.objects.count() == 0


def test_only_the_organizations_liaison_may_reserve_for_it(
    bea_liaison: Any, bea_library: int, alice_library: Any, story_kit: Kit, audit_log: Any
) -> None:
    with pytest.raises(services.KitNotAllowed) as refused:
        reserve(bea_liaison, story_kit, alice_library.pk, TODAY + days(20))

    assert str(refused.value) == (
        "You can reserve kits only for an organization you are the liaison of."
    )
    assert KitReservation.objects.count() == 0
    assert audit_log() == []


def test_no_free_date_within_the_year_says_so(
    alice_liaison: Any, alice_library: Any, bea_liaison: Any, bea_library: int, story_kit: Kit
) -> None:
    ship = TODAY - days(40)
    while ship <= TODAY + days(365):
        reservation_place(
            kit=story_kit,
            organization_id=organizations_get(organization_ids=[bea_library])[bea_library].id,
            requested_by=bea_liaison,
            ship_date=ship,
            status="returned",
        )
        ship += days(54)

    with pytest.raises(services.KitDatesTaken) as refused:
        reserve(alice_liaison, story_kit, alice_library.pk, TODAY + days(20))

    assert refused.value.next_free is None
    assert "no free dates within the next year" in str(refused.value)


def test_next_free_ship_date_skips_over_back_to_back_loans() -> None:
    busy = [
        (datetime.date(2027, 4, 1), datetime.date(2027, 5, 25)),
        (datetime.date(2027, 5, 25), datetime.date(2027, 7, 18)),
        (datetime.date(2027, 9, 10), datetime.date(2027, 11, 3)),
    ]

    assert kit_calendar.next_free_ship_date(
        wanted=datetime.date(2027, 4, 10), busy=busy, today=TODAY
    ) == datetime.date(2027, 7, 18)
    # 18 July + 54 days ends exactly when the loan of 10 September ships; 20 July runs into it.
    assert kit_calendar.next_free_ship_date(
        wanted=datetime.date(2027, 7, 20), busy=busy, today=TODAY
    ) == datetime.date(2027, 11, 3)


def test_the_specialists_of_the_region_are_told_in_their_language(
    alice_liaison: Any,
    alice_library: Any,
    story_kit: Kit,
    sam_specialist: Any,
    olga_other_specialist: Any,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        reservation = reserve(alice_liaison, story_kit, alice_library.pk, TODAY + days(30))

    assert [message.to for message in mail.outbox] == [["alice@example.org"], ["sam@example.org"]]
    to_sam = mail.outbox[1]
    assert to_sam.subject == (
        "Kit request to decide: Health literacy story time kit for Alice Memorial Library"
    )
    assert f"/engagement/kits/desk/{reservation.pk}/" in to_sam.body
