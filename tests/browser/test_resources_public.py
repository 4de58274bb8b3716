"""A Spanish-speaking visitor reads health resources: she opens the resources in Spanish,
browses a focus area, searches, opens a handout, switches to its English version, and meets a
resource not yet in Spanish. axe-core and the sideways-scroll check run on every page, at
desktop (1280 px) and phone (390 px) width; the screenshots are in var/screenshots/."""

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tapestry.accounts.api import Role
from tapestry.accounts.tests.factories import UserFactory
from tapestry.resources.models import Kind
from tapestry.resources.tests.test_public_pages import (
    DIABETES_EN,
    DIABETES_ES,
    TRIALS_EN,
    TRIALS_ES,
    in_both_languages,
    published,
)

from .conftest import VIEWPORTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIDEO_EN = {
    "title": "How to check your blood sugar at home",
    "summary": "A short video that shows each step, from washing your hands to writing it down.",
    "body": "",
}
TRANSCRIPT = (
    "Hello. Today we show you how to check your blood sugar at home.\n\n"
    "First, wash your hands with soap and warm water. Dry them well. Then put a new strip in "
    "the meter and prick the side of your finger."
)


def test_a_spanish_speaking_visitor_browses_searches_and_reads_in_both_languages(
    visit: Any,
) -> None:
    # Given resources written by Sam and published by Paula: a handout and an article in both
    # languages, and a video in English only
    sam = UserFactory.create(email="sam@example.org", roles=[Role.ENGAGEMENT_SPECIALIST])
    paula = UserFactory.create(email="paula@example.org", roles=[Role.PROGRAM_STAFF])
    diabetes_en, diabetes_es = in_both_languages(
        sam, paula, kind=Kind.HANDOUT, audiences=("public", "families")
    )
    in_both_languages(sam, paula, TRIALS_EN, TRIALS_ES, areas=("diversity-in-research",))
    video = published(
        sam,
        paula,
        words=VIDEO_EN,
        kind=Kind.VIDEO,
        url="https://www.youtube.com/watch?v=abc123",
        transcript=TRANSCRIPT,
    )

    # Rosa opens the health resources and switches the site to Spanish
    rosa = visit("resources-public", "es")
    page = rosa.page
    rosa.open("/resources/")
    rosa.choose_language()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        rosa.t("Health information in plain language")
    )
    expect(page.get_by_role("link", name=DIABETES_ES["title"])).to_be_visible()
    expect(page.get_by_role("link", name=DIABETES_EN["title"])).to_have_count(0)
    rosa.check("1-home")

    # She browses a focus area
    page.get_by_role("link", name="Diversidad en la investigación biomédica").click()
    expect(page.locator("#result-count")).to_contain_text(
        "Diversidad en la investigación biomédica"
    )
    expect(page.get_by_role("link", name=TRIALS_ES["title"])).to_be_visible()
    expect(page.get_by_role("link", name=DIABETES_ES["title"])).to_have_count(0)
    rosa.check("2-focus-area")

    # On her phone, she searches for diabetes
    page.set_viewport_size(VIEWPORTS["phone"])
    rosa.open("/resources/")
    page.get_by_role("searchbox", name=rosa.t("Search health resources")).fill("diabetes")
    page.get_by_role("button", name=rosa.t("Search"), exact=True).click()
    expect(page.locator("#result-count")).to_contain_text("diabetes")
    rosa.check("3-search")

    # She opens the handout: in Spanish, with its PDF and the way to the English version
    page.get_by_role("link", name=DIABETES_ES["title"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(DIABETES_ES["title"])
    expect(page.locator("article")).to_have_attribute("lang", "es")
    pdf_link = page.get_by_role("link", name=rosa.t("Print or download (PDF)"))
    expect(pdf_link).to_have_attribute(
        "href", f"/resources/{diabetes_es.resource_id}/es/handout.pdf"
    )
    rosa.check("4-resource")
    pdf = page.request.get(rosa.base_url + str(pdf_link.get_attribute("href")))
    assert pdf.ok and pdf.body().startswith(b"%PDF-")

    # She switches to the English text, to share with a neighbor: the page around it stays
    # in Spanish, the text is marked English
    page.set_viewport_size(VIEWPORTS["desktop"])
    english = page.get_by_role("link", name="Read in English")
    expect(english).to_have_attribute("hreflang", "en")
    expect(english).to_have_attribute("lang", "en")
    english.click()
    expect(page).to_have_url(re.compile(rf"/resources/{diabetes_en.resource_id}/en/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(DIABETES_EN["title"])
    expect(page.locator("article")).to_have_attribute("lang", "en")
    expect(page.get_by_role("link", name="Leer en español")).to_be_visible()
    rosa.check("5-english-version")

    # A video not yet in Spanish shows in English, and says so in Spanish
    rosa.open(f"/resources/{video.resource_id}/")
    expect(
        page.get_by_text(
            rosa.t("This resource is not yet available in Spanish. Here it is in English.")
        )
    ).to_be_visible()
    expect(page.locator("article")).to_have_attribute("lang", "en")
    expect(page.get_by_role("link", name="Watch the video")).to_have_attribute(
        "href", "https://www.youtube.com/watch?v=abc123"
    )
    rosa.check("6-not-yet-in-spanish")

    # From the list, the note leads her to what is only in English
    rosa.open("/resources/")
    page.get_by_role("link", name=rosa.t("See the resources in English")).click()
    expect(page.get_by_role("link", name=VIDEO_EN["title"])).to_be_visible()
    rosa.check("7-only-in-english")

    # And a search that finds nothing says so, with the way back
    rosa.open("/resources/?q=zzz")
    page.get_by_role("link", name=rosa.t("Show all the resources instead")).click()
    expect(page.get_by_role("link", name=DIABETES_ES["title"])).to_be_visible()
    rosa.open("/resources/?q=zzz")
    rosa.check("8-nothing-found")

    # Her neighbor reads the handout in English, where the page speaks English too
    neighbor = visit("resources-public", "en")
    neighbor.open(f"/resources/{diabetes_en.resource_id}/")
    expect(neighbor.page.get_by_role("heading", level=1)).to_have_text(DIABETES_EN["title"])
    expect(neighbor.page.get_by_role("link", name="Leer en español")).to_have_attribute(
        "lang", "es"
    )
    neighbor.check("1-resource")
    neighbor.page.get_by_role("link", name="Health resources", exact=True).click()
    expect(neighbor.page.get_by_role("link", name=VIDEO_EN["title"])).to_be_visible()
    neighbor.check("2-home")
