"""A librarian deciding whether to join reads the "making the case" pages: the overview of the
five literacies, then health literacy, and follows "take a free class" into the course catalog,
where a course in her language waits. In English and in Spanish, walked on a desktop and on a
phone; every page scanned with axe-core at both widths, with a screenshot."""

from typing import Any

import pytest
from playwright.sync_api import expect

from tapestry.learning.tests.factories import course_make
from tapestry.resources.models import FocusArea
from tapestry.resources.views.case import content

from .conftest import VIEWPORTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COURSE_TITLE = {
    "en": "Finding health facts you can trust",
    "es": "Cómo hallar datos de salud fiables",
}
COURSE_SUMMARY = {
    "en": "How to tell a good health website from a bad one.",
    "es": "Cómo distinguir un buen sitio de salud de uno malo.",
}


@pytest.mark.parametrize("width", ["desktop", "phone"])
@pytest.mark.parametrize("language", ["en", "es"])
def test_a_librarian_reads_the_case_and_goes_to_a_free_class(
    language: str, width: str, visit: Any
) -> None:
    # Given a free course in her language
    course = course_make(
        slug=f"trusted-facts-{language}", title=COURSE_TITLE[language], language=language
    )
    course.summary = COURSE_SUMMARY[language]
    course.save(update_fields=["summary"])
    labels = content().labels[language]
    take_a_class = next(action for action in content().actions if action.key == "course")
    health_literacy = FocusArea.objects.get(slug="health-literacy").name(language)

    # When she opens the overview for libraries, in her language, on her screen
    librarian = visit(f"resources-case-{width}", language)
    page = librarian.page
    librarian.open("/")
    librarian.choose_language()
    page.set_viewport_size(VIEWPORTS[width])
    librarian.open("/resources/for-libraries/")

    # Then she sees the five literacies and the ways to get involved
    expect(page.get_by_role("heading", level=1)).to_have_text(labels["overview_title"])
    topics = page.locator("ul.usa-card-group > li")
    expect(topics).to_have_count(5)
    expect(page.get_by_role("heading", name=labels["actions_heading"])).to_be_visible()
    expect(page.get_by_role("link", name=take_a_class.label[language])).to_be_visible()
    librarian.check("1-overview")

    # When she opens health literacy
    page.get_by_role("link", name=health_literacy, exact=True).click()

    # Then she reads why it matters, what her library can do and how to start
    expect(page.get_by_role("heading", level=1)).to_have_text(health_literacy)
    expect(page.get_by_role("heading", name=labels["why_heading"])).to_be_visible()
    literacy = content().literacies["health-literacy"]
    expect(page.get_by_text(literacy.why[language])).to_be_visible()
    expect(page.get_by_text(labels["resources_none"])).to_be_visible()
    librarian.check("2-health-literacy")

    # When she follows "take a free class"
    page.get_by_role("link", name=take_a_class.label[language]).click()

    # Then the course catalog opens, with the course in her language
    expect(page).to_have_url(f"{librarian.base_url}/learning/")
    expect(page.get_by_role("heading", level=1)).to_have_text(librarian.t("Training"))
    expect(page.get_by_role("link", name=COURSE_TITLE[language])).to_be_visible()
    librarian.check("3-course-catalog")
