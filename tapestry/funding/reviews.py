"""Screening answers, rubric scores and declared conflicts of interest: the writes of staff's
screening and reviewers' scoring (ADR 0026), and the reads their pages need.

Each write is keyword-only, in one transaction, and refuses with a FundingError (from
services.py) before anything is written: a partial checklist or score sheet is never saved.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tapestry.accounts.api import Role, user_has_role
from tapestry.core.api import audit_record
from tapestry.funding.models import (
    Application,
    ConflictOfInterest,
    ReviewAssignment,
    RubricCriterion,
    RubricScore,
    ScreeningAnswer,
)
from tapestry.funding.services import (
    FundingError,
    InvalidTransition,
    NotAllowed,
    application_for_review,
    application_move,
    is_staff,
)
from tapestry.funding.states import Status


class ScoresInvalid(FundingError):
    """A score sheet with a criterion missing, unknown or out of its range."""


# Statuses in which reviewers may score: assigned once screened, scoring until the decision.
SCORING_STATUSES = (Status.SCREENED, Status.UNDER_REVIEW)


@dataclass(frozen=True)
class Answer:
    """Staff's answer to one screening checklist item."""

    met: bool
    note: str = ""


def screening_record(
    *, actor: Any, application: Application, answers: Mapping[int, Answer]
) -> list[ScreeningAnswer]:
    """Record staff's answers to every item of the call's screening checklist (by item id),
    replacing earlier answers. Only for a submitted application, only by staff, and only a
    complete checklist: an item left out or one of another call refuses it all."""
    if not is_staff(actor):
        raise NotAllowed(_("Only program staff may screen applications."))
    with transaction.atomic():
        application = Application.objects.select_for_update().get(pk=application.pk)
        if application.status != Status.SUBMITTED:
            raise InvalidTransition(_("Only a submitted application is screened."))
        item_ids = list(
            application.opportunity.screening_items.values_list("pk", flat=True).order_by(
                "position", "pk"
            )
        )
        if set(answers) - set(item_ids):
            raise FundingError(_("Answer the checklist of this call only."))
        if set(item_ids) - set(answers):
            raise FundingError(_("Answer every item of the screening checklist."))
        application.screening_answers.all().delete()
        saved = ScreeningAnswer.objects.bulk_create(
            ScreeningAnswer(
                application=application,
                item_id=item_id,
                met=answers[item_id].met,
                note=answers[item_id].note.strip()[:300],
            )
            for item_id in item_ids
        )
        audit_record(
            actor=actor,
            action="funding.application_screened",
            target=application,
            data={"met": sum(answer.met for answer in saved), "items": len(saved)},
        )
    return saved


def scores_submit(
    *,
    reviewer: Any,
    application: Application,
    scores: Mapping[int, int | None],
    comments: str,
    final: bool,
) -> ReviewAssignment:
    """Save a reviewer's scores (by criterion id) and comments on an application assigned to
    them, as a draft or, with `final`, as their review (which then no longer changes). Each
    score is a whole number from 0 to the criterion's points; a final review scores every
    criterion. Refuses a conflicted reviewer as `application_for_review` does (and logs it)."""
    application = application_for_review(reviewer=reviewer, public_id=application.public_id)
    with transaction.atomic():
        assignment = (
            ReviewAssignment.objects.select_for_update()
            .select_related("application")
            .get(application=application, reviewer=reviewer)
        )
        if assignment.submitted_at is not None:
            raise FundingError(_("Your review is submitted and can no longer be changed."))
        if assignment.application.status not in SCORING_STATUSES:
            raise InvalidTransition(_("This application is no longer open for review."))
        criteria = {
            criterion.pk: criterion
            for criterion in RubricCriterion.objects.filter(
                opportunity_id=application.opportunity_id
            )
        }
        if set(scores) - set(criteria):
            raise ScoresInvalid(_("Score the criteria of this call's rubric only."))
        given = {pk: points for pk, points in scores.items() if points is not None}
        for pk, points in given.items():
            maximum = criteria[pk].points
            if (
                isinstance(points, bool)
                or not isinstance(points, int)
                or not 0 <= points <= maximum
            ):
                raise ScoresInvalid(
                    _("“%(criterion)s” is scored from 0 to %(points)s.")
                    % {"criterion": criteria[pk].text, "points": maximum}
                )
        if final and set(criteria) - set(given):
            raise ScoresInvalid(_("Score every criterion before submitting your review."))
        assignment.scores.all().delete()
        RubricScore.objects.bulk_create(
            RubricScore(assignment=assignment, criterion_id=pk, points=points)
            for pk, points in given.items()
        )
        assignment.comments = comments.strip()
        fields = ["comments"]
        if final:
            assignment.submitted_at = timezone.now()
            fields.append("submitted_at")
            audit_record(
                actor=reviewer,
                action="funding.review_submitted",
                target=application,
                data={"total": sum(given.values())},
            )
        assignment.save(update_fields=fields)
    return assignment


def conflict_declare(*, reviewer: Any, application: Application, reason: str) -> ConflictOfInterest:
    """A reviewer declares a conflict of interest with the organization of an application
    assigned to them; from then on they may not open it (nor any other of that organization)."""
    if not user_has_role(reviewer, Role.REVIEWER):
        raise NotAllowed(_("Only reviewers declare conflicts of interest."))
    reason = reason.strip()
    if not reason:
        raise FundingError(_("Say what the conflict is (your employer, a board seat, a relative)."))
    if not ReviewAssignment.objects.filter(application=application, reviewer=reviewer).exists():
        raise NotAllowed(_("This application is not assigned to you."))
    try:
        with transaction.atomic():
            conflict = ConflictOfInterest.objects.create(
                reviewer=reviewer, organization_id=application.organization_id, reason=reason[:300]
            )
            audit_record(
                actor=reviewer,
                action="funding.conflict_declared",
                target=application,
                data={"organization_id": application.organization_id},
            )
    except IntegrityError:
        return ConflictOfInterest.objects.get(
            reviewer=reviewer, organization_id=application.organization_id
        )
    return conflict


# --- reads -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewRead:
    """One reviewer's review as staff read it: scores by criterion, total, comments."""

    reviewer_name: str
    submitted_at: Any
    comments: str
    scores: list[tuple[RubricCriterion, int | None]]
    total: int
    maximum: int


def reviews_of(application: Application) -> list[ReviewRead]:
    """Every assignment of an application with its scores against the rubric, in the order
    reviewers were assigned (two queries whatever the number of reviewers)."""
    criteria = list(application.opportunity.rubric_criteria.all())
    maximum = sum(criterion.points for criterion in criteria)
    assignments = (
        application.assignments.select_related("reviewer")
        .prefetch_related("scores")
        .order_by("assigned_at", "pk")
    )
    reads = []
    for assignment in assignments:
        points = {score.criterion_id: score.points for score in assignment.scores.all()}
        reads.append(
            ReviewRead(
                reviewer_name=assignment.reviewer.get_full_name(),
                submitted_at=assignment.submitted_at,
                comments=assignment.comments,
                scores=[(criterion, points.get(criterion.pk)) for criterion in criteria],
                total=sum(points.values()),
                maximum=maximum,
            )
        )
    return reads


def screening_answers_of(application: Application) -> dict[int, ScreeningAnswer]:
    """Staff's answers so far, by checklist item id."""
    return {answer.item_id: answer for answer in application.screening_answers.all()}


def screening_complete(
    *,
    actor: Any,
    application: Application,
    answers: Mapping[int, Answer],
    outcome: Status,
    reason: str = "",
) -> Application:
    """Record the checklist and move the application to its outcome (screened, or declined
    with a reason) in one transaction: a refused move leaves no answers behind."""
    if outcome not in (Status.SCREENED, Status.DECLINED):
        raise InvalidTransition(_("Screening ends in screened or declined."))
    with transaction.atomic():
        screening_record(actor=actor, application=application, answers=answers)
        return application_move(actor=actor, application=application, to=outcome, reason=reason)
