"""Faults: separate processes racing on each unique action; exactly one row is stored.

Each contender is its own Python process (tests/faults/contender.py, a fresh interpreter with
its own database connection, as two web processes would be), all released together, calling
the same service the view calls. The database constraint behind each action decides, and every
loser is told why (never an error). PostgreSQL only, like the other race tests: SQLite runs one
writer at a time anyway.

Already covered elsewhere, by threads on their own PostgreSQL sessions:
kit booking (tapestry/engagement/tests/test_kits_race.py), the last seats of an event
(tapestry/engagement/tests/test_events_race.py) and a sharing fill
(tapestry/sharing/tests/test_fill_race.py). Here: joining the network (a membership
application), registering for an event, and submitting an invoice.
"""

import datetime
import json
import time

import pytest
from django.db import connection
from django.utils import timezone

from tapestry.accounts.api import Role
from tapestry.accounts.tests.factories import UserFactory
from tapestry.engagement.models import Registration
from tapestry.engagement.tests.factories import EventFactory
from tapestry.funding.models import Invoice
from tapestry.funding.tests.factories_awards import award_make
from tapestry.network.models import MembershipApplication, StateTerritory
from tapestry.network.tests.factories import OrganizationFactory
from tests.faults.task_processes import WAIT_SECONDS, SharedDatabase, shared_database

__all__ = ["shared_database"]

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="SQLite runs one writer at a time anyway"
    ),
    pytest.mark.django_db(transaction=True),
]

CONTENDERS = 4
Outcome = tuple[str, str]


def _race(database: SharedDatabase, action: str, **arguments: object) -> list[Outcome]:
    """Run the contender's `action(**arguments)` in CONTENDERS processes released at the same
    moment; each returns ("stored", ...) or ("refused", the message), else ("error", ...)."""
    folder = database.folder / "race"
    folder.mkdir()
    processes = [
        database.start_python(
            "-m", "tests.faults.contender", action, json.dumps(arguments), str(folder)
        )
        for _number in range(CONTENDERS)
    ]
    deadline = time.monotonic() + WAIT_SECONDS
    while len(list(folder.glob("ready-*"))) < CONTENDERS:
        assert all(process.poll() is None for process in processes), "a contender ended early"
        assert time.monotonic() < deadline, "the contenders were never ready"
        time.sleep(0.05)
    (folder / "go").touch()
    outcomes = []
    for process in processes:
        output, _ = process.communicate(timeout=WAIT_SECONDS)
        printed = [line for line in output.splitlines() if line.startswith('["')]
        outcomes.append(tuple(json.loads(printed[-1])) if printed else ("error", output))
    return sorted(outcomes)  # type: ignore[arg-type]


def _one_stored_others_refused(outcomes: list[Outcome], refusal: str) -> None:
    assert [kind for kind, _detail in outcomes] == ["refused"] * (CONTENDERS - 1) + ["stored"], (
        outcomes
    )
    assert {detail for kind, detail in outcomes if kind == "refused"} == {refusal}


def test_the_same_library_applying_to_join_from_several_processes_is_one_application(
    shared_database: SharedDatabase,
) -> None:
    # Given a person ready to apply for a library not yet in the network
    bob = UserFactory.create(email="bob@example.org", full_name="Bob Applicant")
    illinois_id = StateTerritory.objects.get(code="IL").pk

    # When the same application is sent from four processes at once
    outcomes = _race(shared_database, "apply", applicant_id=bob.pk, state_id=illinois_id)

    # Then one application is stored and every other submission is told it is waiting
    _one_stored_others_refused(
        outcomes,
        "An application for Prairie Library in ZIP code 60201 is already waiting for review.",
    )
    assert MembershipApplication.objects.filter(zip_code="60201").count() == 1


def test_the_same_address_registering_from_several_processes_is_one_registration(
    shared_database: SharedDatabase,
) -> None:
    # Given an open event
    event = EventFactory.create()

    # When the same address registers from four processes at once
    outcomes = _race(shared_database, "register", event_id=event.pk)

    # Then one registration is stored and every other is told the address is registered
    _one_stored_others_refused(outcomes, "maya@example.net is already registered for this event")
    assert list(Registration.objects.filter(event=event).values_list("email", flat=True)) == [
        "maya@example.net"
    ]


def test_the_same_month_invoiced_from_several_processes_is_one_invoice(
    shared_database: SharedDatabase,
) -> None:
    # Given an active award whose period began this month, its reports in
    today = timezone.localdate()
    this_month = today.replace(day=1)
    liaison = UserFactory.create(email="alice@example.org", roles=[Role.LIAISON])
    library = OrganizationFactory.create(zip_code="60601", liaison=liaison)
    staff = UserFactory.create(email="paula@example.org", roles=[Role.PROGRAM_STAFF])
    award = award_make(
        liaison=liaison,
        organization_id=library.pk,
        staff=staff,
        performance_start=this_month,
        performance_end=this_month + datetime.timedelta(days=300),
        period_start=this_month,
        period_end=this_month + datetime.timedelta(days=300),
    )
    # Whatever today's date, no report is overdue (an overdue one would refuse every invoice).
    award.reports.update(submitted_at=timezone.now())

    # When the month is invoiced from four processes at once
    outcomes = _race(
        shared_database,
        "invoice",
        liaison_id=liaison.pk,
        award_id=award.pk,
        month=this_month.isoformat(),
        today=today.isoformat(),
    )

    # Then one invoice is stored, numbered as the first, and every other is refused
    assert [kind for kind, _detail in outcomes] == ["refused"] * (CONTENDERS - 1) + ["stored"], (
        outcomes
    )
    assert Invoice.objects.filter(award=award).count() == 1
    assert Invoice.objects.get(award=award).number == f"{award.number}-01"
    assert len({detail for kind, detail in outcomes if kind == "refused"}) == 1
