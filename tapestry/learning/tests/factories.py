"""Courses for tests: a small course of one module with two lessons and a two-question quiz,
and shortcuts that take a learner through it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tapestry.learning import reports, services
from tapestry.learning.models import (
    Completion,
    Course,
    Enrollment,
    Lesson,
    Module,
    Quiz,
    QuizOption,
    QuizQuestion,
    Requirement,
)


def course_make(
    *,
    slug: str = "privacy-basics",
    title: str = "Privacy basics",
    language: str = "en",
    compliance: bool = False,
    ce_hours: str = "0",
    approved_for_credit: bool = False,
    status: str = Course.Status.PUBLISHED,
    **fields: Any,
) -> Course:
    """A published course: module "Why privacy matters" with two lessons and a quiz of two
    questions (one single answer, one multiple answer), pass mark 80, randomized."""
    course = Course.objects.create(
        slug=slug,
        title=title,
        summary=f"What {title.lower()} covers, in plain language.",
        language=language,
        compliance=compliance,
        ce_hours=Decimal(ce_hours),
        approved_for_credit=approved_for_credit,
        status=status,
        **fields,
    )
    module = Module.objects.create(course=course, position=1, title="Why privacy matters")
    Lesson.objects.create(
        module=module, position=1, title="What is private", body="<p>Names are private.</p>"
    )
    Lesson.objects.create(
        module=module, position=2, title="Who may see data", body="<p>Only approved people.</p>"
    )
    quiz = Quiz.objects.create(module=module, position=3, title="Check what you learned")
    single = QuizQuestion.objects.create(
        quiz=quiz, position=1, kind=QuizQuestion.Kind.SINGLE, text="Is a name private?"
    )
    QuizOption.objects.create(question=single, position=1, text="Yes", correct=True)
    QuizOption.objects.create(
        question=single, position=2, text="No", feedback="A name identifies a person."
    )
    multiple = QuizQuestion.objects.create(
        quiz=quiz, position=2, kind=QuizQuestion.Kind.MULTIPLE, text="Which are identifiers?"
    )
    QuizOption.objects.create(question=multiple, position=1, text="Email address", correct=True)
    QuizOption.objects.create(question=multiple, position=2, text="Phone number", correct=True)
    QuizOption.objects.create(question=multiple, position=3, text="Favourite colour")
    return course


def right_answers(quiz: Quiz) -> dict[int, list[int]]:
    return {
        question.pk: [option.pk for option in question.options.all() if option.correct]
        for question in quiz.questions.all()
    }


def wrong_answers(quiz: Quiz) -> dict[int, list[int]]:
    return {
        question.pk: [next(option.pk for option in question.options.all() if not option.correct)]
        for question in quiz.questions.all()
    }


def course_finish(*, user_id: int, course: Course) -> Completion:
    """Enroll the person, open every lesson and pass every quiz; returns the completion."""
    enrollment = services.course_enroll(user_id=user_id, course=course)
    for lesson in Lesson.objects.filter(module__course=course):
        services.lesson_open(enrollment=enrollment, lesson=lesson)
    for quiz in Quiz.objects.filter(module__course=course):
        attempt = services.attempt_start(enrollment=enrollment, quiz=quiz)
        services.attempt_submit(attempt_id=attempt.pk, user_id=user_id, answers=right_answers(quiz))
    return Completion.objects.filter(user_id=user_id, course=course).latest("completed_at")


def requirement_make(*, role: str, course: Course, due_days: int = 30) -> Requirement:
    requirement = Requirement.objects.create(role=role, course=course, due_days=due_days)
    reports.standing_rebuild()  # as services.requirement_add does
    return requirement


def enrollment_of(*, user_id: int, course: Course) -> Enrollment:
    return Enrollment.objects.get(user_id=user_id, course=course)
