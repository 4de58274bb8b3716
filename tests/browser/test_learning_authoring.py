"""Program staff write a course in Spanish: the empty list, a new course, a module, a lesson,
publishing refused with its reasons, then a quiz question and publishing accepted."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import translation
from playwright.sync_api import expect

from tapestry.accounts.personas import PERSONAS, persona_ensure
from tapestry.learning.models import Course

from .conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_program_staff_write_and_publish_a_course_in_spanish(
    visit: Any, authenticator_code: Callable[[], str]
) -> None:
    # Given the program staff persona, signed in with two-factor, reading Spanish
    staff = next(p for p in PERSONAS if p.email == "programstaff@tapestry.example")
    persona_ensure(staff, password=PASSWORD)
    author = visit("learning-authoring", "es")
    page = author.open("/")
    author.choose_language()
    author.sign_in(staff.email, step="0-sign-in")
    page.get_by_label(author.label("Code")).fill(authenticator_code())
    page.get_by_role("button", name=author.t("Sign In")).click()
    expect(page).to_have_url(re.compile(r"/me/$"))

    # When she opens the course list, it is empty and says how to start
    page = author.open("/learning/staff/courses/")
    expect(page.get_by_role("heading", level=2)).to_have_text(author.t("No courses yet"))
    author.check("1-empty-list")

    # And she writes a new course
    page.get_by_role("link", name=author.t("New course")).click()
    page.get_by_label(author.label("Title")).fill("Alfabetización en salud")
    page.get_by_label(author.label("Link name")).fill("alfabetizacion-en-salud")
    page.get_by_label(author.label("Summary")).fill("Cómo leer y usar la información de salud.")
    page.get_by_label(author.label("Language")).select_option("es")
    author.check("2-new-course")
    page.get_by_role("button", name=author.t("Create the course")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Alfabetización en salud")

    # And adds a module and a lesson with a video but no transcript, then tries to publish
    page.get_by_label(author.label("Title of the new module")).fill(
        "Qué es la alfabetización en salud"
    )
    page.get_by_role("button", name=author.t("Add the module")).click()
    page.get_by_role("link", name=author.t("Add a quiz")).click()
    page.get_by_label(author.label("Title")).fill("Repaso")
    page.get_by_role("button", name=author.t("Add the quiz")).click()
    author.check("3-quiz")
    page.get_by_role("link", name="Alfabetización en salud").click()
    page.get_by_role("button", name=author.t("Publish")).click()

    # Then publishing is refused, with the reason
    alert = page.locator("#page-error")
    expect(alert).to_contain_text(author.t("This course cannot be published yet."))
    expect(alert).to_contain_text(
        author.t("The quiz “%(quiz)s” has no questions.") % {"quiz": "Repaso"}
    )
    author.check("4-publish-refused")

    # When she writes a true-or-false question and publishes again
    page.get_by_role("link", name="Repaso").click()
    page.get_by_role("link", name=author.t("Add a question")).click()
    # (USWDS draws its own radios and checkboxes: a person clicks the label.)
    with translation.override("es"):
        true_or_false = translation.pgettext("question kind", "True or false")
    page.get_by_text(true_or_false, exact=True).click()
    page.get_by_label(author.label("Question")).fill(
        "Leer etiquetas es parte de la alfabetización."
    )
    page.get_by_text(author.t("Answer %(number)d is correct") % {"number": 1}, exact=True).click()
    author.check("5-question")
    page.get_by_role("button", name=author.t("Add the question")).click()
    expect(page.get_by_text("Verdadero (")).to_be_visible()
    page.get_by_role("link", name="Alfabetización en salud").click()
    page.get_by_role("button", name=author.t("Publish")).click()

    # Then the course is published
    expect(
        page.get_by_text(author.t("The course is published: learners can enroll."))
    ).to_be_visible()
    author.check("6-published")
    assert Course.objects.get(slug="alfabetizacion-en-salud").status == "published"
