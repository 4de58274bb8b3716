"""Two libraries asking for the same kit and dates at the same moment: exactly one wins, and the
database says so (ADR 0021). On PostgreSQL the exclusion constraint decides; the test runs many
threads, each on its own connection, released together, and checks that no two stored loans of
the kit overlap and that every loser was told why (never a 500)."""

import datetime
import threading
from typing import Any

import pytest
import time_machine
from django.db import IntegrityError, connection, connections, transaction

from tapestry.accounts.api import Role
from tapestry.accounts.tests.factories import UserFactory
from tapestry.engagement import kit_calendar, services
from tapestry.engagement.models import KitReservation
from tapestry.engagement.tests.conftest import KIT_TODAY
from tapestry.engagement.tests.factories import (
    KitFactory,
    member_organization_make,
    reservation_place,
)

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the exclusion constraint is PostgreSQL's"
)

LIBRARIES = 12
FIRST_SHIP = datetime.date(2027, 4, 1)


def _overlapping_pairs(rows: list[tuple[datetime.date, datetime.date]]) -> list[Any]:
    return [
        (first, second)
        for index, first in enumerate(rows)
        for second in rows[index + 1 :]
        if kit_calendar.overlaps(first, second)
    ]


@pytest.mark.django_db(transaction=True)
def test_many_libraries_at_once_one_wins_each_loser_is_told_why() -> None:
    kit = KitFactory.create()
    borrowers = []
    for number in range(LIBRARIES):
        liaison = UserFactory.create(email=f"racer{number}@example.org", roles=[Role.LIAISON])
        organization_id = member_organization_make(
            name=f"Racing Library {number}", zip_code="60601", liaison=liaison
        )
        # Ship dates a few days apart: every request overlaps every other.
        borrowers.append((liaison, organization_id, FIRST_SHIP + datetime.timedelta(days=number)))
    start = threading.Barrier(LIBRARIES)
    outcomes: list[tuple[str, Any]] = []
    lock = threading.Lock()

    def ask(liaison: Any, organization_id: int, ship_date: datetime.date) -> None:
        try:
            with time_machine.travel(KIT_TODAY, tick=False):
                start.wait(timeout=30)
                try:
                    reservation = services.kit_reserve(
                        user=liaison,
                        kit_id=kit.pk,
                        organization_id=organization_id,
                        ship_date=ship_date,
                    )
                    outcome: tuple[str, Any] = ("won", reservation.pk)
                except services.KitDatesTaken as refused:
                    outcome = ("refused", str(refused))
                except Exception as error:
                    outcome = ("error", repr(error))
            with lock:
                outcomes.append(outcome)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=ask, args=borrower) for borrower in borrowers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    kinds = sorted(kind for kind, _detail in outcomes)
    assert kinds == ["refused"] * (LIBRARIES - 1) + ["won"]
    assert all(
        detail.startswith("Those dates overlap another loan of this kit: the next free ship date")
        for kind, detail in outcomes
        if kind == "refused"
    )
    stored = list(
        KitReservation.objects.filter(kit=kit).values_list("blocked_from", "blocked_until")
    )
    assert len(stored) == 1
    assert _overlapping_pairs(stored) == []


@pytest.mark.django_db(transaction=True)
def test_many_rounds_of_scattered_requests_never_store_an_overlap() -> None:
    kit = KitFactory.create()
    people = []
    for number in range(LIBRARIES):
        liaison = UserFactory.create(email=f"scatter{number}@example.org", roles=[Role.LIAISON])
        people.append(
            (
                liaison,
                member_organization_make(
                    name=f"Scatter Library {number}", zip_code="60601", liaison=liaison
                ),
            )
        )
    errors: list[str] = []
    lock = threading.Lock()

    def ask(liaison: Any, organization_id: int, ship_date: datetime.date, gate: Any) -> None:
        try:
            with time_machine.travel(KIT_TODAY, tick=False):
                gate.wait(timeout=30)
                try:
                    services.kit_reserve(
                        user=liaison,
                        kit_id=kit.pk,
                        organization_id=organization_id,
                        ship_date=ship_date,
                    )
                except (services.KitDatesTaken, services.KitLimitReached):
                    pass
                except Exception as error:
                    with lock:
                        errors.append(repr(error))
        finally:
            connections.close_all()

    for round_number in range(4):
        gate = threading.Barrier(LIBRARIES)
        threads = [
            threading.Thread(
                target=ask,
                args=(
                    liaison,
                    organization_id,
                    FIRST_SHIP + datetime.timedelta(days=round_number * 60 + (index * 7) % 50),
                    gate,
                ),
            )
            for index, (liaison, organization_id) in enumerate(people)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    stored = sorted(
        KitReservation.objects.filter(kit=kit).values_list("blocked_from", "blocked_until")
    )
    assert errors == []
    assert len(stored) >= 4
    assert _overlapping_pairs(stored) == []


@pytest.mark.django_db
def test_the_constraint_refuses_an_overlap_written_past_the_service() -> None:
    kit = KitFactory.create()
    liaison = UserFactory.create()
    organization_id = member_organization_make(
        name="Direct Library", zip_code="60601", liaison=liaison
    )
    reservation_place(
        kit=kit, organization_id=organization_id, requested_by=liaison, ship_date=FIRST_SHIP
    )

    with (
        pytest.raises(IntegrityError, match="engagement_kit_reservation_no_overlap"),
        transaction.atomic(),
    ):
        reservation_place(
            kit=kit,
            organization_id=organization_id,
            requested_by=liaison,
            ship_date=FIRST_SHIP + datetime.timedelta(days=10),
        )
    # A cancelled reservation holds nothing, so the same dates are accepted.
    reservation_place(
        kit=kit,
        organization_id=organization_id,
        requested_by=liaison,
        ship_date=FIRST_SHIP + datetime.timedelta(days=10),
        status="cancelled",
    )
    assert KitReservation.objects.filter(kit=kit).count() == 2
