"""Reviewer assignment and conflicts of interest: a reviewer never sees an application from
their own organization (one they are the liaison of, or one they declared)."""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from tapestry.accounts.api import role_grant
from tapestry.accounts.roles import Role
from tapestry.accounts.tests.factories import UserFactory
from tapestry.funding.models import Application, ConflictOfInterest, ReviewAssignment
from tapestry.funding.services import (
    ConflictOfInterestError,
    InvalidTransition,
    NotAllowed,
    application_for_review,
    application_move,
    application_start,
    application_submit,
    budget_set,
    review_assign,
)
from tapestry.funding.states import Status
from tapestry.funding.tests.factories import OpportunityFactory
from tapestry.network.tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def screened(alice_liaison: Any, alice_library: Any, paula_program_staff: Any) -> Application:
    application = application_start(
        actor=alice_liaison,
        opportunity=OpportunityFactory.create(),
        organization_id=alice_library.pk,
    )
    application.project_title = "Health fair"
    application.summary = "Screenings and a class."
    application.save()
    budget_set(actor=alice_liaison, application=application, lines=[("Fair", Decimal("900"))])
    application_submit(actor=alice_liaison, application=application)
    return application_move(actor=paula_program_staff, application=application, to=Status.SCREENED)


@pytest.fixture
def rita_reviewer(db: None) -> Any:
    return UserFactory.create(email="rita@example.org", roles=[Role.REVIEWER])


def test_staff_assign_a_reviewer_who_then_opens_the_application(
    screened: Application, paula_program_staff: Any, rita_reviewer: Any
) -> None:
    review_assign(actor=paula_program_staff, application=screened, reviewer=rita_reviewer)
    under_review = application_move(
        actor=paula_program_staff, application=screened, to=Status.UNDER_REVIEW
    )

    assert under_review.status == Status.UNDER_REVIEW
    assert application_for_review(reviewer=rita_reviewer, public_id=screened.public_id) == screened


def test_the_liaison_of_the_applicant_is_never_assigned_its_application(
    screened: Application, paula_program_staff: Any, alice_liaison: Any
) -> None:
    role_grant(user_id=alice_liaison.pk, roles=[Role.REVIEWER])  # she reviews for the network

    with pytest.raises(ConflictOfInterestError):
        review_assign(actor=paula_program_staff, application=screened, reviewer=alice_liaison)

    assert not ReviewAssignment.objects.exists()


def test_a_declared_conflict_keeps_the_reviewer_off(
    screened: Application, paula_program_staff: Any, rita_reviewer: Any
) -> None:
    ConflictOfInterest.objects.create(
        reviewer=rita_reviewer,
        organization_id=screened.organization_id,
        reason="I sit on the library's board.",
    )

    with pytest.raises(ConflictOfInterestError):
        review_assign(actor=paula_program_staff, application=screened, reviewer=rita_reviewer)

    assert not ReviewAssignment.objects.exists()


def test_a_conflict_declared_after_the_assignment_still_refuses_and_is_logged(
    screened: Application,
    paula_program_staff: Any,
    rita_reviewer: Any,
    audit_log: Callable[[], list[tuple]],
) -> None:
    review_assign(actor=paula_program_staff, application=screened, reviewer=rita_reviewer)
    ConflictOfInterest.objects.create(
        reviewer=rita_reviewer,
        organization_id=screened.organization_id,
        reason="My sister became its director.",
    )

    with pytest.raises(ConflictOfInterestError):
        application_for_review(reviewer=rita_reviewer, public_id=screened.public_id)

    assert audit_log()[-1] == (
        "funding.conflicted_application_refused",
        "rita@example.org",
        "funding.application",
        str(screened.pk),
    )


def test_a_reviewer_opens_only_what_is_assigned_to_them(
    screened: Application, paula_program_staff: Any, rita_reviewer: Any
) -> None:
    other_reviewer = UserFactory.create(roles=[Role.REVIEWER])
    review_assign(actor=paula_program_staff, application=screened, reviewer=other_reviewer)

    with pytest.raises(NotAllowed):
        application_for_review(reviewer=rita_reviewer, public_id=screened.public_id)


def test_only_staff_assign_and_only_reviewers_are_assigned(
    screened: Application, alice_liaison: Any, rita_reviewer: Any, paula_program_staff: Any
) -> None:
    not_a_reviewer = UserFactory.create()

    with pytest.raises(NotAllowed):
        review_assign(actor=alice_liaison, application=screened, reviewer=rita_reviewer)
    with pytest.raises(NotAllowed):
        review_assign(actor=paula_program_staff, application=screened, reviewer=not_a_reviewer)

    assert not ReviewAssignment.objects.exists()


def test_a_draft_is_not_sent_for_review(
    alice_liaison: Any, paula_program_staff: Any, rita_reviewer: Any
) -> None:
    denver = OrganizationFactory.create(zip_code="80202", liaison=alice_liaison)
    draft = application_start(
        actor=alice_liaison, opportunity=OpportunityFactory.create(), organization_id=denver.pk
    )

    with pytest.raises(InvalidTransition):
        review_assign(actor=paula_program_staff, application=draft, reviewer=rita_reviewer)

    assert not ReviewAssignment.objects.exists()
