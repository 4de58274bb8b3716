from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from django.apps import apps
from django.core import mail
from django.utils import timezone
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks

from tapestry.network.models import DETAIL_FIELDS, Organization, OrganizationType, ReviewReminder
from tapestry.network.services import (
    NotAllowed,
    organization_review_confirm,
    review_reminders_send,
)
from tapestry.network.tests.factories import OrganizationFactory, zip_place

if TYPE_CHECKING:
    from tapestry.accounts.api import User

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 6, 1)
A_YEAR = datetime.timedelta(days=365)


def _details(organization: Organization, **overrides: Any) -> dict[str, Any]:
    return {**{field: getattr(organization, field) for field in DETAIL_FIELDS}, **overrides}


# Confirming the annual review


def test_the_liaison_confirms_the_record_and_it_counts_as_reviewed_today(
    alice_liaison: User, audit_log: Callable[[], list[tuple]]
) -> None:
    library = OrganizationFactory.create(
        name="Alice Memorial Library",
        liaison=alice_liaison,
        last_reviewed_on=datetime.date(2025, 1, 10),
    )

    organization_review_confirm(
        liaison=alice_liaison, organization_id=library.pk, details=_details(library)
    )

    library.refresh_from_db()
    assert library.last_reviewed_on == timezone.localdate()
    assert audit_log() == [
        ("organization.review", "alice@example.org", "network.organization", str(library.pk))
    ]


def test_corrections_are_saved_with_the_new_location(alice_liaison: User) -> None:
    library = OrganizationFactory.create(liaison=alice_liaison, zip_code="60601")
    evanston = zip_place("60201")

    organization_review_confirm(
        liaison=alice_liaison,
        organization_id=library.pk,
        details=_details(
            library,
            name="Alice Memorial Health Library",
            city="Evanston",
            zip_code="60201",
            org_type=OrganizationType.HOSPITAL_LIBRARY,
            services={"collections": ["public"]},
        ),
    )

    library.refresh_from_db()
    assert (library.name, library.city, library.zip_code, library.org_type) == (
        "Alice Memorial Health Library",
        "Evanston",
        "60201",
        "hospital_library",
    )
    assert (library.latitude, library.longitude) == (evanston.latitude, evanston.longitude)
    assert (library.services, library.service_codes, library.audience_codes) == (
        {"collections": ["public"]},
        "|collections|",
        "|collections:public|",
    )


def test_the_audit_row_lists_what_changed(alice_liaison: User) -> None:
    library = OrganizationFactory.create(liaison=alice_liaison)

    organization_review_confirm(
        liaison=alice_liaison,
        organization_id=library.pk,
        details=_details(library, phone="312-555-0199"),
    )

    event = apps.get_model("core", "AuditEvent").objects.get()
    assert event.data == {"changed": ["phone"]}


def test_someone_who_is_not_the_liaison_cannot_confirm_and_nothing_changes(
    alice_liaison: User, bob_applicant: User, audit_log: Callable[[], list[tuple]]
) -> None:
    reviewed = datetime.date(2025, 1, 10)
    library = OrganizationFactory.create(
        name="Alice Memorial Library", liaison=alice_liaison, last_reviewed_on=reviewed
    )

    with pytest.raises(NotAllowed) as raised:
        organization_review_confirm(
            liaison=bob_applicant,
            organization_id=library.pk,
            details=_details(library, name="Taken Over Library"),
        )

    assert str(raised.value) == "You are not the liaison for that organization."
    library.refresh_from_db()
    assert (library.name, library.last_reviewed_on) == ("Alice Memorial Library", reviewed)
    assert audit_log() == []


def test_a_specialist_cannot_confirm_for_the_liaison(
    alice_liaison: User, sam_specialist: User, audit_log: Callable[[], list[tuple]]
) -> None:
    library = OrganizationFactory.create(liaison=alice_liaison)

    with pytest.raises(NotAllowed):
        organization_review_confirm(
            liaison=sam_specialist, organization_id=library.pk, details=_details(library)
        )

    assert audit_log() == []


# Reminders


def _due_in(days: int, **fields: Any) -> Organization:
    return OrganizationFactory.create(
        last_reviewed_on=TODAY + datetime.timedelta(days=days) - A_YEAR, **fields
    )


def _sent() -> list[tuple[Any, ...]]:
    return list(
        ReviewReminder.objects.order_by("sent_at", "pk").values_list(
            "organization__name", "due_on", "days_before"
        )
    )


def _run_on(
    day: datetime.date, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> int:
    with django_capture_on_commit_callbacks(execute=True):
        return review_reminders_send(today=day)


@pytest.mark.parametrize(
    ("days_left", "window"), [(30, 30), (29, 30), (8, 30), (7, 7), (1, 7), (0, 0)]
)
def test_a_record_gets_the_reminder_of_the_narrowest_window_it_is_in(
    days_left: int, window: int, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    _due_in(days_left, name="Due Library", liaison_email="alice@example.org")

    sent = _run_on(TODAY, django_capture_on_commit_callbacks)

    due_on = TODAY + datetime.timedelta(days=days_left)
    assert sent == 1
    assert _sent() == [("Due Library", due_on, window)]
    assert [(message.to, message.subject) for message in mail.outbox] == [
        (["alice@example.org"], "Please review your network record: Due Library")
    ]


def test_the_reminder_links_to_the_review_screen(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    library = _due_in(7)

    _run_on(TODAY, django_capture_on_commit_callbacks)

    assert f"/network/organizations/{library.pk}/review/" in mail.outbox[0].body


@pytest.mark.parametrize("days_left", [31, 200, 365])
def test_no_reminder_for_a_record_not_yet_due(
    days_left: int, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    _due_in(days_left)

    sent = _run_on(TODAY, django_capture_on_commit_callbacks)

    assert sent == 0
    assert _sent() == []
    assert mail.outbox == []


@pytest.mark.parametrize("days_overdue", [2, 35, 400])
def test_no_reminder_for_a_record_overdue_before_yesterday(
    days_overdue: int, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    # Specialists see these on their queue; the liaison is not emailed again.
    _due_in(-days_overdue)

    sent = _run_on(TODAY, django_capture_on_commit_callbacks)

    assert sent == 0
    assert mail.outbox == []


def test_running_twice_on_one_day_sends_nothing_twice(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    _due_in(30)
    _run_on(TODAY, django_capture_on_commit_callbacks)

    sent_again = _run_on(TODAY, django_capture_on_commit_callbacks)

    assert sent_again == 0
    assert len(_sent()) == 1
    assert len(mail.outbox) == 1


def test_a_daily_run_sends_each_reminder_once(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    library = _due_in(40, name="Daily Library")
    due_on = library.review_due_on

    total = sum(
        _run_on(TODAY + datetime.timedelta(days=day), django_capture_on_commit_callbacks)
        for day in range(0, 45)
    )

    assert total == 3
    assert _sent() == [
        ("Daily Library", due_on, 30),
        ("Daily Library", due_on, 7),
        ("Daily Library", due_on, 0),
    ]
    assert len(mail.outbox) == 3


def test_a_missed_day_is_caught_up_the_next_day(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    library = _due_in(30, name="Catch-up Library")
    due_on = library.review_due_on
    _run_on(TODAY, django_capture_on_commit_callbacks)

    # The scheduler was down on the day the 7-day reminder fell due.
    sent = _run_on(due_on - datetime.timedelta(days=6), django_capture_on_commit_callbacks)

    assert sent == 1
    assert _sent() == [("Catch-up Library", due_on, 30), ("Catch-up Library", due_on, 7)]


def test_a_missed_due_day_is_caught_up_the_next_day(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    library = _due_in(7, name="Late Library")
    due_on = library.review_due_on
    _run_on(TODAY, django_capture_on_commit_callbacks)

    # The scheduler was down on the day the review fell due.
    sent = _run_on(due_on + datetime.timedelta(days=1), django_capture_on_commit_callbacks)

    assert sent == 1
    assert _sent() == [("Late Library", due_on, 7), ("Late Library", due_on, 0)]


def test_a_confirmed_review_starts_a_new_cycle(
    alice_liaison: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    library = _due_in(7, liaison=alice_liaison)
    _run_on(TODAY, django_capture_on_commit_callbacks)
    library.last_reviewed_on = TODAY
    library.save(update_fields=["last_reviewed_on"])

    sent = _run_on(TODAY + datetime.timedelta(days=1), django_capture_on_commit_callbacks)

    assert sent == 0
    assert len(mail.outbox) == 1
