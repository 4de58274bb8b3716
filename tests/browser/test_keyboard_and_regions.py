"""The skip link, keyboard first, and the region map page, in English and Spanish."""

from typing import Any

import pytest
from playwright.sync_api import expect

from tapestry.network.models import Organization, Region, RegionMap
from tests.browser.conftest import Network

# Real transactions, so the live server's thread sees what the test writes (and vice versa).
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_first_tab_reaches_the_skip_link_and_it_moves_focus_to_the_main_content(
    language: str, visit: Any
) -> None:
    # Given a visitor on the home page in their language
    keyboard = visit("keyboard", language)
    page = keyboard.open("/")
    keyboard.choose_language()
    page.goto(page.url)  # start again from the top, as a fresh page load

    # When they press Tab once
    page.keyboard.press("Tab")

    # Then the skip link has focus and is shown
    skip_link = page.get_by_role("link", name=keyboard.t("Skip to main content"))
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_visible()
    keyboard.check("1-skip-link-focused")

    # When they follow it, focus moves to the main content
    page.keyboard.press("Enter")
    expect(page.locator("main#main-content")).to_be_focused()
    keyboard.check("2-main-focused")


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_region_map_shows_every_state_by_region_now_and_before(
    language: str, network: Network, visit: Any
) -> None:
    # Given the network's members and a visitor on the home page in their language
    regions = visit("regions", language)
    page = regions.open("/")
    regions.choose_language()

    # When they open the region map from the main navigation
    page.get_by_role("navigation", name=regions.t("Main")).get_by_role(
        "link", name=regions.t("Regions")
    ).click()

    # Then the current map and its table show the seven regions
    expect(page.get_by_role("heading", level=1)).to_have_text(regions.t("Network regions"))
    current = RegionMap.objects.get(code="seven-regions-2021")
    expect(page.get_by_role("img", name=current.display_name(language))).to_be_visible()
    expect(page.locator("table tbody tr")).to_have_count(7)
    member_counts = page.locator("table tbody tr td:last-child").all_inner_texts()
    assert sum(int(count) for count in member_counts) == Organization.objects.count()
    regions.check("1-current-map")

    # When they choose the earlier map
    earlier = RegionMap.objects.get(code="eight-regions-2016")
    page.get_by_label(regions.t("Region map")).select_option(value=earlier.code)
    page.get_by_role("button", name=regions.t("Show map")).click()

    # Then the table lists the eight regions of that map
    expect(page.get_by_role("img", name=earlier.display_name(language))).to_be_visible()
    assert Region.objects.filter(region_map=earlier).count() == 8
    expect(page.locator("table tbody tr")).to_have_count(8)
    regions.check("2-earlier-map")
