"""Reads of the training platform: a person's compliance, their courses and progress."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tapestry.accounts.api import person_roles
from tapestry.learning.models import Bypass, Completion, Course, Enrollment, Requirement


class Status(models.TextChoices):
    COMPLIANT = "compliant", _("Compliant")
    EXPIRING = "expiring", _("Expiring")
    EXPIRED = "expired", _("Expired")
    MISSING = "missing", _("Missing")


@dataclass(frozen=True)
class RequirementStatus:
    requirement_id: int
    role: str
    course_id: int
    course_slug: str
    course_title: str
    course_language: str
    status: Status
    # When the completion that counts expires (None: no completion, or one that never expires).
    expires_at: datetime.datetime | None
    due_on: datetime.date | None
    # "completion", "bypass" or "" (missing/expired).
    via: str
    completion_id: int | None


def renewal_opens_at(completed_at: datetime.datetime) -> datetime.datetime:
    return completed_at + datetime.timedelta(days=settings.LEARNING_RENEWAL_OPENS_DAY)


def status_of_completion(
    completion: Completion | None, *, now: datetime.datetime | None = None
) -> Status:
    """Compliant, expiring (renewal open), expired, or missing (no completion)."""
    now = now or timezone.now()
    if completion is None:
        return Status.MISSING
    if completion.expires_at is None:
        return Status.COMPLIANT
    if completion.expires_at <= now:
        return Status.EXPIRED
    if now >= renewal_opens_at(completion.completed_at):
        return Status.EXPIRING
    return Status.COMPLIANT


def latest_completion(*, user_id: int, course: Course) -> Completion | None:
    """The latest completion of the course or its translation whose certificate stands."""
    return (
        Completion.objects.filter(user_id=user_id, course_id__in=course.family_ids())
        .filter(Q(certificate__isnull=True) | Q(certificate__revoked_at__isnull=True))
        .order_by("-completed_at")
        .first()
    )


def bypass_active(*, user_id: int, requirement: Requirement) -> Bypass | None:
    today = timezone.localdate()
    return (
        Bypass.objects.filter(user_id=user_id, requirement=requirement, withdrawn_at__isnull=True)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
        .first()
    )


def compliance_of(*, user_id: int) -> list[RequirementStatus]:
    """The person's status on every requirement of every role they hold."""
    roles = [role.value for role in person_roles(user_id=user_id)]
    now = timezone.now()
    due = dict(Enrollment.objects.filter(user_id=user_id).values_list("course_id", "due_on"))
    statuses = []
    for requirement in Requirement.objects.filter(role__in=roles).select_related(
        "course__translation_of", "course__translation"
    ):
        course = requirement.course
        bypass = bypass_active(user_id=user_id, requirement=requirement)
        completion = latest_completion(user_id=user_id, course=course)
        status = Status.COMPLIANT if bypass else status_of_completion(completion, now=now)
        via = "bypass" if bypass else ("completion" if completion else "")
        if status in {Status.EXPIRED, Status.MISSING}:
            via = ""
        statuses.append(
            RequirementStatus(
                requirement_id=requirement.pk,
                role=requirement.role,
                course_id=course.pk,
                course_slug=course.slug,
                course_title=course.title,
                course_language=course.language,
                status=status,
                expires_at=completion.expires_at if completion and not bypass else None,
                due_on=due.get(course.pk),
                via=via,
                completion_id=completion.pk if completion else None,
            )
        )
    return statuses


def enrollments_of(*, user_id: int) -> list[Enrollment]:
    return list(
        Enrollment.objects.filter(user_id=user_id)
        .select_related("course")
        .order_by("due_on", "-enrolled_at")
    )


@dataclass(frozen=True)
class CertificateVerdict:
    """What the public verification page may say of a certificate: no more than the
    certificate itself shows."""

    code: str
    state: str  # "valid", "expired" or "revoked"
    learner_name: str
    course_title: str
    course_language: str
    completed_on: datetime.date
    expires_on: datetime.date | None
    revoked_on: datetime.date | None
    provenance: str
    source_system: str


def certificate_verdict(*, code: str) -> CertificateVerdict | None:
    from tapestry.accounts.api import person_get
    from tapestry.learning.models import Certificate
    from tapestry.learning.services import code_normalized

    certificate = (
        Certificate.objects.select_related("completion__course")
        .filter(code=code_normalized(code))
        .first()
    )
    if certificate is None:
        return None
    completion = certificate.completion
    now = timezone.now()
    if certificate.revoked_at:
        state = "revoked"
    elif completion.expires_at and completion.expires_at <= now:
        state = "expired"
    else:
        state = "valid"
    person = person_get(user_id=completion.user_id)
    return CertificateVerdict(
        code=certificate.code,
        state=state,
        learner_name=person.name if person else "",
        course_title=completion.course.title,
        course_language=completion.course.language,
        completed_on=timezone.localdate(completion.completed_at),
        expires_on=timezone.localdate(completion.expires_at) if completion.expires_at else None,
        revoked_on=timezone.localdate(certificate.revoked_at) if certificate.revoked_at else None,
        provenance=completion.provenance,
        source_system=completion.source_system,
    )


# ---------------------------------------------------------------------------------------------
# Learner pages: the catalog, a course's outline and a learner's place in it, quiz attempts

# Kept with this block (not in the imports at the top) so the helpers' blocks merge cleanly.
from tapestry.learning.models import LessonView, Quiz, QuizAttempt, QuizQuestion  # noqa: E402
from tapestry.learning.services import course_items  # noqa: E402


def catalog_search(
    *, language: str = "", audience: str = "", approved_for_credit: bool = False, text: str = ""
) -> list[Course]:
    """Published courses matching the catalog's filters, by title. A course for everyone
    (no audiences) matches every audience."""
    courses = Course.objects.filter(status=Course.Status.PUBLISHED).select_related(
        "translation_of", "translation"
    )
    if language:
        courses = courses.filter(language=language)
    if approved_for_credit:
        courses = courses.filter(approved_for_credit=True)
    if text:
        courses = courses.filter(Q(title__icontains=text) | Q(summary__icontains=text))
    found = list(courses.order_by("title", "pk"))
    if audience:
        # SQLite has no JSON "contains"; the published catalog is small enough to filter here.
        found = [course for course in found if not course.audiences or audience in course.audiences]
    return found


@dataclass(frozen=True)
class OutlineItem:
    kind: str  # "lesson" or "quiz"
    id: int
    title: str
    done: bool


@dataclass(frozen=True)
class OutlineModule:
    title: str
    items: list[OutlineItem]


def course_outline(*, course: Course, enrollment: Enrollment | None) -> list[OutlineModule]:
    """The course's modules with their lessons and quizzes in reading order, each marked done
    when the learner viewed it (lessons) or passed it (quizzes) in the enrollment's cycle."""
    viewed: set[int] = set()
    passed: set[int] = set()
    if enrollment is not None:
        viewed = set(
            LessonView.objects.filter(enrollment=enrollment, cycle=enrollment.cycle).values_list(
                "lesson_id", flat=True
            )
        )
        passed = set(
            QuizAttempt.objects.filter(
                enrollment=enrollment, cycle=enrollment.cycle, passed=True
            ).values_list("quiz_id", flat=True)
        )
    modules: list[OutlineModule] = []
    current_module_id: int | None = None
    for item in course_items(course):
        if item.module_id != current_module_id:
            modules.append(OutlineModule(title=item.module.title, items=[]))
            current_module_id = item.module_id
        is_quiz = isinstance(item, Quiz)
        modules[-1].items.append(
            OutlineItem(
                kind="quiz" if is_quiz else "lesson",
                id=item.pk,
                title=item.title,
                done=(item.pk in passed) if is_quiz else (item.pk in viewed),
            )
        )
    return modules


@dataclass(frozen=True)
class ShownOption:
    id: int
    text: str
    correct: bool
    feedback: str


@dataclass(frozen=True)
class ShownQuestion:
    id: int
    kind: str
    text: str
    options: list[ShownOption]


def attempt_questions(*, attempt: QuizAttempt) -> list[ShownQuestion]:
    """The attempt's questions and options in the order the attempt showed them (its layout)."""
    questions = {
        question.pk: question
        for question in QuizQuestion.objects.filter(quiz_id=attempt.quiz_id).prefetch_related(
            "options"
        )
    }
    shown = []
    for question_id, option_ids in attempt.layout:
        question = questions.get(question_id)
        if question is None:
            continue  # removed since the attempt started; its answers are refused anyway
        options = {option.pk: option for option in question.options.all()}
        shown.append(
            ShownQuestion(
                id=question.pk,
                kind=question.kind,
                text=question.text,
                options=[
                    ShownOption(
                        id=options[option_id].pk,
                        text=options[option_id].text,
                        correct=options[option_id].correct,
                        feedback=options[option_id].feedback,
                    )
                    for option_id in option_ids
                    if option_id in options
                ],
            )
        )
    return shown
