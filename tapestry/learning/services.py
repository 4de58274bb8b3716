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
from tapestry.learning.reports import standing_rebuild, standing_refresh
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
    "table", "thead", "tbody", "tr", "th", "td", "caption", "abbr", "code", "span",
}  # fmt: skip


def html_clean(text: str) -> str:
    """Lesson text with only the tags a lesson needs; links keep their address and open safely."""
    return nh3.clean(
        text,
        tags=ALLOWED_TAGS,
        # `lang` marks a name in the other language ("Healthy People 2030" in a Spanish
        # lesson) so screen readers pronounce it right.
        attributes={
            "a": {"href", "title"},
            "abbr": {"title"},
            "th": {"scope"},
            "*": {"lang"},
        },
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
    standing_refresh(user_ids=[enrollment.user_id])
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
    standing_refresh(user_ids=[certificate.completion.user_id])
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
    standing_refresh(user_ids=[user_id])
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
    standing_refresh(user_ids=[user_id])
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
    standing_refresh(user_ids=[user_id])
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
    standing_refresh(user_ids=[bypass.user_id])
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
# Learner pages: which member organization a learner works for

# Kept with this block (not in the imports at the top) so the helpers' blocks merge cleanly.
from tapestry.learning.models import LearnerProfile  # noqa: E402
from tapestry.network.api import organizations_get  # noqa: E402


@transaction.atomic
def learner_profile_save(*, user_id: int, organization_id: int | None) -> LearnerProfile:
    """Record the member organization the learner says they work for (None: none), with its
    region today, so liaisons and specialists find them in their scope."""
    region_code = ""
    if organization_id is not None:
        organization = organizations_get(organization_ids=[organization_id]).get(organization_id)
        if organization is None:
            raise LearningError(_("Choose an organization from the list."))
        region_code = organization.region_code
    profile, _created = LearnerProfile.objects.select_for_update().get_or_create(user_id=user_id)
    profile.organization_id = organization_id
    profile.region_code = region_code
    profile.save(update_fields=["organization_id", "region_code"])
    standing_refresh(user_ids=[user_id])
    return profile


# Authoring
#
# Program staff and administrators write courses. Every change is audited (core's audit trail:
# who, what). A published course's version goes up by one with every change to what a learner
# reads or answers (lessons, quizzes, questions, answer options, deleting a module, the
# completion rule): per change rather than per editing session, because a session has no end
# the server can see, and a completion only needs to say which content it met. Renaming or
# reordering modules and the course's settings (title, summary, hours...) do not change the
# content, so they keep the version.


class PublishRefused(LearningError):
    """The course cannot be published yet; `reasons` says everything that is missing."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__(_("This course cannot be published yet."))
        self.reasons = reasons


# How long a form's one-time token is remembered: long enough to catch a double submit.
_FORM_TOKEN_SECONDS = 24 * 60 * 60


def form_token_new() -> str:
    """A one-time token for an "add" form: submitting the same form twice adds one thing."""
    return secrets.token_urlsafe(16)


def _form_token_spend(token: str) -> None:
    """Refuse a token already used. Called with the course row locked, so two submits of one
    form wait for each other and the second finds the token spent (the cache is shared by the
    server's processes in production)."""
    from django.core.cache import cache

    if not token or len(token) > 64:
        raise LearningError(_("The form has expired. Reload the page and try again."))
    if not cache.add(f"learning:form-token:{token}", 1, _FORM_TOKEN_SECONDS):
        raise Conflict(_("This form was already submitted; it was added once."))


def _course_locked(course_id: int) -> Course:
    course = Course.objects.select_for_update().filter(pk=course_id).first()
    if course is None:
        raise LearningError(_("There is no such course."))
    if course.status == Course.Status.RETIRED:
        raise LearningError(_("This course is retired; it can no longer be changed."))
    return course


def _audit(actor: Any, action: str, target: models.Model, summary: str, **data: Any) -> None:
    from tapestry.core.api import audit_record

    audit_record(
        actor=actor, action=f"learning.{action}", target=target, summary=summary, data=data
    )


def _content_changed(course: Course) -> None:
    """A published course's content changed: its version goes up by one."""
    if course.status == Course.Status.PUBLISHED:
        Course.objects.filter(pk=course.pk).update(version=models.F("version") + 1)
        course.refresh_from_db(fields=["version"])


def _next_position(queryset: models.QuerySet[Any]) -> int:
    return int(queryset.aggregate(top=Max("position"))["top"] or 0) + 1


def _module_item_position(module_id: int) -> int:
    return max(
        _next_position(Lesson.objects.filter(module_id=module_id)),
        _next_position(Quiz.objects.filter(module_id=module_id)),
    )


COURSE_SETTINGS = (
    "title",
    "slug",
    "summary",
    "language",
    "translation_of",
    "audiences",
    "ce_hours",
    "competencies",
    "approved_for_credit",
    "completion_rule",
    "compliance",
)


@transaction.atomic
def course_create(
    *, actor: Any, settings_values: dict[str, Any], prerequisites: Iterable[Course] = ()
) -> Course:
    """A new draft course with the settings given (validated by the caller's form)."""
    values = {name: settings_values[name] for name in COURSE_SETTINGS if name in settings_values}
    course = Course.objects.create(**values)
    course.prerequisites.set(_prerequisites_checked(course, prerequisites))
    _audit(actor, "course_create", course, f"Created the course {course.title}")
    return course


def _prerequisites_checked(course: Course, prerequisites: Iterable[Course]) -> list[Course]:
    chosen = list(prerequisites)
    for prerequisite in chosen:
        if prerequisite.pk == course.pk:
            raise LearningError(_("A course cannot be its own prerequisite."))
        if prerequisite.status != Course.Status.PUBLISHED:
            raise LearningError(
                _("The prerequisite “%(title)s” is not published.") % {"title": prerequisite.title}
            )
    return chosen


@transaction.atomic
def course_update(
    *,
    course_id: int,
    actor: Any,
    settings_values: dict[str, Any],
    prerequisites: Iterable[Course] = (),
) -> Course:
    """Change a course's settings. A change of completion rule on a published course raises
    its version (it changes what completes it); the other settings do not."""
    course = _course_locked(course_id)
    rule_before = course.completion_rule
    changed = []
    for name in COURSE_SETTINGS:
        if name in settings_values and getattr(course, name) != settings_values[name]:
            setattr(course, name, settings_values[name])
            changed.append(name)
    chosen = _prerequisites_checked(course, prerequisites)
    if {p.pk for p in chosen} != set(course.prerequisites.values_list("pk", flat=True)):
        course.prerequisites.set(chosen)
        changed.append("prerequisites")
    if changed:
        course.save()
        if course.completion_rule != rule_before:
            _content_changed(course)
        if "translation_of" in changed:  # the course's family changed
            standing_rebuild()
        _audit(actor, "course_update", course, f"Changed {', '.join(changed)}", fields=changed)
    return course


def course_publish_problems(course: Course) -> list[str]:
    """Everything that keeps the course from being published, in reading order ([] if none)."""
    from tapestry.learning.models import Module as ModuleModel
    from tapestry.learning.models import QuizQuestion

    problems = []
    modules = list(ModuleModel.objects.filter(course=course))
    if not modules:
        problems.append(_("The course has no modules."))
    for module in modules:
        lessons = list(module.lessons.all())
        quizzes = list(module.quizzes.all())
        if not lessons and not quizzes:
            problems.append(
                _("The module “%(module)s” has no lessons or quizzes.") % {"module": module.title}
            )
        for lesson in lessons:
            if lesson.video_url and not lesson.transcript.strip():
                problems.append(
                    _("The video of the lesson “%(lesson)s” has no transcript.")
                    % {"lesson": lesson.title}
                )
        for quiz in quizzes:
            questions = list(QuizQuestion.objects.filter(quiz=quiz).prefetch_related("options"))
            if not questions:
                problems.append(_("The quiz “%(quiz)s” has no questions.") % {"quiz": quiz.title})
            for question in questions:
                if not any(option.correct for option in question.options.all()):
                    problems.append(
                        _("A question of the quiz “%(quiz)s” has no correct answer: “%(text)s”.")
                        % {"quiz": quiz.title, "text": question.text[:80]}
                    )
    return problems


@transaction.atomic
def course_publish(*, course_id: int, actor: Any) -> Course:
    """Publish a draft course once it is complete; PublishRefused lists what is missing."""
    course = _course_locked(course_id)
    if course.status == Course.Status.PUBLISHED:
        raise Conflict(_("This course is already published."))
    problems = course_publish_problems(course)
    if problems:
        raise PublishRefused(problems)
    course.status = Course.Status.PUBLISHED
    course.save(update_fields=["status", "updated_at"])
    _audit(actor, "course_publish", course, f"Published {course.title} (version {course.version})")
    return course


@transaction.atomic
def course_retire(*, course_id: int, actor: Any) -> Course:
    """Retire a course: no new enrolments; its completions and certificates stay. Refused
    while a role requires it (remove the requirement first)."""
    course = _course_locked(course_id)
    if Requirement.objects.filter(course=course).exists():
        raise LearningError(
            _("A role requires this course. Remove the requirement before retiring it.")
        )
    course.status = Course.Status.RETIRED
    course.save(update_fields=["status", "updated_at"])
    _audit(actor, "course_retire", course, f"Retired {course.title}")
    return course


# Modules


@transaction.atomic
def module_add(*, course_id: int, actor: Any, title: str, form_token: str) -> Any:
    from tapestry.learning.models import Module as ModuleModel

    course = _course_locked(course_id)
    _form_token_spend(form_token)
    module = ModuleModel.objects.create(
        course=course,
        title=_title_checked(title),
        position=_next_position(ModuleModel.objects.filter(course=course)),
    )
    _audit(actor, "module_add", module, f"Added the module {module.title} to {course.title}")
    return module


def _title_checked(title: str) -> str:
    title = title.strip()
    if not title:
        raise LearningError(_("Give it a title."))
    if len(title) > 200:
        raise LearningError(_("Keep the title to 200 characters."))
    return title


def _module_of(course: Course, module_id: int) -> Any:
    from tapestry.learning.models import Module as ModuleModel

    module = ModuleModel.objects.filter(pk=module_id, course=course).first()
    if module is None:
        raise LearningError(_("This module is not part of the course."))
    return module


@transaction.atomic
def module_rename(*, course_id: int, module_id: int, actor: Any, title: str) -> Any:
    course = _course_locked(course_id)
    module = _module_of(course, module_id)
    before = module.title
    module.title = _title_checked(title)
    module.save(update_fields=["title"])
    _audit(actor, "module_rename", module, f"Renamed the module {before} to {module.title}")
    return module


@transaction.atomic
def module_move(*, course_id: int, module_id: int, actor: Any, up: bool) -> None:
    """Swap the module with the one before (up) or after it; the first cannot go up."""
    from tapestry.learning.models import Module as ModuleModel

    course = _course_locked(course_id)
    module = _module_of(course, module_id)
    modules = list(ModuleModel.objects.filter(course=course))
    index = modules.index(module)
    other = index - 1 if up else index + 1
    if not 0 <= other < len(modules):
        return
    modules[index], modules[other] = modules[other], modules[index]
    for position, item in enumerate(modules, start=1):
        if item.position != position:
            item.position = position
            item.save(update_fields=["position"])
    _audit(
        actor, "module_move", module, f"Moved the module {module.title} {'up' if up else 'down'}"
    )


@transaction.atomic
def module_delete(*, course_id: int, module_id: int, actor: Any) -> None:
    course = _course_locked(course_id)
    module = _module_of(course, module_id)
    title = module.title
    if QuizAttempt.objects.filter(quiz__module=module).exists():
        raise LearningError(_("Learners have taken a quiz of this module; it cannot be deleted."))
    _audit(actor, "module_delete", module, f"Deleted the module {title} of {course.title}")
    module.delete()
    _content_changed(course)


# Lessons


def file_kind(head: bytes, path_or_file: Any) -> str | None:
    """The kind of an uploaded file by its content: "pdf", "png", "jpg", "docx", "pptx", or
    None for anything else (a renamed program, a text file, an old .doc)."""
    import zipfile

    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path_or_file) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return None
        if "[Content_Types].xml" not in names:
            return None
        if "word/document.xml" in names:
            return "docx"
        if "ppt/presentation.xml" in names:
            return "pptx"
    return None


def lesson_file_checked(upload: Any) -> Any:
    """The upload if it is small enough and truly one of the allowed kinds, renamed with the
    extension its content has. Raises LearningError otherwise."""
    import re

    if upload.size > settings.LEARNING_FILE_MAX_BYTES:
        raise LearningError(
            _("The file is too large: the limit is %(megabytes)d MB.")
            % {"megabytes": settings.LEARNING_FILE_MAX_BYTES // (1024 * 1024)}
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    kind = file_kind(head, upload)
    upload.seek(0)
    if kind is None:
        raise LearningError(
            _("This file is not a PDF, Word (DOCX), PowerPoint (PPTX), PNG or JPEG document.")
        )
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", str(upload.name).rsplit(".", 1)[0]).strip("-")
    upload.name = f"{(stem or 'file')[:80]}.{kind}"
    return upload


LESSON_FIELDS = ("title", "body", "video_url", "transcript", "minutes")


def _lesson_values_checked(values: dict[str, Any]) -> dict[str, Any]:
    checked = {name: values[name] for name in LESSON_FIELDS if name in values}
    checked["title"] = _title_checked(str(checked.get("title", "")))
    checked["body"] = html_clean(str(checked.get("body", "")))
    video = str(checked.get("video_url", "")).strip()
    if video and not video.lower().startswith("https://"):
        raise LearningError(_("The video link must start with https://."))
    if video and not str(checked.get("transcript", "")).strip():
        raise LearningError(_("A lesson with a video needs the video's transcript."))
    checked["video_url"] = video
    return checked


@transaction.atomic
def lesson_add(
    *,
    course_id: int,
    module_id: int,
    actor: Any,
    values: dict[str, Any],
    upload: Any = None,
    form_token: str,
) -> Lesson:
    course = _course_locked(course_id)
    module = _module_of(course, module_id)
    checked = _lesson_values_checked(values)
    _form_token_spend(form_token)
    lesson = Lesson(module=module, position=_module_item_position(module.pk), **checked)
    if upload is not None:
        lesson.file = lesson_file_checked(upload)
    lesson.save()
    _content_changed(course)
    _audit(actor, "lesson_add", lesson, f"Added the lesson {lesson.title} to {course.title}")
    return lesson


def _lesson_of(course: Course, lesson_id: int) -> Lesson:
    lesson = Lesson.objects.filter(pk=lesson_id, module__course=course).first()
    if lesson is None:
        raise LearningError(_("This lesson is not part of the course."))
    return lesson


@transaction.atomic
def lesson_update(
    *,
    course_id: int,
    lesson_id: int,
    actor: Any,
    values: dict[str, Any],
    upload: Any = None,
    remove_file: bool = False,
) -> Lesson:
    course = _course_locked(course_id)
    lesson = _lesson_of(course, lesson_id)
    checked = _lesson_values_checked(values)
    changed = [name for name, value in checked.items() if getattr(lesson, name) != value]
    for name in changed:
        setattr(lesson, name, checked[name])
    if upload is not None:
        lesson.file = lesson_file_checked(upload)
        changed.append("file")
    elif remove_file and lesson.file:
        lesson.file = ""
        changed.append("file")
    if changed:
        lesson.save()
        _content_changed(course)
        _audit(actor, "lesson_update", lesson, f"Changed the lesson {lesson.title}", fields=changed)
    return lesson


@transaction.atomic
def lesson_delete(*, course_id: int, lesson_id: int, actor: Any) -> None:
    course = _course_locked(course_id)
    lesson = _lesson_of(course, lesson_id)
    _audit(actor, "lesson_delete", lesson, f"Deleted the lesson {lesson.title} of {course.title}")
    lesson.delete()
    _content_changed(course)


# Quizzes, questions and answer options

QUIZ_FIELDS = ("title", "pass_mark", "attempts_allowed", "randomize")


def _quiz_values_checked(values: dict[str, Any]) -> dict[str, Any]:
    checked = {name: values[name] for name in QUIZ_FIELDS if name in values}
    checked["title"] = _title_checked(str(checked.get("title", "")))
    if not 1 <= int(checked.get("pass_mark", 80)) <= 100:
        raise LearningError(_("The pass mark is a percentage from 1 to 100."))
    if int(checked.get("attempts_allowed", 0)) < 0:
        raise LearningError(_("Attempts allowed cannot be negative (0 means no limit)."))
    return checked


@transaction.atomic
def quiz_add(
    *, course_id: int, module_id: int, actor: Any, values: dict[str, Any], form_token: str
) -> Quiz:
    course = _course_locked(course_id)
    module = _module_of(course, module_id)
    checked = _quiz_values_checked(values)
    _form_token_spend(form_token)
    quiz = Quiz.objects.create(module=module, position=_module_item_position(module.pk), **checked)
    _content_changed(course)
    _audit(actor, "quiz_add", quiz, f"Added the quiz {quiz.title} to {course.title}")
    return quiz


def _quiz_of(course: Course, quiz_id: int) -> Quiz:
    quiz = Quiz.objects.filter(pk=quiz_id, module__course=course).first()
    if quiz is None:
        raise LearningError(_("This quiz is not part of the course."))
    return quiz


@transaction.atomic
def quiz_update(*, course_id: int, quiz_id: int, actor: Any, values: dict[str, Any]) -> Quiz:
    course = _course_locked(course_id)
    quiz = _quiz_of(course, quiz_id)
    checked = _quiz_values_checked(values)
    changed = [name for name, value in checked.items() if getattr(quiz, name) != value]
    if changed:
        for name in changed:
            setattr(quiz, name, checked[name])
        quiz.save(update_fields=changed)
        _content_changed(course)
        _audit(actor, "quiz_update", quiz, f"Changed the quiz {quiz.title}", fields=changed)
    return quiz


@transaction.atomic
def quiz_delete(*, course_id: int, quiz_id: int, actor: Any) -> None:
    course = _course_locked(course_id)
    quiz = _quiz_of(course, quiz_id)
    if quiz.attempts.exists():
        raise LearningError(_("Learners have taken this quiz; it cannot be deleted."))
    _audit(actor, "quiz_delete", quiz, f"Deleted the quiz {quiz.title} of {course.title}")
    quiz.delete()
    _content_changed(course)


# The two answers of a true-or-false question, in the course's language.
TRUE_FALSE_TEXTS = {"en": ("True", "False"), "es": ("Verdadero", "Falso")}


def question_options_checked(
    *, kind: str, options: list[dict[str, Any]], language: str
) -> list[dict[str, Any]]:
    """The answer options a question will have, or LearningError saying what is wrong: one
    correct answer for "single" (of two or more), at least one for "multiple", and for "true_false"
    exactly two options, "True" and "False" in the course's language (named here whatever the
    author typed), one of them correct. Options are {"text", "correct", "feedback"} dicts;
    rows without text are left out."""
    from tapestry.learning.models import QuizQuestion

    if kind not in QuizQuestion.Kind.values:
        raise LearningError(_("Choose what kind of question this is."))
    if kind == QuizQuestion.Kind.TRUE_FALSE:
        texts = TRUE_FALSE_TEXTS.get(language, TRUE_FALSE_TEXTS["en"])
        rows = [*options, {}, {}][:2]
        kept = [
            {
                "text": texts[index],
                "correct": bool(row.get("correct")),
                "feedback": str(row.get("feedback", "")).strip(),
            }
            for index, row in enumerate(rows)
        ]
    else:
        kept = [
            {
                "text": str(row.get("text", "")).strip(),
                "correct": bool(row.get("correct")),
                "feedback": str(row.get("feedback", "")).strip(),
            }
            for row in options
            if str(row.get("text", "")).strip()
        ]
    correct = sum(1 for row in kept if row["correct"])
    if len(kept) < 2:
        raise LearningError(_("A question needs at least two answers."))
    if kind == QuizQuestion.Kind.MULTIPLE and correct < 1:
        raise LearningError(_("Mark at least one answer as correct."))
    if kind != QuizQuestion.Kind.MULTIPLE and correct != 1:
        raise LearningError(_("Mark exactly one answer as correct."))
    return kept


def _options_replace(question: Any, rows: list[dict[str, Any]]) -> None:
    """Keep the options' ids where a row takes an existing option's place (past attempts name
    options by id), add the rest, delete those left over."""
    from tapestry.learning.models import QuizOption

    existing = list(QuizOption.objects.filter(question=question))
    if len(existing) > len(rows) and QuizAttempt.objects.filter(quiz_id=question.quiz_id).exists():
        raise LearningError(
            _(
                "Learners have answered this quiz, and their answers name these options: change "
                "an answer's text instead of removing it."
            )
        )
    for position, row in enumerate(rows, start=1):
        if existing:
            option = existing.pop(0)
            option.position = position
            option.text = row["text"]
            option.correct = row["correct"]
            option.feedback = row["feedback"]
            option.save(update_fields=["position", "text", "correct", "feedback"])
        else:
            QuizOption.objects.create(question=question, position=position, **row)
    for option in existing:
        option.delete()


@transaction.atomic
def question_add(
    *,
    course_id: int,
    quiz_id: int,
    actor: Any,
    kind: str,
    text: str,
    options: list[dict[str, Any]],
    form_token: str,
) -> Any:
    from tapestry.learning.models import QuizQuestion

    course = _course_locked(course_id)
    quiz = _quiz_of(course, quiz_id)
    rows = question_options_checked(kind=kind, options=options, language=course.language)
    text = text.strip()
    if not text:
        raise LearningError(_("Write the question."))
    _form_token_spend(form_token)
    question = QuizQuestion.objects.create(
        quiz=quiz,
        kind=kind,
        text=text,
        position=_next_position(QuizQuestion.objects.filter(quiz=quiz)),
    )
    _options_replace(question, rows)
    _content_changed(course)
    _audit(actor, "question_add", question, f"Added a question to the quiz {quiz.title}")
    return question


def _question_of(course: Course, question_id: int) -> Any:
    from tapestry.learning.models import QuizQuestion

    question = QuizQuestion.objects.filter(pk=question_id, quiz__module__course=course).first()
    if question is None:
        raise LearningError(_("This question is not part of the course."))
    return question


@transaction.atomic
def question_update(
    *,
    course_id: int,
    question_id: int,
    actor: Any,
    kind: str,
    text: str,
    options: list[dict[str, Any]],
) -> Any:
    course = _course_locked(course_id)
    question = _question_of(course, question_id)
    rows = question_options_checked(kind=kind, options=options, language=course.language)
    text = text.strip()
    if not text:
        raise LearningError(_("Write the question."))
    before = (
        question.kind,
        question.text,
        [(o.text, o.correct, o.feedback) for o in question.options.all()],
    )
    after = (kind, text, [(row["text"], row["correct"], row["feedback"]) for row in rows])
    if before == after:
        return question
    question.kind = kind
    question.text = text
    question.save(update_fields=["kind", "text"])
    _options_replace(question, rows)
    _content_changed(course)
    _audit(actor, "question_update", question, f"Changed a question of the quiz {question.quiz}")
    return question


@transaction.atomic
def question_delete(*, course_id: int, question_id: int, actor: Any) -> None:
    course = _course_locked(course_id)
    question = _question_of(course, question_id)
    if QuizAttempt.objects.filter(quiz_id=question.quiz_id).exists():
        raise LearningError(
            _("Learners have answered this quiz; its questions can be changed but not deleted.")
        )
    _audit(actor, "question_delete", question, f"Deleted a question of the quiz {question.quiz}")
    question.delete()
    _content_changed(course)


# Requirements


@transaction.atomic
def requirement_add(*, role: str, course_id: int, due_days: int, actor: Any) -> Requirement:
    """Require a published compliance course of everyone holding `role`, due `due_days` after
    the role is granted; everyone who holds the role now is assigned it at once (due
    `due_days` from today), and emailed. Audited."""
    if role not in Role.values:
        raise LearningError(_("Choose a role."))
    if not 1 <= due_days <= 3650:
        raise LearningError(_("Give between 1 and 3650 days to complete the course."))
    course = Course.objects.select_for_update().filter(pk=course_id).first()
    if course is None or course.status != Course.Status.PUBLISHED or not course.compliance:
        raise LearningError(_("A requirement needs a published compliance course."))
    if Requirement.objects.filter(role=role, course=course).exists():
        raise Conflict(_("This role already requires this course."))
    requirement = Requirement.objects.create(role=role, course=course, due_days=due_days)
    from tapestry.accounts.api import people_with_role

    assigned = 0
    for person in people_with_role(role=Role(role)):
        assigned += len(requirements_assign(user_id=person.id, roles=[Role(role)]))
    standing_rebuild()
    _audit(
        actor,
        "requirement_add",
        requirement,
        f"Required {course.title} of {role} within {due_days} days",
        role=role,
        course=course.slug,
        due_days=due_days,
        assigned=assigned,
    )
    return requirement


@transaction.atomic
def requirement_remove(*, requirement_id: int, actor: Any) -> None:
    """Stop requiring a course of a role. Enrollments already made stay (the learners keep
    the course); bypasses of the requirement go with it. Audited."""
    requirement = (
        Requirement.objects.select_for_update()
        .select_related("course")
        .filter(pk=requirement_id)
        .first()
    )
    if requirement is None:
        raise LearningError(_("There is no such requirement."))
    _audit(
        actor,
        "requirement_remove",
        requirement,
        f"No longer required {requirement.course.title} of {requirement.role}",
        role=requirement.role,
        course=requirement.course.slug,
    )
    requirement.delete()
    standing_rebuild()


# Course evaluation (the survey is attached through surveys.api; the audit names who did it)


@transaction.atomic
def course_evaluation_attach(*, course_id: int, actor: Any, instrument_slug: str) -> str:
    """Attach a published course-evaluation survey to the course (replacing any other);
    returns its link name. Raises LearningError with the surveys app's reason if refused."""
    from tapestry.surveys.api import SurveyError, evaluation_attach

    course = _course_locked(course_id)
    try:
        choice = evaluation_attach(
            subject_kind="course", subject_ref=str(course.pk), instrument_slug=instrument_slug
        )
    except SurveyError as error:
        raise LearningError(str(error)) from error
    _audit(
        actor,
        "evaluation_attach",
        course,
        f"Attached the evaluation {choice.slug} to {course.title}",
        instrument=choice.slug,
    )
    return choice.slug


@transaction.atomic
def course_evaluation_detach(*, course_id: int, actor: Any) -> bool:
    """Detach the course's evaluation survey (its responses stay). False if none was."""
    from tapestry.surveys.api import evaluation_detach

    course = _course_locked(course_id)
    detached = evaluation_detach(subject_kind="course", subject_ref=str(course.pk))
    if detached:
        _audit(actor, "evaluation_detach", course, f"Detached the evaluation of {course.title}")
    return detached


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
