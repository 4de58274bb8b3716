"""The daily job: expiry warnings 15, 7 and 1 days before a compliance completion expires, once
each, not after a renewal, in the person's language; and requirements of roles given by adding
the group directly (the Django admin)."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core import mail
from pytest_django import DjangoCaptureOnCommitCallbacks

from tapestry.accounts.api import Role
from tapestry.accounts.tests.factories import UserFactory
from tapestry.learning.models import Completion, Course, Enrollment, ExpiryWarning
from tapestry.learning.tasks import learning_daily_task
from tapestry.learning.tests.factories import requirement_make

if TYPE_CHECKING:
    from tapestry.accounts.api import User

pytestmark = pytest.mark.django_db

# Noon UTC is the same local date in every zone the site may be set to (America/Chicago).
COMPLETED = datetime.datetime(2026, 1, 10, 18, 0, tzinfo=datetime.UTC)
EXPIRES = COMPLETED + datetime.timedelta(days=365)


def _course(slug: str = "privacy", title: str = "Privacy basics") -> Course:
    return Course.objects.create(
        slug=slug, title=title, summary="A course.", compliance=True, status="published"
    )


def _completion(
    user: User, course: Course, completed_at: datetime.datetime = COMPLETED
) -> Completion:
    return Completion.objects.create(
        user=user,
        course=course,
        course_version=1,
        completed_at=completed_at,
        expires_at=completed_at + datetime.timedelta(days=365),
    )


def _run_daily(day: datetime.date, capture: DjangoCaptureOnCommitCallbacks) -> dict[str, int]:
    moment = datetime.datetime.combine(day, datetime.time(12, 0), tzinfo=datetime.UTC)
    with time_machine.travel(moment, tick=False), capture(execute=True):
        result = learning_daily_task.enqueue()
    return result.return_value  # type: ignore[no-any-return]


def _days_before(days: int) -> datetime.date:
    return EXPIRES.date() - datetime.timedelta(days=days)


def test_warnings_go_out_15_7_and_1_days_before_once_each(
    alice_liaison: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:

    completion = _completion(alice_liaison, _course())
    sent_on: dict[datetime.date, int] = {}

    # Every day from 20 days before to 2 days after, twice a day.
    for offset in range(-20, 3):
        day = EXPIRES.date() + datetime.timedelta(days=offset)
        sent_on[day] = _run_daily(day, django_capture_on_commit_callbacks)["warnings"]
        assert _run_daily(day, django_capture_on_commit_callbacks)["warnings"] == 0

    assert {day: count for day, count in sent_on.items() if count} == {
        _days_before(15): 1,
        _days_before(7): 1,
        _days_before(1): 1,
    }
    assert sorted(
        ExpiryWarning.objects.filter(completion=completion).values_list("days_before", flat=True)
    ) == [1, 7, 15]
    assert [(message.to, message.subject) for message in mail.outbox] == [
        (["alice@example.org"], 'Your training "Privacy basics" expires in 15 days'),
        (["alice@example.org"], 'Your training "Privacy basics" expires in 7 days'),
        (["alice@example.org"], 'Your training "Privacy basics" expires in 1 day'),
    ]


def test_the_warning_names_the_course_the_date_and_the_renewal_link(
    alice_liaison: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    _completion(alice_liaison, _course())

    _run_daily(_days_before(15), django_capture_on_commit_callbacks)

    [message] = mail.outbox
    assert message.body.startswith("Hello Alice Liaison,")
    assert 'Your completion of "Privacy basics" expires on 10 Jan 2027.' in message.body
    assert "Renew it now (it takes about as long as the first time):" in message.body
    assert "/learning/courses/privacy/" in message.body


def test_a_spanish_reader_gets_the_warning_in_spanish(
    rosa_spanish: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    _completion(rosa_spanish, _course(slug="privacidad", title="Privacidad básica"))

    _run_daily(_days_before(7), django_capture_on_commit_callbacks)

    [message] = mail.outbox
    assert message.to == ["rosa@example.org"]
    assert message.subject == 'Su capacitación "Privacidad básica" vence en 7 días'
    assert 'Su certificación de "Privacidad básica" vence el 10 ene 2027.' in message.body
    assert "Renuévela ahora" in message.body
    assert "/learning/courses/privacidad/" in message.body


def test_no_warning_after_a_renewal(
    alice_liaison: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    course = _course()
    _completion(alice_liaison, course)
    _run_daily(_days_before(15), django_capture_on_commit_callbacks)
    # Renewed ten days before the old completion expires.
    _completion(alice_liaison, course, completed_at=EXPIRES - datetime.timedelta(days=10))

    assert _run_daily(_days_before(7), django_capture_on_commit_callbacks)["warnings"] == 0
    assert _run_daily(_days_before(1), django_capture_on_commit_callbacks)["warnings"] == 0
    assert len(mail.outbox) == 1
    assert ExpiryWarning.objects.count() == 1


def test_a_role_given_by_adding_the_group_gets_its_courses_from_the_daily_job(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    course = _course()
    requirement_make(role=Role.COMMUNITY_PARTNER, course=course, due_days=30)
    person = UserFactory.create(email="gus@example.org", full_name="Gus Group")
    person.groups.add(Group.objects.get_or_create(name=Role.COMMUNITY_PARTNER.value)[0])
    assert not Enrollment.objects.filter(user=person).exists()

    first = _run_daily(datetime.date(2026, 3, 2), django_capture_on_commit_callbacks)
    again = _run_daily(datetime.date(2026, 3, 3), django_capture_on_commit_callbacks)

    assert (first["assigned"], again["assigned"]) == (1, 0)
    enrollment = Enrollment.objects.get(user=person)
    assert (enrollment.course, enrollment.source, enrollment.due_on) == (
        course,
        Enrollment.Source.ROLE,
        datetime.date(2026, 4, 1),
    )
    assert [message.to for message in mail.outbox] == [["gus@example.org"]]
