"""What the other apps may use from learning: a person's training status, to gate on.

The research-access capability asks `training_current` whether the registered-tier (or
controlled-tier) course is complete and current; the status comes back as plain values.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from tapestry.learning import selectors
from tapestry.learning.models import Course
from tapestry.learning.selectors import Status

__all__ = ["RequirementState", "Status", "TrainingState", "compliance_status", "training_current"]


@dataclass(frozen=True)
class RequirementState:
    """One requirement of one of the person's roles and where they stand on it."""

    role: str
    course_slug: str
    course_title: str
    status: str  # "compliant", "expiring", "expired" or "missing"
    expires_at: datetime.datetime | None
    due_on: datetime.date | None
    bypassed: bool


@dataclass(frozen=True)
class TrainingState:
    """Whether a person's completion of a course (either language) counts today."""

    course_slug: str
    status: str  # as RequirementState.status
    current: bool  # compliant or expiring: the completion still counts
    expires_at: datetime.datetime | None


def compliance_status(*, user_id: int) -> list[RequirementState]:
    """The person's status on every course their roles require, by role then course title."""
    return [
        RequirementState(
            role=item.role,
            course_slug=item.course_slug,
            course_title=item.course_title,
            status=item.status.value,
            expires_at=item.expires_at,
            due_on=item.due_on,
            bypassed=item.via == "bypass",
        )
        for item in sorted(
            selectors.compliance_of(user_id=user_id), key=lambda s: (s.role, s.course_title)
        )
    ]


def training_current(*, user_id: int, course_slug: str) -> TrainingState:
    """The person's standing on one course by its link name (an unknown course is "missing").
    A bypass of a requirement on this course counts as current."""
    course = Course.objects.filter(slug=course_slug).first()
    if course is None:
        return TrainingState(course_slug, Status.MISSING.value, False, None)
    for item in selectors.compliance_of(user_id=user_id):
        if item.course_id in course.family_ids() and item.via == "bypass":
            return TrainingState(course_slug, Status.COMPLIANT.value, True, None)
    completion = selectors.latest_completion(user_id=user_id, course=course)
    status = selectors.status_of_completion(completion)
    return TrainingState(
        course_slug,
        status.value,
        status in {Status.COMPLIANT, Status.EXPIRING},
        completion.expires_at if completion else None,
    )
