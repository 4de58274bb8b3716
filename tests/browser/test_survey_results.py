"""Program staff read an anonymous survey's results in real Chromium, in English and Spanish:
the charts with their tables, a filter by language, a small region shown as "fewer than 5",
a breakdown; every page scanned with axe-core at desktop and phone widths (conftest.Visit)."""

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tapestry.accounts.personas import PERSONAS, persona_ensure
from tapestry.surveys.demo import responses_generate
from tapestry.surveys.models import Instrument
from tapestry.surveys.tests.factories import instrument_make

from .conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def survey() -> Instrument:
    """A few hundred anonymous responses, and a region where only 3 people answered."""
    instrument = instrument_make()
    responses_generate(
        instrument=instrument, count=300, seed=21, regions=("1", "3", "4", "5", "6", "7")
    )
    responses_generate(instrument=instrument, count=3, seed=22, regions=("2",))
    return instrument


@pytest.mark.parametrize("language", ["en", "es"])
def test_program_staff_read_the_results_of_an_anonymous_survey(
    language: str, survey: Instrument, visit: Any, authenticator_code: Callable[[], str]
) -> None:
    # Given the program staff persona, signed in with the second factor
    staff = next(p for p in PERSONAS if p.email == "programstaff@tapestry.example")
    persona_ensure(staff, password=PASSWORD)
    reader = visit("survey-results", language)
    page = reader.open("/")
    reader.choose_language()
    reader.sign_in(staff.email, step="1-sign-in")
    page.get_by_label(reader.label("Code")).fill(authenticator_code())
    page.get_by_role("button", name=reader.t("Sign In")).click()
    expect(page).to_have_url(re.compile(r"/me/$"))

    # When they open the results
    reader.open(f"/surveys/staff/{survey.slug}/results/")

    # Then every question has its table, and the number of responses is shown
    responses = reader.t("Responses")
    expect(page.get_by_role("heading", level=2, name=re.compile(responses))).to_contain_text("303")
    role_label = "What is your role?" if language == "en" else "¿Cuál es su función?"
    expect(page.get_by_role("heading", level=3, name=role_label)).to_be_visible()
    confident = (
        "I am confident finding health information."
        if language == "en"
        else "Me siento capaz de encontrar información de salud."
    )
    table = page.get_by_role(
        "table", name=reader.t("Answers to “%(question)s”") % {"question": confident}
    )
    expect(table.locator("tbody tr")).to_have_count(5)
    reader.check("2-results")

    # When they filter by Spanish
    page.get_by_label(reader.label("Language")).select_option(label=reader.t("Spanish"))
    page.get_by_role("button", name=reader.t("Show"), exact=True).click()
    expect(page).to_have_url(re.compile(r"language=es"))
    expect(page.get_by_text(reader.t("Showing only"))).to_be_visible()
    reader.check("3-spanish-only")

    # When they choose the small region instead
    page.get_by_label(reader.label("Language")).select_option(value="")
    page.get_by_label(reader.label("Region")).select_option(value="2")
    page.get_by_role("button", name=reader.t("Show"), exact=True).click()
    expect(page).to_have_url(re.compile(r"region=2"))

    # Then its counts are hidden as "fewer than 5"
    fewer = reader.t("fewer than %(threshold)s") % {"threshold": 5}
    expect(page.get_by_role("heading", level=2, name=re.compile(responses))).to_contain_text(fewer)
    expect(table.get_by_role("cell", name=fewer).first).to_be_visible()
    reader.check("4-small-region")

    # When they break the results down by language
    page.get_by_label(reader.label("Region")).select_option(value="")
    page.get_by_label(reader.label("Break down by")).select_option(value="language")
    page.get_by_role("button", name=reader.t("Show"), exact=True).click()
    expect(
        page.get_by_role(
            "table", name=reader.t("Answers to “%(question)s” by group") % {"question": confident}
        )
    ).to_be_visible()
    reader.check("5-breakdown")


def test_two_filters_on_an_anonymous_survey_are_explained(
    survey: Instrument, visit: Any, authenticator_code: Callable[[], str]
) -> None:
    # Given program staff on the results page
    staff = next(p for p in PERSONAS if p.email == "programstaff@tapestry.example")
    persona_ensure(staff, password=PASSWORD)
    reader = visit("survey-results-refused", "en")
    page = reader.open("/")
    reader.sign_in(staff.email, step="1-sign-in")
    page.get_by_label(reader.label("Code")).fill(authenticator_code())
    page.get_by_role("button", name=reader.t("Sign In")).click()
    expect(page).to_have_url(re.compile(r"/me/$"))
    reader.open(f"/surveys/staff/{survey.slug}/results/")

    # When they choose a region and a language together
    page.get_by_label(reader.label("Region")).select_option(value="1")
    page.get_by_label(reader.label("Language")).select_option(value="es")
    page.get_by_role("button", name=reader.t("Show"), exact=True).click()

    # Then the page says why, and shows no results
    expect(page.get_by_role("alert")).to_contain_text("filtered by one thing at a time")
    expect(page.get_by_role("heading", level=2, name=re.compile("Responses"))).to_have_count(0)
    reader.check("2-refused")
