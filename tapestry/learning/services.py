"""Every write of the training platform: enrolling, progress, quiz attempts, completions,
certificates, requirements, bypasses and imported completions.

Each service runs in a transaction, locks what it changes, raises a LearningError subclass with
a message a person can act on, and records what happened as xAPI statements (and, for bypasses,
revocations and imports, in the append-only AuditEntry trail).
"""

from __future__ import annotations

import datetime
import logging
import random
import secrets
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import nh3
from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from tapestry.accounts.api import Role, person_get
from tapestry.core.api import email_send
from tapestry.learning.models import (
    AuditEntry,
    Bypass,
    Certificate,
    Completion,
    Course,
    CreditEntry,
    Enrollment,
    ExpiryWarning,
    Lesson,
    LessonView,
    Quiz,
    QuizAttempt,
    Requirement,
)
from tapestry.learning.statements import statement_record

logger = logging.getLogger(__name__)


class LearningError(Exception):
    """A refusal with a message for the person (HTTP 400 unless a subclass says otherwise)."""

    status = 400


class NotAllowed(LearningError):
    status = 403


class Conflict(LearningError):
    """The thing was already done (a quiz submitted twice, a certificate already revoked)."""

    status = 409


# ---------------------------------------------------------------------------------------------
# Rich text

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "h2", "h3", "h4", "a", "blockquote",
    "table", "thead", "tbody", "tr", "th", "td", "caption", "abbr", "code",
}  # fmt: skip


def html_clean(text: str) -> str:
    """Lesson text with only the tags a lesson needs; links keep their address and open safely."""
    return nh3.clean(
        text,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}, "abbr": {"title"}, "th": {"scope"}},
        url_schemes={"https", "http", "mailto"},
        link_rel="noopener noreferrer",
    )


# ---------------------------------------------------------------------------------------------
# Enrolling and progress


def prerequisites_missing(*, user_id: int, course: Course) -> list[Course]:
    """The prerequisites of `course` the person has no valid completion of (either language)."""
    missing = []
    for prerequisite in course.prerequisites.all():
        if not completion_current(user_id=user_id, course=prerequisite):
            missing.append(prerequisite)
    return missing


def completion_current(*, user_id: int, course: Course) -> Completion | None:
    """The person's latest completion of the course or its translation that still counts: not
    expired and its certificate not revoked."""
    now = timezone.now()
    return (
        Completion.objects.filter(user_id=user_id, course_id__in=course.family_ids())
        .exclude(certificate__revoked_at__isnull=False)
        .exclude(expires_at__lte=now)
        .order_by("-completed_at")
        .first()
    )


@transaction.atomic
def course_enroll(
    *,
    user_id: int,
    course: Course,
    source: str = Enrollment.Source.SELF,
    due_on: datetime.date | None = None,
) -> Enrollment:
    """Enroll a person (idempotent: an existing enrollment is returned, with the earlier due
    date kept). Self-enrolment needs a published course; assignment may come before the
    prerequisites are met (the course stays locked until they are)."""
    if source == Enrollment.Source.SELF and course.status != Course.Status.PUBLISHED:
        raise LearningError(_("This course is not open for enrolment."))
    enrollment, created = Enrollment.objects.get_or_create(
        user_id=user_id, course=course, defaults={"source": source, "due_on": due_on}
    )
    if not created:
        if due_on and (enrollment.due_on is None or due_on < enrollment.due_on):
            enrollment.due_on = due_on
            enrollment.save(update_fields=["due_on"])
        return enrollment
    statement_record(enrollment=enrollment, verb="registered", item=course)
    return enrollment


def course_locked_reason(*, enrollment: Enrollment) -> str:
    """Why the learner cannot open the course's lessons yet, or "" if they can."""
    missing = prerequisites_missing(user_id=enrollment.user_id, course=enrollment.course)
    if missing:
        return _("This course opens once you have completed: %(courses)s.") % {
            "courses": ", ".join(course.title for course in missing)
        }
    return ""


def _unlocked(enrollment: Enrollment) -> None:
    reason = course_locked_reason(enrollment=enrollment)
    if reason:
        raise NotAllowed(reason)


@transaction.atomic
def lesson_open(*, enrollment: Enrollment, lesson: Lesson) -> LessonView:
    """Record that the learner opened a lesson of their course; may complete the course."""
    if lesson.module.course_id != enrollment.course_id:
        raise NotAllowed(_("This lesson is not part of your course."))
    _unlocked(enrollment)
    first_of_cycle = not LessonView.objects.filter(
        enrollment=enrollment, cycle=enrollment.cycle
    ).exists()
    view, created = LessonView.objects.get_or_create(
        enrollment=enrollment, lesson=lesson, cycle=enrollment.cycle
    )
    Enrollment.objects.filter(pk=enrollment.pk).update(resume_at=f"lesson:{lesson.pk}")
    enrollment.resume_at = f"lesson:{lesson.pk}"
    if created:
        if first_of_cycle:
            statement_record(enrollment=enrollment, verb="launched", item=enrollment.course)
        statement_record(
            enrollment=enrollment,
            verb="progressed",
            item=lesson,
            result={"extensions": {_PROGRESS: progress_percent(enrollment=enrollment)}},
        )
        _complete_if_done(enrollment)
    return view


_PROGRESS = "https://w3id.org/xapi/cmi5/result/extensions/progress"


def course_items(course: Course) -> list[Lesson | Quiz]:
    """The course's lessons and quizzes in reading order (module, then position)."""
    lessons = Lesson.objects.filter(module__course=course).select_related("module")
    quizzes = Quiz.objects.filter(module__course=course).select_related("module")
    items: list[Lesson | Quiz] = [*lessons, *quizzes]
    return sorted(
        items,
        key=lambda item: (
            item.module.position,
            item.module.pk,
            item.position,
            isinstance(item, Quiz),
            item.pk,
        ),
    )


def progress_percent(*, enrollment: Enrollment) -> int:
    """How much of the course's completion rule is done in this cycle, 0-100."""
    lessons, quizzes = _required_items(enrollment.course)
    if not lessons and not quizzes:
        return 0
    viewed = set(
        LessonView.objects.filter(enrollment=enrollment, cycle=enrollment.cycle).values_list(
            "lesson_id", flat=True
        )
    )
    passed = _quizzes_passed(enrollment)
    done = len(viewed & lessons) + len(passed & quizzes)
    return round(100 * done / (len(lessons) + len(quizzes)))


def _required_items(course: Course) -> tuple[set[int], set[int]]:
    lessons = set(Lesson.objects.filter(module__course=course).values_list("pk", flat=True))
    quizzes = set(Quiz.objects.filter(module__course=course).values_list("pk", flat=True))
    if course.completion_rule == Course.CompletionRule.QUIZZES:
        return set(), quizzes
    if course.completion_rule == Course.CompletionRule.LESSONS:
        return lessons, set()
    return lessons, quizzes


def _quizzes_passed(enrollment: Enrollment) -> set[int]:
    return set(
        QuizAttempt.objects.filter(
            enrollment=enrollment, cycle=enrollment.cycle, passed=True
        ).values_list("quiz_id", flat=True)
    )


def _complete_if_done(enrollment: Enrollment) -> Completion | None:
    lessons, quizzes = _required_items(enrollment.course)
    if not lessons and not quizzes:
        return None
    viewed = set(
        LessonView.objects.filter(enrollment=enrollment, cycle=enrollment.cycle).values_list(
            "lesson_id", flat=True
        )
    )
    if not lessons <= viewed or not quizzes <= _quizzes_passed(enrollment):
        return None
    already = Completion.objects.filter(
        user_id=enrollment.user_id,
        course=enrollment.course,
        provenance=Completion.Provenance.HERE,
        completed_at__gte=_cycle_started(enrollment),
    ).exists()
    if already:
        return None
    best = QuizAttempt.objects.filter(
        enrollment=enrollment, cycle=enrollment.cycle, passed=True
    ).aggregate(best=Max("score"))["best"]
    return course_complete(enrollment=enrollment, score=best)


def _cycle_started(enrollment: Enrollment) -> datetime.datetime:
    first_view = (
        LessonView.objects.filter(enrollment=enrollment, cycle=enrollment.cycle)
        .order_by("viewed_at")
        .values_list("viewed_at", flat=True)
        .first()
    )
    first_attempt = (
        QuizAttempt.objects.filter(enrollment=enrollment, cycle=enrollment.cycle)
        .order_by("started_at")
        .values_list("started_at", flat=True)
        .first()
    )
    moments = [moment for moment in (first_view, first_attempt) if moment]
    return min(moments) if moments else enrollment.enrolled_at


# ---------------------------------------------------------------------------------------------
# Quizzes


def pass_mark(quiz: Quiz) -> int:
    """A compliance course's quiz never passes below LEARNING_PASS_MARK, whatever its author
    set."""
    if quiz.module.course.compliance:
        return max(quiz.pass_mark, settings.LEARNING_PASS_MARK)
    return quiz.pass_mark


def attempts_used(*, enrollment: Enrollment, quiz: Quiz) -> int:
    return QuizAttempt.objects.filter(
        enrollment=enrollment, quiz=quiz, cycle=enrollment.cycle, submitted_at__isnull=False
    ).count()


@transaction.atomic
def attempt_start(*, enrollment: Enrollment, quiz: Quiz) -> QuizAttempt:
    """The learner's open attempt at a quiz, or a new one with its questions (and answers)
    shuffled if the quiz says so. Refused once the attempts allowed are used or passed."""
    if quiz.module.course_id != enrollment.course_id:
        raise NotAllowed(_("This quiz is not part of your course."))
    _unlocked(enrollment)
    # Lock the enrollment so two tabs starting at once make one attempt.
    Enrollment.objects.select_for_update().filter(pk=enrollment.pk).first()
    open_attempt = QuizAttempt.objects.filter(
        enrollment=enrollment, quiz=quiz, cycle=enrollment.cycle, submitted_at__isnull=True
    ).first()
    if open_attempt:
        return open_attempt
    attempts = QuizAttempt.objects.filter(enrollment=enrollment, quiz=quiz, cycle=enrollment.cycle)
    if attempts.filter(passed=True).exists():
        raise Conflict(_("You have already passed this quiz."))
    used = attempts.count()
    if quiz.attempts_allowed and used >= quiz.attempts_allowed:
        raise NotAllowed(
            _("You have used all %(count)d attempts at this quiz. Ask the course's staff for help.")
            % {"count": quiz.attempts_allowed}
        )
    shuffle = random.Random(secrets.randbits(64)).shuffle if quiz.randomize else None
    layout = []
    for question in quiz.questions.prefetch_related("options"):
        options = [option.pk for option in question.options.all()]
        if shuffle:
            shuffle(options)
        layout.append([question.pk, options])
    if shuffle:
        shuffle(layout)
    if not layout:
        raise LearningError(_("This quiz has no questions yet."))
    attempt = QuizAttempt.objects.create(
        enrollment=enrollment, quiz=quiz, cycle=enrollment.cycle, number=used + 1, layout=layout
    )
    Enrollment.objects.filter(pk=enrollment.pk).update(resume_at=f"quiz:{quiz.pk}")
    return attempt


def _answers_checked(attempt: QuizAttempt, answers: dict[int, list[int]]) -> dict[int, set[int]]:
    """The answers as {question: options}, refusing anything that was not on the page."""
    shown = {question_id: set(options) for question_id, options in attempt.layout}
    if set(answers) - set(shown):
        raise LearningError(_("The answers do not match this quiz. Reload the page and try again."))
    kinds = dict(attempt.quiz.questions.values_list("pk", "kind"))
    checked = {}
    for question_id, options in shown.items():
        chosen = set(answers.get(question_id, []))
        if not chosen:
            raise LearningError(_("Answer every question before you submit."))
        if not chosen <= options:
            raise LearningError(
                _("The answers do not match this quiz. Reload the page and try again.")
            )
        if kinds.get(question_id) != "multiple" and len(chosen) != 1:
            raise LearningError(_("Choose one answer for each single-answer question."))
        checked[question_id] = chosen
    return checked


@transaction.atomic
def attempt_submit(*, attempt_id: int, user_id: int, answers: dict[int, list[int]]) -> QuizAttempt:
    """Score a submitted attempt. A second submission of the same attempt is refused (409) and
    changes nothing; answers naming questions or options the attempt did not show are refused
    (400). May complete the course."""
    attempt = (
        QuizAttempt.objects.select_for_update()
        .select_related("enrollment__course", "quiz__module__course")
        .filter(pk=attempt_id, enrollment__user_id=user_id)
        .first()
    )
    if attempt is None:
        raise NotAllowed(_("This quiz attempt is not yours."))
    if attempt.submitted_at is not None:
        raise Conflict(_("This attempt was already submitted; its result is below."))
    chosen = _answers_checked(attempt, answers)
    correct_options: dict[int, set[int]] = {}
    for question in attempt.quiz.questions.prefetch_related("options"):
        correct_options[question.pk] = {o.pk for o in question.options.all() if o.correct}
    right = sum(
        1 for question_id, options in chosen.items() if options == correct_options.get(question_id)
    )
    attempt.score = round(100 * right / len(chosen))
    attempt.passed = attempt.score >= pass_mark(attempt.quiz)
    attempt.answers = {str(q): sorted(options) for q, options in chosen.items()}
    attempt.submitted_at = timezone.now()
    attempt.save(update_fields=["score", "passed", "answers", "submitted_at"])
    enrollment = attempt.enrollment
    questions = {question.pk: question for question in attempt.quiz.questions.all()}
    for question_id, options in chosen.items():
        statement_record(
            enrollment=enrollment,
            verb="answered",
            item=questions[question_id],
            result={
                "success": options == correct_options.get(question_id),
                "response": "[,]".join(str(option) for option in sorted(options)),
            },
        )
    statement_record(
        enrollment=enrollment,
        verb="passed" if attempt.passed else "failed",
        item=attempt.quiz,
        result={
            "success": attempt.passed,
            "completion": True,
            "score": {"scaled": attempt.score / 100, "raw": attempt.score, "min": 0, "max": 100},
        },
    )
    if attempt.passed:
        _complete_if_done(enrollment)
    return attempt


# ---------------------------------------------------------------------------------------------
# Completions and certificates

# No 0/O or 1/I/L: a code read aloud or typed from paper is typed right.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def certificate_code_new() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _index in range(16))
    return "-".join(raw[index : index + 4] for index in range(0, 16, 4))


def code_normalized(code: str) -> str:
    """A typed code as stored: upper case, groups of four joined by hyphens."""
    raw = "".join(character for character in code.upper() if character.isalnum())
    return "-".join(raw[index : index + 4] for index in range(0, len(raw), 4))


def _expiry(course: Course, completed_at: datetime.datetime) -> datetime.datetime | None:
    if not course.compliance:
        return None
    return completed_at + datetime.timedelta(days=settings.LEARNING_COMPLETION_VALID_DAYS)


def certificate_issue(*, completion: Completion) -> Certificate:
    """A certificate with a fresh verification code and the next status-list index; the
    Open Badges credential is signed by `credentials.credential_sign`."""
    from tapestry.learning import credentials

    for _try in range(5):
        index = (Certificate.objects.aggregate(top=Max("status_index"))["top"] or 0) + 1
        try:
            with transaction.atomic():
                certificate = Certificate.objects.create(
                    completion=completion,
                    code=certificate_code_new(),
                    issued_at=completion.completed_at,
                    status_index=index,
                )
            break
        except IntegrityError:
            continue  # two certificates took the same index (or, rarely, code) at once
    else:
        raise Conflict(_("Too many certificates are being issued at once; try again."))
    certificate.credential_jwt = credentials.credential_sign(certificate=certificate)
    certificate.save(update_fields=["credential_jwt"])
    return certificate


@transaction.atomic
def course_complete(*, enrollment: Enrollment, score: int | None) -> Completion:
    """Record the completion (with the course version), its certificate, its CE credit and
    the xAPI statement; invite the learner to evaluate the course once committed."""
    course = enrollment.course
    now = timezone.now()
    completion = Completion.objects.create(
        user_id=enrollment.user_id,
        course=course,
        course_version=course.version,
        completed_at=now,
        expires_at=_expiry(course, now),
        score=score,
    )
    certificate_issue(completion=completion)
    if course.ce_hours > 0:
        CreditEntry.objects.create(
            user_id=enrollment.user_id,
            completion=completion,
            title=course.title,
            provider=settings.LEARNING_ISSUER_NAME,
            earned_on=timezone.localdate(now),
            hours=course.ce_hours,
            approved=course.approved_for_credit,
            competencies=list(course.competencies),
        )
    statement_record(
        enrollment=enrollment,
        verb="completed",
        item=course,
        result={"completion": True, **({"score": {"scaled": score / 100}} if score else {})},
    )
    transaction.on_commit(lambda: _evaluation_invite(enrollment.user_id, course))
    return completion


def _evaluation_invite(user_id: int, course: Course) -> None:
    from tapestry.surveys.api import SurveyError, evaluation_invite

    person = person_get(user_id=user_id)
    if person is None:
        return
    try:
        evaluation_invite(
            subject_kind="course",
            subject_ref=str(course.pk),
            email=person.email,
            language=course.language,
            person_id=person.id,
        )
    except SurveyError:
        logger.warning("Could not invite person %s to evaluate course %s", user_id, course.pk)


@transaction.atomic
def course_renew(*, enrollment: Enrollment) -> Enrollment:
    """Start a new cycle of a completed compliance course, once renewal is open (day
    LEARNING_RENEWAL_OPENS_DAY of the completion) or the completion has expired."""
    latest = (
        Completion.objects.filter(user_id=enrollment.user_id, course=enrollment.course)
        .order_by("-completed_at")
        .first()
    )
    if latest is None:
        raise LearningError(_("There is nothing to renew: you have not completed this course."))
    opens = latest.completed_at + datetime.timedelta(days=settings.LEARNING_RENEWAL_OPENS_DAY)
    if timezone.now() < opens:
        raise LearningError(
            _("Renewal opens on %(date)s.") % {"date": timezone.localdate(opens).isoformat()}
        )
    locked = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
    locked.cycle += 1
    locked.resume_at = ""
    locked.save(update_fields=["cycle", "resume_at"])
    return locked


@transaction.atomic
def certificate_revoke(*, certificate_id: int, actor: Any, reason: str) -> Certificate:
    """Revoke a certificate with a reason (its completion then no longer counts); audited."""
    reason = reason.strip()
    if not reason:
        raise LearningError(_("Give the reason for revoking the certificate."))
    certificate = (
        Certificate.objects.select_for_update()
        .select_related("completion__course")
        .filter(pk=certificate_id)
        .first()
    )
    if certificate is None:
        raise LearningError(_("There is no such certificate."))
    if certificate.revoked_at is not None:
        raise Conflict(_("This certificate was already revoked."))
    certificate.revoked_at = timezone.now()
    certificate.revoked_reason = reason
    certificate.save(update_fields=["revoked_at", "revoked_reason"])
    AuditEntry.objects.create(
        actor=actor,
        action=AuditEntry.Action.CERTIFICATE_REVOKED,
        person_id=certificate.completion.user_id,
        subject=f"{certificate.code} · {certificate.completion.course.title}",
        reason=reason,
    )
    return certificate


@transaction.atomic
def completion_import(
    *,
    user_id: int,
    course: Course,
    completed_at: datetime.datetime,
    source_system: str,
    actor: Any,
    score: int | None = None,
) -> Completion:
    """Record a completion verified by another learning system (its name and date); audited.
    It expires like one made here and gets a certificate of its own."""
    source_system = source_system.strip()
    if not source_system:
        raise LearningError(_("Name the learning system the completion comes from."))
    if completed_at > timezone.now():
        raise LearningError(_("A completion cannot be in the future."))
    completion = Completion.objects.create(
        user_id=user_id,
        course=course,
        course_version=course.version,
        completed_at=completed_at,
        expires_at=_expiry(course, completed_at),
        score=score,
        provenance=Completion.Provenance.IMPORTED,
        source_system=source_system[:200],
        imported_at=timezone.now(),
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    certificate_issue(completion=completion)
    AuditEntry.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=AuditEntry.Action.COMPLETION_IMPORTED,
        person_id=user_id,
        subject=course.title,
        data={"source_system": source_system, "completed_at": completed_at.isoformat()},
    )
    return completion


# ---------------------------------------------------------------------------------------------
# Requirements and bypasses


def requirements_assign(*, user_id: int, roles: Iterable[Role]) -> list[Enrollment]:
    """Assign the courses the roles require, due LEARNING_REQUIREMENT_DUE_DAYS (or the
    requirement's own days) from today; email the person the list once committed. Called by
    accounts.role_grant for newly granted roles, and by the daily job for roles granted some
    other way (the admin)."""
    values = [Role(role).value for role in roles]
    requirements = Requirement.objects.filter(role__in=values).select_related("course")
    today = timezone.localdate()
    assigned = []
    for requirement in requirements:
        before = Enrollment.objects.filter(user_id=user_id, course=requirement.course).exists()
        enrollment = course_enroll(
            user_id=user_id,
            course=requirement.course,
            source=Enrollment.Source.ROLE,
            due_on=today + datetime.timedelta(days=requirement.due_days),
        )
        if not before:
            assigned.append(enrollment)
    if assigned:
        titles = [enrollment.course.title for enrollment in assigned]
        due = min(enrollment.due_on for enrollment in assigned if enrollment.due_on)
        transaction.on_commit(lambda: _assignment_email(user_id, titles, due))
    return assigned


def _assignment_email(user_id: int, titles: list[str], due: datetime.date) -> None:
    person = person_get(user_id=user_id)
    if person is None:
        return
    email_send(
        to=[person.email],
        template="learning/email/assigned",
        context={"titles": titles, "due": due, "url": f"{settings.SITE_URL}/learning/mine/"},
        language=person.language,
        recipient_name=person.name,
    )


@transaction.atomic
def bypass_grant(
    *,
    user_id: int,
    requirement: Requirement,
    actor: Any,
    reason: str,
    ends_on: datetime.date | None = None,
) -> Bypass:
    """An administrator's bypass of a requirement for one person, with a reason; audited."""
    reason = reason.strip()
    if not reason:
        raise LearningError(_("Give the reason for the bypass."))
    if ends_on is not None and ends_on <= timezone.localdate():
        raise LearningError(_("A bypass must end after today."))
    bypass = Bypass.objects.create(
        user_id=user_id, requirement=requirement, reason=reason, granted_by=actor, ends_on=ends_on
    )
    AuditEntry.objects.create(
        actor=actor,
        action=AuditEntry.Action.BYPASS_GRANTED,
        person_id=user_id,
        subject=str(requirement),
        reason=reason,
        data={"ends_on": ends_on.isoformat() if ends_on else None},
    )
    return bypass


@transaction.atomic
def bypass_withdraw(*, bypass_id: int, actor: Any, reason: str) -> Bypass:
    reason = reason.strip()
    if not reason:
        raise LearningError(_("Give the reason for withdrawing the bypass."))
    bypass = Bypass.objects.select_for_update().filter(pk=bypass_id).first()
    if bypass is None:
        raise LearningError(_("There is no such bypass."))
    if bypass.withdrawn_at is not None:
        raise Conflict(_("This bypass was already withdrawn."))
    bypass.withdrawn_at = timezone.now()
    bypass.save(update_fields=["withdrawn_at"])
    AuditEntry.objects.create(
        actor=actor,
        action=AuditEntry.Action.BYPASS_WITHDRAWN,
        person_id=bypass.user_id,
        subject=str(bypass.requirement),
        reason=reason,
    )
    return bypass


# ---------------------------------------------------------------------------------------------
# The daily job: expiry warnings, and requirements of roles granted outside role_grant


def expiry_warnings_send(*, today: datetime.date | None = None) -> int:
    """Email each person whose compliance completion expires in exactly one of
    LEARNING_EXPIRY_WARNING_DAYS days (by the local date), once per completion and day count,
    unless a later completion of the course has replaced it. Returns the emails sent."""
    today = today or timezone.localdate()
    sent = 0
    for days in settings.LEARNING_EXPIRY_WARNING_DAYS:
        day = today + datetime.timedelta(days=days)
        start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
        end = start + datetime.timedelta(days=1)
        due = (
            Completion.objects.filter(expires_at__gte=start, expires_at__lt=end)
            .exclude(certificate__revoked_at__isnull=False)
            .select_related("course")
        )
        for completion in due:
            newer = Completion.objects.filter(
                user_id=completion.user_id,
                course_id__in=completion.course.family_ids(),
                completed_at__gt=completion.completed_at,
            ).exists()
            if newer:
                continue
            with transaction.atomic():
                _warning, created = ExpiryWarning.objects.get_or_create(
                    completion=completion, days_before=days
                )
                if created:
                    _warning_email(completion, days)
                    sent += 1
    return sent


def _warning_email(completion: Completion, days: int) -> None:
    person = person_get(user_id=completion.user_id)
    if person is None:
        return
    course = completion.course
    email_send(
        to=[person.email],
        template="learning/email/expiring",
        context={
            "title": course.title,
            "days": days,
            "expires_at": completion.expires_at,
            "url": f"{settings.SITE_URL}/learning/courses/{course.slug}/",
        },
        language=person.language,
        recipient_name=person.name,
    )


def requirements_sync() -> int:
    """Assign the required courses of everyone holding a role with requirements (roles given
    in the Django admin reach learning only here). Returns the enrollments made."""
    from django.contrib.auth import get_user_model

    made = 0
    for role in {requirement.role for requirement in Requirement.objects.all()}:
        course_ids = list(Requirement.objects.filter(role=role).values_list("course_id", flat=True))
        holders = (
            get_user_model()
            .objects.filter(groups__name=role, is_active=True)
            .exclude(
                pk__in=Enrollment.objects.filter(course_id__in=course_ids)
                .values("user_id")
                .annotate(count=models.Count("pk"))
                .filter(count=len(course_ids))
                .values("user_id")
            )
            .values_list("pk", flat=True)
        )
        for user_id in holders:
            made += len(requirements_assign(user_id=user_id, roles=[Role(role)]))
    return made


# ---------------------------------------------------------------------------------------------
# Continuing education: a class taken elsewhere, added to the person's own CE ledger


CREDIT_HOURS_RANGE = (Decimal("0.5"), Decimal("40"))


@transaction.atomic
def credit_entry_add(
    *,
    user_id: int,
    title: str,
    provider: str,
    earned_on: datetime.date,
    hours: Decimal,
    approved: bool,
    competencies: list[str],
) -> CreditEntry:
    """A CE class taken outside the platform, in the person's own ledger. Refused (nothing
    written) for a future date, hours outside 0.5-40 in steps of 0.1, a blank title or
    provider, or a competency code the competencies file does not list."""
    from tapestry.learning.credit import competencies as known_competencies

    codes = {competency.code for competency in known_competencies()}
    if not title.strip() or not provider.strip():
        raise LearningError(_("Give the class's title and who offered it."))
    if earned_on > timezone.localdate():
        raise LearningError(_("The date cannot be in the future."))
    if not CREDIT_HOURS_RANGE[0] <= hours <= CREDIT_HOURS_RANGE[1] or hours != round(hours, 1):
        raise LearningError(_("Hours are between 0.5 and 40, in tenths of an hour."))
    unknown = sorted(set(competencies) - codes)
    if unknown:
        raise LearningError(_("Unknown competency: %(codes)s.") % {"codes": ", ".join(unknown)})
    return CreditEntry.objects.create(
        user_id=user_id,
        title=title.strip(),
        provider=provider.strip(),
        earned_on=earned_on,
        hours=hours,
        approved=approved,
        competencies=sorted(set(competencies), key=lambda code: int(code.removeprefix("C"))),
    )
