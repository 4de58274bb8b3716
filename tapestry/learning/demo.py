"""The demo's courses and learners.

The courses are data: one JSON file a course in `data/courses/` (named by its slug), checked
against the shapes below and loaded into the models by `courses_load`. Loading is idempotent:
a course whose file has not changed is left alone; a changed file updates the course in place
(lessons and quizzes keep their ids, so learners keep their progress) and raises its version.

`demo_learners_seed` then takes the README's personas to their stages through the services, so
their enrollments, statements, certificates and CE credit are real.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tapestry.accounts.api import Role
from tapestry.learning import api, credentials, reports, services
from tapestry.learning.models import (
    Certificate,
    Completion,
    Course,
    CreditEntry,
    Enrollment,
    Lesson,
    LessonView,
    Module,
    Quiz,
    QuizAttempt,
    QuizOption,
    QuizQuestion,
    Requirement,
    Statement,
)

if TYPE_CHECKING:
    from tapestry.accounts.api import User

COURSES_DIR = Path(__file__).resolve().parent / "data" / "courses"

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


class CourseDataError(Exception):
    """A course file that cannot be loaded; the message names the file and the field."""


# ---------------------------------------------------------------------------------------------
# The shape of a course file

Text = Annotated[str, Field(min_length=1)]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class OptionSpec(_Spec):
    text: Annotated[str, Field(min_length=1, max_length=500)]
    correct: bool = False
    # Every answer explains itself: why it is right, or why it is not.
    feedback: Annotated[str, Field(min_length=1, max_length=2000)]


class QuestionSpec(_Spec):
    kind: Literal["single", "multiple", "true_false"] = "single"
    text: Annotated[str, Field(min_length=1, max_length=2000)]
    options: Annotated[list[OptionSpec], Field(min_length=2)]

    @model_validator(mode="after")
    def _right_answers(self) -> QuestionSpec:
        right = sum(1 for option in self.options if option.correct)
        if right == 0:
            raise ValueError("mark at least one option correct")
        if self.kind != "multiple" and right != 1:
            raise ValueError(f"a {self.kind} question has exactly one correct option")
        if self.kind == "true_false" and len(self.options) != 2:
            raise ValueError("a true_false question has exactly two options")
        return self


class QuizSpec(_Spec):
    title: Annotated[str, Field(min_length=1, max_length=200)]
    pass_mark: Annotated[int, Field(ge=1, le=100)] = 80
    attempts_allowed: Annotated[int, Field(ge=0)] = 3
    randomize: bool = True
    questions: Annotated[list[QuestionSpec], Field(min_length=1)]


class LessonSpec(_Spec):
    title: Annotated[str, Field(min_length=1, max_length=200)]
    minutes: Annotated[int, Field(ge=1, le=240)] = 5
    body: Text
    video_url: Annotated[str, Field(pattern=r"^(https://\S+)?$")] = ""
    transcript: str = ""

    @model_validator(mode="after")
    def _video_has_transcript(self) -> LessonSpec:
        if self.video_url and not self.transcript:
            raise ValueError("a lesson with a video_url needs its transcript")
        return self


class ModuleSpec(_Spec):
    title: Annotated[str, Field(min_length=1, max_length=200)]
    lessons: Annotated[list[LessonSpec], Field(min_length=1)]
    quizzes: list[QuizSpec] = []


class RequirementSpec(_Spec):
    role: Literal[tuple(Role.values)]  # type: ignore[valid-type]
    due_days: Annotated[int, Field(ge=1, le=3650)] = 30


class CourseSpec(_Spec):
    """One course file. The fields are the Course model's; links to other courses are by slug
    (`translation_of`, `prerequisites`); `required_for` lists the roles that must complete it
    (a Requirement each); modules hold lessons (HTML cleaned on load) and then quizzes."""

    slug: Annotated[str, Field(pattern=SLUG_PATTERN, max_length=80)]
    title: Annotated[str, Field(min_length=1, max_length=200)]
    summary: Annotated[str, Field(min_length=1, max_length=2000)]
    language: Literal["en", "es"]
    translation_of: str | None = None
    audiences: list[Literal[tuple(Role.values)]] = []  # type: ignore[valid-type]
    ce_hours: Annotated[Decimal, Field(ge=0, le=99, decimal_places=1)] = Decimal("0")
    competencies: list[Text] = []
    approved_for_credit: bool = False
    prerequisites: list[str] = []
    status: Literal["draft", "published", "retired"] = "published"
    completion_rule: Literal["all", "quizzes", "lessons"] = "all"
    compliance: bool = False
    required_for: list[RequirementSpec] = []
    modules: Annotated[list[ModuleSpec], Field(min_length=1)]


def _field_path(location: Iterable[int | str]) -> str:
    """("modules", 0, "lessons", 1, "title") → "modules[0].lessons[1].title"."""
    path = ""
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(the whole file)"


def course_spec_read(path: Path) -> CourseSpec:
    """The course in one file, checked; a CourseDataError names the file and the field."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise CourseDataError(
            f"{path.name}: not valid JSON at line {error.lineno}, column {error.colno}: {error.msg}"
        ) from error
    try:
        spec = CourseSpec.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        more = error.error_count() - 1
        raise CourseDataError(
            f"{path.name}: {_field_path(first['loc'])}: {first['msg']}"
            + (f" (and {more} more problem{'s' if more > 1 else ''})" if more else "")
        ) from error
    if path.stem != spec.slug:
        raise CourseDataError(f"{path.name}: slug: must be the file's name, {path.stem!r}")
    return spec


# ---------------------------------------------------------------------------------------------
# Loading


def _content_of_spec(spec: CourseSpec) -> dict[str, Any]:
    """What a course file says, in the form `_content_of_course` reads back from the database
    (lesson text cleaned as every save cleans it)."""
    return {
        "title": spec.title,
        "summary": spec.summary,
        "language": spec.language,
        "translation_of": spec.translation_of,
        "audiences": list(spec.audiences),
        "ce_hours": spec.ce_hours,
        "competencies": list(spec.competencies),
        "approved_for_credit": spec.approved_for_credit,
        "prerequisites": sorted(spec.prerequisites),
        "status": spec.status,
        "completion_rule": spec.completion_rule,
        "compliance": spec.compliance,
        "modules": [
            {
                "title": module.title,
                "lessons": [
                    {
                        "title": lesson.title,
                        "minutes": lesson.minutes,
                        "body": services.html_clean(lesson.body),
                        "video_url": lesson.video_url,
                        "transcript": lesson.transcript,
                    }
                    for lesson in module.lessons
                ],
                "quizzes": [
                    {
                        "title": quiz.title,
                        "pass_mark": quiz.pass_mark,
                        "attempts_allowed": quiz.attempts_allowed,
                        "randomize": quiz.randomize,
                        "questions": [
                            {
                                "kind": question.kind,
                                "text": question.text,
                                "options": [option.model_dump() for option in question.options],
                            }
                            for question in quiz.questions
                        ],
                    }
                    for quiz in module.quizzes
                ],
            }
            for module in spec.modules
        ],
    }


def _content_of_course(course: Course) -> dict[str, Any]:
    return {
        "title": course.title,
        "summary": course.summary,
        "language": course.language,
        "translation_of": course.translation_of.slug if course.translation_of else None,
        "audiences": list(course.audiences),
        "ce_hours": course.ce_hours,
        "competencies": list(course.competencies),
        "approved_for_credit": course.approved_for_credit,
        "prerequisites": sorted(course.prerequisites.values_list("slug", flat=True)),
        "status": course.status,
        "completion_rule": course.completion_rule,
        "compliance": course.compliance,
        "modules": [
            {
                "title": module.title,
                "lessons": [
                    {
                        "title": lesson.title,
                        "minutes": lesson.minutes,
                        "body": lesson.body,
                        "video_url": lesson.video_url,
                        "transcript": lesson.transcript,
                    }
                    for lesson in module.lessons.order_by("position", "pk")
                ],
                "quizzes": [
                    {
                        "title": quiz.title,
                        "pass_mark": quiz.pass_mark,
                        "attempts_allowed": quiz.attempts_allowed,
                        "randomize": quiz.randomize,
                        "questions": [
                            {
                                "kind": question.kind,
                                "text": question.text,
                                "options": [
                                    {
                                        "text": option.text,
                                        "correct": option.correct,
                                        "feedback": option.feedback,
                                    }
                                    for option in question.options.order_by("position", "pk")
                                ],
                            }
                            for question in quiz.questions.order_by("position", "pk")
                        ],
                    }
                    for quiz in module.quizzes.order_by("position", "pk")
                ],
            }
            for module in course.modules.order_by("position", "pk")
        ],
    }


def _in_load_order(specs: dict[str, CourseSpec], files: dict[str, str]) -> list[CourseSpec]:
    """Each course after the courses it names (its prerequisites and the one it translates);
    a name that is neither a file here nor a course already loaded is an error."""
    known = set(specs) | set(Course.objects.values_list("slug", flat=True))
    ordered: list[CourseSpec] = []
    placed: set[str] = set()

    def place(slug: str, chain: tuple[str, ...]) -> None:
        if slug in placed or slug not in specs:
            return
        if slug in chain:
            raise CourseDataError(
                f"{files[slug]}: prerequisites: the courses require each other: "
                + " → ".join((*chain, slug))
            )
        spec = specs[slug]
        named = [("translation_of", spec.translation_of)] if spec.translation_of else []
        named += [(f"prerequisites[{i}]", other) for i, other in enumerate(spec.prerequisites)]
        for field, other in named:
            if other not in known:
                raise CourseDataError(f"{files[slug]}: {field}: no course {other!r}")
            place(other, (*chain, slug))
        placed.add(slug)
        ordered.append(spec)

    for slug in sorted(specs):
        place(slug, ())
    return ordered


@dataclass(frozen=True)
class Loaded:
    slug: str
    outcome: Literal["created", "updated", "unchanged"]
    version: int


def courses_load(*, directory: Path = COURSES_DIR) -> list[Loaded]:
    """Load every `*.json` course file of the directory: all of them checked before any is
    written, then all in one transaction."""
    specs: dict[str, CourseSpec] = {}
    files: dict[str, str] = {}
    paths = sorted(directory.glob("*.json"))
    if not paths:
        raise CourseDataError(f"{directory}: no course files (*.json)")
    for path in paths:
        spec = course_spec_read(path)
        specs[spec.slug] = spec
        files[spec.slug] = path.name
    with transaction.atomic():
        return [course_load(spec=spec) for spec in _in_load_order(specs, files)]


@transaction.atomic
def course_load(*, spec: CourseSpec) -> Loaded:
    """Create the course, update it (raising its version) if its content differs from the
    spec, or leave it as it is; then make sure the roles it names require it."""
    course = Course.objects.select_for_update().filter(slug=spec.slug).first()
    wanted = _content_of_spec(spec)
    if course is not None and _content_of_course(course) == wanted:
        outcome: Literal["created", "updated", "unchanged"] = "unchanged"
    else:
        if course is None:
            course, outcome = Course(slug=spec.slug, version=1), "created"
        else:
            course.version += 1
            outcome = "updated"
        for field in (
            "title", "summary", "language", "audiences", "ce_hours", "competencies",
            "approved_for_credit", "status", "completion_rule", "compliance",
        ):  # fmt: skip
            setattr(course, field, wanted[field])
        course.translation_of = (
            Course.objects.get(slug=spec.translation_of) if spec.translation_of else None
        )
        course.save()
        course.prerequisites.set(Course.objects.filter(slug__in=spec.prerequisites))
        _modules_sync(course, wanted["modules"])
    for requirement in spec.required_for:
        Requirement.objects.update_or_create(
            role=requirement.role, course=course, defaults={"due_days": requirement.due_days}
        )
    return Loaded(spec.slug, outcome, course.version)


def _modules_sync(course: Course, modules: list[dict[str, Any]]) -> None:
    """Match what exists to the spec position by position: rows keep their ids (learners keep
    their lesson views and attempts); rows past the spec's end go."""
    existing = list(course.modules.order_by("position", "pk"))
    for index, wanted in enumerate(modules):
        module = existing[index] if index < len(existing) else Module(course=course)
        module.position, module.title = index + 1, wanted["title"]
        module.save()
        lessons = list(module.lessons.order_by("position", "pk"))
        for lesson_index, fields in enumerate(wanted["lessons"]):
            lesson = lessons[lesson_index] if lesson_index < len(lessons) else Lesson(module=module)
            lesson.position = lesson_index + 1
            for name, value in fields.items():
                setattr(lesson, name, value)
            lesson.save()
        for extra in lessons[len(wanted["lessons"]) :]:
            extra.delete()
        # Quizzes come after the module's lessons.
        _quizzes_sync(module, wanted["quizzes"], first_position=len(wanted["lessons"]) + 1)
    for extra_module in existing[len(modules) :]:
        extra_module.delete()


def _quizzes_sync(module: Module, quizzes: list[dict[str, Any]], *, first_position: int) -> None:
    existing = list(module.quizzes.order_by("position", "pk"))
    for index, wanted in enumerate(quizzes):
        quiz = existing[index] if index < len(existing) else Quiz(module=module)
        quiz.position = first_position + index
        for name in ("title", "pass_mark", "attempts_allowed", "randomize"):
            setattr(quiz, name, wanted[name])
        quiz.save()
        questions = list(quiz.questions.order_by("position", "pk"))
        for question_index, question_wanted in enumerate(wanted["questions"]):
            question = (
                questions[question_index]
                if question_index < len(questions)
                else QuizQuestion(quiz=quiz)
            )
            question.position = question_index + 1
            question.kind, question.text = question_wanted["kind"], question_wanted["text"]
            question.save()
            options = list(question.options.order_by("position", "pk"))
            for option_index, option_wanted in enumerate(question_wanted["options"]):
                option = (
                    options[option_index]
                    if option_index < len(options)
                    else QuizOption(question=question)
                )
                option.position = option_index + 1
                for name, value in option_wanted.items():
                    setattr(option, name, value)
                option.save()
            for extra_option in options[len(question_wanted["options"]) :]:
                extra_option.delete()
        for extra_question in questions[len(wanted["questions"]) :]:
            extra_question.delete()
    for extra_quiz in existing[len(quizzes) :]:
        extra_quiz.delete()


# ---------------------------------------------------------------------------------------------
# The personas at their stages (README: Personas)

RESEARCHER = "researcher@tapestry.example"
PROVIDER = "provider@tapestry.example"
PARTNER = "partner@tapestry.example"
LIAISON = "liaison@tapestry.example"
ADMIN = "admin@tapestry.example"

IMPORTED_FROM = "Moodle (state library consortium)"

LEDGER_FILE = Path(__file__).resolve().parent / "data" / "demo_ledger.json"


class ExternalCredit(_Spec):
    """A CE class taken elsewhere, as the liaison persona wrote it in her ledger."""

    title: Annotated[str, Field(min_length=1, max_length=200)]
    provider: Annotated[str, Field(min_length=1, max_length=200)]
    days_ago: Annotated[int, Field(ge=0)]
    hours: Annotated[Decimal, Field(ge=Decimal("0.5"), le=40)]
    approved: bool
    competencies: list[Text]


def external_credit_read(path: Path = LEDGER_FILE) -> list[ExternalCredit]:
    entries = json.loads(path.read_text(encoding="utf-8"))["entries"]
    return [ExternalCredit.model_validate(entry) for entry in entries]


def course_take(*, user_id: int, course: Course, lessons: int | None = None) -> Enrollment:
    """The person enrolls, opens the first `lessons` lessons (all if None) and, when they open
    them all, passes every quiz with the right answers — through the services, as a learner
    would."""
    enrollment = services.course_enroll(user_id=user_id, course=course)
    all_lessons = list(
        Lesson.objects.filter(module__course=course).order_by("module__position", "position")
    )
    for lesson in all_lessons[:lessons]:
        services.lesson_open(enrollment=enrollment, lesson=lesson)
    if lessons is None:
        for quiz in Quiz.objects.filter(module__course=course).order_by("module__position"):
            attempt = services.attempt_start(enrollment=enrollment, quiz=quiz)
            right = {
                question.pk: [option.pk for option in question.options.all() if option.correct]
                for question in quiz.questions.all()
            }
            services.attempt_submit(attempt_id=attempt.pk, user_id=user_id, answers=right)
    return enrollment


def _back_date(enrollment: Enrollment, *, days: int) -> None:
    """DEMO BACK-DATING, for demo data only: move everything the enrollment recorded `days`
    into the past (enrolment, lesson views, attempts, the completion with its expiry and
    certificate, its CE credit and its xAPI statements), so a persona can be "60 days after
    completing" without a clock. The certificate is signed again for its new issue date."""
    shift = datetime.timedelta(days=days)
    Enrollment.objects.filter(pk=enrollment.pk).update(enrolled_at=F("enrolled_at") - shift)
    Enrollment.objects.filter(pk=enrollment.pk, due_on__isnull=False).update(
        due_on=F("due_on") - shift
    )
    LessonView.objects.filter(enrollment=enrollment).update(viewed_at=F("viewed_at") - shift)
    QuizAttempt.objects.filter(enrollment=enrollment).update(started_at=F("started_at") - shift)
    QuizAttempt.objects.filter(enrollment=enrollment, submitted_at__isnull=False).update(
        submitted_at=F("submitted_at") - shift
    )
    completions = Completion.objects.filter(
        user_id=enrollment.user_id,
        course=enrollment.course,
        provenance=Completion.Provenance.HERE,
    )
    completion_ids = list(completions.values_list("pk", flat=True))
    completions.update(completed_at=F("completed_at") - shift)
    completions.filter(expires_at__isnull=False).update(expires_at=F("expires_at") - shift)
    CreditEntry.objects.filter(completion_id__in=completion_ids).update(
        earned_on=F("earned_on") - shift
    )
    for certificate in Certificate.objects.filter(completion_id__in=completion_ids):
        certificate.issued_at -= shift
        certificate.credential_jwt = credentials.credential_sign(certificate=certificate)
        certificate.save(update_fields=["issued_at", "credential_jwt"])
    for statement in Statement.objects.filter(registration=enrollment.registration):
        statement.timestamp -= shift
        statement.body["timestamp"] = (
            statement.timestamp.astimezone(datetime.UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z")
        )
        statement.save(update_fields=["timestamp", "body"])


def _completed(user_id: int, course: Course) -> bool:
    return Completion.objects.filter(user_id=user_id, course=course).exists()


@transaction.atomic
def demo_learners_seed(*, people: dict[str, User]) -> list[str]:
    """Take the personas (`people`: email → their user, from `persona_ensure`) to their stages;
    what is already done is left alone. Returns one line per persona saying where they stand."""
    courses = {course.slug: course for course in Course.objects.all()}
    # Roles granted before the courses existed get their required courses now.
    services.requirements_sync()

    researcher = people[RESEARCHER].pk
    conduct = courses["responsible-conduct-of-research"]
    if not _completed(researcher, conduct):
        _back_date(course_take(user_id=researcher, course=conduct), days=60)

    provider = people[PROVIDER].pk
    literacy = courses["health-literacy-basics"]
    if not _completed(provider, literacy):
        # 355 days ago: the completion expires in 10 days (renewal is open, the warnings run).
        _back_date(course_take(user_id=provider, course=literacy), days=355)

    partner = people[PARTNER].pk
    spanish = courses["alfabetizacion-en-salud-basica"]
    if not Enrollment.objects.filter(user_id=partner, course=spanish).exists():
        # Module 1's three lessons of the six items (five lessons and the quiz): half-way.
        _back_date(course_take(user_id=partner, course=spanish, lessons=3), days=4)

    liaison = people[LIAISON].pk
    consumer = courses["consumer-health-information-sources"]
    if not _completed(liaison, consumer):
        _back_date(course_take(user_id=liaison, course=consumer), days=45)
    for entry in external_credit_read():
        # The ledger's own lines (no completion here), as the learner adds them on the credit
        # page; the foundation has no service for them yet.
        CreditEntry.objects.get_or_create(
            user_id=liaison,
            completion=None,
            title=entry.title,
            defaults={
                "provider": entry.provider,
                "earned_on": timezone.localdate() - datetime.timedelta(days=entry.days_ago),
                "hours": entry.hours,
                "approved": entry.approved,
                "competencies": entry.competencies,
            },
        )
    digital = courses["digital-literacy-research-participation"]
    if not _completed(liaison, digital):
        services.completion_import(
            user_id=liaison,
            course=digital,
            completed_at=timezone.now() - datetime.timedelta(days=150),
            source_system=IMPORTED_FROM,
            actor=people.get(ADMIN),  # the administrator who imported it
            score=90,
        )
    reports.standing_rebuild()
    return [_stage_line(people[email]) for email in (RESEARCHER, PROVIDER, PARTNER, LIAISON)]


def _stage_line(user: User) -> str:
    """Where a persona stands, read back from the records: requirements, courses in progress,
    CE hours."""
    parts = []
    for state in api.compliance_status(user_id=user.pk):
        expires = f", expires {timezone.localdate(state.expires_at)}" if state.expires_at else ""
        parts.append(f"{state.course_title}: {state.status}{expires}")
    for enrollment in Enrollment.objects.filter(user_id=user.pk).select_related("course"):
        done = services.progress_percent(enrollment=enrollment)
        if 0 < done < 100:
            parts.append(f"{enrollment.course.title}: {done}% done")
    ledger = CreditEntry.objects.filter(user_id=user.pk).aggregate(
        total=Sum("hours"), approved_hours=Sum("hours", filter=Q(approved=True))
    )
    if ledger["total"]:
        approved = ledger["approved_hours"] or 0
        parts.append(f"{ledger['total']:.1f} CE hours ({approved:.1f} approved)")
    for completion in Completion.objects.filter(
        user_id=user.pk, provenance=Completion.Provenance.IMPORTED
    ).select_related("course"):
        parts.append(f"{completion.course.title} imported from {completion.source_system}")
    return f"{user.full_name}: " + "; ".join(parts)
