"""Course authoring by program staff: who may, building a course through the pages,
publishing (refused with reasons, then accepted), versions, files, requirements and the
course's evaluation survey."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from tapestry.accounts.api import Role
from tapestry.learning import services
from tapestry.learning.models import (
    Course,
    Enrollment,
    Lesson,
    Module,
    Quiz,
    QuizOption,
    QuizQuestion,
    Requirement,
)
from tapestry.learning.tests.factories import course_finish, course_make

if TYPE_CHECKING:
    from tapestry.accounts.api import User

pytestmark = pytest.mark.django_db

STAFF_PAGES = ["/learning/staff/courses/", "/learning/staff/requirements/"]


def _token(page: Any) -> str:
    match = re.search(r'name="form_token" value="([^"]+)"', page.content.decode())
    assert match, "the form has no token"
    return match.group(1)


def _draft(paula_client: Client) -> Course:
    response = paula_client.post(
        "/learning/staff/courses/new/",
        {
            "title": "Plain language",
            "slug": "plain-language",
            "summary": "Writing for everyone.",
            "language": "en",
            "ce_hours": "1.5",
            "competencies": ["C1", "C4"],
            "audiences": ["liaison", "community_partner"],
            "completion_rule": "all",
        },
    )
    course = Course.objects.get(slug="plain-language")
    assert response.status_code == 302
    assert response["Location"] == f"/learning/staff/courses/{course.pk}/"
    return course


def _module_add(client: Client, course: Course, title: str) -> Module:
    page = client.get(f"/learning/staff/courses/{course.pk}/")
    response = client.post(
        f"/learning/staff/courses/{course.pk}/modules/",
        {"title": title, "form_token": _token(page)},
    )
    assert response.status_code == 302
    return Module.objects.get(course=course, title=title)


def _lesson_add(client: Client, course: Course, module: Module, **fields: Any) -> Any:
    url = f"/learning/staff/courses/{course.pk}/modules/{module.pk}/lessons/new/"
    page = client.get(url)
    data = {"title": "Short sentences", "body": "<p>Keep them short.</p>", "minutes": "5"}
    return client.post(url, {**data, **fields, "form_token": _token(page)})


def _quiz_add(client: Client, course: Course, module: Module) -> Quiz:
    url = f"/learning/staff/courses/{course.pk}/modules/{module.pk}/quizzes/new/"
    page = client.get(url)
    response = client.post(
        url,
        {
            "title": "Check",
            "pass_mark": "80",
            "attempts_allowed": "0",
            "randomize": "on",
            "form_token": _token(page),
        },
    )
    quiz = Quiz.objects.get(module=module, title="Check")
    assert response.status_code == 302
    return quiz


def _question_add(client: Client, course: Course, quiz: Quiz, **fields: Any) -> Any:
    url = f"/learning/staff/courses/{course.pk}/quizzes/{quiz.pk}/questions/new/"
    page = client.get(url)
    return client.post(url, {**fields, "form_token": _token(page)})


# Who may


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_program_staff_and_administrators_open_the_authoring_pages(
    paula_client: Client, admin_signed_in: Client, path: str
) -> None:
    assert paula_client.get(path).status_code == 200
    assert admin_signed_in.get(path).status_code == 200


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_everyone_else_is_refused_and_visitors_are_sent_to_sign_in(
    alice_client: Client, sam_client: Client, bob_client: Client, visitor: Client, path: str
) -> None:
    course = course_make()

    for client in (alice_client, sam_client, bob_client):
        assert client.get(path).status_code == 403
        assert client.get(f"/learning/staff/courses/{course.pk}/").status_code == 403
    response = visitor.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_learner_cannot_publish_or_add_through_a_forged_post(
    alice_client: Client, audit_log: Callable[[], list[tuple]]
) -> None:
    course = course_make(status=Course.Status.DRAFT)

    publish = alice_client.post(f"/learning/staff/courses/{course.pk}/publish/")
    add = alice_client.post(
        f"/learning/staff/courses/{course.pk}/modules/", {"title": "X", "form_token": "abc"}
    )

    assert (publish.status_code, add.status_code) == (403, 403)
    course.refresh_from_db()
    assert course.status == Course.Status.DRAFT
    assert Module.objects.filter(course=course).count() == 1
    assert audit_log() == []


# Building a course through the pages


def test_staff_build_a_course_and_publishing_is_refused_with_reasons_then_accepted(
    paula_client: Client, paula_program_staff: User, audit_log: Callable[[], list[tuple]]
) -> None:
    course = _draft(paula_client)
    assert (course.status, course.ce_hours, course.competencies) == (
        Course.Status.DRAFT,
        Decimal("1.5"),
        ["C1", "C4"],
    )
    assert course.audiences == ["liaison", "community_partner"]
    first = _module_add(paula_client, course, "Words")
    second = _module_add(paula_client, course, "Checking")
    response = _lesson_add(
        paula_client,
        course,
        first,
        body='<p onclick="x()">Short <script>alert(1)</script><strong>words</strong></p>',
    )
    assert response.status_code == 302
    quiz = _quiz_add(paula_client, course, first)

    refused = paula_client.post(f"/learning/staff/courses/{course.pk}/publish/")

    assert refused.status_code == 400
    text = refused.content.decode()
    assert "This course cannot be published yet." in text
    assert "The module “Checking” has no lessons or quizzes." in text
    assert "The quiz “Check” has no questions." in text
    course.refresh_from_db()
    assert course.status == Course.Status.DRAFT

    response = _question_add(
        paula_client,
        course,
        quiz,
        kind="single",
        text="Which is plainer?",
        option_0_text="Use",
        option_0_correct="on",
        option_0_feedback="Short and common.",
        option_1_text="Utilize",
        option_1_feedback="A long word for use.",
    )
    assert response.status_code == 302
    _lesson_add(paula_client, course, second, title="Read it aloud")
    published = paula_client.post(f"/learning/staff/courses/{course.pk}/publish/")

    assert published.status_code == 302
    course.refresh_from_db()
    assert (course.status, course.version) == (Course.Status.PUBLISHED, 1)
    lesson = Lesson.objects.get(module=first)
    assert lesson.body == "<p>Short <strong>words</strong></p>"
    question = QuizQuestion.objects.get(quiz=quiz)
    assert [(o.text, o.correct, o.feedback) for o in question.options.all()] == [
        ("Use", True, "Short and common."),
        ("Utilize", False, "A long word for use."),
    ]
    actions = [row[0] for row in audit_log()]
    assert actions == [
        "learning.course_create",
        "learning.module_add",
        "learning.module_add",
        "learning.lesson_add",
        "learning.quiz_add",
        "learning.question_add",
        "learning.lesson_add",
        "learning.course_publish",
    ]
    assert {row[1] for row in audit_log()} == {paula_program_staff.email}


def test_publishing_is_refused_for_a_question_without_a_correct_answer_and_a_video_without_transcript(
    paula_client: Client,
) -> None:
    course = course_make(status=Course.Status.DRAFT)
    question = QuizQuestion.objects.filter(quiz__module__course=course).first()
    assert question is not None
    question.options.update(correct=False)
    Lesson.objects.filter(module__course=course, position=1).update(
        video_url="https://video.example.org/1"
    )

    refused = paula_client.post(f"/learning/staff/courses/{course.pk}/publish/")

    assert refused.status_code == 400
    text = refused.content.decode()
    assert "The video of the lesson “What is private” has no transcript." in text
    assert "has no correct answer: “Is a name private?”" in text
    course.refresh_from_db()
    assert course.status == Course.Status.DRAFT


def test_a_double_submitted_add_form_adds_one_module(paula_client: Client) -> None:
    course = course_make(status=Course.Status.DRAFT)
    page = paula_client.get(f"/learning/staff/courses/{course.pk}/")
    data = {"title": "Twice", "form_token": _token(page)}

    first = paula_client.post(f"/learning/staff/courses/{course.pk}/modules/", data)
    second = paula_client.post(f"/learning/staff/courses/{course.pk}/modules/", data)

    assert (first.status_code, second.status_code) == (302, 409)
    assert "This form was already submitted" in second.content.decode()
    assert Module.objects.filter(course=course, title="Twice").count() == 1


def test_modules_are_renamed_moved_and_deleted(paula_client: Client) -> None:
    course = course_make(status=Course.Status.DRAFT)
    first = Module.objects.get(course=course)
    second = _module_add(paula_client, course, "Second")
    url = f"/learning/staff/courses/{course.pk}/modules/{second.pk}/"

    paula_client.post(url, {"action": "up"})
    paula_client.post(url, {"action": "rename", f"module-{second.pk}-title": "Now first"})

    assert list(Module.objects.filter(course=course).values_list("title", flat=True)) == [
        "Now first",
        first.title,
    ]
    response = paula_client.post(url, {"action": "delete"})
    assert response.status_code == 302
    assert list(Module.objects.filter(course=course)) == [first]


def test_question_rules_and_true_false_answers_in_the_course_language(
    paula_client: Client,
) -> None:
    course = course_make(status=Course.Status.DRAFT, language="es", slug="privacidad")
    quiz = Quiz.objects.get(module__course=course)
    before = QuizQuestion.objects.filter(quiz=quiz).count()

    two_correct = _question_add(
        paula_client,
        course,
        quiz,
        kind="single",
        text="¿Cuál?",
        option_0_text="A",
        option_0_correct="on",
        option_1_text="B",
        option_1_correct="on",
    )
    none_correct = _question_add(
        paula_client,
        course,
        quiz,
        kind="multiple",
        text="¿Cuáles?",
        option_0_text="A",
        option_1_text="B",
    )
    true_false = _question_add(
        paula_client,
        course,
        quiz,
        kind="true_false",
        text="Un nombre es privado.",
        option_0_correct="on",
        option_1_feedback="Un nombre identifica a una persona.",
    )

    assert two_correct.status_code == 400
    assert "Mark exactly one answer as correct." in two_correct.content.decode()
    assert none_correct.status_code == 400
    assert "Mark at least one answer as correct." in none_correct.content.decode()
    assert true_false.status_code == 302
    question = QuizQuestion.objects.filter(quiz=quiz).latest("pk")
    assert QuizQuestion.objects.filter(quiz=quiz).count() == before + 1
    assert [(o.text, o.correct, o.feedback) for o in question.options.all()] == [
        ("Verdadero", True, ""),
        ("Falso", False, "Un nombre identifica a una persona."),
    ]


def test_a_video_needs_https_and_a_transcript(paula_client: Client) -> None:
    course = course_make(status=Course.Status.DRAFT)
    module = Module.objects.get(course=course)
    lessons = Lesson.objects.count()

    plain_http = _lesson_add(
        paula_client, course, module, video_url="http://video.example.org/1", transcript="Hi"
    )
    no_transcript = _lesson_add(
        paula_client, course, module, video_url="https://video.example.org/1"
    )

    assert plain_http.status_code == 400
    assert "The video link must start with https://." in plain_http.content.decode()
    assert no_transcript.status_code == 400
    assert "needs the video&#x27;s transcript" in no_transcript.content.decode()
    assert Lesson.objects.count() == lessons


# Versions


def test_editing_a_published_course_raises_its_version_once_per_change(
    paula_client: Client, alice_liaison: User
) -> None:
    course = course_make()
    completion = course_finish(user_id=alice_liaison.pk, course=course)
    lesson = Lesson.objects.filter(module__course=course).first()
    quiz = Quiz.objects.get(module__course=course)
    assert lesson is not None

    paula_client.post(
        f"/learning/staff/courses/{course.pk}/lessons/{lesson.pk}/",
        {"title": lesson.title, "body": "<p>Names and addresses are private.</p>", "minutes": 5},
    )
    course.refresh_from_db()
    assert course.version == 2
    paula_client.post(
        f"/learning/staff/courses/{course.pk}/quizzes/{quiz.pk}/",
        {"title": quiz.title, "pass_mark": "90", "attempts_allowed": "3", "randomize": "on"},
    )
    course.refresh_from_db()
    assert course.version == 3
    # Saving the settings without a content change keeps the version; the title is no content.
    paula_client.post(
        f"/learning/staff/courses/{course.pk}/",
        {
            "title": "Privacy basics, revised",
            "slug": course.slug,
            "summary": course.summary,
            "language": "en",
            "ce_hours": "0",
            "competencies": [],
            "completion_rule": "all",
        },
    )
    course.refresh_from_db()
    assert (course.title, course.version) == ("Privacy basics, revised", 3)
    # Saving the same lesson again changes nothing, so the version stays.
    paula_client.post(
        f"/learning/staff/courses/{course.pk}/lessons/{lesson.pk}/",
        {"title": lesson.title, "body": "<p>Names and addresses are private.</p>", "minutes": 5},
    )
    course.refresh_from_db()
    assert course.version == 3
    completion.refresh_from_db()
    assert completion.course_version == 1


def test_a_draft_course_keeps_version_one_while_it_is_written(paula_client: Client) -> None:
    course = course_make(status=Course.Status.DRAFT)
    module = Module.objects.get(course=course)

    _lesson_add(paula_client, course, module, title="Another")

    course.refresh_from_db()
    assert course.version == 1


# Files


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


def test_a_real_pdf_and_docx_are_stored_named_by_their_content(
    paula_client: Client, settings: SettingsWrapper, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    course = course_make(status=Course.Status.DRAFT)
    module = Module.objects.get(course=course)

    pdf = _lesson_add(
        paula_client,
        course,
        module,
        title="Handout",
        file=SimpleUploadedFile("handout.pdf", b"%PDF-1.7\n%\xe2\xe3\n1 0 obj\n"),
    )
    docx = _lesson_add(
        paula_client,
        course,
        module,
        title="Worksheet",
        file=SimpleUploadedFile("worksheet.bin", _docx()),
    )

    assert (pdf.status_code, docx.status_code) == (302, 302)
    handout = Lesson.objects.get(title="Handout")
    worksheet = Lesson.objects.get(title="Worksheet")
    assert str(handout.file.name).endswith("/handout.pdf")
    assert str(worksheet.file.name).endswith("/worksheet.docx")
    assert (tmp_path / str(handout.file.name)).read_bytes().startswith(b"%PDF-")


@pytest.mark.parametrize(
    "content",
    [b"MZ\x90\x00\x03\x00\x00\x00 this program cannot be run", b"just some text, not a PDF"],
)
def test_a_file_whose_content_is_not_what_its_name_says_is_refused(
    paula_client: Client, settings: SettingsWrapper, tmp_path: Path, content: bytes
) -> None:
    settings.MEDIA_ROOT = tmp_path
    course = course_make(status=Course.Status.DRAFT)
    module = Module.objects.get(course=course)
    lessons = Lesson.objects.count()

    response = _lesson_add(
        paula_client, course, module, file=SimpleUploadedFile("handout.pdf", content)
    )

    assert response.status_code == 400
    assert "This file is not a PDF, Word (DOCX)" in response.content.decode()
    assert Lesson.objects.count() == lessons
    assert list(tmp_path.iterdir()) == []


def test_an_oversized_file_is_refused(
    paula_client: Client, settings: SettingsWrapper, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    settings.LEARNING_FILE_MAX_BYTES = 1024 * 1024
    course = course_make(status=Course.Status.DRAFT)
    module = Module.objects.get(course=course)
    lessons = Lesson.objects.count()

    response = _lesson_add(
        paula_client,
        course,
        module,
        file=SimpleUploadedFile("big.pdf", b"%PDF-1.7\n" + b"0" * (1024 * 1024)),
    )

    assert response.status_code == 400
    assert "The file is too large: the limit is 1 MB." in response.content.decode()
    assert Lesson.objects.count() == lessons
    assert list(tmp_path.iterdir()) == []


# Requirements


def test_adding_a_requirement_assigns_the_course_to_current_holders_of_the_role(
    paula_client: Client,
    alice_liaison: User,
    bob_applicant: User,
    paula_program_staff: User,
    audit_log: Callable[[], list[tuple]],
) -> None:
    course = course_make(compliance=True)

    response = paula_client.post(
        "/learning/staff/requirements/",
        {"action": "add", "role": Role.LIAISON.value, "course": course.pk, "due_days": "14"},
    )

    assert response.status_code == 302
    requirement = Requirement.objects.get()
    assert (requirement.role, requirement.course, requirement.due_days) == (
        "liaison",
        course,
        14,
    )
    enrollments = Enrollment.objects.filter(course=course)
    assert [(e.user_id, e.source) for e in enrollments] == [(alice_liaison.pk, "role")]
    assert ("learning.requirement_add", paula_program_staff.email) in [
        row[:2] for row in audit_log()
    ]


def test_a_requirement_needs_a_published_compliance_course(paula_client: Client) -> None:
    course = course_make(compliance=False)

    response = paula_client.post(
        "/learning/staff/requirements/",
        {"action": "add", "role": "liaison", "course": course.pk, "due_days": "14"},
    )

    assert response.status_code == 400
    assert Requirement.objects.count() == 0
    assert Enrollment.objects.count() == 0


def test_a_requirement_is_removed_and_its_course_can_then_be_retired(
    paula_client: Client,
) -> None:
    course = course_make(compliance=True)
    requirement = Requirement.objects.create(role="liaison", course=course, due_days=30)

    refused = paula_client.post(f"/learning/staff/courses/{course.pk}/retire/")
    assert refused.status_code == 400
    removed = paula_client.post(
        "/learning/staff/requirements/", {"action": "remove", "requirement": requirement.pk}
    )
    retired = paula_client.post(f"/learning/staff/courses/{course.pk}/retire/")

    assert (removed.status_code, retired.status_code) == (302, 302)
    assert Requirement.objects.count() == 0
    course.refresh_from_db()
    assert course.status == Course.Status.RETIRED


# Evaluation


def _evaluation_survey(slug: str = "course-eval") -> Any:
    # Built through the app registry: learning's tests may not import the surveys app's
    # factories (the import contracts keep the apps apart except through api.py).
    instrument = apps.get_model("surveys", "Instrument")
    return instrument.objects.create(
        slug=slug,
        title_en="How was the course?",
        title_es="¿Qué le pareció el curso?",
        purpose="course_evaluation",
        mode="identified",
        status="published",
    )


def test_staff_attach_and_detach_the_course_evaluation(
    paula_client: Client, paula_program_staff: User, audit_log: Callable[[], list[tuple]]
) -> None:
    from tapestry.surveys import api as surveys_api

    course = course_make()
    _evaluation_survey()

    attached = paula_client.post(
        f"/learning/staff/courses/{course.pk}/evaluation/",
        {"action": "attach", "instrument": "course-eval"},
    )

    assert attached.status_code == 302
    choice = surveys_api.evaluation_of(subject_kind="course", subject_ref=str(course.pk))
    assert choice is not None and choice.slug == "course-eval"
    page = paula_client.get(f"/learning/staff/courses/{course.pk}/").content.decode()
    assert "Learners who complete the course are invited to answer “How was the course?”." in page
    assert "Evaluations received: 0." in page
    assert 'href="/surveys/staff/course-eval/results/"' in page

    detached = paula_client.post(
        f"/learning/staff/courses/{course.pk}/evaluation/", {"action": "detach"}
    )

    assert detached.status_code == 302
    assert surveys_api.evaluation_of(subject_kind="course", subject_ref=str(course.pk)) is None
    rows = [row[:2] for row in audit_log() if row[0].startswith("learning.")]
    assert rows == [
        ("learning.evaluation_attach", paula_program_staff.email),
        ("learning.evaluation_detach", paula_program_staff.email),
    ]


def test_an_unknown_evaluation_survey_is_refused(paula_client: Client) -> None:
    from tapestry.surveys import api as surveys_api

    course = course_make()
    _evaluation_survey()

    response = paula_client.post(
        f"/learning/staff/courses/{course.pk}/evaluation/",
        {"action": "attach", "instrument": "not-a-survey"},
    )

    assert response.status_code == 400
    assert surveys_api.evaluation_of(subject_kind="course", subject_ref=str(course.pk)) is None


# The list


def test_the_list_counts_enrollments_and_completions_and_filters_by_status(
    paula_client: Client, alice_liaison: User
) -> None:
    course = course_make()
    course_make(slug="draft-one", title="Draft one", status=Course.Status.DRAFT)
    course_finish(user_id=alice_liaison.pk, course=course)

    everything = paula_client.get("/learning/staff/courses/").content.decode()
    drafts = paula_client.get("/learning/staff/courses/?status=draft").content.decode()

    assert "Privacy basics" in everything and "Draft one" in everything
    row = everything.split("Privacy basics", 1)[1].split("</tr>", 1)[0]
    assert re.findall(r'data-label="(?:Enrollments|Completions)">(\d+)<', row) == ["1", "1"]
    assert "Draft one" in drafts and "Privacy basics" not in drafts


def test_services_refuse_an_option_list_without_two_answers() -> None:
    with pytest.raises(services.LearningError, match="at least two answers"):
        services.question_options_checked(
            kind="single", options=[{"text": "Only", "correct": True}], language="en"
        )
    assert QuizOption.objects.count() == 0


def test_a_question_learners_answered_keeps_its_options_when_edited_and_cannot_be_deleted(
    paula_client: Client, alice_liaison: User
) -> None:
    course = course_make()
    course_finish(user_id=alice_liaison.pk, course=course)
    question = QuizQuestion.objects.get(quiz__module__course=course, kind="single")
    option_ids = list(question.options.values_list("pk", flat=True))
    url = f"/learning/staff/courses/{course.pk}/questions/{question.pk}/"

    edited = paula_client.post(
        url,
        {
            "kind": "single",
            "text": "Is a person's name private?",
            "option_0_text": "Yes, always",
            "option_0_correct": "on",
            "option_1_text": "No",
        },
    )
    shortened = paula_client.post(
        url,
        {"kind": "true_false", "text": "A name is private.", "option_0_correct": "on"},
    )
    one_fewer = paula_client.post(
        url, {"kind": "single", "text": "Is a name private?", "option_0_text": "Yes"}
    )
    deleted = paula_client.post(url, {"action": "delete"})

    assert edited.status_code == 302
    assert shortened.status_code == 302
    assert one_fewer.status_code == 400
    assert deleted.status_code == 400
    assert "can be changed but not deleted" in deleted.content.decode()
    question.refresh_from_db()
    assert question.kind == "true_false"
    assert list(question.options.values_list("pk", "text", "correct")) == [
        (option_ids[0], "True", True),
        (option_ids[1], "False", False),
    ]
    course.refresh_from_db()
    assert course.version == 3


def test_settings_refuse_a_translation_in_the_same_language_and_hours_off_the_half_hour(
    paula_client: Client,
) -> None:
    english = course_make()
    other = course_make(slug="health-literacy", title="Health literacy")
    data = {
        "title": other.title,
        "slug": other.slug,
        "summary": other.summary,
        "language": "en",
        "translation_of": english.pk,
        "ce_hours": "1.3",
        "completion_rule": "all",
    }

    response = paula_client.post(f"/learning/staff/courses/{other.pk}/", data)

    assert response.status_code == 400
    text = response.content.decode()
    assert "Choose a course in the other language than this one." in text
    assert "Give the hours in steps of 0.5" in text
    other.refresh_from_db()
    assert (other.translation_of_id, other.ce_hours) == (None, Decimal("0"))

    spanish = paula_client.post(
        f"/learning/staff/courses/{other.pk}/", {**data, "language": "es", "ce_hours": "2.5"}
    )

    assert spanish.status_code == 302
    other.refresh_from_db()
    assert (other.translation_of_id, other.ce_hours, other.language) == (
        english.pk,
        Decimal("2.5"),
        "es",
    )
