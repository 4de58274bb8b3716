"""The scheduled jobs of events (the day-before reminder, registrant retention) under a
controlled clock, and the evaluation invitation at check-out."""

import datetime
from typing import Any

import pytest
import time_machine
from django.apps import apps
from django.core import mail
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks, Settings

from tapestry.engagement import services
from tapestry.engagement.models import Event, Registration
from tapestry.engagement.tasks import event_reminders_task, registrants_retention_task
from tapestry.engagement.tests.factories import EventFactory, RegistrationFactory

pytestmark = pytest.mark.django_db

NOON = datetime.datetime(2027, 3, 2, 18, 0, tzinfo=datetime.UTC)


def test_seated_people_are_reminded_once_the_day_before(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with time_machine.travel(NOON - datetime.timedelta(days=10), tick=False):
        tomorrow = EventFactory.create(starts_at=NOON + datetime.timedelta(hours=20), title="Soon")
        next_week = EventFactory.create(starts_at=NOON + datetime.timedelta(days=7))
        RegistrationFactory.create(event=tomorrow, email="seated@example.net", language="es")
        RegistrationFactory.create(event=tomorrow, email="waiting@example.net", status="waitlisted")
        RegistrationFactory.create(event=tomorrow, email="gone@example.net", status="cancelled")
        RegistrationFactory.create(event=next_week, email="later@example.net")

    with time_machine.travel(NOON, tick=False), django_capture_on_commit_callbacks(execute=True):
        sent = event_reminders_task.call()
        again = event_reminders_task.call()

    assert (sent, again) == (1, 0)
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["seated@example.net"], "Recordatorio: Soon es mañana")
    ]
    assert "/engagement/events/registration/cancel/" in str(mail.outbox[0].body)


def test_registrants_are_erased_after_the_retention_period_keeping_the_counts(
    settings: Settings,
) -> None:
    settings.ENGAGEMENT_REGISTRANT_RETENTION_DAYS = 90
    ended = NOON - datetime.timedelta(days=91)
    with time_machine.travel(ended - datetime.timedelta(days=30), tick=False):
        old = EventFactory.create(starts_at=ended - datetime.timedelta(hours=2))
        recent = EventFactory.create(starts_at=NOON - datetime.timedelta(days=89, hours=2))
        RegistrationFactory.create_batch(
            2, event=old, attended=True, zip_code="60614", role="student"
        )
        RegistrationFactory.create(event=old, status="cancelled")
        RegistrationFactory.create(event=recent, name="Still Here", email="still@example.net")

    with time_machine.travel(NOON, tick=False):
        erased = registrants_retention_task.call()
        erased_again = registrants_retention_task.call()

    assert (erased, erased_again) == (3, 0)
    rows = list(
        Registration.objects.filter(event=old)
        .values_list("name", "email", "status", "attended", "zip_code", "role")
        .order_by("status")
    )
    assert rows == [
        ("", "", "cancelled", False, "", ""),
        ("", "", "confirmed", True, "60614", "student"),
        ("", "", "confirmed", True, "60614", "student"),
    ]
    assert Event.objects.get(pk=old.pk).registrants_anonymized_at == NOON
    assert Registration.objects.get(event=recent).email == "still@example.net"
    assert Event.objects.get(pk=recent.pk).registrants_anonymized_at is None


def test_an_erased_event_still_lists_its_counts(
    alice_client: Any, alice_library: Any, alice_liaison: Any
) -> None:
    event = EventFactory.create(organization_id=alice_library.pk, organizer=alice_liaison)
    RegistrationFactory.create_batch(2, event=event, attended=True, name="", email="")
    Event.objects.filter(pk=event.pk).update(registrants_anonymized_at=NOON)

    html = alice_client.get(f"/engagement/events/{event.pk}/registrants/").content.decode()

    assert "Attended: 2" in html
    assert "were erased after the retention period" in html


def _event_evaluation() -> None:
    # Built through the app registry: engagement's tests may not import the surveys app's
    # factories (the import contracts keep the apps apart except through api.py).
    apps.get_model("surveys", "Instrument").objects.create(
        slug="event-eval",
        title_en="How was the event?",
        title_es="¿Qué le pareció el evento?",
        purpose="event_evaluation",
        mode="anonymous",
        status="published",
    )


def test_attendees_are_invited_to_the_evaluation_after_the_event_once(
    alice_liaison: Any,
    alice_library: Any,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    _event_evaluation()
    with time_machine.travel(NOON - datetime.timedelta(days=3), tick=False):
        event = EventFactory.create(
            organization_id=alice_library.pk,
            organizer=alice_liaison,
            starts_at=NOON - datetime.timedelta(hours=3),
        )
        RegistrationFactory.create(
            event=event, attended=True, email="came@example.net", language="es"
        )
        RegistrationFactory.create(event=event, attended=False, email="absent@example.net")
        services.event_evaluation_attach(
            actor=alice_liaison, event_id=event.pk, instrument_slug="event-eval"
        )
        with pytest.raises(services.EventError, match="once the event has ended"):
            services.event_evaluation_invite(actor=alice_liaison, event_id=event.pk)

    with time_machine.travel(NOON, tick=False), django_capture_on_commit_callbacks(execute=True):
        invited = services.event_evaluation_invite(actor=alice_liaison, event_id=event.pk)
        invited_again = services.event_evaluation_invite(actor=alice_liaison, event_id=event.pk)

    assert (invited, invited_again) == (1, 0)
    assert [m.to for m in mail.outbox] == [["came@example.net"]]
    access = apps.get_model("surveys", "AccessToken").objects.get()
    assert (access.subject_kind, access.subject_ref) == ("event", str(event.pk))


def test_the_attendance_by_zip_code_and_role_outlives_the_erasure() -> None:
    from tapestry.engagement.selectors import event_attendance

    event = EventFactory.create()
    RegistrationFactory.create_batch(
        2, event=event, attended=True, zip_code="60614", role="student"
    )
    RegistrationFactory.create(event=event, attended=True, zip_code="", role="")
    RegistrationFactory.create(event=event, attended=False, zip_code="60614", role="student")
    Registration.objects.update(name="", email="")

    assert event_attendance(event_id=event.pk) == [("", "", 1), ("60614", "student", 2)]
