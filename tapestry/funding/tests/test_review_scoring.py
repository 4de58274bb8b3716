"""Reviewers' pages: the queue (a conflicted assignment shown as not available), opening a
conflicted application (403, logged, nothing else changed), scoring with every score in its
range (a wrong sheet saves nothing), drafts, submission (final), and declaring a conflict."""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from tapestry.funding.models import (
    Application,
    ConflictOfInterest,
    ReviewAssignment,
    RubricCriterion,
    RubricScore,
)
from tapestry.funding.reviews import ScoresInvalid, scores_submit
from tapestry.funding.services import FundingError
from tapestry.funding.states import Status
from tapestry.funding.tests.factories import OpportunityFactory, RubricCriterionFactory
from tapestry.funding.tests.factories_staff import in_review_make, reviewer_make, submitted_make
from tapestry.network.tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rita(db: None) -> Any:
    return reviewer_make("rita@example.org")


@pytest.fixture
def rita_client(rita: Any, staff_signed_in: Callable[[Any], Client]) -> Client:
    return staff_signed_in(rita)


@pytest.fixture
def call() -> Any:
    opportunity = OpportunityFactory.create(title="Health outreach awards 2027")
    RubricCriterionFactory.create(opportunity=opportunity, position=1, text="Reach", points=10)
    RubricCriterionFactory.create(opportunity=opportunity, position=2, text="Budget", points=5)
    return opportunity


@pytest.fixture
def in_review(
    call: Any, alice_liaison: Any, alice_library: Any, paula_program_staff: Any, rita: Any
) -> Application:
    application = submitted_make(
        liaison=alice_liaison, organization=alice_library, opportunity=call
    )
    return in_review_make(staff=paula_program_staff, application=application, reviewer=rita)


def criteria(call: Any) -> tuple[RubricCriterion, RubricCriterion]:
    reach, budget = call.rubric_criteria.order_by("position")
    return reach, budget


def sheet(call: Any, reach: str, budget: str, **extra: str) -> dict[str, str]:
    first, second = criteria(call)
    return {f"score_{first.pk}": reach, f"score_{second.pk}": budget, "comments": "", **extra}


def scores_saved() -> list[tuple[str, int]]:
    return sorted(RubricScore.objects.values_list("criterion__text", "points"))


# --- the queue and opening an application ----------------------------------------------------


def test_the_queue_shows_assignments_and_a_conflicted_one_as_not_available(
    rita_client: Client,
    in_review: Application,
    rita: Any,
    paula_program_staff: Any,
    alice_liaison: Any,
) -> None:
    other_library = OrganizationFactory.create(
        name="Rita's Own Library", zip_code="60601", liaison=alice_liaison
    )
    other = submitted_make(
        liaison=alice_liaison, organization=other_library, opportunity=in_review.opportunity
    )
    in_review_make(staff=paula_program_staff, application=other, reviewer=rita)
    ConflictOfInterest.objects.create(
        reviewer=rita, organization_id=other_library.pk, reason="I work there."
    )

    page = rita_client.get("/funding/review/").content.decode()

    assert f'href="/funding/review/{in_review.public_id}/"' in page
    assert "Alice Memorial Library" in page
    assert f'href="/funding/review/{other.public_id}/"' not in page
    assert "Conflict of interest — not available" in page
    assert "Rita&#x27;s Own Library" not in page


def test_opening_a_conflicted_application_is_a_403_logged_and_nothing_else_changes(
    rita_client: Client,
    in_review: Application,
    rita: Any,
    audit_log: Callable[[], list[tuple]],
) -> None:
    ConflictOfInterest.objects.create(
        reviewer=rita, organization_id=in_review.organization_id, reason="My sister directs it."
    )
    before = audit_log()

    response = rita_client.get(f"/funding/review/{in_review.public_id}/")
    post = rita_client.post(
        f"/funding/review/{in_review.public_id}/", {**sheet(in_review.opportunity, "9", "4")}
    )

    assert response.status_code == 403
    page = response.content.decode()
    assert "conflict of interest with this applicant" in page
    assert "Health fair at the library" not in page
    assert "Alice Memorial Library" not in page
    assert post.status_code == 403
    assert audit_log() == [
        *before,
        (
            "funding.conflicted_application_refused",
            "rita@example.org",
            "funding.application",
            str(in_review.pk),
        ),
        (
            "funding.conflicted_application_refused",
            "rita@example.org",
            "funding.application",
            str(in_review.pk),
        ),
    ]
    assert not RubricScore.objects.exists()
    in_review.refresh_from_db()
    assert in_review.status == Status.UNDER_REVIEW
    assert ReviewAssignment.objects.get(reviewer=rita).submitted_at is None


def test_an_unknown_application_is_a_404_and_one_not_assigned_a_403(
    rita_client: Client, call: Any, alice_liaison: Any, alice_library: Any
) -> None:
    not_assigned = submitted_make(
        liaison=alice_liaison, organization=alice_library, opportunity=call
    )

    unknown = rita_client.get("/funding/review/00000000-0000-0000-0000-000000000000/")
    refused = rita_client.get(f"/funding/review/{not_assigned.public_id}/")

    assert unknown.status_code == 404
    assert refused.status_code == 403
    assert "This application is not assigned to you." in refused.content.decode()


def test_only_reviewers_have_a_queue(alice_client: Client, paula_client: Client) -> None:
    assert alice_client.get("/funding/review/").status_code == 403
    assert paula_client.get("/funding/review/").status_code == 403


# --- scoring -----------------------------------------------------------------------------------


def test_a_reviewer_reads_the_application_and_saves_a_draft_then_submits(
    rita_client: Client, in_review: Application, rita: Any, audit_log: Callable[[], list[tuple]]
) -> None:
    url = f"/funding/review/{in_review.public_id}/"
    call = in_review.opportunity

    page = rita_client.get(url).content.decode()
    draft = rita_client.post(url, sheet(call, "7", "", action="draft", comments="So far good."))
    assert scores_saved() == [("Reach", 7)]
    again = rita_client.get(url).content.decode()
    final = rita_client.post(url, sheet(call, "8", "4", action="submit", comments="Strong."))

    assert "Health fair at the library" in page and "From 0 to 10 points." in page
    assert draft.status_code == 302
    assert 'value="7"' in again and "So far good." in again
    assert final.status_code == 302
    assert scores_saved() == [("Budget", 4), ("Reach", 8)]
    assignment = ReviewAssignment.objects.get(reviewer=rita)
    assert assignment.submitted_at is not None
    assert assignment.comments == "Strong."
    assert audit_log()[-1] == (
        "funding.review_submitted",
        "rita@example.org",
        "funding.application",
        str(in_review.pk),
    )
    staff_sees = rita_client.get(url).content.decode()
    assert "12 of 15 points" in staff_sees


@pytest.mark.parametrize(
    ("reach", "budget", "action"),
    [
        ("11", "4", "submit"),  # over the criterion's points
        ("-1", "4", "draft"),  # below zero
        ("8", "", "submit"),  # a criterion left unscored on submission
        ("eight", "4", "draft"),  # not a number
    ],
)
def test_a_wrong_score_sheet_saves_nothing(
    rita_client: Client, in_review: Application, rita: Any, reach: str, budget: str, action: str
) -> None:
    url = f"/funding/review/{in_review.public_id}/"

    response = rita_client.post(
        url, sheet(in_review.opportunity, reach, budget, action=action, comments="Hmm.")
    )

    assert response.status_code == 400
    assert "Please correct the highlighted fields." in response.content.decode()
    assert not RubricScore.objects.exists()
    assignment = ReviewAssignment.objects.get(reviewer=rita)
    assert (assignment.comments, assignment.submitted_at) == ("", None)


def test_the_service_refuses_a_score_out_of_range_or_missing_and_saves_nothing(
    in_review: Application, rita: Any
) -> None:
    reach, budget = criteria(in_review.opportunity)

    with pytest.raises(ScoresInvalid, match=r"“Budget” is scored from 0 to 5\."):
        scores_submit(
            reviewer=rita,
            application=in_review,
            scores={reach.pk: 3, budget.pk: 6},
            comments="x",
            final=False,
        )
    with pytest.raises(ScoresInvalid, match="Score every criterion"):
        scores_submit(
            reviewer=rita, application=in_review, scores={reach.pk: 3}, comments="x", final=True
        )
    other = RubricCriterionFactory.create()
    with pytest.raises(ScoresInvalid):
        scores_submit(
            reviewer=rita,
            application=in_review,
            scores={reach.pk: 3, budget.pk: 2, other.pk: 1},
            comments="x",
            final=True,
        )

    assert not RubricScore.objects.exists()
    assert ReviewAssignment.objects.get(reviewer=rita).comments == ""


def test_submitting_says_which_criterion_is_unscored(
    rita_client: Client, in_review: Application
) -> None:
    response = rita_client.post(
        f"/funding/review/{in_review.public_id}/",
        sheet(in_review.opportunity, "8", "", action="submit"),
    )

    assert response.status_code == 400
    assert "Budget: Score this criterion before submitting." in response.content.decode()
    assert "Reach: Score this criterion" not in response.content.decode()
    assert not RubricScore.objects.exists()


def test_a_submitted_review_no_longer_changes(
    rita_client: Client, in_review: Application, rita: Any
) -> None:
    reach, budget = criteria(in_review.opportunity)
    scores_submit(
        reviewer=rita,
        application=in_review,
        scores={reach.pk: 9, budget.pk: 5},
        comments="Fine.",
        final=True,
    )

    with pytest.raises(FundingError, match="can no longer be changed"):
        scores_submit(
            reviewer=rita,
            application=in_review,
            scores={reach.pk: 1, budget.pk: 1},
            comments="Changed my mind.",
            final=False,
        )
    response = rita_client.post(
        f"/funding/review/{in_review.public_id}/",
        sheet(in_review.opportunity, "1", "1", action="submit"),
    )

    assert response.status_code == 400
    assert scores_saved() == [("Budget", 5), ("Reach", 9)]
    assert ReviewAssignment.objects.get(reviewer=rita).comments == "Fine."


# --- declaring a conflict -------------------------------------------------------------------


def test_a_reviewer_declares_a_conflict_from_the_queue_and_can_no_longer_open_it(
    rita_client: Client, in_review: Application, rita: Any
) -> None:
    url = f"/funding/review/{in_review.public_id}/conflict/"

    page = rita_client.get(url).content.decode()
    empty = rita_client.post(url, {"reason": ""})
    response = rita_client.post(url, {"reason": "I volunteer there every week."})

    assert "Alice Memorial Library" in page and "Health fair at the library" not in page
    assert empty.status_code == 400
    assert response.status_code == 302
    assert list(
        ConflictOfInterest.objects.values_list("reviewer", "organization_id", "reason")
    ) == [(rita.pk, in_review.organization_id, "I volunteer there every week.")]
    assert rita_client.get(f"/funding/review/{in_review.public_id}/").status_code == 403


def test_a_reviewer_may_not_declare_on_an_application_not_theirs(
    rita_client: Client, call: Any, alice_liaison: Any, alice_library: Any
) -> None:
    not_assigned = submitted_make(
        liaison=alice_liaison, organization=alice_library, opportunity=call
    )

    response = rita_client.post(
        f"/funding/review/{not_assigned.public_id}/conflict/", {"reason": "Curious."}
    )

    assert response.status_code == 404
    assert not ConflictOfInterest.objects.exists()
