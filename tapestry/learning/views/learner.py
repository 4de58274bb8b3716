"""The learner's pages: the public catalog and course pages, enrolling and renewing, lessons,
quizzes and their results, "My learning", and the organization a learner works for.

Every record a learner reaches is looked up through their own enrollment
(`Enrollment.objects.filter(user=request.user, ...)`): someone else's attempt is a 404.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tapestry.accounts.api import AuthenticatedRequest, Role, user_has_role
from tapestry.learning import selectors, services
from tapestry.learning.forms.learner import (
    ATTEMPT_FIELD,
    QUESTION_PREFIX,
    AnswersUnreadable,
    CatalogFilterForm,
    LearnerProfileForm,
    answers_from_post,
    attempt_id_from_post,
)
from tapestry.learning.models import (
    Completion,
    Course,
    Enrollment,
    LearnerProfile,
    Lesson,
    Quiz,
    QuizAttempt,
)
from tapestry.learning.services import Conflict, LearningError
from tapestry.network.api import organization_choices

TEMPLATES = "learning/learner"
CATALOG_PAGE_SIZE = 20


def _is_course_staff(request: HttpRequest) -> bool:
    return user_has_role(request.user, Role.PROGRAM_STAFF, Role.ADMINISTRATOR)


def _course_visible(request: HttpRequest, slug: str) -> Course:
    """A published course for anyone; a draft or retired one only for the staff who author
    courses, and a retired one also for the learners enrolled in it."""
    course = Course.objects.filter(slug=slug).first()
    if course is None:
        raise Http404(_("There is no course at this address."))
    if course.status == Course.Status.PUBLISHED or _is_course_staff(request):
        return course
    enrolled = (
        request.user.is_authenticated
        and course.status == Course.Status.RETIRED
        and Enrollment.objects.filter(user_id=request.user.pk, course=course).exists()
    )
    if not enrolled:
        raise Http404(_("There is no course at this address."))
    return course


def _enrollment_of(request: HttpRequest, course: Course) -> Enrollment | None:
    if not request.user.is_authenticated:
        return None
    return Enrollment.objects.filter(user=request.user, course=course).first()


def _problem(
    request: HttpRequest,
    *,
    status: int,
    message: str,
    course: Course | None = None,
    heading: str = "",
    result_url: str = "",
) -> HttpResponse:
    headings = {
        403: _("Not available"),
        404: _("Not found"),
        409: _("Already done"),
    }
    return render(
        request,
        f"{TEMPLATES}/problem.html",
        {
            "heading": heading or headings.get(status, _("Something went wrong")),
            "message": message,
            "course": course,
            "result_url": result_url,
        },
        status=status,
    )


def _not_enrolled(request: HttpRequest, course: Course) -> HttpResponse:
    if request.user.is_authenticated:
        messages.info(request, _("Enroll in the course to open its lessons and quizzes."))
    else:
        messages.info(request, _("Sign in and enroll in the course to open its lessons."))
    return redirect("learning:course", slug=course.slug)


def _item_url(course: Course, item: Lesson | Quiz) -> str:
    name = "learning:quiz" if isinstance(item, Quiz) else "learning:lesson"
    key = "quiz_id" if isinstance(item, Quiz) else "lesson_id"
    return reverse(name, kwargs={"slug": course.slug, key: item.pk})


# ---------------------------------------------------------------------------------------------
# The catalog and a course


@require_GET
def catalog(request: HttpRequest) -> HttpResponse:
    form = CatalogFilterForm(request.GET or None)
    if request.GET and not form.is_valid():
        return render(
            request, f"{TEMPLATES}/catalog.html", {"form": form, "result": None}, status=400
        )
    filters = form.filters() if request.GET else {}
    courses = selectors.catalog_search(**filters)
    page_number = (form.cleaned_data.get("page") if request.GET else None) or 1
    result = Paginator(courses, CATALOG_PAGE_SIZE).get_page(page_number)
    return render(
        request,
        f"{TEMPLATES}/catalog.html",
        {
            "form": form,
            "result": result,
            "total": len(courses),
            "filtered": any(filters.values()),
        },
    )


def _published_counterpart(course: Course) -> Course | None:
    other = course.counterpart()
    if other is None or other.status != Course.Status.PUBLISHED:
        return None
    return other


def _resume_url(course: Course, enrollment: Enrollment) -> str:
    kind, _separator, item_id = enrollment.resume_at.partition(":")
    if not item_id.isdigit():
        return ""
    if kind == "lesson" and Lesson.objects.filter(pk=item_id, module__course=course).exists():
        return reverse("learning:lesson", kwargs={"slug": course.slug, "lesson_id": int(item_id)})
    if kind == "quiz" and Quiz.objects.filter(pk=item_id, module__course=course).exists():
        return reverse("learning:quiz", kwargs={"slug": course.slug, "quiz_id": int(item_id)})
    return ""


@require_GET
def course(request: HttpRequest, slug: str) -> HttpResponse:
    course = _course_visible(request, slug)
    enrollment = _enrollment_of(request, course)
    context: dict[str, Any] = {
        "course": course,
        "counterpart": _published_counterpart(course),
        "prerequisites": list(course.prerequisites.order_by("title")),
        "outline": selectors.course_outline(course=course, enrollment=enrollment),
        "enrollment": enrollment,
    }
    if request.user.is_authenticated:
        latest = selectors.latest_completion(user_id=request.user.pk, course=course)
        certificate = getattr(latest, "certificate", None) if latest else None
        context["completion"] = latest
        context["certificate"] = certificate
        context["prerequisites_missing"] = {
            prerequisite.pk
            for prerequisite in services.prerequisites_missing(
                user_id=request.user.pk, course=course
            )
        }
    if enrollment is not None:
        own_latest = (
            Completion.objects.filter(user_id=enrollment.user_id, course=course)
            .order_by("-completed_at")
            .first()
        )
        context["progress"] = services.progress_percent(enrollment=enrollment)
        context["resume_url"] = _resume_url(course, enrollment)
        context["locked_reason"] = services.course_locked_reason(enrollment=enrollment)
        context["renewal_open"] = bool(
            course.compliance
            and own_latest is not None
            and timezone.now() >= selectors.renewal_opens_at(own_latest.completed_at)
        )
    return render(request, f"{TEMPLATES}/course.html", context)


@require_POST
@login_required
def enroll(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    course = _course_visible(request, slug)
    try:
        services.course_enroll(user_id=request.user.pk, course=course)
    except LearningError as error:
        return _problem(request, status=error.status, message=str(error), course=course)
    messages.success(request, _("You are enrolled. Start with the first lesson."))
    return redirect("learning:course", slug=course.slug)


@require_POST
@login_required
def renew(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    course = _course_visible(request, slug)
    enrollment = _enrollment_of(request, course)
    if enrollment is None:
        return _not_enrolled(request, course)
    try:
        services.course_renew(enrollment=enrollment)
    except LearningError as error:
        return _problem(request, status=error.status, message=str(error), course=course)
    messages.success(
        request, _("Your renewal has started: take the lessons and the quiz again to renew.")
    )
    return redirect("learning:course", slug=course.slug)


# ---------------------------------------------------------------------------------------------
# Lessons


@require_GET
def lesson_file(request: HttpRequest, slug: str, lesson_id: int) -> FileResponse:
    """A lesson's downloadable file, for learners enrolled in its course (and staff), read
    through Django's storage so it works the same on local disk and S3-compatible storage."""
    course = _course_visible(request, slug)
    lesson = get_object_or_404(Lesson, pk=lesson_id, module__course=course)
    staff = user_has_role(request.user, Role.PROGRAM_STAFF, Role.ADMINISTRATOR)
    if not lesson.file or (not staff and _enrollment_of(request, course) is None):
        raise Http404
    try:
        handle = lesson.file.open("rb")
    except OSError as error:
        raise Http404 from error
    name = (lesson.file.name or "").rsplit("/", 1)[-1]
    return FileResponse(handle, as_attachment=True, filename=name)


@require_GET
def lesson(request: HttpRequest, slug: str, lesson_id: int) -> HttpResponse:
    course = _course_visible(request, slug)
    lesson = get_object_or_404(
        Lesson.objects.select_related("module"), pk=lesson_id, module__course=course
    )
    enrollment = _enrollment_of(request, course)
    if enrollment is None:
        return _not_enrolled(request, course)
    try:
        services.lesson_open(enrollment=enrollment, lesson=lesson)
    except LearningError as error:
        return _problem(request, status=error.status, message=str(error), course=course)
    items = services.course_items(course)
    index = next(
        position
        for position, item in enumerate(items)
        if isinstance(item, Lesson) and item.pk == lesson.pk
    )
    previous_item = items[index - 1] if index > 0 else None
    next_item = items[index + 1] if index + 1 < len(items) else None
    return render(
        request,
        f"{TEMPLATES}/lesson.html",
        {
            "course": course,
            "lesson": lesson,
            # Cleaned on save too; cleaning again here keeps a row written some other way safe.
            "body": services.html_clean(lesson.body),
            # Only web addresses become links (a "javascript:" address written past the form's
            # validation would otherwise run on click).
            "video_url": lesson.video_url
            if lesson.video_url.startswith(("https://", "http://"))
            else "",
            "position": index + 1,
            "item_count": len(items),
            "previous_item": previous_item,
            "previous_url": _item_url(course, previous_item) if previous_item else "",
            "next_item": next_item,
            "next_url": _item_url(course, next_item) if next_item else "",
            "progress": services.progress_percent(enrollment=enrollment),
        },
    )


# ---------------------------------------------------------------------------------------------
# Quizzes


@dataclass
class OptionField:
    id: int
    text: str
    checked: bool


@dataclass
class QuestionField:
    id: int
    number: int
    kind: str
    text: str
    input_type: str
    options: list[OptionField]
    error: str = ""
    name: str = field(init=False)

    def __post_init__(self) -> None:
        self.name = f"{QUESTION_PREFIX}{self.id}"


def _question_fields(
    attempt: QuizAttempt, chosen: dict[int, list[int]], missing: set[int]
) -> list[QuestionField]:
    return [
        QuestionField(
            id=question.id,
            number=number,
            kind=question.kind,
            text=question.text,
            input_type="checkbox" if question.kind == "multiple" else "radio",
            options=[
                OptionField(
                    id=option.id,
                    text=option.text,
                    checked=option.id in chosen.get(question.id, []),
                )
                for option in question.options
            ],
            error=_("Answer this question.") if question.id in missing else "",
        )
        for number, question in enumerate(selectors.attempt_questions(attempt=attempt), start=1)
    ]


def _quiz_page(
    request: HttpRequest,
    *,
    course: Course,
    quiz: Quiz,
    enrollment: Enrollment,
    attempt: QuizAttempt,
    chosen: dict[int, list[int]] | None = None,
    missing: set[int] | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    questions = _question_fields(attempt, chosen or {}, missing or set())
    return render(
        request,
        f"{TEMPLATES}/quiz.html",
        {
            "course": course,
            "quiz": quiz,
            "attempt": attempt,
            "questions": questions,
            "errors": [question for question in questions if question.error],
            "error": error,
            "attempt_field": ATTEMPT_FIELD,
            "attempts_used": services.attempts_used(enrollment=enrollment, quiz=quiz),
            "pass_mark": services.pass_mark(quiz),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def quiz(request: HttpRequest, slug: str, quiz_id: int) -> HttpResponse:
    course = _course_visible(request, slug)
    quiz = get_object_or_404(
        Quiz.objects.select_related("module__course"), pk=quiz_id, module__course=course
    )
    enrollment = _enrollment_of(request, course)
    if enrollment is None:
        return _not_enrolled(request, course)
    if request.method == "POST":
        return _quiz_submit(request, course=course, quiz=quiz, enrollment=enrollment)
    try:
        attempt = services.attempt_start(enrollment=enrollment, quiz=quiz)
    except LearningError as error:
        passed = (
            QuizAttempt.objects.filter(
                enrollment=enrollment, quiz=quiz, cycle=enrollment.cycle, passed=True
            )
            .order_by("-number")
            .first()
        )
        return _problem(
            request,
            status=error.status,
            message=str(error),
            course=course,
            result_url=reverse("learning:attempt_result", kwargs={"attempt_id": passed.pk})
            if passed
            else "",
        )
    return _quiz_page(request, course=course, quiz=quiz, enrollment=enrollment, attempt=attempt)


def _quiz_submit(
    request: HttpRequest, *, course: Course, quiz: Quiz, enrollment: Enrollment
) -> HttpResponse:
    try:
        attempt_id = attempt_id_from_post(request.POST)
    except AnswersUnreadable as error:
        return _problem(request, status=400, message=str(error), course=course)
    attempt = QuizAttempt.objects.filter(pk=attempt_id, enrollment=enrollment, quiz=quiz).first()
    if attempt is None:
        raise Http404(_("There is no such attempt at this quiz."))
    result_url = reverse("learning:attempt_result", kwargs={"attempt_id": attempt.pk})
    if attempt.submitted_at is not None:
        return _problem(
            request,
            status=409,
            heading=_("Already submitted"),
            message=_("This attempt was already submitted. Its result has not changed."),
            course=course,
            result_url=result_url,
        )

    def page(
        *, error: str, status: int, chosen: dict[int, list[int]] | None = None
    ) -> HttpResponse:
        return _quiz_page(
            request,
            course=course,
            quiz=quiz,
            enrollment=enrollment,
            attempt=attempt,
            chosen=chosen,
            missing=shown - set(chosen or {}) if chosen is not None else set(),
            error=error,
            status=status,
        )

    shown = {question_id for question_id, _options in attempt.layout}
    try:
        answers = answers_from_post(request.POST)
    except AnswersUnreadable as error:
        return page(error=str(error), status=400)
    if shown - set(answers):
        return page(chosen=answers, error=_("Answer every question before you submit."), status=400)
    try:
        services.attempt_submit(attempt_id=attempt.pk, user_id=enrollment.user_id, answers=answers)
    except Conflict as error:
        return _problem(
            request,
            status=error.status,
            heading=_("Already submitted"),
            message=str(error),
            course=course,
            result_url=result_url,
        )
    except LearningError as error:
        return page(chosen=answers, error=str(error), status=error.status)
    return redirect(result_url)


@dataclass
class AnswerShown:
    text: str
    feedback: str


@dataclass
class QuestionResult:
    number: int
    text: str
    right: bool
    chosen: list[AnswerShown]


@require_GET
@login_required
def attempt_result(request: AuthenticatedRequest, attempt_id: int) -> HttpResponse:
    attempt = get_object_or_404(
        QuizAttempt.objects.select_related("quiz__module__course", "enrollment"),
        pk=attempt_id,
        enrollment__user_id=request.user.pk,
    )
    quiz = attempt.quiz
    course = quiz.module.course
    if attempt.submitted_at is None:
        return redirect("learning:quiz", slug=course.slug, quiz_id=quiz.pk)
    chosen_by_question = {int(key): set(value) for key, value in attempt.answers.items()}
    results = []
    for number, question in enumerate(selectors.attempt_questions(attempt=attempt), start=1):
        chosen = chosen_by_question.get(question.id, set())
        correct = {option.id for option in question.options if option.correct}
        results.append(
            QuestionResult(
                number=number,
                text=question.text,
                right=chosen == correct,
                chosen=[
                    AnswerShown(text=option.text, feedback=option.feedback)
                    for option in question.options
                    if option.id in chosen
                ],
            )
        )
    enrollment = attempt.enrollment
    used = services.attempts_used(enrollment=enrollment, quiz=quiz)
    can_retry = (
        not attempt.passed
        and attempt.cycle == enrollment.cycle
        and (quiz.attempts_allowed == 0 or used < quiz.attempts_allowed)
        and not QuizAttempt.objects.filter(
            enrollment=enrollment, quiz=quiz, cycle=enrollment.cycle, passed=True
        ).exists()
    )
    completion = None
    if attempt.passed:
        completion = (
            Completion.objects.filter(
                user_id=request.user.pk, course=course, completed_at__gte=attempt.started_at
            )
            .select_related("certificate")
            .order_by("-completed_at")
            .first()
        )
    return render(
        request,
        f"{TEMPLATES}/attempt_result.html",
        {
            "attempt": attempt,
            "quiz": quiz,
            "course": course,
            "results": results,
            "pass_mark": services.pass_mark(quiz),
            "attempts_used": used,
            "can_retry": can_retry,
            "completion": completion,
            "certificate": getattr(completion, "certificate", None) if completion else None,
        },
    )


# ---------------------------------------------------------------------------------------------
# My learning and my organization


@dataclass
class EnrollmentRow:
    enrollment: Enrollment
    progress: int


@require_GET
@login_required
def mine(request: AuthenticatedRequest) -> HttpResponse:
    user_id = request.user.pk
    enrollments = [
        EnrollmentRow(
            enrollment=enrollment, progress=services.progress_percent(enrollment=enrollment)
        )
        for enrollment in selectors.enrollments_of(user_id=user_id)
    ]
    completions = list(
        Completion.objects.filter(user_id=user_id)
        .select_related("course", "certificate")
        .order_by("-completed_at")
    )
    return render(
        request,
        f"{TEMPLATES}/mine.html",
        {
            "requirements": selectors.compliance_of(user_id=user_id),
            "enrollments": enrollments,
            "completions": completions,
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def profile(request: AuthenticatedRequest) -> HttpResponse:
    current = LearnerProfile.objects.filter(user_id=request.user.pk).first()
    choices = organization_choices()
    if request.method == "POST":
        form = LearnerProfileForm(request.POST, choices=choices)
        if form.is_valid():
            try:
                services.learner_profile_save(
                    user_id=request.user.pk, organization_id=form.cleaned_data["organization"]
                )
            except LearningError as error:
                form.add_error("organization", str(error))
            else:
                messages.success(request, _("Your organization is saved."))
                return redirect("learning:profile")
        return render(request, f"{TEMPLATES}/profile.html", {"form": form}, status=400)
    form = LearnerProfileForm(
        initial={"organization": current.organization_id if current else None}, choices=choices
    )
    return render(request, f"{TEMPLATES}/profile.html", {"form": form})
