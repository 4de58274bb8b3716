"""Every kind of page, in English and Spanish, on a desktop and on a phone.

The journeys in the other files follow people through the site; this file makes sure no page
type is left out of the checks every visit runs (conftest.Visit.check: axe-core at 1280 and at
390 px, no sideways scrolling of the page, a screenshot of each). It also checks that Spanish
accents are drawn by a font that places them right.
"""

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tapestry.accounts.personas import PERSONAS, persona_ensure
from tapestry.network.models import Organization, RegionSpecialist
from tapestry.network.selectors import region_for_state
from tapestry.network.tests.factories import MembershipApplicationFactory
from tapestry.research.models import ConceptSummary, Release
from tapestry.research.services import release_create
from tapestry.research.warehouse.generate import generate

from .conftest import PASSWORD, Network, Visit

# Real transactions, so the live server's thread sees what the test writes (and vice versa).
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = ["en", "es"]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out_dir = tmp_path_factory.mktemp("generated") / "seed-3"
    generate(out_dir, participants=600, seed=3)
    return out_dir


@pytest.fixture
def data_release(generated: Path, settings, tmp_path: Path) -> Iterator[Release]:
    settings.RESEARCH_DATA_DIR = tmp_path / "research"
    yield release_create(source=generated, version="R-every-page")


def _persona(email: str) -> str:
    persona_ensure(next(p for p in PERSONAS if p.email == email), password=PASSWORD)
    return email


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_public_page_fits_a_phone_and_passes_axe(
    language: str, network: Network, data_release: Release, visit: Callable[..., Visit]
) -> None:
    visitor = visit("public", language)
    visitor.open("/")
    visitor.choose_language()
    visitor.check("home")
    organization = Organization.objects.order_by("pk").first()
    assert organization is not None
    concept = ConceptSummary.objects.filter(release=data_release).order_by("-participants")[0]
    for step, path in [
        ("directory", "/network/"),
        ("directory-near", "/network/?near=30303"),
        ("directory-filtered", "/network/?state=GA&org_type=hospital_library"),
        ("organization", f"/network/organizations/{organization.pk}/"),
        ("region-map", "/network/regions/"),
        ("sign-in", "/accounts/login/"),
        ("sign-up", "/accounts/signup/"),
        ("password-reset", "/accounts/password/reset/"),
        ("data-browser", "/data/"),
        ("data-search", "/data/concepts/?q=diabetes"),
        ("data-concept", f"/data/concepts/{concept.concept_id}/"),
        ("api-docs", "/api/v1/docs"),
    ]:
        visitor.open(path)
        visitor.check(step)

    visitor.open("/no-such-page/", status=404)
    expect(visitor.page.get_by_role("heading", level=1)).to_be_visible()
    visitor.check("error-404")

    visitor.page.goto(visitor.base_url + "/admin/login/")
    expect(visitor.page.get_by_role("heading", level=1)).to_be_visible()
    visitor.check("admin-login")


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_member_page_fits_a_phone_and_passes_axe(
    language: str, network: Network, visit: Callable[..., Visit]
) -> None:
    liaison = visit("member", language)
    liaison.open("/")
    liaison.choose_language()
    liaison.sign_in(network.liaison_email, step="sign-in")
    expect(liaison.page).to_have_url(re.compile(r"/me/$"))
    liaison.check("dashboard")
    for step, path in [
        ("join", "/network/join/"),
        ("my-applications", "/network/my-applications/"),
        ("profile", "/me/profile/"),
        ("api-tokens", "/me/api-tokens/"),
        ("two-factor", "/accounts/2fa/"),
        ("two-factor-activate", "/accounts/2fa/totp/activate/"),
        ("change-password", "/accounts/password/change/"),
        ("email-addresses", "/accounts/email/"),
    ]:
        liaison.open(path)
        liaison.check(step)

    # A page the liaison may not see: the forbidden page
    liaison.open("/research/diversity/", status=403)
    liaison.check("error-403")


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_staff_page_fits_a_phone_and_passes_axe(
    language: str,
    network: Network,
    data_release: Release,
    visit: Callable[..., Visit],
    authenticator_code: Callable[[], str],
) -> None:
    # Given an application waiting in the specialist's region
    region = region_for_state(state_code="IL")
    assert region is not None
    RegionSpecialist.objects.create(user=network.specialist, region=region)
    application = MembershipApplicationFactory(
        name="Little Village Health Promoters Community Library", zip_code="60623"
    )

    specialist = visit("specialist-pages", language)
    specialist.open("/")
    specialist.choose_language()
    specialist.sign_in(network.specialist.email, step="sign-in")
    expect(specialist.page).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))
    specialist.check("two-factor-code")
    specialist.page.get_by_label(specialist.label("Code")).fill(authenticator_code())
    specialist.page.get_by_role("button", name=specialist.t("Sign In")).click()
    expect(specialist.page).to_have_url(re.compile(r"/me/$"))
    for step, path in [
        ("review-queue", "/network/specialist/"),
        ("decide", f"/network/specialist/applications/{application.pk}/"),
        ("two-factor", "/accounts/2fa/"),
    ]:
        specialist.open(path)
        specialist.check(step)

    staff = visit("staff-pages", language)
    staff.open("/")
    staff.choose_language()
    staff.sign_in(_persona("programstaff@tapestry.example"), step="sign-in")
    staff.page.get_by_label(staff.label("Code")).fill(authenticator_code())
    staff.page.get_by_role("button", name=staff.t("Sign In")).click()
    expect(staff.page).to_have_url(re.compile(r"/me/$"))
    staff.open("/research/diversity/")
    staff.check("diversity")
