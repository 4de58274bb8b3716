"""The lending desk's workflow: approve or decline (the specialist of the organization's region,
or program staff), ship with every checklist line ticked, return with missing and damaged
counts (the kit is then held until restocked), cancel, and the daily overdue reminder with a
controlled clock. A person outside the reservation's scope changes nothing."""

import datetime
from typing import Any

import pytest
import time_machine
from django.core import mail
from pytest_django import DjangoCaptureOnCommitCallbacks

from tapestry.engagement import services
from tapestry.engagement.models import Kit, KitReservation, KitReturnItem
from tapestry.engagement.tasks import kit_overdue_reminders_task
from tapestry.engagement.tests.factories import reservation_place

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("kit_today")]

SHIP = datetime.date(2027, 4, 1)


@pytest.fixture
def requested(alice_liaison: Any, alice_library: Any, story_kit: Kit) -> KitReservation:
    return reservation_place(
        kit=story_kit,
        organization_id=alice_library.pk,
        requested_by=alice_liaison,
        ship_date=SHIP,
        status="requested",
    )


def _state(reservation: KitReservation) -> tuple[str, Any]:
    reservation.refresh_from_db()
    return reservation.status, reservation.decided_by_id


def test_the_regions_specialist_approves_and_the_liaison_is_emailed(
    sam_specialist: Any,
    requested: KitReservation,
    audit_log: Any,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        services.kit_reservation_decide(
            user=sam_specialist, reservation_id=requested.pk, approve=True
        )

    assert _state(requested) == ("approved", sam_specialist.pk)
    assert audit_log() == [
        ("kit.approve", "sam@example.org", "engagement.kitreservation", str(requested.pk))
    ]
    [message] = mail.outbox
    assert message.to == ["alice@example.org"]
    assert message.subject == "Kit approved: Health literacy story time kit"
    assert "We will mail it on 1 Apr 2027. Please mail it back by 13 May 2027" in message.body


def test_a_spanish_reader_is_emailed_in_spanish(
    bea_liaison: Any,
    bea_library: int,
    story_kit: Kit,
    paula_program_staff: Any,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    reservation = reservation_place(
        kit=story_kit,
        organization_id=bea_library,
        requested_by=bea_liaison,
        ship_date=SHIP,
        status="requested",
        region_code="region-1",
    )

    with django_capture_on_commit_callbacks(execute=True):
        services.kit_reservation_decide(
            user=paula_program_staff, reservation_id=reservation.pk, approve=True
        )

    [message] = mail.outbox
    assert message.subject == "Kit aprobado: Kit de cuentos"
    assert message.body.startswith("Hola, Bea Borrower:")
    assert "Lo enviaremos por correo el 1 abr 2027." in message.body


@pytest.mark.parametrize("who", ["olga_other_specialist", "alice_liaison", "rosa_spanish"])
def test_anyone_outside_the_region_cannot_decide_and_nothing_changes(
    who: str, request: Any, requested: KitReservation, audit_log: Any
) -> None:
    person = request.getfixturevalue(who)

    with pytest.raises(services.KitNotFound):
        services.kit_reservation_decide(user=person, reservation_id=requested.pk, approve=True)

    assert _state(requested) == ("requested", None)
    assert audit_log() == []
    assert mail.outbox == []


def test_a_decline_needs_a_reason(sam_specialist: Any, requested: KitReservation) -> None:
    with pytest.raises(services.KitError) as refused:
        services.kit_reservation_decide(
            user=sam_specialist, reservation_id=requested.pk, approve=False, reason="  "
        )

    assert str(refused.value) == "Please give the library a reason for declining."
    assert _state(requested) == ("requested", None)


def test_a_declined_reservation_frees_its_dates(
    sam_specialist: Any, requested: KitReservation, bea_liaison: Any, bea_library: int
) -> None:
    services.kit_reservation_decide(
        user=sam_specialist, reservation_id=requested.pk, approve=False, reason="Kit at a fair."
    )

    again = services.kit_reserve(
        user=bea_liaison, kit_id=requested.kit_id, organization_id=bea_library, ship_date=SHIP
    )

    assert again.status == "requested"


def test_shipping_needs_every_checklist_line_ticked(
    sam_specialist: Any, requested: KitReservation
) -> None:
    services.kit_reservation_decide(user=sam_specialist, reservation_id=requested.pk, approve=True)
    items = list(requested.kit.items.all())

    with pytest.raises(services.KitError) as refused:
        services.kit_reservation_ship(
            user=sam_specialist,
            reservation_id=requested.pk,
            checked_item_ids=[items[0].pk, items[2].pk],
        )
    assert str(refused.value) == (
        "Tick every item of the checklist before shipping. Not ticked: Activity cards."
    )
    assert _state(requested)[0] == "approved"

    services.kit_reservation_ship(
        user=sam_specialist,
        reservation_id=requested.pk,
        checked_item_ids=[item.pk for item in items],
    )
    assert _state(requested)[0] == "shipped"


def test_a_requested_reservation_cannot_be_shipped(
    sam_specialist: Any, requested: KitReservation
) -> None:
    with pytest.raises(services.KitWrongStatus):
        services.kit_reservation_ship(
            user=sam_specialist,
            reservation_id=requested.pk,
            checked_item_ids=[item.pk for item in requested.kit.items.all()],
        )

    assert _state(requested)[0] == "requested"


def _shipped(reservation: KitReservation, by: Any) -> None:
    services.kit_reservation_decide(user=by, reservation_id=reservation.pk, approve=True)
    services.kit_reservation_ship(
        user=by,
        reservation_id=reservation.pk,
        checked_item_ids=[item.pk for item in reservation.kit.items.all()],
    )


def test_the_return_records_missing_and_damaged_items_and_holds_the_kit(
    sam_specialist: Any,
    requested: KitReservation,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    _shipped(requested, sam_specialist)
    cards = requested.kit.items.get(name="Activity cards")
    guide = requested.kit.items.get(name="Facilitator guide")

    with django_capture_on_commit_callbacks(execute=True):
        services.kit_reservation_return(
            user=sam_specialist,
            reservation_id=requested.pk,
            counts={cards.pk: (3, 2), guide.pk: (0, 0)},
            notes="Cards a little worn.",
        )

    requested.refresh_from_db()
    assert requested.status == "returned"
    assert list(KitReturnItem.objects.values_list("item__name", "missing", "damaged")) == [
        ("Activity cards", 3, 2)
    ]
    assert Kit.objects.get(pk=requested.kit_id).held is True
    message = mail.outbox[-1]
    assert message.subject == "Kit received back: Health literacy story time kit"
    assert "- Activity cards: 3 missing, 2 damaged" in message.body


def test_more_missing_and_damaged_than_the_kit_holds_is_refused(
    sam_specialist: Any, requested: KitReservation
) -> None:
    _shipped(requested, sam_specialist)
    guide = requested.kit.items.get(name="Facilitator guide")

    with pytest.raises(services.KitError) as refused:
        services.kit_reservation_return(
            user=sam_specialist, reservation_id=requested.pk, counts={guide.pk: (1, 1)}
        )

    assert str(refused.value) == (
        "Facilitator guide: 1 missing and 1 damaged is more than the 1 the kit holds."
    )
    assert _state(requested)[0] == "shipped"
    assert KitReturnItem.objects.count() == 0
    assert Kit.objects.get(pk=requested.kit_id).held is False


def test_a_held_kit_takes_no_reservation_until_restocked(
    sam_specialist: Any, requested: KitReservation, bea_liaison: Any, bea_library: int
) -> None:
    _shipped(requested, sam_specialist)
    services.kit_reservation_return(user=sam_specialist, reservation_id=requested.pk, counts={})
    later = SHIP + datetime.timedelta(days=60)

    with pytest.raises(services.KitUnavailable):
        services.kit_reserve(
            user=bea_liaison, kit_id=requested.kit_id, organization_id=bea_library, ship_date=later
        )
    services.kit_restock(user=sam_specialist, kit_id=requested.kit_id)
    reservation = services.kit_reserve(
        user=bea_liaison, kit_id=requested.kit_id, organization_id=bea_library, ship_date=later
    )

    assert reservation.status == "requested"
    assert Kit.objects.get(pk=requested.kit_id).held is False


def test_a_liaison_cannot_restock(alice_liaison: Any, story_kit: Kit, audit_log: Any) -> None:
    Kit.objects.filter(pk=story_kit.pk).update(held=True)

    with pytest.raises(services.KitNotAllowed):
        services.kit_restock(user=alice_liaison, kit_id=story_kit.pk)

    assert Kit.objects.get(pk=story_kit.pk).held is True
    assert audit_log() == []


def test_the_liaison_cancels_and_another_liaison_cannot(
    alice_liaison: Any, bea_liaison: Any, requested: KitReservation, audit_log: Any
) -> None:
    with pytest.raises(services.KitNotFound):
        services.kit_reservation_cancel(user=bea_liaison, reservation_id=requested.pk)
    assert _state(requested)[0] == "requested"
    assert audit_log() == []

    services.kit_reservation_cancel(user=alice_liaison, reservation_id=requested.pk)

    assert _state(requested)[0] == "cancelled"


def test_a_shipped_kit_cannot_be_cancelled(
    sam_specialist: Any, alice_liaison: Any, requested: KitReservation
) -> None:
    _shipped(requested, sam_specialist)

    with pytest.raises(services.KitWrongStatus):
        services.kit_reservation_cancel(user=alice_liaison, reservation_id=requested.pk)

    assert _state(requested)[0] == "shipped"


def _daily(day: datetime.date, capture: DjangoCaptureOnCommitCallbacks) -> int:
    moment = datetime.datetime.combine(day, datetime.time(17, 0), tzinfo=datetime.UTC)
    with time_machine.travel(moment, tick=False), capture(execute=True):
        result = kit_overdue_reminders_task.enqueue()
    return int(result.return_value["reminders"])  # type: ignore[index]


def test_overdue_reminders_the_day_after_the_due_date_then_weekly(
    sam_specialist: Any,
    requested: KitReservation,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    _shipped(requested, sam_specialist)
    mail.outbox.clear()
    due = requested.due_date  # 13 May 2027

    sent = {
        offset: _daily(due + datetime.timedelta(days=offset), django_capture_on_commit_callbacks)
        for offset in range(0, 16)
    }

    assert {offset for offset, count in sent.items() if count} == {1, 8, 15}
    assert [message.subject for message in mail.outbox] == [
        "Please mail back the kit: Health literacy story time kit"
    ] * 3
    assert (
        '"Health literacy story time kit" was due back on 13 May 2027, 1 day ago.'
        in mail.outbox[0].body
    )
    assert "13 May 2027, 8 days ago." in mail.outbox[1].body


def test_a_returned_kit_gets_no_reminder(
    sam_specialist: Any,
    requested: KitReservation,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    _shipped(requested, sam_specialist)
    services.kit_reservation_return(user=sam_specialist, reservation_id=requested.pk, counts={})
    mail.outbox.clear()

    assert (
        _daily(requested.due_date + datetime.timedelta(days=3), django_capture_on_commit_callbacks)
        == 0
    )
    assert mail.outbox == []
