"""A staff member builds a survey: two questions, a condition, English and Spanish kept in step,
then publishes it. Every staff page is checked at desktop and phone width (axe, no sideways
scrolling)."""

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tapestry.accounts.personas import PERSONAS, persona_ensure
from tapestry.surveys.models import Instrument, Question
from tapestry.surveys.tests.factories import instrument_make
from tests.browser.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def test_staff_build_a_survey_with_a_condition_in_both_languages_and_publish_it(
    visit: Any, authenticator_code: Callable[[], str]
) -> None:
    # Given the program staff persona with an authenticator
    staff = next(p for p in PERSONAS if p.email == "programstaff@tapestry.example")
    persona_ensure(staff, password=PASSWORD)

    # When they sign in and open the surveys from the dashboard
    visitor = visit("survey-authoring", "en")
    page = visitor.open("/")
    visitor.sign_in(staff.email, step="1-sign-in")
    page.get_by_label(visitor.label("Code")).fill(authenticator_code())
    page.get_by_role("button", name=visitor.t("Sign In")).click()
    expect(page).to_have_url(re.compile(r"/me/$"))
    page.get_by_role("link", name="Open the surveys").click()

    # Then the list is empty and offers a new instrument
    expect(page.get_by_role("heading", name="No instruments yet")).to_be_visible()
    visitor.check("2-empty-list")

    # When they create an instrument
    page.get_by_role("link", name="New instrument").click()
    page.get_by_label("Title (English)").fill("Workshop feedback")
    page.get_by_label("Title (Spanish)").fill("Opinión sobre el taller")
    page.get_by_label("Link name").fill("workshop-feedback")
    page.get_by_label("Purpose").select_option("event_evaluation")
    visitor.check("3-new-instrument")
    page.get_by_role("button", name="Create the instrument").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Workshop feedback")

    # And add a single-choice question with two choices
    page.get_by_role("link", name="Add a question to section 1").click()
    page.get_by_label("Variable name").fill("attended")
    page.get_by_label("Type").select_option("single")
    page.get_by_label("Question (English)").fill("Did you attend the whole workshop?")
    page.get_by_label("Question (Spanish)").fill("¿Asistió a todo el taller?")
    page.get_by_role("button", name="Save the question").click()
    for code, english, spanish in (("1", "Yes", "Sí"), ("0", "No", "No")):
        choices = page.locator("#choices")
        choices.get_by_label("Code").fill(code)
        choices.get_by_label("Label (English)").fill(english)
        choices.get_by_label("Label (Spanish)").fill(spanish)
        choices.get_by_role("button", name="Add the choice").click()
    expect(page.get_by_role("table", name="Choices").locator("tbody tr")).to_have_count(2)
    visitor.check("4-question-with-choices")

    # And a free-text question shown only to those who left early
    page.get_by_role("link", name="Workshop feedback").click()
    page.get_by_role("link", name="Add a question to section 1").click()
    page.get_by_label("Variable name").fill("why_left")
    page.get_by_label("Type").select_option("text")
    page.get_by_label("Question (English)").fill("Why did you leave early?")
    page.get_by_label("Question (Spanish)").fill("¿Por qué se fue antes?")
    page.get_by_role("button", name="Save the question").click()
    page.get_by_role("link", name="When to show why_left").click()
    page.get_by_label("Add a condition on an earlier question").select_option("attended")
    page.get_by_role("button", name="Add the condition").click()
    page.get_by_label("Choice").select_option("0")
    visitor.check("5-condition-builder")
    page.get_by_role("button", name="Save", exact=True).click()

    # Then the condition is shown in words
    expect(page.locator("#question-" + _question_id(page, "why_left"))).to_contain_text(
        "Shown if attended is No"
    )

    # When they change the English wording alone
    page.get_by_role("link", name="Edit question why_left").click()
    page.get_by_label("Question (English)").fill("Why did you leave before the end?")
    page.get_by_role("button", name="Save the question").click()

    # Then the list and the instrument page say the Spanish needs an update
    expect(page.locator("#question-" + _question_id(page, "why_left"))).to_contain_text(
        "Spanish needs update"
    )
    visitor.check("6-instrument")
    page.get_by_role("link", name="Surveys").click()
    row = page.get_by_role("row", name=re.compile("Workshop feedback"))
    expect(row).to_contain_text("Spanish needs update")
    visitor.check("7-list-spanish-outdated")

    # When they fix the Spanish on the translation page
    row.get_by_role("link", name="Workshop feedback").click()
    page.get_by_role("link", name="English and Spanish side by side").click()
    item = page.locator("section", has=page.get_by_role("heading", name="Question why_left"))
    expect(item).to_contain_text("Spanish needs update")
    item.get_by_role("link", name="Edit the texts of Question why_left").click()
    item = page.locator("section", has=page.get_by_role("heading", name="Question why_left"))
    item.get_by_label("Wording (Spanish)").fill("¿Por qué se fue antes del final?")
    visitor.check("8-translation")
    item.get_by_role("button", name="Save the texts of Question why_left").click()
    item = page.locator("section", has=page.get_by_role("heading", name="Question why_left"))
    expect(item).to_contain_text("Up to date")
    expect(item).to_contain_text("¿Por qué se fue antes del final?")

    # And publish it
    page.get_by_role("link", name="Workshop feedback").click()
    page.get_by_role("button", name="Publish").click()

    # Then it is published, and the list no longer flags it
    expect(page.get_by_text("The instrument is published.")).to_be_visible()
    expect(page.locator(".usa-intro .usa-tag")).to_have_text("Published")
    visitor.check("9-published")
    page.get_by_role("link", name="Surveys").click()
    row = page.get_by_role("row", name=re.compile("Workshop feedback"))
    expect(row).to_contain_text("Published")
    expect(row).not_to_contain_text("needs update")


def _question_id(page: Any, code: str) -> str:
    """The id of a question's item on the instrument page, found by its code."""
    link = page.get_by_role("link", name=f"Edit question {code}")
    href = link.get_attribute("href") or ""
    return href.rstrip("/").rsplit("/", 1)[-1]


def test_staff_read_the_survey_pages_in_spanish(
    visit: Any, authenticator_code: Callable[[], str]
) -> None:
    # Given a draft whose English wording changed alone, and the program staff persona
    staff = next(p for p in PERSONAS if p.email == "programstaff@tapestry.example")
    persona_ensure(staff, password=PASSWORD)
    instrument = instrument_make(status=Instrument.Status.DRAFT)
    Question.objects.filter(code="comments").update(translation_outdated="es")

    # When they sign in in Spanish and open the surveys
    visitor = visit("survey-pages", "es")
    page = visitor.open("/")
    visitor.choose_language()
    visitor.sign_in(staff.email, step="1-sign-in")
    page.get_by_label(visitor.label("Code")).fill(authenticator_code())
    page.get_by_role("button", name=visitor.t("Sign In")).click()
    expect(page).to_have_url(re.compile(r"/me/$"))
    page.get_by_role("link", name=visitor.t("Open the surveys")).click()

    # Then the list, the instrument and the translation page speak Spanish
    expect(page.get_by_role("row", name=re.compile(instrument.title_es))).to_contain_text(
        visitor.t("Spanish needs update")
    )
    visitor.check("2-list")
    page.get_by_role("link", name=instrument.title_es).click()
    expect(page.get_by_text("offers_health es Sí").first).to_be_visible()
    visitor.check("3-instrument")
    page.get_by_role("link", name=visitor.t("English and Spanish side by side")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(visitor.t("English and Spanish"))
    visitor.check("4-translation")
