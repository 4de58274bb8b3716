"""Faults: separate processes racing on each unique action; exactly one row is stored.

Each contender is its own operating-system process (forked, each opening its own database
connection, as two web processes would), released together by a barrier, calling the same
service the view calls. The database constraint behind each action decides, and every loser is
told why (never an error). PostgreSQL only, like the other race tests: SQLite runs one writer
at a time anyway (and a copy of its in-memory test database, forked into, is not dependable
once other tests have run in the process).

Already covered elsewhere, by threads on their own PostgreSQL sessions:
kit booking (tapestry/engagement/tests/test_kits_race.py), the last seats of an event
(tapestry/engagement/tests/test_events_race.py) and a sharing fill
(tapestry/sharing/tests/test_fill_race.py). Here: joining the network (a membership
application), registering for an event, and submitting an invoice.
"""

import datetime
import multiprocessing
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.utils import timezone

from tapestry.accounts.api import Role
from tapestry.accounts.tests.factories import UserFactory
from tapestry.engagement.models import Registration
from tapestry.engagement.services import RegistrationRefused, registration_create
from tapestry.engagement.tests.factories import EventFactory
from tapestry.funding.awards import InvoiceRefused, invoice_submit
from tapestry.funding.models import Invoice
from tapestry.funding.tests.factories_awards import award_make
from tapestry.network.models import MembershipApplication, OrganizationType, StateTerritory
from tapestry.network.services import DuplicateApplication, membership_application_submit
from tapestry.network.tests.factories import OrganizationFactory
from tests.faults.task_processes import WAIT_SECONDS, SharedDatabase, shared_database

__all__ = ["shared_database"]

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="SQLite runs one writer at a time anyway"
    ),
    pytest.mark.django_db(transaction=True),
    # The contenders fork from the test process, which runs no thread that touches the database
    # or holds a lock they need; each child opens its own connection.
    pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning"),
]

CONTENDERS = 4
Outcome = tuple[str, str]


def _race(action: Callable[[int], Outcome]) -> list[Outcome]:
    """Run `action(number)` in CONTENDERS processes released at the same moment; each returns
    ("stored", ...) or ("refused", the message); anything else is recorded as an error."""
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(CONTENDERS)
    outcomes = context.Queue()

    def contend(number: int) -> None:
        try:
            barrier.wait(timeout=WAIT_SECONDS)
            outcomes.put(action(number))
        except Exception as error:
            outcomes.put(("error", repr(error)))
        finally:
            connections.close_all()

    # Each child must open its own connection, never share the parent's socket.
    connections.close_all()
    processes = [context.Process(target=contend, args=(number,)) for number in range(CONTENDERS)]
    for process in processes:
        process.start()
    results = [outcomes.get(timeout=WAIT_SECONDS) for _process in processes]
    for process in processes:
        process.join(timeout=WAIT_SECONDS)
    assert [process.exitcode for process in processes] == [0] * CONTENDERS
    return sorted(results)


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

    def apply(number: int) -> Outcome:
        details = {
            "name": "Prairie Library",
            "org_type": OrganizationType.PUBLIC_LIBRARY,
            "address_line1": "1703 Orrington Ave",
            "address_line2": "",
            "city": "Evanston",
            "state": StateTerritory.objects.get(pk=illinois_id),
            "zip_code": "60201",
            "phone": "(847) 555-0100",
            "website": "https://prairie.example.org",
            "library_id": "ILPRA",
            "liaison_name": "Bob Applicant",
            "liaison_email": "bob@example.org",
            "services": {"reference": ["public"]},
        }
        try:
            application = membership_application_submit(applicant=bob, details=details)
        except DuplicateApplication as refused:
            return ("refused", str(refused))
        return ("stored", str(application.pk))

    # When the same application is sent from four processes at once
    outcomes = _race(apply)

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

    def register(number: int) -> Outcome:
        try:
            registration = registration_create(
                event_id=event.pk, name="Maya Reader", email="Maya@example.net"
            )
        except RegistrationRefused as refused:
            # The first sentence: the one who lost at the check is also told about the email sent.
            return ("refused", str(refused).split(". ")[0].rstrip("."))
        return ("stored", str(registration.pk))

    # When the same address registers from four processes at once
    outcomes = _race(register)

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

    def submit(number: int) -> Outcome:
        try:
            invoice = invoice_submit(
                actor=liaison,
                award=award,
                billing_month=this_month,
                invoice_date=today,
                amount=Decimal("100.00") + number,
                description="Screening supplies for the health fair.",
            )
        except InvoiceRefused as refused:
            return ("refused", str(refused))
        return ("stored", invoice.number)

    # When the month is invoiced from four processes at once
    outcomes = _race(submit)

    # Then one invoice is stored, numbered as the first, and every other is refused
    assert [kind for kind, _detail in outcomes] == ["refused"] * (CONTENDERS - 1) + ["stored"], (
        outcomes
    )
    assert Invoice.objects.filter(award=award).count() == 1
    assert Invoice.objects.get(award=award).number == f"{award.number}-01"
    assert len({detail for kind, detail in outcomes if kind == "refused"}) == 1
