"""Invoices under an award: every rule that refuses one (nothing written), the numbers, the
month freed by a return, a double submit racing past the check, and staff's decisions with
their audit trail and emails. The clock is 15 July 2027, in the award year May 2027 to April
2028."""

import datetime
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.utils import timezone
from pytest_django import DjangoCaptureOnCommitCallbacks

from tapestry.accounts.tests.factories import UserFactory
from tapestry.funding import awards as award_services
from tapestry.funding.awards import (
    AwardClosed,
    InvalidInvoiceDecision,
    InvoiceRefused,
    ReportOverdue,
    balance_of,
    invoice_decide,
    invoice_submit,
)
from tapestry.funding.models import Award, AwardChange, Invoice
from tapestry.funding.services import NotAllowed
from tapestry.funding.tests.factories_awards import award_make

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2027, 7, 15)


@pytest.fixture(autouse=True)
def _mid_july() -> Iterator[None]:
    with time_machine.travel(
        datetime.datetime(2027, 7, 15, 12, 0, tzinfo=datetime.UTC), tick=False
    ):
        yield


@pytest.fixture
def award(alice_liaison: Any, alice_library: Any, paula_program_staff: Any) -> Award:
    return award_make(
        liaison=alice_liaison, organization_id=alice_library.pk, staff=paula_program_staff
    )


def submit(actor: Any, award: Award, **changes: Any) -> Invoice:
    details: dict[str, Any] = {
        "billing_month": datetime.date(2027, 6, 1),
        "invoice_date": datetime.date(2027, 7, 1),
        "amount": Decimal("1200.00"),
        "description": "Screening supplies for the June health fair.",
        **changes,
    }
    return invoice_submit(actor=actor, award=award, **details)


def invoice_changes() -> list[tuple[str, str, str]]:
    return list(
        AwardChange.objects.filter(subject="invoice")
        .order_by("pk")
        .values_list("from_status", "to_status", "actor__email")
    )


def test_the_first_invoice_is_numbered_after_the_award_and_staff_are_emailed(
    award: Award,
    alice_liaison: Any,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        invoice = submit(alice_liaison, award, billing_month=datetime.date(2027, 6, 17))

    assert invoice.number == f"{award.number}-01"
    assert (invoice.billing_month, invoice.status) == (datetime.date(2027, 6, 1), "submitted")
    assert balance_of(award) == Decimal("2800.00")
    assert invoice_changes() == [("", "submitted", "alice@example.org")]
    [message] = mail.outbox
    assert message.to == ["paula@example.org"]
    assert message.subject == f"Invoice to decide: {award.number}-01"
    assert "Invoice " + award.number + "-01 for June 2027 was submitted." in message.body
    assert "$1,200.00" in message.body


def test_an_invoice_dated_in_the_future_is_refused(award: Award, alice_liaison: Any) -> None:
    with pytest.raises(InvoiceRefused, match="invoice date is in the future"):
        submit(alice_liaison, award, invoice_date=TODAY + datetime.timedelta(days=1))

    assert not Invoice.objects.exists()
    assert invoice_changes() == []


def test_a_month_not_yet_begun_is_refused(award: Award, alice_liaison: Any) -> None:
    with pytest.raises(InvoiceRefused, match="has not begun"):
        submit(alice_liaison, award, billing_month=datetime.date(2027, 8, 1))

    assert not Invoice.objects.exists()


def test_a_month_outside_the_award_period_is_refused(award: Award, alice_liaison: Any) -> None:
    with pytest.raises(
        InvoiceRefused, match=r"outside the award period \(1 May 2027 to 30 Apr 2028\)"
    ):
        submit(alice_liaison, award, billing_month=datetime.date(2027, 4, 1))

    assert not Invoice.objects.exists()


def test_the_current_month_may_be_billed(award: Award, alice_liaison: Any) -> None:
    invoice = submit(alice_liaison, award, billing_month=TODAY, invoice_date=TODAY)

    assert invoice.billing_month == datetime.date(2027, 7, 1)


def test_at_most_one_invoice_a_month(award: Award, alice_liaison: Any) -> None:
    submit(alice_liaison, award)

    with pytest.raises(InvoiceRefused, match="already an invoice for that month"):
        submit(alice_liaison, award, billing_month=datetime.date(2027, 6, 30), amount=Decimal(5))

    assert list(Invoice.objects.values_list("number", "amount")) == [
        (f"{award.number}-01", Decimal("1200.00"))
    ]


def test_a_double_submit_racing_past_the_check_leaves_one_invoice(
    award: Award, alice_liaison: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    submit(alice_liaison, award)
    # The second request read "no invoice for June" before the first one committed.
    monkeypatch.setattr(award_services, "_month_taken", lambda award, month: False)

    with pytest.raises(InvoiceRefused, match="already an invoice for that month"):
        submit(alice_liaison, award)

    assert Invoice.objects.count() == 1
    assert invoice_changes() == [("", "submitted", "alice@example.org")]


def test_an_invoice_over_the_balance_is_refused_and_says_what_is_left(
    award: Award, alice_liaison: Any
) -> None:
    submit(alice_liaison, award, amount=Decimal("3500.00"))

    with pytest.raises(InvoiceRefused, match=r"over the balance: \$500.00 left"):
        submit(
            alice_liaison, award, billing_month=datetime.date(2027, 7, 1), amount=Decimal("500.01")
        )

    assert Invoice.objects.count() == 1
    assert (
        submit(
            alice_liaison, award, billing_month=datetime.date(2027, 7, 1), amount=Decimal("500.00")
        ).number
        == f"{award.number}-02"
    )
    assert balance_of(award) == Decimal("0.00")


@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("-1"), Decimal("10.005"), 12.5])
def test_an_amount_is_dollars_and_cents_above_zero(
    award: Award, alice_liaison: Any, amount: Any
) -> None:
    with pytest.raises(InvoiceRefused, match="above zero"):
        submit(alice_liaison, award, amount=amount)

    assert not Invoice.objects.exists()


def test_no_invoice_while_a_report_is_overdue(award: Award, alice_liaison: Any) -> None:
    with (
        time_machine.travel(
            datetime.datetime(2027, 11, 20, 12, 0, tzinfo=datetime.UTC), tick=False
        ),
        pytest.raises(ReportOverdue, match="Submit the interim report due 15 Nov 2027 first"),
    ):
        submit(alice_liaison, award, billing_month=datetime.date(2027, 10, 1))

    assert not Invoice.objects.exists()


def test_a_closed_award_takes_no_invoice(award: Award, alice_liaison: Any) -> None:
    Award.objects.filter(pk=award.pk).update(status="closed", closed_at=timezone.now())

    with pytest.raises(AwardClosed):
        submit(alice_liaison, award)

    assert not Invoice.objects.exists()


def test_a_colleague_on_the_application_may_invoice_a_stranger_may_not(
    award: Award, bob_applicant: Any, paula_program_staff: Any
) -> None:
    colleague = UserFactory.create(email="carmen@example.org")
    award.application.members.create(user=colleague)

    for outsider in (bob_applicant, paula_program_staff):
        with pytest.raises(NotAllowed):
            submit(outsider, award)
    assert not Invoice.objects.exists()

    assert submit(colleague, award).submitted_by == colleague


# --- decisions -----------------------------------------------------------------------------


def test_staff_approve_then_mark_paid_and_the_awardee_is_emailed_each_time(
    award: Award,
    alice_liaison: Any,
    paula_program_staff: Any,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    invoice = submit(alice_liaison, award)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        invoice_decide(actor=paula_program_staff, invoice=invoice, to="approved")
        invoice_decide(actor=paula_program_staff, invoice=invoice, to="paid")

    assert Invoice.objects.get().status == "paid"
    assert invoice_changes() == [
        ("", "submitted", "alice@example.org"),
        ("submitted", "approved", "paula@example.org"),
        ("approved", "paid", "paula@example.org"),
    ]
    assert [(message.to, message.subject) for message in mail.outbox] == [
        (["alice@example.org"], f"Invoice {invoice.number}: Approved"),
        (["alice@example.org"], f"Invoice {invoice.number}: Paid"),
    ]


def test_paid_only_once_approved(
    award: Award, alice_liaison: Any, paula_program_staff: Any
) -> None:
    invoice = submit(alice_liaison, award)

    with pytest.raises(InvalidInvoiceDecision, match="submitted cannot become paid"):
        invoice_decide(actor=paula_program_staff, invoice=invoice, to="paid")

    assert Invoice.objects.get().status == "submitted"


def test_a_return_needs_a_reason_and_frees_the_month_and_the_balance(
    award: Award, alice_liaison: Any, paula_program_staff: Any
) -> None:
    invoice = submit(alice_liaison, award)
    with pytest.raises(InvoiceRefused, match="reason"):
        invoice_decide(actor=paula_program_staff, invoice=invoice, to="returned", reason=" ")
    assert Invoice.objects.get().status == "submitted"

    invoice_decide(
        actor=paula_program_staff, invoice=invoice, to="returned", reason="Attach the receipts."
    )

    assert balance_of(award) == Decimal("4000.00")
    again = submit(alice_liaison, award)
    assert again.number == f"{award.number}-02"
    assert AwardChange.objects.filter(subject="invoice", to_status="returned").get().reason == (
        "Attach the receipts."
    )


def test_the_awardee_cannot_decide_an_invoice(award: Award, alice_liaison: Any) -> None:
    invoice = submit(alice_liaison, award)

    with pytest.raises(NotAllowed):
        invoice_decide(actor=alice_liaison, invoice=invoice, to="approved")

    assert Invoice.objects.get().status == "submitted"
    assert invoice_changes() == [("", "submitted", "alice@example.org")]
