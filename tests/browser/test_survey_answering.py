"""A librarian answers the health-information needs assessment on a phone, in Spanish: live
branching, keyboard answers, save and resume, submit."""

from typing import Any

import pytest
from playwright.sync_api import expect

from tapestry.accounts.tests.factories import UserFactory
from tapestry.network.api import region_of_state
from tapestry.network.tests.factories import OrganizationFactory
from tapestry.surveys import logic
from tapestry.surveys.models import Answer, Draft, Response
from tapestry.surveys.selectors import instrument_structure
from tapestry.surveys.services import draft_for_person, draft_save, response_submit
from tapestry.surveys.tests.factories import SAMPLE_SPEC, instrument_make

from .conftest import VIEWPORTS

# Real transactions, so the live server's thread sees what the test writes (and vice versa).
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_librarian_answers_the_needs_assessment_on_a_phone_in_spanish(visit: Any) -> None:
    # Given the needs assessment, published, and a librarian with a phone who reads Spanish
    instrument_make()
    librarian = visit("survey-answering", "es")
    page = librarian.open("/surveys/sample-needs/")
    librarian.choose_language()
    page.set_viewport_size(VIEWPORTS["phone"])
    expect(page.get_by_role("heading", level=1)).to_have_text("Necesidades de información de salud")
    librarian.check("1-landing")

    # When she starts, the first section asks about her, one page of three questions
    page.get_by_role("button", name=librarian.t("Start the survey")).click()
    expect(page).to_have_title(
        librarian.t("Section %(number)s of %(total)s — %(section)s")
        % {"number": 1, "total": 2, "section": "Sobre usted"}
        + " · Tapestry"
    )
    librarian.check("2-about-you")

    # She answers it with the keyboard only: skip link, then Tab through the questions
    page.goto(page.url)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator("main#main-content")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Personal de biblioteca")).to_be_focused()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Georgia")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_label("Puerto Rico")).to_be_checked()
    page.keyboard.press("Tab")
    page.keyboard.type("0")
    page.keyboard.press("Enter")

    # A number out of range is refused: focus goes to the list of errors, which links to it
    errors = page.locator("#form-errors")
    expect(errors).to_be_focused()
    expect(errors).to_contain_text("Introduzca un número de 1 a 500.")
    assert page.title().startswith(librarian.t("Error:") + " ")
    librarian.check("3-about-you-refused")
    errors.get_by_role("link").click()
    staff = page.get_by_label("¿Cuántas personas trabajan allí? (obligatoria)")
    expect(staff).to_be_focused()
    expect(staff).to_have_value("0")
    staff.fill("3")
    staff.press("Enter")

    # The second section: which topics is hidden until she says her library offers programs
    expect(page.get_by_role("heading", level=1)).to_have_text("Sus necesidades")
    topics = page.locator("#q-topics-group")
    expect(topics).to_be_hidden()
    expect(page.locator("#q-last_program-group")).to_be_hidden()
    librarian.check("4-needs-before-yes")
    page.get_by_text("Sí", exact=True).click()
    expect(topics).to_be_visible()
    expect(page.locator("#q-last_program-group")).to_be_visible()
    page.get_by_text("Nutrición", exact=True).click()
    research = page.locator("#q-research_detail-group")
    expect(research).to_be_hidden()
    page.get_by_text("Investigación", exact=True).click()
    expect(research).to_be_visible()
    page.get_by_label("¿Qué sobre la investigación?").fill("Ensayos clínicos")
    librarian.check("5-needs-after-yes")

    # She saves to finish later, and keeps the address shown
    page.get_by_role("button", name=librarian.t("Save and finish later")).click()
    resume = page.get_by_label(librarian.t("Your address to finish the survey"))
    address = resume.input_value()
    assert address.startswith(librarian.base_url + "/surveys/sample-needs/r/")
    librarian.check("6-saved")

    # Later she comes back to it: her answers are there, the topics question with them
    page.goto(address)
    expect(page.get_by_role("heading", level=1)).to_have_text("Sus necesidades")
    expect(topics).to_be_visible()
    expect(page.get_by_label("Investigación", exact=True)).to_be_checked()
    expect(page.get_by_label("¿Qué sobre la investigación?")).to_have_value("Ensayos clínicos")
    page.get_by_text("De acuerdo", exact=True).click()
    librarian.check("7-resumed")

    # And sends her answers
    page.get_by_role("button", name=librarian.t("Submit my answers")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(librarian.t("Thank you"))
    librarian.check("8-thanks")

    response = Response.objects.get()
    assert (response.language, response.role, response.person) == ("es", "liaison", None)
    puerto_rico = region_of_state(state_code="PR")
    assert response.region == (puerto_rico.code if puerto_rico else "")
    assert set(Answer.objects.values_list("question__code", flat=True)) == {
        "role",
        "state",
        "staff",
        "offers_health",
        "topics",
        "research_detail",
        "confident",
    }
    assert Draft.objects.count() == 0


def test_the_browser_evaluates_conditions_exactly_as_the_server_does(visit: Any) -> None:
    # Given a section page, which loads branching.js
    instrument_make()
    person = visit("survey-branching", "en")
    page = person.open("/surveys/sample-needs/")
    page.get_by_role("button", name="Start the survey").click()
    page.wait_for_function("() => window.tapestrySurveys !== undefined")
    kinds = {"n": "number", "d": "date", "s": "single", "m": "multiple", "t": "text"}
    cases: list[tuple[Any, dict[str, logic.Answer]]] = [
        ({"op": ">", "question": "n", "value": "2"}, {"n": "10"}),
        ({"op": ">", "question": "n", "value": "2"}, {"n": "1.5"}),
        ({"op": "=", "question": "n", "value": "2"}, {"n": "2.0"}),
        ({"op": "<", "question": "n", "value": "2"}, {}),
        ({"op": "=", "question": "n", "value": ""}, {}),
        ({"op": "!=", "question": "s", "value": "1"}, {}),
        ({"op": ">=", "question": "s", "value": "3"}, {"s": "4"}),
        ({"op": ">", "question": "s", "value": "3"}, {"s": "x"}),
        ({"op": "<", "question": "d", "value": "2026-03-01"}, {"d": "2026-02-28"}),
        ({"op": "checked", "question": "m", "choice": "4"}, {"m": ["1", "4"]}),
        ({"op": "unchecked", "question": "m", "choice": "4"}, {"m": ["1"]}),
        ({"op": "=", "question": "t", "value": "yes"}, {"t": "yes"}),
        (
            {
                "op": "or",
                "args": [
                    {"op": "=", "question": "s", "value": "1"},
                    {
                        "op": "and",
                        "args": [
                            {"op": "checked", "question": "m", "choice": "2"},
                            {"op": "<=", "question": "n", "value": "5"},
                        ],
                    },
                ],
            },
            {"s": "2", "m": ["2"], "n": "5"},
        ),
    ]
    cases.extend(
        (question["show_if"], {"offers_health": "1", "staff": "3", "topics": ["4"]})
        for section in SAMPLE_SPEC["sections"]
        for question in section["questions"]
        if question.get("show_if")
    )
    all_kinds = {**kinds, "offers_health": "single", "staff": "number", "topics": "multiple"}

    # When the page's script and logic.py evaluate the same conditions
    in_browser = page.evaluate(
        "([cases, kinds]) => cases.map(([c, a]) => window.tapestrySurveys.evaluate(c, a, kinds))",
        [cases, all_kinds],
    )

    # Then they agree on every one
    assert in_browser == [logic.evaluate(c, a, all_kinds) for c, a in cases]
    assert True in in_browser and False in in_browser


def test_without_javascript_the_conditional_questions_stay_with_their_condition_in_words(
    visit: Any, new_context: Any
) -> None:
    instrument_make()
    person = visit("survey-no-script", "en")
    person.context = new_context(java_script_enabled=False)
    page = person.context.new_page()
    page.goto(person.base_url + "/surveys/sample-needs/")
    page.get_by_role("button", name="Start the survey").click()
    page.get_by_text("Library staff", exact=True).click()
    page.get_by_label("How many staff work there? (required)").fill("3")
    page.get_by_role("button", name="Next").click()

    expect(page.locator("#q-topics-group")).to_be_visible()
    expect(
        page.get_by_text("Answer only if Does your library offer health programs? is Yes.")
    ).to_be_visible()
    page.get_by_text("No", exact=True).click()
    page.get_by_text("Nutrition", exact=True).click()
    page.get_by_text("Agree", exact=True).click()
    page.get_by_role("button", name="Submit my answers").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you")
    assert not Answer.objects.filter(question__code="topics").exists()


def test_an_identified_liaison_response_counts_in_their_organization_region() -> None:
    instrument = instrument_make(mode="identified")
    liaison = UserFactory.create()
    organization = OrganizationFactory.create(liaison=liaison)
    draft = draft_for_person(instrument=instrument, person=liaison, language="en")
    structure = instrument_structure(instrument=instrument)
    draft_save(
        draft=draft,
        structure=structure,
        answers={"role": "liaison", "staff": "3", "offers_health": "0", "confident": "4"},
        section_position=1,
        language="en",
    )

    response = response_submit(draft=draft, structure=structure, revision=1, language="en")

    region = region_of_state(state_code=organization.state_id)
    assert region is not None
    assert response.region == region.code


@pytest.mark.parametrize("language", ["en", "es"])
def test_anyone_may_print_the_poster_of_a_published_survey(language: str, visit: Any) -> None:
    instrument_make()
    visitor = visit("survey-poster", language)
    page = visitor.open("/")
    visitor.choose_language()

    page.goto(visitor.base_url + "/surveys/sample-needs/poster/")

    code = page.get_by_role(
        "img",
        name=visitor.t("QR code that opens %(url)s")
        % {"url": "127.0.0.1:8000/surveys/sample-needs/"},
    )
    expect(code).to_be_visible()
    assert page.evaluate("() => document.querySelector('img').naturalWidth") > 0
    expect(page.get_by_text("Necesidades de información de salud")).to_be_visible()
    visitor.check("1-poster")
    page.emulate_media(media="print")
    expect(page.locator("header.usa-header")).to_be_hidden()
    expect(code).to_be_visible()


def test_switching_language_part_way_keeps_what_was_typed_and_not_yet_saved(visit: Any) -> None:
    # Given a person part-way through the first section, in English
    instrument_make()
    person = visit("survey-language", "es")
    page = person.open("/surveys/sample-needs/")
    page.get_by_role("button", name="Start the survey").click()
    page.get_by_text("Library staff", exact=True).click()
    page.get_by_label("How many staff work there? (required)").fill("12")

    # When they switch to Spanish before pressing any button of the survey
    person.choose_language()

    # Then the questions are in Spanish and what they typed is still there
    expect(page.get_by_label("Personal de biblioteca")).to_be_checked()
    expect(page.get_by_label("¿Cuántas personas trabajan allí? (obligatoria)")).to_have_value("12")
    person.check("1-switched")
