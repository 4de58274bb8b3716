"""An application from draft to decision: who may make each change, the deadline, the budget,
and the audit trail (ADR 0026). Refusals assert that nothing changed."""

import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from tapestry.accounts.roles import Role
from tapestry.accounts.tests.factories import UserFactory
from tapestry.funding.models import Application, BudgetLine, StatusChange
from tapestry.funding.services import (
    AlreadyApplied,
    BudgetInvalid,
    CallClosed,
    FundingError,
    InvalidTransition,
    NotAllowed,
    NotEligible,
    application_move,
    application_start,
    application_submit,
    budget_set,
    eligibility_check,
)
from tapestry.funding.states import FINAL, TRANSITIONS, Actor, Status, next_statuses
from tapestry.funding.tests.factories import OpportunityFactory
from tapestry.network.tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def call() -> Any:
    return OpportunityFactory.create(maximum_amount=Decimal("5000.00"))


@pytest.fixture
def draft(call: Any, alice_liaison: Any, alice_library: Any) -> Application:
    application = application_start(
        actor=alice_liaison, opportunity=call, organization_id=alice_library.pk
    )
    application.project_title = "Health fair at the library"
    application.summary = "A Saturday fair with screenings and a nutrition class in Spanish."
    application.save()
    return application


def ready(application: Application, actor: Any) -> Application:
    budget_set(
        actor=actor,
        application=application,
        lines=[("Screening supplies", Decimal("1200.50")), ("Interpreter", Decimal("800"))],
    )
    return application


# --- the table ------------------------------------------------------------------------------


def test_the_pipeline_of_the_product_is_the_table() -> None:
    assert next_statuses(Status.DRAFT, Actor.APPLICANT) == [Status.SUBMITTED, Status.WITHDRAWN]
    assert next_statuses(Status.SUBMITTED, Actor.STAFF) == [Status.SCREENED, Status.DECLINED]
    assert next_statuses(Status.SCREENED, Actor.STAFF) == [Status.UNDER_REVIEW, Status.DECLINED]
    assert next_statuses(Status.UNDER_REVIEW, Actor.STAFF) == [Status.AWARDED, Status.DECLINED]
    assert next_statuses(Status.UNDER_REVIEW, Actor.APPLICANT) == []
    assert {Status.AWARDED, Status.DECLINED, Status.WITHDRAWN} == FINAL
    assert all(
        rule.reason_required
        for rule in TRANSITIONS.values()
        if rule.to_status in FINAL and rule.from_status != Status.DRAFT
    )


# --- eligibility and starting ---------------------------------------------------------------


def test_eligibility_is_checked_from_the_directory(alice_library: Any) -> None:
    anyone = OpportunityFactory.create()
    hospitals_only = OpportunityFactory.create(eligible_types=["hospital_library"])
    colorado_only = OpportunityFactory.create(eligible_states=["CO"])
    both = OpportunityFactory.create(eligible_types=["hospital_library"], eligible_states=["CO"])

    assert eligibility_check(opportunity=anyone, organization_id=alice_library.pk).eligible
    assert eligibility_check(
        opportunity=hospitals_only, organization_id=alice_library.pk
    ).reasons == ("This call is not open to organizations of your type.",)
    assert eligibility_check(
        opportunity=colorado_only, organization_id=alice_library.pk
    ).reasons == ("This call is not open to organizations in your state.",)
    assert len(eligibility_check(opportunity=both, organization_id=alice_library.pk).reasons) == 2
    assert eligibility_check(opportunity=anyone, organization_id=999_999).reasons == (
        "Only member organizations of the network may apply.",
    )


def test_the_liaison_starts_a_draft_and_is_its_first_member(
    draft: Application, audit_log: Callable[[], list[tuple]]
) -> None:
    assert draft.status == Status.DRAFT
    assert [member.user.email for member in draft.members.all()] == ["alice@example.org"]
    assert audit_log() == [
        ("funding.application_started", "alice@example.org", "funding.application", str(draft.pk))
    ]


def test_only_the_organizations_liaison_may_start_its_application(
    call: Any, alice_library: Any, bob_applicant: Any
) -> None:
    with pytest.raises(NotAllowed):
        application_start(actor=bob_applicant, opportunity=call, organization_id=alice_library.pk)

    assert not Application.objects.exists()


def test_an_ineligible_organization_cannot_start(alice_liaison: Any, alice_library: Any) -> None:
    call = OpportunityFactory.create(eligible_states=["CO"])

    with pytest.raises(NotEligible, match="in your state"):
        application_start(actor=alice_liaison, opportunity=call, organization_id=alice_library.pk)

    assert not Application.objects.exists()


@pytest.mark.parametrize("closed", ["unpublished", "past the deadline"])
def test_a_closed_call_takes_no_application(
    closed: str, alice_liaison: Any, alice_library: Any
) -> None:
    if closed == "unpublished":
        call = OpportunityFactory.create(published_at=None)
    else:
        call = OpportunityFactory.create(deadline=timezone.now() - datetime.timedelta(minutes=1))

    with pytest.raises(CallClosed):
        application_start(actor=alice_liaison, opportunity=call, organization_id=alice_library.pk)

    assert not Application.objects.exists()


def test_one_application_per_organization_and_call(
    draft: Application, alice_liaison: Any, alice_library: Any
) -> None:
    with pytest.raises(AlreadyApplied):
        application_start(
            actor=alice_liaison, opportunity=draft.opportunity, organization_id=alice_library.pk
        )

    assert Application.objects.count() == 1


# --- the budget -----------------------------------------------------------------------------


def test_the_budget_is_decimal_and_adds_up_to_at_most_the_maximum(
    draft: Application, alice_liaison: Any
) -> None:
    ready(draft, alice_liaison)

    assert [line.amount for line in BudgetLine.objects.filter(application=draft)] == [
        Decimal("1200.50"),
        Decimal("800.00"),
    ]

    with pytest.raises(BudgetInvalid, match=r"maximum of \$5,000.00"):
        budget_set(
            actor=alice_liaison,
            application=draft,
            lines=[("Laptops", Decimal("4000")), ("Printing", Decimal("1000.01"))],
        )

    assert BudgetLine.objects.filter(application=draft).count() == 2  # kept as it was


@pytest.mark.parametrize(
    "amount", [1200.5, Decimal("10.005"), Decimal("0"), Decimal("-5"), Decimal("NaN")]
)
def test_a_budget_amount_must_be_dollars_and_cents_above_zero(
    draft: Application, alice_liaison: Any, amount: Any
) -> None:
    with pytest.raises(BudgetInvalid):
        budget_set(actor=alice_liaison, application=draft, lines=[("Supplies", amount)])

    assert not BudgetLine.objects.filter(application=draft).exists()


# --- submitting -----------------------------------------------------------------------------


def test_a_complete_draft_is_submitted_with_a_tracking_number(
    draft: Application, alice_liaison: Any
) -> None:
    submitted = application_submit(actor=alice_liaison, application=ready(draft, alice_liaison))

    assert submitted.status == Status.SUBMITTED
    assert submitted.tracking_number == f"F{draft.opportunity.deadline.year}-{draft.pk:06d}"
    assert list(StatusChange.objects.values_list("from_status", "to_status", "actor__email")) == [
        ("draft", "submitted", "alice@example.org")
    ]


def test_a_submission_after_the_deadline_is_refused(draft: Application, alice_liaison: Any) -> None:
    ready(draft, alice_liaison)

    with (
        time_machine.travel(draft.opportunity.deadline, tick=False),
        pytest.raises(CallClosed),
    ):
        application_submit(actor=alice_liaison, application=draft)

    draft.refresh_from_db()
    assert (draft.status, draft.tracking_number) == (Status.DRAFT, None)
    assert not StatusChange.objects.exists()


def test_a_draft_without_a_budget_is_not_submitted(draft: Application, alice_liaison: Any) -> None:
    with pytest.raises(BudgetInvalid, match="at least one budget line"):
        application_submit(actor=alice_liaison, application=draft)

    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_a_colleague_added_to_the_application_may_submit_it_a_stranger_may_not(
    draft: Application, alice_liaison: Any
) -> None:
    colleague = UserFactory.create(email="carmen@example.org")
    stranger = UserFactory.create(email="sam@example.org")
    draft.members.create(user=colleague)
    ready(draft, colleague)

    with pytest.raises(NotAllowed):
        application_submit(actor=stranger, application=draft)
    assert Application.objects.get(pk=draft.pk).status == Status.DRAFT

    assert application_submit(actor=colleague, application=draft).status == Status.SUBMITTED


def test_a_submitted_application_can_no_longer_be_changed(
    draft: Application, alice_liaison: Any
) -> None:
    application_submit(actor=alice_liaison, application=ready(draft, alice_liaison))

    with pytest.raises(InvalidTransition):
        budget_set(actor=alice_liaison, application=draft, lines=[("More", Decimal("1"))])

    assert BudgetLine.objects.filter(application=draft).count() == 2


# --- staff's transitions --------------------------------------------------------------------


@pytest.fixture
def submitted(draft: Application, alice_liaison: Any) -> Application:
    return application_submit(actor=alice_liaison, application=ready(draft, alice_liaison))


def test_the_applicant_cannot_screen_their_own_application(
    submitted: Application, alice_liaison: Any
) -> None:
    with pytest.raises(NotAllowed, match="Only program staff"):
        application_move(actor=alice_liaison, application=submitted, to=Status.SCREENED)

    assert Application.objects.get(pk=submitted.pk).status == Status.SUBMITTED
    assert StatusChange.objects.count() == 1


def test_staff_screen_and_a_decline_needs_a_reason(
    submitted: Application, paula_program_staff: Any
) -> None:
    screened = application_move(
        actor=paula_program_staff, application=submitted, to=Status.SCREENED
    )
    assert screened.status == Status.SCREENED

    with pytest.raises(FundingError, match="reason"):
        application_move(actor=paula_program_staff, application=screened, to=Status.DECLINED)
    assert Application.objects.get(pk=submitted.pk).status == Status.SCREENED

    declined = application_move(
        actor=paula_program_staff,
        application=screened,
        to=Status.DECLINED,
        reason="  The project falls outside the call's period of performance.  ",
    )
    assert declined.status == Status.DECLINED
    assert StatusChange.objects.order_by("pk").last().reason == (  # type: ignore[union-attr]
        "The project falls outside the call's period of performance."
    )


def test_review_starts_only_with_a_reviewer_assigned(
    submitted: Application, paula_program_staff: Any
) -> None:
    application_move(actor=paula_program_staff, application=submitted, to=Status.SCREENED)

    with pytest.raises(InvalidTransition, match="reviewer"):
        application_move(actor=paula_program_staff, application=submitted, to=Status.UNDER_REVIEW)

    assert Application.objects.get(pk=submitted.pk).status == Status.SCREENED


def test_a_status_the_table_does_not_lead_to_is_refused(
    submitted: Application, paula_program_staff: Any
) -> None:
    with pytest.raises(InvalidTransition, match="cannot become Awarded"):
        application_move(
            actor=paula_program_staff, application=submitted, to=Status.AWARDED, reason="Good"
        )

    assert Application.objects.get(pk=submitted.pk).status == Status.SUBMITTED


def test_the_applicant_withdraws_with_a_reason(submitted: Application, alice_liaison: Any) -> None:
    withdrawn = application_move(
        actor=alice_liaison,
        application=submitted,
        to=Status.WITHDRAWN,
        reason="Our director left.",
    )

    assert withdrawn.status == Status.WITHDRAWN
    assert [change.to_status for change in StatusChange.objects.order_by("pk")] == [
        "submitted",
        "withdrawn",
    ]


def test_an_organization_elsewhere_is_not_the_liaisons(call: Any, alice_liaison: Any) -> None:
    other = OrganizationFactory.create(name="Denver Public Library", zip_code="80202")
    reviewer = UserFactory.create(roles=[Role.REVIEWER])

    with pytest.raises(NotAllowed):
        application_start(actor=alice_liaison, opportunity=call, organization_id=other.pk)
    with pytest.raises(NotAllowed):
        application_start(actor=reviewer, opportunity=call, organization_id=other.pk)

    assert not Application.objects.exists()
