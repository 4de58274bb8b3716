"""A visitor explores the public Data Browser, and program staff read the diversity dashboard,
in real Chromium, in English and Spanish.

The data is a real small release: the synthetic generator's 2,000 participants, built into a
warehouse and its public summaries by the same service `manage.py research_release` uses.
Every page is scanned with axe-core and photographed (see conftest.Visit.check).
"""

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from pytest_django.fixtures import Settings

from tapestry.accounts.personas import PERSONAS, persona_ensure
from tapestry.research.models import ConceptSummary, Release
from tapestry.research.services import release_create
from tapestry.research.warehouse.generate import generate

from .conftest import PASSWORD

# Real transactions, so the live server's thread sees what the test writes (and vice versa).
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PARTICIPANTS = 2_000


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Generated once per module: deterministic, so every test sees the same data."""
    out_dir = tmp_path_factory.mktemp("generated") / "seed-1"
    generate(out_dir, participants=PARTICIPANTS, seed=1)
    return out_dir


@pytest.fixture
def data_release(generated: Path, settings: Settings, tmp_path: Path) -> Iterator[Release]:
    # Each test starts from an empty database, so the release is built into it again.
    settings.RESEARCH_DATA_DIR = tmp_path / "research"
    yield release_create(source=generated, version="R-browser-test")


def _measurement_with_histogram(release: Release) -> ConceptSummary:
    """The measurement with the most participants that has a value histogram."""
    return next(
        concept
        for concept in ConceptSummary.objects.filter(
            release=release, domain="Measurement"
        ).order_by("-participants")
        if concept.histogram.get("bins")
    )


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_visitor_searches_and_reads_a_concept_page(
    language: str, data_release: Release, visit: Any
) -> None:
    # Given a visitor on the Data Browser in their language
    visitor = visit("data-browser", language)
    page = visitor.open("/data/")
    visitor.choose_language()
    expect(page.get_by_role("heading", level=1)).to_have_text(visitor.t("Data Browser"))
    expect(page.get_by_role("heading", name=visitor.t("Participants by domain"))).to_be_visible()
    visitor.check("1-home")

    # When they search for diabetes
    page.get_by_label(visitor.t("Search by name or code")).fill("diabetes")
    page.get_by_role("button", name=visitor.t("Search"), exact=True).click()

    # Then the matching concepts are listed with protected counts
    expect(page).to_have_url(re.compile(r"/data/concepts/\?q=diabetes"))
    results = page.locator("#results tbody tr")
    expect(results.first).to_contain_text(re.compile("diabetes", re.IGNORECASE))
    counts = page.locator("#results tbody td:last-child").all_inner_texts()
    assert counts and all(re.fullmatch(r"≤ 20|\d{1,3}([.,]\d{3})*", text) for text in counts)
    assert all(text == "≤ 20" or int(re.sub(r"\D", "", text)) % 20 == 0 for text in counts)
    visitor.check("2-search-diabetes")

    # When they open the first result
    first = results.first.get_by_role("link")
    name = first.inner_text()
    first.click()

    # Then its page shows the breakdowns by sex, age and race
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    for caption in ["By sex at birth", "By age at consent", "By race and ethnicity"]:
        expect(page.get_by_role("table", name=visitor.t(caption))).to_be_visible()
    visitor.check("3-concept")

    # When they go back to the search and type the name of a measurement (live results)
    measurement = _measurement_with_histogram(data_release)
    page.get_by_role("navigation", name=visitor.t("Breadcrumbs")).get_by_role(
        "link", name=visitor.t("Search concepts")
    ).click()
    # Typed before htmx has started on the new page, the text would send no search.
    page.wait_for_load_state()
    page.get_by_label(visitor.t("Search by name or code")).fill(measurement.code)
    # In Spanish the link is the team's Spanish name, with the standard name beside it.
    shown = measurement.name_es if language == "es" and measurement.name_es else measurement.name
    expect(page.locator("#results")).to_contain_text(measurement.name)
    expect(page).to_have_url(re.compile(rf"q={re.escape(measurement.code)}"))
    visitor.check("4-live-search")
    page.locator("#results").get_by_role("link", name=shown, exact=True).click()

    # Then the measurement's values are drawn as a chart with a table beside it
    expect(page.get_by_role("heading", level=1)).to_have_text(shown)
    expect(page.get_by_role("img", name=re.compile(re.escape(measurement.name)))).to_be_visible()
    bins = len(measurement.histogram["bins"])
    histogram_table = page.locator("table").first
    # A row per bin and one for the participants with no numeric value.
    expect(histogram_table.locator("tbody tr")).to_have_count(bins + 1)
    expect(page.locator("#histogram-heading + p")).to_contain_text(
        visitor.t(
            "Each participant is counted once, by their most recent value. Bars of 20 or "
            "fewer participants are not drawn."
        )
    )
    visitor.check("5-measurement")


def test_a_spanish_speaker_finds_metformina_and_reads_its_breakdowns(
    data_release: Release, visit: Any
) -> None:
    # Given a visitor reading the Data Browser in Spanish
    visitor = visit("data-browser-metformina", "es")
    page = visitor.open("/data/concepts/")
    visitor.choose_language()

    # When they search for the medicine by its Spanish name
    page.get_by_label(visitor.t("Search by name or code")).fill("metformina")
    page.get_by_role("button", name=visitor.t("Search"), exact=True).click()

    # Then metformin comes first, under its Spanish name with the standard name beside it
    expect(page).to_have_url(re.compile(r"/data/concepts/\?q=metformina"))
    first = page.locator("#results tbody tr").first
    expect(first.get_by_role("link")).to_have_text("metformina")
    expect(first).to_contain_text("Nombre estándar: metformin")
    visitor.check("1-search-metformina")

    # When they open it
    first.get_by_role("link").click()

    # Then the page is headed with the Spanish name and shows the breakdowns, in Spanish
    expect(page.get_by_role("heading", level=1)).to_have_text("metformina")
    for caption in ["By sex at birth", "By age at consent", "By race and ethnicity"]:
        table = page.get_by_role("table", name=visitor.t(caption))
        expect(table).to_be_visible()
        expect(table.locator("tbody tr").first).to_be_visible()
    visitor.check("2-concept-metformina")


@pytest.mark.parametrize("language", ["en", "es"])
def test_program_staff_follow_enrollment_and_diversity(
    language: str, data_release: Release, visit: Any, authenticator_code: Callable[[], str]
) -> None:
    # Given the program staff persona with an authenticator
    staff = next(p for p in PERSONAS if p.email == "programstaff@tapestry.example")
    persona_ensure(staff, password=PASSWORD)

    # When they sign in and open the dashboard
    visitor = visit("diversity", language)
    page = visitor.open("/")
    visitor.choose_language()
    visitor.sign_in(staff.email, step="1-sign-in")
    page.get_by_label(visitor.label("Code")).fill(authenticator_code())
    page.get_by_role("button", name=visitor.t("Sign In")).click()
    expect(page).to_have_url(re.compile(r"/me/$"))
    page.get_by_role("link", name=visitor.t("Open the diversity dashboard")).click()

    # Then both goals, the charts with their tables, the sites and the categories are shown
    expect(page.get_by_role("heading", level=1)).to_have_text(visitor.t("Enrollment and diversity"))
    expect(
        page.get_by_role("img", name=visitor.t("Participants enrolled each year"))
    ).to_be_visible()
    expect(
        page.get_by_role("img", name=visitor.t("Share of participants against the goals"))
    ).to_be_visible()
    expect(
        page.get_by_role("table", name=visitor.t("Enrollment by year, all sites"))
    ).to_be_visible()
    sites = page.get_by_role(
        "table", name=visitor.t("Participants and progress toward the goals at each site")
    )
    expect(sites.locator("tbody tr").first).to_be_visible()
    expect(page.get_by_role("rowheader", name=visitor.t("Limited access to care"))).to_be_visible()
    visitor.check("2-dashboard")

    # When they choose one site, its enrollment over time is shown
    page.get_by_label(visitor.t("Show enrollment for")).select_option(label="Detroit, MI")
    page.get_by_role("button", name=visitor.t("Show"), exact=True).click()
    expect(
        page.get_by_role(
            "table", name=visitor.t("Enrollment by year, %(site)s") % {"site": "Detroit, MI"}
        )
    ).to_be_visible()
    visitor.check("3-one-site")
