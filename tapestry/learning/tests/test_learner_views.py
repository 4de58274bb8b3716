"""The learner's pages through the Django test client: the catalog, a course taken from
enrolling to the certificate, and the refusals (a visitor, someone else's attempt, tampered
answers, a second submission, a draft course)."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone
from django.utils.formats import date_format

from tapestry.accounts.api import Role, role_grant
from tapestry.learning import services
from tapestry.learning.models import (
    Completion,
    Course,
    Enrollment,
    LearnerProfile,
    Lesson,
    LessonView,
    Quiz,
    QuizAttempt,
    QuizOption,
    Statement,
)
from tapestry.learning.tests.factories import (
    course_finish,
    course_make,
    enrollment_of,
    requirement_make,
    right_answers,
    wrong_answers,
)
from tapestry.network.api import organizations_get

if TYPE_CHECKING:
    from django.http import HttpResponse

    from tapestry.accounts.api import User


def _post_answers(attempt: QuizAttempt, answers: dict[int, list[int]]) -> dict[str, object]:
    data: dict[str, object] = {"attempt": str(attempt.pk)}
    for question_id, options in answers.items():
        data[f"question-{question_id}"] = [str(option) for option in options]
    return data


def _text(response: HttpResponse | Any) -> str:
    return response.content.decode()


# ---------------------------------------------------------------------------------------------
# The catalog


def test_the_catalog_lists_published_courses_with_their_facts_and_translation(
    db: None, visitor: Client
) -> None:
    english = course_make(
        slug="health-literacy-basics",
        title="Health literacy basics",
        ce_hours="1.5",
        approved_for_credit=True,
    )
    course_make(
        slug="alfabetizacion-en-salud",
        title="Alfabetización en salud",
        language="es",
        translation_of=english,
    )
    course_make(slug="draft-course", title="Draft course", status=Course.Status.DRAFT)

    page = visitor.get("/learning/")

    text = _text(page)
    assert page.status_code == 200
    assert "2 courses" in text
    assert "Health literacy basics" in text
    assert "Alfabetización en salud" in text
    assert "Draft course" not in text
    assert "1.5 CE hours" in text
    assert (
        'href="/learning/courses/alfabetizacion-en-salud/" lang="es" hreflang="es">También en español'
        in text
    )
    assert (
        'href="/learning/courses/health-literacy-basics/" lang="en" hreflang="en">Also in English'
        in text
    )


def test_the_catalog_filters_by_language_audience_credit_and_text(
    db: None, visitor: Client
) -> None:
    course_make(slug="for-researchers", title="Research ethics", audiences=["researcher"])
    course_make(
        slug="para-todos", title="Privacidad para todos", language="es", approved_for_credit=True
    )
    course_make(slug="for-liaisons", title="Library outreach", audiences=["liaison"])

    spanish = _text(visitor.get("/learning/", {"language": "es"}))
    researchers = _text(visitor.get("/learning/", {"audience": "researcher"}))
    credit = _text(visitor.get("/learning/", {"credit": "on"}))
    searched = _text(visitor.get("/learning/", {"q": "outreach"}))
    nothing = visitor.get("/learning/", {"q": "astronomy"})

    assert ("Privacidad para todos" in spanish, "Research ethics" in spanish) == (True, False)
    # A course for everyone (no audiences) is for researchers too.
    assert "2 courses" in researchers
    assert ("Research ethics" in researchers, "Privacidad para todos" in researchers) == (
        True,
        True,
    )
    assert "Library outreach" not in researchers
    assert ("Privacidad para todos" in credit, "Library outreach" in credit) == (True, False)
    assert "1 course" in searched and "Library outreach" in searched
    assert "No courses match these filters" in _text(nothing)


def test_a_bad_catalog_filter_is_a_400_with_the_error(db: None, visitor: Client) -> None:
    page = visitor.get("/learning/", {"language": "fr"})

    assert page.status_code == 400
    assert "Please correct the highlighted fields." in _text(page)


def test_the_catalog_paginates_by_twenty(db: None, visitor: Client) -> None:
    for number in range(21):
        course_make(slug=f"course-{number:02d}", title=f"Course {number:02d}")

    first = _text(visitor.get("/learning/"))
    second = _text(visitor.get("/learning/", {"page": "2"}))

    assert "21 courses" in first
    assert ("Course 19" in first, "Course 20" in first) == (True, False)
    assert ("Course 20" in second, "Course 00" in second) == (True, False)
    assert "Page 2 of 2" in second


def test_the_spanish_catalog_speaks_spanish(db: None, visitor: Client) -> None:
    course_make()
    visitor.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"

    page = visitor.get("/learning/")

    text = _text(page)
    assert page.status_code == 200
    assert '<html lang="es">' in text
    assert "Capacitación" in text
    assert "1 curso" in text
    assert "Buscar en títulos y resúmenes" in text


# ---------------------------------------------------------------------------------------------
# A course taken from beginning to end


def test_a_learner_enrolls_reads_fails_then_passes_and_finds_the_certificate(
    alice_liaison: User, alice_client: Client
) -> None:
    course = course_make(compliance=True)
    lessons = list(Lesson.objects.filter(module__course=course))
    quiz = Quiz.objects.get(module__course=course)

    course_page = _text(alice_client.get("/learning/courses/privacy-basics/"))
    enrolled = alice_client.post("/learning/courses/privacy-basics/enroll/")
    first_lesson = alice_client.get(f"/learning/courses/privacy-basics/lessons/{lessons[0].pk}/")
    alice_client.get(f"/learning/courses/privacy-basics/lessons/{lessons[1].pk}/")
    with_progress = _text(alice_client.get("/learning/courses/privacy-basics/"))

    assert 'action="/learning/courses/privacy-basics/enroll/"' in course_page
    assert enrolled.status_code == 302
    assert enrolled["Location"] == "/learning/courses/privacy-basics/"
    assert first_lesson.status_code == 200
    assert "<p>Names are private.</p>" in _text(first_lesson)
    assert f'href="/learning/courses/privacy-basics/lessons/{lessons[1].pk}/"' in _text(
        first_lesson
    )
    assert '<progress id="course-progress" class="tapestry-progress" max="100" value="67">' in (
        with_progress
    )
    resume = f'<a class="usa-button" href="/learning/courses/privacy-basics/lessons/{lessons[1].pk}/">Resume</a>'
    assert resume in with_progress
    enrollment = enrollment_of(user_id=alice_liaison.pk, course=course)
    assert enrollment.resume_at == f"lesson:{lessons[1].pk}"
    assert LessonView.objects.filter(enrollment=enrollment).count() == 2

    # A wrong first attempt: the result names the feedback of the chosen answer.
    quiz_page = alice_client.get(f"/learning/courses/privacy-basics/quizzes/{quiz.pk}/")
    attempt = QuizAttempt.objects.get(enrollment=enrollment, number=1)
    failed = alice_client.post(
        f"/learning/courses/privacy-basics/quizzes/{quiz.pk}/",
        _post_answers(attempt, wrong_answers(quiz)),
    )
    failed_result = _text(alice_client.get(failed["Location"]))

    assert quiz_page.status_code == 200
    assert "Attempt 1 of 3. Attempts used: 0 of 3." in _text(quiz_page)
    assert "You pass with 80% or more." in _text(quiz_page)
    assert _text(quiz_page).count("<fieldset") == 2
    assert failed.status_code == 302
    assert failed["Location"] == f"/learning/attempts/{attempt.pk}/"
    assert "You scored 0%; the pass mark is 80%." in failed_result
    assert "A name identifies a person." in failed_result
    assert "Not right" in failed_result
    assert "Try again" in failed_result
    assert not Completion.objects.filter(user=alice_liaison).exists()

    # The second attempt passes and completes the course.
    alice_client.get(f"/learning/courses/privacy-basics/quizzes/{quiz.pk}/")
    second = QuizAttempt.objects.get(enrollment=enrollment, number=2)
    passed = alice_client.post(
        f"/learning/courses/privacy-basics/quizzes/{quiz.pk}/",
        _post_answers(second, right_answers(quiz)),
    )
    passed_result = _text(alice_client.get(passed["Location"]))

    completion = Completion.objects.get(user=alice_liaison, course=course)
    code = completion.certificate.code
    assert "You scored 100%; the pass mark is 80%." in passed_result
    assert "You completed the course" in passed_result
    assert f'href="/learning/verify/{code}/"' in passed_result
    assert "Try again" not in passed_result

    mine = _text(alice_client.get("/learning/mine/"))
    assert "Privacy basics" in mine
    assert "Completed in Tapestry" in mine
    assert f'href="/learning/verify/{code}/"' in mine
    assert "100%" in mine


def test_the_quiz_shows_questions_in_the_attempts_order_with_the_right_inputs(
    alice_liaison: User, alice_client: Client
) -> None:
    course = course_make()
    quiz = Quiz.objects.get(module__course=course)
    services.course_enroll(user_id=alice_liaison.pk, course=course)

    text = _text(alice_client.get(f"/learning/courses/privacy-basics/quizzes/{quiz.pk}/"))

    attempt = QuizAttempt.objects.get(enrollment__user=alice_liaison)
    positions = [
        text.index(f'id="option-{option_id}"')
        for _question, options in attempt.layout
        for option_id in options
    ]
    assert positions == sorted(positions)
    single, multiple = (
        quiz.questions.get(kind="single"),
        quiz.questions.get(kind="multiple"),
    )
    assert f'type="radio" name="question-{single.pk}"' in text
    assert f'type="checkbox" name="question-{multiple.pk}"' in text
    assert f'name="attempt" value="{attempt.pk}"' in text


def test_missing_answers_show_the_form_again_with_the_choices_kept(
    alice_liaison: User, alice_client: Client
) -> None:
    course = course_make()
    quiz = Quiz.objects.get(module__course=course)
    enrollment = services.course_enroll(user_id=alice_liaison.pk, course=course)
    attempt = services.attempt_start(enrollment=enrollment, quiz=quiz)
    single = quiz.questions.get(kind="single")
    chosen = right_answers(quiz)[single.pk]

    page = alice_client.post(
        f"/learning/courses/privacy-basics/quizzes/{quiz.pk}/",
        _post_answers(attempt, {single.pk: chosen}),
    )

    text = _text(page)
    assert page.status_code == 400
    assert "Answer every question before you submit." in text
    assert "Answer this question." in text
    assert f'id="option-{chosen[0]}" value="{chosen[0]}" checked' in text
    attempt.refresh_from_db()
    assert (attempt.submitted_at, attempt.answers) == (None, {})


def test_a_tampered_option_is_a_400_and_nothing_is_stored(
    alice_liaison: User, alice_client: Client
) -> None:
    course = course_make()
    other = course_make(slug="other-course", title="Other course")
    quiz = Quiz.objects.get(module__course=course)
    foreign_option = QuizOption.objects.filter(question__quiz__module__course=other).first()
    assert foreign_option is not None
    enrollment = services.course_enroll(user_id=alice_liaison.pk, course=course)
    attempt = services.attempt_start(enrollment=enrollment, quiz=quiz)
    statements_before = Statement.objects.count()
    answers = right_answers(quiz)
    first_question = next(iter(answers))
    answers[first_question] = [foreign_option.pk]

    foreign = alice_client.post(
        f"/learning/courses/privacy-basics/quizzes/{quiz.pk}/", _post_answers(attempt, answers)
    )
    not_a_number = alice_client.post(
        f"/learning/courses/privacy-basics/quizzes/{quiz.pk}/",
        {"attempt": str(attempt.pk), f"question-{first_question}": "1 OR 1=1"},
    )

    assert foreign.status_code == 400
    assert "The answers do not match this quiz. Reload the page and try again." in _text(foreign)
    assert not_a_number.status_code == 400
    assert "The answers could not be read. Reload the page and try again." in _text(not_a_number)
    attempt.refresh_from_db()
    assert (attempt.submitted_at, attempt.score, attempt.answers) == (None, None, {})
    assert Statement.objects.count() == statements_before


def test_a_second_submission_is_a_409_that_links_to_the_result(
    alice_liaison: User, alice_client: Client
) -> None:
    course = course_make()
    quiz = Quiz.objects.get(module__course=course)
    enrollment = services.course_enroll(user_id=alice_liaison.pk, course=course)
    attempt = services.attempt_start(enrollment=enrollment, quiz=quiz)
    url = f"/learning/courses/privacy-basics/quizzes/{quiz.pk}/"
    alice_client.post(url, _post_answers(attempt, wrong_answers(quiz)))

    again = alice_client.post(url, _post_answers(attempt, right_answers(quiz)))

    assert again.status_code == 409
    assert "Already submitted" in _text(again)
    assert f'href="/learning/attempts/{attempt.pk}/"' in _text(again)
    attempt.refresh_from_db()
    assert (attempt.score, attempt.passed) == (0, False)


def test_an_attempt_past_the_limit_is_a_403_with_the_message(
    alice_liaison: User, alice_client: Client
) -> None:
    course = course_make()
    quiz = Quiz.objects.get(module__course=course)
    quiz.attempts_allowed = 1
    quiz.save(update_fields=["attempts_allowed"])
    enrollment = services.course_enroll(user_id=alice_liaison.pk, course=course)
    attempt = services.attempt_start(enrollment=enrollment, quiz=quiz)
    services.attempt_submit(
        attempt_id=attempt.pk, user_id=alice_liaison.pk, answers=wrong_answers(quiz)
    )

    page = alice_client.get(f"/learning/courses/privacy-basics/quizzes/{quiz.pk}/")
    result = _text(alice_client.get(f"/learning/attempts/{attempt.pk}/"))

    assert page.status_code == 403
    assert "You have used all 1 attempts at this quiz." in _text(page)
    assert QuizAttempt.objects.filter(enrollment=enrollment).count() == 1
    assert "Try again" not in result


# ---------------------------------------------------------------------------------------------
# Who may see what


def test_a_visitor_cannot_open_a_lesson_or_a_quiz(db: None, visitor: Client) -> None:
    course = course_make()
    lesson = Lesson.objects.filter(module__course=course).first()
    quiz = Quiz.objects.get(module__course=course)
    assert lesson is not None

    lesson_page = visitor.get(f"/learning/courses/privacy-basics/lessons/{lesson.pk}/")
    quiz_page = visitor.get(f"/learning/courses/privacy-basics/quizzes/{quiz.pk}/")
    course_page = _text(visitor.get("/learning/courses/privacy-basics/"))

    assert lesson_page.status_code == 302
    assert lesson_page["Location"] == "/learning/courses/privacy-basics/"
    assert quiz_page["Location"] == "/learning/courses/privacy-basics/"
    assert "Sign in to enroll" in course_page
    assert "Sign in and enroll in the course to open its lessons." in course_page
    assert (LessonView.objects.count(), QuizAttempt.objects.count()) == (0, 0)


def test_a_learner_not_enrolled_is_sent_to_the_course_page(
    alice_client: Client, alice_liaison: User
) -> None:
    course = course_make()
    lesson = Lesson.objects.filter(module__course=course).first()
    assert lesson is not None

    page = alice_client.get(f"/learning/courses/privacy-basics/lessons/{lesson.pk}/", follow=True)

    assert page.redirect_chain == [("/learning/courses/privacy-basics/", 302)]
    assert "Enroll in the course to open its lessons and quizzes." in _text(page)
    assert not Enrollment.objects.filter(user=alice_liaison).exists()


def test_another_learners_attempt_result_is_a_404(
    alice_liaison: User, bob_applicant: User, bob_client: Client
) -> None:
    course = course_make()
    quiz = Quiz.objects.get(module__course=course)
    enrollment = services.course_enroll(user_id=alice_liaison.pk, course=course)
    attempt = services.attempt_start(enrollment=enrollment, quiz=quiz)
    services.attempt_submit(
        attempt_id=attempt.pk, user_id=alice_liaison.pk, answers=wrong_answers(quiz)
    )
    services.course_enroll(user_id=bob_applicant.pk, course=course)

    result = bob_client.get(f"/learning/attempts/{attempt.pk}/")
    submit = bob_client.post(
        f"/learning/courses/privacy-basics/quizzes/{quiz.pk}/",
        _post_answers(attempt, right_answers(quiz)),
    )

    assert result.status_code == 404
    assert submit.status_code == 404
    attempt.refresh_from_db()
    assert attempt.score == 0


def test_a_draft_course_is_a_404_for_a_learner_and_open_to_program_staff(
    alice_client: Client, paula_client: Client, visitor: Client
) -> None:
    course_make(slug="coming-soon", title="Coming soon", status=Course.Status.DRAFT)

    assert alice_client.get("/learning/courses/coming-soon/").status_code == 404
    assert visitor.get("/learning/courses/coming-soon/").status_code == 404
    assert alice_client.post("/learning/courses/coming-soon/enroll/").status_code == 404
    staff_page = paula_client.get("/learning/courses/coming-soon/")
    assert staff_page.status_code == 200
    assert "This course is not published (status: Draft)." in _text(staff_page)
    assert Enrollment.objects.count() == 0


def test_a_locked_course_names_its_prerequisite_and_refuses_its_lessons(
    alice_liaison: User, alice_client: Client
) -> None:
    registered = course_make(slug="registered-tier", title="Registered tier")
    controlled = course_make(slug="controlled-tier", title="Controlled tier")
    controlled.prerequisites.add(registered)
    services.course_enroll(user_id=alice_liaison.pk, course=controlled)
    lesson = Lesson.objects.filter(module__course=controlled).first()
    assert lesson is not None

    page = _text(alice_client.get("/learning/courses/controlled-tier/"))
    refused = alice_client.get(f"/learning/courses/controlled-tier/lessons/{lesson.pk}/")

    assert "This course opens once you have completed: Registered tier." in page
    assert 'href="/learning/courses/registered-tier/"' in page
    assert refused.status_code == 403
    assert LessonView.objects.count() == 0


# ---------------------------------------------------------------------------------------------
# My learning, renewal and the profile


def test_my_learning_shows_requirements_and_imported_completions(
    alice_liaison: User, alice_client: Client
) -> None:
    required = course_make(slug="conduct", title="Responsible conduct", compliance=True)
    requirement_make(role=Role.RESEARCHER, course=required, due_days=30)
    role_grant(user_id=alice_liaison.pk, roles=[Role.RESEARCHER])
    imported = course_make(slug="outreach", title="Library outreach")
    services.completion_import(
        user_id=alice_liaison.pk,
        course=imported,
        completed_at=timezone.now() - datetime.timedelta(days=3),
        source_system="CE Campus",
        actor=None,
    )
    due = timezone.localdate() + datetime.timedelta(days=30)

    mine = _text(alice_client.get("/learning/mine/"))

    assert "Responsible conduct" in mine
    assert "Missing" in mine
    assert f"Imported from CE Campus, {date_format(timezone.localdate(), 'DATE_FORMAT')}" in mine
    assert f'<td data-label="Due">{date_format(due, "DATE_FORMAT")}</td>' in mine


def test_my_learning_needs_sign_in(db: None, visitor: Client) -> None:
    page = visitor.get("/learning/mine/")

    assert page.status_code == 302
    assert page["Location"].startswith("/accounts/login/")


def test_renewal_opens_on_its_day_and_starts_a_new_cycle(
    alice_liaison: User, alice_client: Client
) -> None:
    course = course_make(compliance=True)
    completion = course_finish(user_id=alice_liaison.pk, course=course)

    early = _text(alice_client.get("/learning/courses/privacy-basics/"))
    refused = alice_client.post("/learning/courses/privacy-basics/renew/")
    # The completion moved back to the day after renewal opened (a session would not survive
    # travelling the clock that far forward).
    moved_back = datetime.timedelta(days=settings.LEARNING_RENEWAL_OPENS_DAY + 1)
    Completion.objects.filter(pk=completion.pk).update(
        completed_at=completion.completed_at - moved_back,
        expires_at=completion.expires_at - moved_back,  # type: ignore[operator]
    )
    open_page = _text(alice_client.get("/learning/courses/privacy-basics/"))
    renewed = alice_client.post("/learning/courses/privacy-basics/renew/")

    assert 'action="/learning/courses/privacy-basics/renew/"' not in early
    assert refused.status_code == 400
    assert 'action="/learning/courses/privacy-basics/renew/"' in open_page
    assert renewed.status_code == 302
    assert enrollment_of(user_id=alice_liaison.pk, course=course).cycle == 2


@pytest.mark.django_db
def test_a_learner_chooses_their_organization_and_its_region_is_kept(
    alice_liaison: User, alice_library: Any, alice_client: Client
) -> None:
    form = _text(alice_client.get("/learning/profile/"))
    saved = alice_client.post("/learning/profile/", {"organization": str(alice_library.pk)})
    refused = alice_client.post("/learning/profile/", {"organization": "999999"})

    profile = LearnerProfile.objects.get(user=alice_liaison)
    assert f'<option value="{alice_library.pk}">' in form
    assert saved.status_code == 302
    assert refused.status_code == 400
    assert profile.organization_id == alice_library.pk
    region = organizations_get(organization_ids=[alice_library.pk])[alice_library.pk].region_code
    assert region != ""
    assert profile.region_code == region


# ---------------------------------------------------------------------------------------------
# A lesson's parts, and what the rest of the site links to


def test_a_lesson_shows_its_video_transcript_file_and_only_clean_html(
    alice_liaison: User, alice_client: Client
) -> None:
    course = course_make()
    first, second = Lesson.objects.filter(module__course=course)
    quiz = Quiz.objects.get(module__course=course)
    # Written past the service that cleans on save, as an import or a data fix could.
    Lesson.objects.filter(pk=second.pk).update(
        body='<p onclick="steal()">Only approved people.</p><script>steal()</script>',
        video_url="https://video.example.org/privacy",
        transcript="Welcome.\n\nNames are private.",
        file="learning/files/abc123/handout.pdf",
    )
    Lesson.objects.filter(pk=first.pk).update(video_url="javascript:steal()")
    services.course_enroll(user_id=alice_liaison.pk, course=course)

    text = _text(alice_client.get(f"/learning/courses/privacy-basics/lessons/{second.pk}/"))
    first_text = _text(alice_client.get(f"/learning/courses/privacy-basics/lessons/{first.pk}/"))

    assert "<p>Only approved people.</p>" in text
    assert "<script>" not in text.split('<main id="main-content"')[1].split("</main>")[0]
    assert "onclick" not in text
    assert 'href="https://video.example.org/privacy"' in text
    assert "<summary>Read the video transcript</summary>" in text
    assert "<p>Welcome.</p>\n\n<p>Names are private.</p>" in text
    assert (
        f'href="/learning/courses/privacy-basics/lessons/{second.pk}/file/" download>'
        "Download the lesson file"
    ) in text
    assert f'href="/learning/courses/privacy-basics/lessons/{first.pk}/">Previous' in text
    assert f'href="/learning/courses/privacy-basics/quizzes/{quiz.pk}/">Next' in text
    assert "Item 2 of 3" in text
    assert "javascript:" not in first_text
    assert "Watch the video" not in first_text


def test_a_passed_quiz_is_a_409_that_links_to_the_passing_result(
    alice_liaison: User, alice_client: Client
) -> None:
    course = course_make()
    quiz = Quiz.objects.get(module__course=course)
    course_finish(user_id=alice_liaison.pk, course=course)
    passing = QuizAttempt.objects.get(enrollment__user=alice_liaison, passed=True)

    page = alice_client.get(f"/learning/courses/privacy-basics/quizzes/{quiz.pk}/")

    assert page.status_code == 409
    assert "You have already passed this quiz." in _text(page)
    assert f'href="/learning/attempts/{passing.pk}/"' in _text(page)
    assert QuizAttempt.objects.filter(enrollment__user=alice_liaison).count() == 1


def test_the_dashboard_panel_links_to_the_course_and_my_learning(
    alice_liaison: User, alice_client: Client
) -> None:
    course = course_make(compliance=True)
    requirement_make(role=Role.RESEARCHER, course=course)
    role_grant(user_id=alice_liaison.pk, roles=[Role.RESEARCHER])

    text = _text(alice_client.get("/me/"))

    assert (
        'href="/learning/courses/privacy-basics/" lang="en">Privacy basics</a>: <strong>Missing</strong>'
        in text
    )
    assert 'href="/learning/mine/">My learning</a>' in text


def test_a_retired_course_stays_open_to_its_learners_only(
    alice_liaison: User, alice_client: Client, bob_client: Client
) -> None:
    course = course_make()
    services.course_enroll(user_id=alice_liaison.pk, course=course)
    Course.objects.filter(pk=course.pk).update(status=Course.Status.RETIRED)

    assert alice_client.get("/learning/courses/privacy-basics/").status_code == 200
    assert bob_client.get("/learning/courses/privacy-basics/").status_code == 404
    assert "Privacy basics" not in _text(alice_client.get("/learning/"))


def test_the_spanish_course_page_keeps_the_course_in_its_language(
    db: None, visitor: Client
) -> None:
    english = course_make(slug="health-literacy-basics", title="Health literacy basics")
    course_make(
        slug="alfabetizacion-en-salud",
        title="Alfabetización en salud",
        language="es",
        translation_of=english,
    )

    text = _text(
        visitor.get("/learning/courses/health-literacy-basics/", HTTP_ACCEPT_LANGUAGE="es")
    )

    assert '<h1 class="margin-top-2" lang="en">Health literacy basics</h1>' in text
    assert "Inicie sesión para inscribirse" in text
    assert "Sobre este curso" in text
    assert 'lang="es" hreflang="es">También en español' in text


def test_a_lesson_file_is_for_enrolled_learners_only(
    alice_liaison: User, alice_client: Client, bob_client: Client, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    course = course_make()
    lesson = Lesson.objects.filter(module__course=course).first()
    assert lesson is not None
    lesson.file.save("handout.pdf", ContentFile(b"%PDF-1.7 the handout"))
    services.course_enroll(user_id=alice_liaison.pk, course=course)
    url = f"/learning/courses/privacy-basics/lessons/{lesson.pk}/file/"

    download = alice_client.get(url)
    refused = bob_client.get(url)

    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.7 the handout"  # type: ignore[attr-defined]
    assert download["Content-Disposition"] == 'attachment; filename="handout.pdf"'
    assert refused.status_code == 404
