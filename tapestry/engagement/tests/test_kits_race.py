"""Two libraries asking for the same kit and dates at the same moment: exactly one wins, and the
database says so (ADR 0021). On PostgreSQL the exclusion constraint decides; the test runs many
threads, each on its own connection, released together, and checks that no two stored loans of
the kit overlap and that every loser was told why (never a 500)."""

import datetime
import threading
from typing import Any

import pytest
from django.db import IntegrityError, connection, connections, transaction
from django.test import Client
from django.utils import timezone

from tapestry.accounts.api import Role
from tapestry.accounts.tests.factories import UserFactory, api_token_make
from tapestry.engagement import kit_calendar, services
from tapestry.engagement.models import KitReservation
from tapestry.engagement.tests.factories import (
    KitFactory,
    member_organization_make,
    reservation_place,
)

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the exclusion constraint is PostgreSQL's"
)

LIBRARIES = 12
# A month ahead of the real today: the threads run on the real clock.
FIRST_SHIP = timezone.localdate() + datetime.timedelta(days=30)


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
    assert kinds == ["refused"] * (LIBRARIES - 1) + ["won"], outcomes
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
    outcomes: list[str] = []
    lock = threading.Lock()

    def ask(liaison: Any, organization_id: int, ship_date: datetime.date, gate: Any) -> None:
        try:
            gate.wait(timeout=30)
            try:
                services.kit_reserve(
                    user=liaison,
                    kit_id=kit.pk,
                    organization_id=organization_id,
                    ship_date=ship_date,
                )
                outcome = "won"
            except services.KitDatesTaken:
                outcome = "dates taken"
            except services.KitLimitReached:
                outcome = "limit"
            except Exception as error:
                outcome = repr(error)
            with lock:
                outcomes.append(outcome)
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
    # Every request was stored or refused with a reason (never an error), each winner is a
    # stored loan, and no two stored loans overlap.
    assert len(outcomes) == 4 * LIBRARIES
    assert set(outcomes) <= {"won", "dates taken", "limit"}
    assert outcomes.count("won") == len(stored) >= 2
    assert _overlapping_pairs(stored) == []


@pytest.mark.django_db(transaction=True)
def test_through_the_api_one_201_and_every_other_a_409_with_the_next_free_date(
    settings: Any,
) -> None:
    settings.API_THROTTLE_TOKEN = "1000000/s"
    kit = KitFactory.create(slug="race-kit")
    callers = []
    for number in range(8):
        liaison = UserFactory.create(email=f"api-racer{number}@example.org", roles=[Role.LIAISON])
        organization_id = member_organization_make(
            name=f"API Racing Library {number}", zip_code="60601", liaison=liaison
        )
        callers.append((api_token_make(user=liaison, scopes=["kits"]), organization_id))
    start = threading.Barrier(len(callers))
    answers: list[tuple[int, Any]] = []
    lock = threading.Lock()

    def post(token: str, organization_id: int) -> None:
        try:
            client = Client()
            start.wait(timeout=30)
            response = client.post(
                "/api/v1/engagement/kits/race-kit/reservations",
                {"organization_id": organization_id, "ship_date": FIRST_SHIP.isoformat()},
                content_type="application/json",
                headers={"Authorization": f"Bearer {token}"},
            )
            with lock:
                answers.append((response.status_code, response.json()))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post, args=caller) for caller in callers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(status for status, _body in answers) == [201] + [409] * (len(callers) - 1)
    next_free = (FIRST_SHIP + datetime.timedelta(days=54)).isoformat()
    assert {body["next_free_ship_date"] for status, body in answers if status == 409} == {next_free}
    assert KitReservation.objects.filter(kit=kit).count() == 1


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
