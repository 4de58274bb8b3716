"""A researcher builds the issue's cohort in the browser: ages 40 to 64, type 2 diabetes with
its descendants, and an HbA1c above 6.5 within a year of it; the count changes as each
criterion is added, without the page reloading; then they save it. In English and in Spanish,
each page scanned by axe-core at desktop and phone width (conftest.Visit.check)."""

import datetime
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.utils import timezone
from playwright.sync_api import expect
from pytest_django.fixtures import Settings

from tapestry.accounts.personas import DEMO_TOTP_SECRET
from tapestry.accounts.roles import Role
from tapestry.accounts.tests.factories import UserFactory
from tapestry.research.access import REGISTERED
from tapestry.research.models import AccessBypass, Institution, Release, SavedCohort, Workspace
from tapestry.research.services import release_create
from tapestry.research.warehouse.generate import generate
from tests.browser.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TYPE_2_DIABETES = 201826
HBA1C = 3004410


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out_dir = tmp_path_factory.mktemp("generated") / "cohorts"
    generate(out_dir, participants=1_500, seed=5)
    return out_dir


@pytest.fixture
def data_release(generated: Path, settings: Settings, tmp_path: Path) -> Iterator[Release]:
    settings.RESEARCH_DATA_DIR = tmp_path / "research"
    yield release_create(source=generated, version="R-cohorts")


def researcher_with_workspace(language: str) -> tuple[Any, Workspace]:
    """A researcher with an authenticator (the demo secret) and registered access (program
    staff waived the other requirements), and their workspace."""
    user = UserFactory.create(
        email=f"wei-{language}@university.example",
        password=PASSWORD,
        roles=[Role.RESEARCHER],
        preferred_language=language,
    )
    TOTP.activate(user, DEMO_TOTP_SECRET)
    staff = UserFactory.create(roles=[Role.PROGRAM_STAFF])
    for requirement in REGISTERED:
        AccessBypass.objects.create(
            user=user,
            requirement=requirement,
            reason="browser test",
            ends_on=timezone.localdate() + datetime.timedelta(days=365),
            granted_by=staff,
        )
    institution = Institution.objects.create(name="Example University")
    workspace = Workspace.objects.create(
        name="Diabetes and HbA1c",
        purpose="How often HbA1c stays high within a year of a type 2 diabetes diagnosis.",
        owner=user,
        institution=institution,
    )
    return user, workspace


# Counts the builder's htmx swaps once they have settled, so each step waits for the answer to
# the one before it rather than for a guessed time.
COUNT_SWAPS = """document.addEventListener("htmx:afterSettle", () => {
  window.builderSwaps = (window.builderSwaps || 0) + 1;
});"""


def swapped(page: Any, action: Callable[[], object]) -> None:
    """Do `action` (a kind chosen, a search typed) and wait until the builder's answer to it
    has been swapped in: a later step would otherwise act on a part about to be replaced."""
    before = page.evaluate("() => window.builderSwaps || 0")
    action()
    page.wait_for_function("n => (window.builderSwaps || 0) > n", arg=before)


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_researcher_builds_counts_and_saves_the_issues_cohort(
    language: str, data_release: Release, visit: Any, authenticator_code: Callable[[], str]
) -> None:
    user, workspace = researcher_with_workspace(language)

    # Given a researcher signed in with their authenticator
    visitor = visit("cohorts", language)
    visitor.page.add_init_script(COUNT_SWAPS)
    page = visitor.open("/")
    visitor.choose_language()
    visitor.sign_in(user.email, step="1-sign-in")
    page.get_by_label(visitor.label("Code")).fill(authenticator_code())
    page.get_by_role("button", name=visitor.t("Sign In")).click()
    expect(page).to_have_url(re.compile(r"/me/$"))

    # When they open their workspace and start a cohort
    visitor.open(f"/research/workspaces/{workspace.public_id}/")
    page.get_by_role("link", name=visitor.t("Build a cohort")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(visitor.t("Build a cohort"))
    count = page.locator("#cohort-count [data-count]")
    everyone = count.inner_text()
    visitor.check("2-builder")
    # axe-core's contrast checks leave an empty style attribute on what they measured, and
    # htmx carries "style" over when it swaps an element of the same id: the CSP would then
    # (rightly) refuse it. Take axe's leftovers away; the app never writes a style.
    page.evaluate(
        "() => document.querySelectorAll('[style]').forEach(e => e.removeAttribute('style'))"
    )
    # A mark on the window: a reload would wipe it.
    page.evaluate("() => { window.builderMark = 'kept'; }")

    # And add a demographic: ages 40 to 64
    swapped(page, lambda: page.get_by_label(visitor.t("Kind of criterion")).select_option("age"))
    expect(page.get_by_label(visitor.t("Lowest age"), exact=True)).to_be_visible()
    page.get_by_label(visitor.t("Lowest age"), exact=True).fill("40")
    page.get_by_label(visitor.t("Highest age"), exact=True).fill("64")
    # (Waiting for the swap to settle: htmx wires the new form's controls only then, and a
    # kind chosen before that would be a change no one hears.)
    swapped(page, lambda: page.get_by_role("button", name=visitor.t("Add the criterion")).click())
    expect(page.locator("#cohort-builder")).to_contain_text("40")
    expect(count).not_to_have_text(everyone)
    after_age = count.inner_text()

    # And a condition with its descendants, found by searching
    swapped(
        page, lambda: page.get_by_label(visitor.t("Kind of criterion")).select_option("condition")
    )
    swapped(
        page, lambda: page.get_by_label(visitor.t("Search for a concept")).fill("type 2 diabetes")
    )
    page.locator(f'label[for="concept-{TYPE_2_DIABETES}"]').click()
    expect(page.get_by_label(re.compile(visitor.t("Include descendants")))).to_be_checked()
    page.get_by_label(visitor.t("Add it to")).select_option("include:new")
    # (Waiting for the swap to settle: htmx wires the new form's controls only then, and a
    # kind chosen before that would be a change no one hears.)
    swapped(page, lambda: page.get_by_role("button", name=visitor.t("Add the criterion")).click())
    expect(page.locator("#cohort-builder")).to_contain_text(str(TYPE_2_DIABETES))
    expect(count).not_to_have_text(after_age)

    # And an HbA1c above 6.5 within 365 days of it
    swapped(
        page, lambda: page.get_by_label(visitor.t("Kind of criterion")).select_option("measurement")
    )
    expect(page.get_by_label(visitor.t("Lowest value"))).to_be_visible()  # its fields came
    swapped(page, lambda: page.get_by_label(visitor.t("Search for a concept")).fill(str(HBA1C)))
    page.locator(f'label[for="concept-{HBA1C}"]').click()
    page.get_by_label(visitor.t("Lowest value")).fill("6.5")
    page.get_by_text(visitor.t("Above it, not equal")).click()
    page.get_by_text(visitor.t("More conditions: age, occurrences, dates, timing")).click()
    page.get_by_label(visitor.t("When"), exact=True).select_option("within")
    page.get_by_label(visitor.t("Days"), exact=True).fill("365")
    page.get_by_label(visitor.t("Of the event")).select_option("include:1:0")
    page.get_by_label(visitor.t("Add it to")).select_option("include:new")
    # (Waiting for the swap to settle: htmx wires the new form's controls only then, and a
    # kind chosen before that would be a change no one hears.)
    swapped(page, lambda: page.get_by_role("button", name=visitor.t("Add the criterion")).click())
    expect(page.locator("#cohort-builder")).to_contain_text("365")

    # Then the count was updated in place each time, without the page reloading (the last one
    # may show as the previous did: a count within 20 of one already seen is shown the same)
    expect(count).to_have_text(re.compile(r"^(≤ 20|[0-9][0-9,. ]*)$"))
    assert page.evaluate("() => window.builderMark") == "kept"
    expect(
        page.get_by_role("table", name=visitor.t("Make-up across the UBR categories"))
    ).to_be_visible()
    visitor.check("3-the-issues-cohort")

    # When they name it and save it
    page.get_by_label(visitor.t("Cohort name")).fill("T2D with high HbA1c")
    page.get_by_role("button", name=visitor.t("Save the cohort")).click()

    # Then it is saved in the workspace, with the definition they built
    expect(page.get_by_text(visitor.t("The cohort is saved."))).to_be_visible()
    cohort = SavedCohort.objects.get(workspace=workspace)
    assert cohort.name == "T2D with high HbA1c"
    assert [len(group["items"]) for group in cohort.definition["include"]] == [1, 1, 1]
    assert cohort.definition["include"][2]["items"][0]["temporal"]["days"] == 365
    visitor.check("4-saved")
