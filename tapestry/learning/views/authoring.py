"""Program staff and administrators write courses: the list, a course's editor (settings,
modules, lessons, quizzes, questions, publishing, retiring, its evaluation survey) and the
requirements by role. Staff roles sign in with two factors (the accounts middleware enforces
it for these roles); everyone else gets a 403, visitors the sign-in page.

Every write goes through a service in learning.services (the "Authoring" block), which locks
the course, audits the change and raises LearningError with a message for the page."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tapestry.accounts.api import AuthenticatedRequest, Role, user_has_role
from tapestry.learning import services
from tapestry.learning.forms.authoring import (
    CourseListForm,
    CourseSettingsForm,
    EvaluationForm,
    LessonForm,
    ModuleForm,
    ModuleRenameForm,
    QuestionForm,
    QuizForm,
    RequirementForm,
    question_initial,
)
from tapestry.learning.models import Course, Lesson, Module, Quiz, QuizQuestion, Requirement
from tapestry.surveys import api as surveys_api

View = Callable[..., HttpResponse]


def can_author(user: Any) -> bool:
    """Program staff and administrators write courses; nobody else."""
    return user_has_role(user, Role.PROGRAM_STAFF, Role.ADMINISTRATOR)


def staff_only(view: View) -> View:
    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not can_author(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _language() -> str:
    return "es" if (get_language() or "en").startswith("es") else "en"


def _course(course_id: int) -> Course:
    course = Course.objects.filter(pk=course_id).first()
    if course is None:
        raise Http404
    return course


def _back(course: Course, anchor: str = "") -> HttpResponse:
    url = reverse("learning:authoring_course", args=[course.pk])
    return redirect(f"{url}#{anchor}" if anchor else url)


# The list


@staff_only
@require_http_methods(["GET"])
def authoring_list(request: HttpRequest) -> HttpResponse:
    form = CourseListForm(request.GET or None)
    if request.GET and not form.is_valid():
        return render(request, "learning/authoring/list.html", {"form": form}, status=400)
    values = form.cleaned_data if request.GET else {}
    search, status = values.get("q", ""), values.get("status", "")
    courses = Course.objects.annotate(
        enrollments_count=Count("enrollments", distinct=True),
        completions_count=Count("completions", distinct=True),
    ).order_by("title", "pk")
    if search:
        courses = courses.filter(Q(title__icontains=search) | Q(slug__icontains=search))
    if status:
        courses = courses.filter(status=status)
    paginator = Paginator(courses, settings.NETWORK_PAGE_SIZE)
    page = paginator.get_page(values.get("page") or 1)
    return render(
        request,
        "learning/authoring/list.html",
        {
            "form": form,
            "page": page,
            "result": {
                "page": page.number,
                "num_pages": paginator.num_pages,
                "has_previous": page.has_previous(),
                "has_next": page.has_next(),
            },
            "search": search,
            "status": status,
        },
    )


@staff_only
@require_http_methods(["GET", "POST"])
def authoring_new(request: AuthenticatedRequest) -> HttpResponse:
    form = CourseSettingsForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            course = services.course_create(
                actor=request.user,
                settings_values=form.settings_values(),
                prerequisites=form.cleaned_data["prerequisites"],
            )
        except services.LearningError as error:
            form.add_error(None, str(error))
            return render(
                request, "learning/authoring/new.html", {"form": form}, status=error.status
            )
        messages.success(request, _("Course created. Now add its modules."))
        return _back(course)
    status = 400 if request.method == "POST" else 200
    return render(request, "learning/authoring/new.html", {"form": form}, status=status)


# The course's editor


def _evaluation_context(course: Course) -> dict[str, Any]:
    language = _language()
    choices = surveys_api.evaluation_instruments(purpose="course_evaluation")
    summary = surveys_api.evaluation_summary(subject_kind="course", subject_ref=str(course.pk))
    return {
        "evaluation_form": EvaluationForm(
            choices=[(choice.slug, choice.title(language)) for choice in choices],
            initial={"instrument": summary.evaluation.slug if summary.evaluation else ""},
        ),
        "evaluation_choices": choices,
        "evaluation": summary.evaluation,
        "evaluation_title": summary.evaluation.title(language) if summary.evaluation else "",
        "evaluation_summary": summary,
        "evaluation_results_url": (
            reverse("surveys:instrument_results", args=[summary.evaluation.slug])
            if summary.evaluation
            else ""
        ),
    }


def _editor(
    request: HttpRequest,
    course: Course,
    *,
    status: int = 200,
    error: str = "",
    settings_form: CourseSettingsForm | None = None,
    module_form: ModuleForm | None = None,
    reasons: list[str] | None = None,
) -> HttpResponse:
    modules = list(
        Module.objects.filter(course=course).prefetch_related("lessons", "quizzes__questions")
    )
    structure = []
    for module in modules:
        items: list[Any] = sorted(
            [*module.lessons.all(), *module.quizzes.all()],
            key=lambda item: (item.position, isinstance(item, Quiz), item.pk),
        )
        structure.append(
            {
                "module": module,
                "items": [{"object": item, "is_quiz": isinstance(item, Quiz)} for item in items],
                "rename_form": ModuleRenameForm(
                    initial={"title": module.title}, prefix=f"module-{module.pk}"
                ),
            }
        )
    context = {
        "course": course,
        "settings_form": settings_form or CourseSettingsForm(instance=course),
        "module_form": module_form or ModuleForm(),
        "structure": structure,
        "error": error,
        "reasons": reasons or [],
        "problems": services.course_publish_problems(course)
        if course.status == Course.Status.DRAFT
        else [],
        "enrollments": course.enrollments.count(),
        "completions": course.completions.count(),
        "Status": Course.Status,
        **_evaluation_context(course),
    }
    return render(request, "learning/authoring/course.html", context, status=status)


@staff_only
@require_http_methods(["GET", "POST"])
def authoring_course(request: AuthenticatedRequest, course_id: int) -> HttpResponse:
    """The editor; a POST saves the course's settings."""
    course = _course(course_id)
    if request.method == "GET":
        return _editor(request, course)
    form = CourseSettingsForm(request.POST, instance=Course.objects.get(pk=course.pk))
    if not form.is_valid():
        return _editor(request, course, status=400, settings_form=form)
    try:
        services.course_update(
            course_id=course.pk,
            actor=request.user,
            settings_values=form.settings_values(),
            prerequisites=form.cleaned_data["prerequisites"],
        )
    except services.LearningError as error:
        return _editor(request, course, status=error.status, error=str(error), settings_form=form)
    messages.success(request, _("Settings saved."))
    return _back(course, "settings")


@staff_only
@require_POST
def authoring_publish(request: AuthenticatedRequest, course_id: int) -> HttpResponse:
    course = _course(course_id)
    try:
        services.course_publish(course_id=course.pk, actor=request.user)
    except services.PublishRefused as refused:
        return _editor(request, course, status=400, error=str(refused), reasons=refused.reasons)
    except services.LearningError as error:
        return _editor(request, course, status=error.status, error=str(error))
    messages.success(request, _("The course is published: learners can enroll."))
    return _back(course)


@staff_only
@require_POST
def authoring_retire(request: AuthenticatedRequest, course_id: int) -> HttpResponse:
    course = _course(course_id)
    try:
        services.course_retire(course_id=course.pk, actor=request.user)
    except services.LearningError as error:
        return _editor(request, course, status=error.status, error=str(error))
    messages.success(request, _("The course is retired. Completions and certificates stay."))
    return _back(course)


# Modules


@staff_only
@require_POST
def authoring_module_add(request: AuthenticatedRequest, course_id: int) -> HttpResponse:
    course = _course(course_id)
    form = ModuleForm(request.POST)
    if not form.is_valid():
        return _editor(request, course, status=400, module_form=form)
    try:
        module = services.module_add(
            course_id=course.pk,
            actor=request.user,
            title=form.cleaned_data["title"],
            form_token=form.cleaned_data["form_token"],
        )
    except services.LearningError as error:
        return _editor(request, course, status=error.status, error=str(error))
    messages.success(request, _("Module added."))
    return _back(course, f"module-{module.pk}")


@staff_only
@require_POST
def authoring_module(request: AuthenticatedRequest, course_id: int, module_id: int) -> HttpResponse:
    """Rename, move up or down, or delete a module (the button pressed says which)."""
    course = _course(course_id)
    action = request.POST.get("action", "")
    try:
        if action == "rename":
            form = ModuleRenameForm(request.POST, prefix=f"module-{module_id}")
            if not form.is_valid():
                raise services.LearningError(_("Give the module a title of up to 200 characters."))
            services.module_rename(
                course_id=course.pk,
                module_id=module_id,
                actor=request.user,
                title=form.cleaned_data["title"],
            )
            messages.success(request, _("Module renamed."))
        elif action in {"up", "down"}:
            services.module_move(
                course_id=course.pk, module_id=module_id, actor=request.user, up=action == "up"
            )
        elif action == "delete":
            services.module_delete(course_id=course.pk, module_id=module_id, actor=request.user)
            messages.success(request, _("Module deleted."))
            return _back(course, "modules")
        else:
            raise services.LearningError(_("Choose what to do with the module."))
    except services.LearningError as error:
        return _editor(request, course, status=error.status, error=str(error))
    return _back(course, f"module-{module_id}")


# Lessons


def _lesson_page(
    request: HttpRequest,
    course: Course,
    form: LessonForm,
    *,
    module: Module,
    lesson: Lesson | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {"course": course, "module": module, "lesson": lesson, "form": form}
    return render(request, "learning/authoring/lesson.html", context, status=status)


def _module(course: Course, module_id: int) -> Module:
    module = Module.objects.filter(pk=module_id, course=course).first()
    if module is None:
        raise Http404
    return module


@staff_only
@require_http_methods(["GET", "POST"])
def authoring_lesson_new(
    request: AuthenticatedRequest, course_id: int, module_id: int
) -> HttpResponse:
    course = _course(course_id)
    module = _module(course, module_id)
    if request.method == "GET":
        return _lesson_page(request, course, LessonForm(), module=module)
    form = LessonForm(request.POST, request.FILES)
    if not form.is_valid():
        return _lesson_page(request, course, form, module=module, status=400)
    try:
        services.lesson_add(
            course_id=course.pk,
            module_id=module.pk,
            actor=request.user,
            values=form.values(),
            upload=form.cleaned_data.get("file"),
            form_token=form.cleaned_data["form_token"],
        )
    except services.LearningError as error:
        form.add_error(None, str(error))
        return _lesson_page(request, course, form, module=module, status=error.status)
    messages.success(request, _("Lesson added."))
    return _back(course, f"module-{module.pk}")


@staff_only
@require_http_methods(["GET", "POST"])
def authoring_lesson(request: AuthenticatedRequest, course_id: int, lesson_id: int) -> HttpResponse:
    course = _course(course_id)
    lesson = Lesson.objects.select_related("module").filter(pk=lesson_id, module__course=course)
    found = lesson.first()
    if found is None:
        raise Http404
    if request.method == "GET":
        initial = {name: getattr(found, name) for name in services.LESSON_FIELDS}
        form = LessonForm(initial=initial, editing=True)
        return _lesson_page(request, course, form, module=found.module, lesson=found)
    if request.POST.get("action") == "delete":
        try:
            services.lesson_delete(course_id=course.pk, lesson_id=found.pk, actor=request.user)
        except services.LearningError as error:
            return _editor(request, course, status=error.status, error=str(error))
        messages.success(request, _("Lesson deleted."))
        return _back(course, f"module-{found.module_id}")
    form = LessonForm(request.POST, request.FILES, editing=True)
    if not form.is_valid():
        return _lesson_page(request, course, form, module=found.module, lesson=found, status=400)
    try:
        services.lesson_update(
            course_id=course.pk,
            lesson_id=found.pk,
            actor=request.user,
            values=form.values(),
            upload=form.cleaned_data.get("file"),
            remove_file=form.cleaned_data.get("remove_file", False),
        )
    except services.LearningError as error:
        form.add_error(None, str(error))
        return _lesson_page(
            request, course, form, module=found.module, lesson=found, status=error.status
        )
    messages.success(request, _("Lesson saved."))
    return _back(course, f"module-{found.module_id}")


# Quizzes and questions


def _quiz_page(
    request: HttpRequest,
    course: Course,
    form: QuizForm,
    *,
    module: Module,
    quiz: Quiz | None = None,
    status: int = 200,
    error: str = "",
) -> HttpResponse:
    context = {
        "course": course,
        "module": module,
        "quiz": quiz,
        "form": form,
        "error": error,
        "questions": list(quiz.questions.prefetch_related("options")) if quiz else [],
        "effective_pass_mark": services.pass_mark(quiz) if quiz else None,
    }
    return render(request, "learning/authoring/quiz.html", context, status=status)


@staff_only
@require_http_methods(["GET", "POST"])
def authoring_quiz_new(
    request: AuthenticatedRequest, course_id: int, module_id: int
) -> HttpResponse:
    course = _course(course_id)
    module = _module(course, module_id)
    if request.method == "GET":
        return _quiz_page(request, course, QuizForm(), module=module)
    form = QuizForm(request.POST)
    if not form.is_valid():
        return _quiz_page(request, course, form, module=module, status=400)
    try:
        quiz = services.quiz_add(
            course_id=course.pk,
            module_id=module.pk,
            actor=request.user,
            values=form.values(),
            form_token=form.cleaned_data["form_token"],
        )
    except services.LearningError as error:
        form.add_error(None, str(error))
        return _quiz_page(request, course, form, module=module, status=error.status)
    messages.success(request, _("Quiz added. Now write its questions."))
    return redirect("learning:authoring_quiz", course.pk, quiz.pk)


def _quiz(course: Course, quiz_id: int) -> Quiz:
    quiz = Quiz.objects.select_related("module__course").filter(pk=quiz_id, module__course=course)
    found = quiz.first()
    if found is None:
        raise Http404
    return found


@staff_only
@require_http_methods(["GET", "POST"])
def authoring_quiz(request: AuthenticatedRequest, course_id: int, quiz_id: int) -> HttpResponse:
    course = _course(course_id)
    quiz = _quiz(course, quiz_id)
    if request.method == "GET":
        initial = {name: getattr(quiz, name) for name in services.QUIZ_FIELDS}
        form = QuizForm(initial=initial, editing=True)
        return _quiz_page(request, course, form, module=quiz.module, quiz=quiz)
    if request.POST.get("action") == "delete":
        try:
            services.quiz_delete(course_id=course.pk, quiz_id=quiz.pk, actor=request.user)
        except services.LearningError as error:
            form = QuizForm(
                initial={n: getattr(quiz, n) for n in services.QUIZ_FIELDS}, editing=True
            )
            return _quiz_page(
                request,
                course,
                form,
                module=quiz.module,
                quiz=quiz,
                status=error.status,
                error=str(error),
            )
        messages.success(request, _("Quiz deleted."))
        return _back(course, f"module-{quiz.module_id}")
    form = QuizForm(request.POST, editing=True)
    if not form.is_valid():
        return _quiz_page(request, course, form, module=quiz.module, quiz=quiz, status=400)
    try:
        services.quiz_update(
            course_id=course.pk, quiz_id=quiz.pk, actor=request.user, values=form.values()
        )
    except services.LearningError as error:
        form.add_error(None, str(error))
        return _quiz_page(request, course, form, module=quiz.module, quiz=quiz, status=error.status)
    messages.success(request, _("Quiz saved."))
    return redirect("learning:authoring_quiz", course.pk, quiz.pk)


def _question_page(
    request: HttpRequest,
    course: Course,
    quiz: Quiz,
    form: QuestionForm,
    *,
    question: QuizQuestion | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {"course": course, "quiz": quiz, "question": question, "form": form}
    return render(request, "learning/authoring/question.html", context, status=status)


@staff_only
@require_http_methods(["GET", "POST"])
def authoring_question_new(
    request: AuthenticatedRequest, course_id: int, quiz_id: int
) -> HttpResponse:
    course = _course(course_id)
    quiz = _quiz(course, quiz_id)
    if request.method == "GET":
        return _question_page(request, course, quiz, QuestionForm(language=course.language))
    form = QuestionForm(request.POST, language=course.language)
    if not form.is_valid():
        return _question_page(request, course, quiz, form, status=400)
    try:
        services.question_add(
            course_id=course.pk,
            quiz_id=quiz.pk,
            actor=request.user,
            kind=form.cleaned_data["kind"],
            text=form.cleaned_data["text"],
            options=form.options,
            form_token=form.cleaned_data["form_token"],
        )
    except services.LearningError as error:
        form.add_error(None, str(error))
        return _question_page(request, course, quiz, form, status=error.status)
    messages.success(request, _("Question added."))
    return redirect("learning:authoring_quiz", course.pk, quiz.pk)


@staff_only
@require_http_methods(["GET", "POST"])
def authoring_question(
    request: AuthenticatedRequest, course_id: int, question_id: int
) -> HttpResponse:
    course = _course(course_id)
    question = (
        QuizQuestion.objects.select_related("quiz__module")
        .filter(pk=question_id, quiz__module__course=course)
        .first()
    )
    if question is None:
        raise Http404
    quiz = question.quiz
    if request.method == "GET":
        form = QuestionForm(
            initial=question_initial(question), language=course.language, editing=True
        )
        return _question_page(request, course, quiz, form, question=question)
    if request.POST.get("action") == "delete":
        try:
            services.question_delete(
                course_id=course.pk, question_id=question.pk, actor=request.user
            )
        except services.LearningError as error:
            return _editor(request, course, status=error.status, error=str(error))
        messages.success(request, _("Question deleted."))
        return redirect("learning:authoring_quiz", course.pk, quiz.pk)
    form = QuestionForm(request.POST, language=course.language, editing=True)
    if not form.is_valid():
        return _question_page(request, course, quiz, form, question=question, status=400)
    try:
        services.question_update(
            course_id=course.pk,
            question_id=question.pk,
            actor=request.user,
            kind=form.cleaned_data["kind"],
            text=form.cleaned_data["text"],
            options=form.options,
        )
    except services.LearningError as error:
        form.add_error(None, str(error))
        return _question_page(request, course, quiz, form, question=question, status=error.status)
    messages.success(request, _("Question saved."))
    return redirect("learning:authoring_quiz", course.pk, quiz.pk)


# The course's evaluation survey


@staff_only
@require_POST
def authoring_evaluation(request: AuthenticatedRequest, course_id: int) -> HttpResponse:
    """Attach the chosen course-evaluation survey, or detach the one attached."""
    course = _course(course_id)
    try:
        if request.POST.get("action") == "detach":
            if services.course_evaluation_detach(course_id=course.pk, actor=request.user):
                messages.success(request, _("The evaluation survey is detached."))
            return _back(course, "evaluation")
        language = _language()
        choices = surveys_api.evaluation_instruments(purpose="course_evaluation")
        form = EvaluationForm(
            request.POST, choices=[(choice.slug, choice.title(language)) for choice in choices]
        )
        if not form.is_valid():
            raise services.LearningError(_("Choose one of the published evaluation surveys."))
        services.course_evaluation_attach(
            course_id=course.pk,
            actor=request.user,
            instrument_slug=form.cleaned_data["instrument"],
        )
    except services.LearningError as error:
        return _editor(request, course, status=error.status, error=str(error))
    messages.success(request, _("The evaluation survey is attached."))
    return _back(course, "evaluation")


# Requirements by role


def _requirements_page(
    request: HttpRequest, form: RequirementForm, *, status: int = 200, error: str = ""
) -> HttpResponse:
    requirements = Requirement.objects.select_related("course").order_by(
        "role", "course__title", "pk"
    )
    context = {"form": form, "requirements": requirements, "error": error}
    return render(request, "learning/authoring/requirements.html", context, status=status)


@staff_only
@require_http_methods(["GET", "POST"])
def requirements(request: AuthenticatedRequest) -> HttpResponse:
    if request.method == "GET":
        return _requirements_page(request, RequirementForm())
    if request.POST.get("action") == "remove":
        try:
            requirement_id = int(request.POST.get("requirement", ""))
            services.requirement_remove(requirement_id=requirement_id, actor=request.user)
        except ValueError:
            return _requirements_page(
                request, RequirementForm(), status=400, error=_("There is no such requirement.")
            )
        except services.LearningError as error:
            return _requirements_page(
                request, RequirementForm(), status=error.status, error=str(error)
            )
        messages.success(request, _("Requirement removed."))
        return redirect("learning:requirements")
    form = RequirementForm(request.POST)
    if not form.is_valid():
        return _requirements_page(request, form, status=400)
    try:
        services.requirement_add(
            role=form.cleaned_data["role"],
            course_id=form.cleaned_data["course"].pk,
            due_days=form.cleaned_data["due_days"],
            actor=request.user,
        )
    except services.LearningError as error:
        form.add_error(None, str(error))
        return _requirements_page(request, form, status=error.status)
    messages.success(
        request, _("Requirement added: everyone holding the role now has the course assigned.")
    )
    return redirect("learning:requirements")
