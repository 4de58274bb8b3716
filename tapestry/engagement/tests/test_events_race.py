"""The last seats, confirmed from many threads at once, each with its own PostgreSQL session:
never more seated than the capacity, everyone else on the waitlist in confirmation order.
PostgreSQL only (SQLite serializes writers on a file lock, so there is no race to lose there;
test_events_registration.py covers the same rules one after the other)."""

import threading

import pytest
from django.db import connection

from tapestry.engagement import services
from tapestry.engagement.models import Registration, registration_token
from tapestry.engagement.tests.factories import EventFactory, RegistrationFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="a real race needs two PostgreSQL sessions"
    ),
]

THREADS = 12


def race(action: object, tokens: list[str]) -> list[str]:
    """Run `action(token=...)` for every token from its own thread, released together."""
    barrier = threading.Barrier(len(tokens))
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(token: str) -> None:
        try:
            barrier.wait(timeout=10)
            registration = action(token=token)  # type: ignore[operator]
            with lock:
                outcomes.append(registration.status)
        except services.EventError as error:
            with lock:
                outcomes.append(type(error).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(token,)) for token in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(outcomes)


def test_many_people_confirming_the_last_two_seats_at_once_never_overbook() -> None:
    event = EventFactory.create(capacity=3)
    RegistrationFactory.create(event=event)
    pending = RegistrationFactory.create_batch(
        THREADS, event=event, status=Registration.Status.PENDING, confirmed_at=None
    )
    tokens = [registration_token(registration, "confirm") for registration in pending]

    outcomes = race(services.registration_confirm, tokens)

    assert outcomes == ["confirmed"] * 2 + ["waitlisted"] * (THREADS - 2)
    assert event.registrations.filter(status="confirmed").count() == 3


def test_cancellations_at_once_each_seat_exactly_one_waiting_person() -> None:
    event = EventFactory.create(capacity=4)
    seated = RegistrationFactory.create_batch(4, event=event)
    waiting = RegistrationFactory.create_batch(
        6, event=event, status=Registration.Status.WAITLISTED
    )
    tokens = [registration_token(registration, "cancel") for registration in seated]

    outcomes = race(services.registration_cancel, tokens)

    assert outcomes == ["cancelled"] * 4
    assert event.registrations.filter(status="confirmed").count() == 4
    promoted = set(event.registrations.filter(status="confirmed").values_list("pk", flat=True))
    first_four = {
        registration.pk
        for registration in sorted(waiting, key=lambda r: (r.confirmed_at, r.pk))[:4]
    }
    assert promoted == first_four
