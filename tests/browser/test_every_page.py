"""Every kind of page, in English and Spanish, on a desktop and on a phone.

The journeys in the other files follow people through the site; this file makes sure no page
type is left out of the checks every visit runs (conftest.Visit.check: axe-core at 1280 and at
390 px, no sideways scrolling of the page, a screenshot of each). It also checks that Spanish
accents are drawn by a font that places them right.
"""

import errno
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import OperationalError
from django.test import RequestFactory
from django.utils import translation
from playwright.sync_api import Route, expect
from pytest_django.fixtures import Settings

from tapestry.accounts.models import User
from tapestry.accounts.personas import PERSONAS, persona_ensure
from tapestry.core import resilience
from tapestry.core import views as core_views
from tapestry.network.models import Organization, RegionSpecialist
from tapestry.network.selectors import region_for_state
from tapestry.network.tests.factories import MembershipApplicationFactory
from tapestry.research.models import ConceptSummary, Release
from tapestry.research.services import release_create
from tapestry.research.warehouse.generate import generate

from .conftest import LANGUAGE_SWITCH_LABEL, PASSWORD, SCREENSHOTS, VIEWPORTS, Network, Visit

# Real transactions, so the live server's thread sees what the test writes (and vice versa).
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = ["en", "es"]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out_dir = tmp_path_factory.mktemp("generated") / "seed-3"
    generate(out_dir, participants=3000, seed=3)
    return out_dir


@pytest.fixture
def data_release(generated: Path, settings: Settings, tmp_path: Path) -> Iterator[Release]:
    settings.RESEARCH_DATA_DIR = tmp_path / "research"
    yield release_create(source=generated, version="R-every-page")


def _serve(html: str) -> Callable[[Route], None]:
    def fulfill(route: Route) -> None:
        route.fulfill(body=html, content_type="text/html")

    return fulfill


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
        ("data-surveys", "/data/surveys/"),
        ("data-survey-question", "/data/surveys/education/"),
    ]:
        visitor.open(path)
        visitor.check(step)

    # On a phone the directory's filters start folded, so the first result shows on the
    # first screen; on a desktop they are open beside the results
    page = visitor.page
    page.set_viewport_size(VIEWPORTS["phone"])
    visitor.open("/network/?near=30303")
    filters = page.get_by_text(visitor.t("Search and filters"))
    expect(page.get_by_label(visitor.t("Type"), exact=True)).to_be_hidden()
    first_result = page.locator("#results .usa-collection__heading").first
    box = first_result.bounding_box()
    assert box is not None and box["y"] + box["height"] <= VIEWPORTS["phone"]["height"]
    filters.click()
    expect(page.get_by_label(visitor.t("Type"), exact=True)).to_be_visible()
    page.set_viewport_size(VIEWPORTS["desktop"])
    visitor.open("/network/?near=30303")
    expect(page.get_by_label(visitor.t("Type"), exact=True)).to_be_visible()

    # The API documentation, drawn by Swagger UI once the OpenAPI document has loaded
    page = visitor.open("/api/v1/docs")
    expect(page.locator(".opblock").first).to_be_visible()
    visitor.check("api-docs")
    page.locator(".opblock-summary-control").first.click()
    page.get_by_role("button", name="Try it out").click()
    page.get_by_role("button", name="Execute").click()
    expect(page.locator(".live-responses-table .response .response-col_status")).to_have_text("200")
    visitor.check("api-docs-tried")

    visitor.open("/no-such-page/", status=404)
    expect(visitor.page.get_by_role("heading", level=1)).to_be_visible()
    visitor.check("error-404")

    # A form sent with a stale security token: the CSRF failure page
    page = visitor.open("/")
    visitor.context.clear_cookies(name="csrftoken")
    other = "es" if language == "en" else "en"
    page.get_by_role("navigation", name=visitor.t("Main")).get_by_role(
        "button", name=LANGUAGE_SWITCH_LABEL[other]
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(visitor.t("This form has expired"))
    visitor.check("error-403-csrf")

    # The bad-request and server-error pages, as their handlers render them (nothing here
    # can make the live server fail on purpose)
    for step, handler in [("error-400", core_views.error_400), ("error-500", core_views.error_500)]:
        request = RequestFactory().get("/")
        request.user = AnonymousUser()
        with translation.override(language):
            html = handler(request).content.decode()
        address = f"{visitor.base_url}/{step}/"
        page.route(address, _serve(html))
        page.goto(address)
        visitor.check(step)

    # The pages of a fault (the database gone, the disk full), as Django's error handler
    # renders them from the error: in the visitor's language, from the request alone
    for step, fault in [
        ("error-503", OperationalError("the server closed the connection")),
        ("error-507", OSError(errno.ENOSPC, "No space left on device")),
    ]:
        request = RequestFactory(headers={"accept-language": language}).get("/")
        try:
            raise fault
        except (OSError, OperationalError):
            html = resilience.server_error(request).content.decode()
        address = f"{visitor.base_url}/{step}/"
        page.route(address, _serve(html))
        page.goto(address)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        visitor.check(step)

    # Django's admin sign-in (or wherever it sends the administrator to sign in)
    visitor.page.goto(visitor.base_url + "/admin/login/")
    expect(visitor.page.locator("input[type=password]")).to_be_visible()
    visitor.check("admin-login")


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_member_page_fits_a_phone_and_passes_axe(
    language: str, network: Network, visit: Callable[..., Visit]
) -> None:
    # Given the liaison persona is the liaison of one member, so its review form is open to her
    organization = Organization.objects.order_by("pk")[0]
    organization.liaison = User.objects.get(email=network.liaison_email)
    organization.save(update_fields=["liaison"])

    liaison = visit("member", language)
    liaison.open("/")
    liaison.choose_language()
    liaison.sign_in(network.liaison_email, step="sign-in")
    expect(liaison.page).to_have_url(re.compile(r"/me/$"))
    liaison.check("dashboard")
    for step, path in [
        ("join", "/network/join/"),
        ("my-applications", "/network/my-applications/"),
        ("organization-review", f"/network/organizations/{organization.pk}/review/"),
        ("profile", "/me/profile/"),
        ("api-tokens", "/me/api-tokens/"),
        ("two-factor", "/accounts/2fa/"),
        ("two-factor-activate", "/accounts/2fa/totp/activate/"),
        ("change-password", "/accounts/password/change/"),
        ("email-addresses", "/accounts/email/"),
    ]:
        liaison.open(path)
        liaison.check(step)

    # The tokens page with a token in its table
    page = liaison.open("/me/api-tokens/")
    page.locator("input[name=name]").fill("Weekly report script")
    page.get_by_role("button", name=liaison.t("Make token")).click()
    expect(page.get_by_role("row").filter(has_text="Weekly report script")).to_be_visible()
    liaison.check("api-tokens-made")

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
    application = MembershipApplicationFactory.create(
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


# Draws `text` in the font an element is shown in, and in two fonts loaded from their files
# (the same family name cannot tell them apart), and counts the pixels where each differs.
COMPARE_GLYPHS_SCRIPT = """async ({selector, text, files}) => {
    const style = getComputedStyle(document.querySelector(selector));
    const draw = async family => {
        const font = `${style.fontStyle} ${style.fontWeight} 96px ${family}`;
        await document.fonts.load(font, text);
        const canvas = document.createElement('canvas');
        canvas.width = 960; canvas.height = 160;
        const context = canvas.getContext('2d');
        context.font = font;
        context.fillText(text, 10, 120);
        return context.getImageData(0, 0, canvas.width, canvas.height).data;
    };
    const differing = (one, other) => {
        let count = 0;
        for (let index = 3; index < one.length; index += 4) {
            if (Math.abs(one[index] - other[index]) > 64) count += 1;
        }
        return count;
    };
    const shown = await draw(style.fontFamily);
    const result = {family: style.fontFamily, weight: style.fontWeight};
    for (const [name, url] of Object.entries(files)) {
        const face = new FontFace(`check-${name}`, `url(${url})`, {weight: style.fontWeight});
        document.fonts.add(await face.load());
        result[name] = differing(shown, await draw(`check-${name}`));
    }
    return result;
}"""


def test_bold_spanish_headings_are_drawn_by_a_font_that_places_the_accents(
    visit: Callable[..., Visit],
) -> None:
    # Given a visitor reading the site in Spanish
    visitor = visit("accents", "es")
    page = visitor.open("/")
    visitor.choose_language()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text("Información")

    # When the heading's own font draws Spanish accented letters
    result = page.evaluate(
        COMPARE_GLYPHS_SCRIPT,
        {
            "selector": "main h1",
            "text": "Mi membresía íáéóúñÍ",
            "files": {
                # Source Sans 3, complete Latin (npm @fontsource/source-sans-3)
                "fixed": "/static/vendor/source-sans-3/source-sans-3-latin-700-normal.woff2",
                # The subset USWDS ships, whose bold "í" has its accent off the letter
                "uswds": "/static/vendor/uswds/fonts/source-sans-pro/sourcesanspro-bold-webfont.woff2",
            },
        },
    )

    # Then they come out exactly as the complete font draws them, not as USWDS's subset does
    assert result["weight"] == "700"
    assert result["fixed"] == 0, result
    assert result["uswds"] > 500, result
    heading.screenshot(path=str(SCREENSHOTS / "accents-es-bold-heading.png"))
