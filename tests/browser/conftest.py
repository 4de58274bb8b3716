"""Browser tests: Debian's Chromium drives the real app served by pytest-django's live server.

Every page a test visits goes through `Visit.check`, once on a desktop (1280 px) and once on a
phone (390 px): an axe-core scan for WCAG 2.1 A and AA (zero violations allowed), a check that
the page itself never scrolls sideways, and a full-page screenshot in var/screenshots/.
"""

import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import (
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.core.cache import cache
from django.utils import translation
from playwright.sync_api import BrowserContext, ConsoleMessage, Page, ViewportSize, expect
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer

from tapestry.accounts.models import User
from tapestry.accounts.personas import DEMO_TOTP_SECRET, PERSONAS, persona_ensure
from tapestry.network.demo import demo_organizations_create

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "var" / "screenshots"
CHROMIUM = os.environ.get("TAPESTRY_CHROMIUM", "/usr/bin/chromium")
# Served by the app itself, so the page's own Content Security Policy (script-src 'self')
# allows it and the scan runs with the CSP in force, as a visitor's browser would.
AXE_STATIC_PATH = "/static/vendor/axe/axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PASSWORD = "correct horse battery staple 42"
LANGUAGE_SWITCH_LABEL = {"en": "English", "es": "Español"}
# Every page is checked at both sizes; the tests themselves act at the desktop size.
VIEWPORTS: dict[str, ViewportSize] = {
    "desktop": {"width": 1280, "height": 900},
    # An iPhone 12 to 15 in portrait, the narrowest common phone today.
    "phone": {"width": 390, "height": 844},
}
# What pushes the page wider than the window: the outermost elements reaching past its right
# edge, outside any element that scrolls on its own (a wide table in its own container).
WIDE_ELEMENTS_SCRIPT = """() => {
    const inScroller = element => {
        for (let parent = element.parentElement; parent; parent = parent.parentElement) {
            const overflow = getComputedStyle(parent).overflowX;
            if (overflow === 'auto' || overflow === 'scroll') return true;
        }
        return false;
    };
    const wide = [];
    for (const element of document.body.querySelectorAll('*')) {
        const box = element.getBoundingClientRect();
        if (box.width && box.right > window.innerWidth + 0.5 && !inScroller(element)
            && !(element.parentElement && wide.includes(element.parentElement))) {
            wide.push(element);
        }
    }
    return wide.slice(0, 5).map(element =>
        `${element.outerHTML.slice(0, 120)} (right edge at ${Math.round(element.getBoundingClientRect().right)} px)`);
}"""


def message(language: str, text: str, context: str = "") -> str:
    """`text` (in its `context`, if the server gives it one) as the server renders it in
    `language`, from the same translation catalog.

    The tests find links, buttons and fields by their visible names; reading the names from
    the catalog keeps the Spanish journey right whatever the Spanish wording is.
    """
    with translation.override(language):
        return translation.pgettext(context, text) if context else translation.gettext(text)


def label_pattern(language: str, text: str) -> re.Pattern[str]:
    """A field label, exactly, allowing the required-field star after it."""
    return re.compile(rf"^\s*{re.escape(message(language, text))}(\s*\*)?\s*$", re.IGNORECASE)


def _totp_code_now() -> str:
    """The code an authenticator app shows now for the demo staff secret.

    The server accepts only the current time step, so rather than type a code in its last
    seconds, wait for the next one, as a person would.
    """
    period = mfa_settings.TOTP_PERIOD
    seconds_left = period - time.time() % period
    if seconds_left < 5:
        time.sleep(seconds_left + 0.2)
    counters = list(yield_hotp_counters_from_time())
    return format_hotp_value(hotp_value(DEMO_TOTP_SECRET, counters[len(counters) // 2]))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    return {
        **browser_context_args,
        "viewport": VIEWPORTS["desktop"],
        "locale": "en-US",
        "timezone_id": "America/New_York",
    }


@pytest.fixture(scope="session", autouse=True)
def _orm_beside_playwright() -> Iterator[None]:
    """Playwright's sync API keeps an asyncio loop in this thread from its start to the end of
    the session, which Django takes for async code. The database calls made here between page
    actions (test data, pytest-django's setup and flushes) are ordinary blocking calls."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


# The data migrations' loaders: (module, function), each idempotent.


@pytest.fixture(autouse=True)
def _fast_server_settings(settings: Settings) -> None:
    """Emails go out during the request (the worker has its own tests), and hashing is quick.

    The live server runs in this process, so it sees these settings too.
    """
    settings.TASKS = {
        "default": {
            "BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["default"],
        }
    }
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class Visit:
    """One person's visit to the site in one language: navigation helpers and page checks."""

    context: BrowserContext
    base_url: str
    journey: str
    language: str
    console_errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page: Page = self.context.new_page()
        self.page.set_default_timeout(10_000)
        self.page.on("console", self._console)

    def _console(self, console_message: ConsoleMessage) -> None:
        if console_message.type == "error":
            self.console_errors.append(console_message.text)

    def t(self, text: str, context: str = "") -> str:
        return message(self.language, text, context)

    def label(self, text: str) -> re.Pattern[str]:
        return label_pattern(self.language, text)

    def open(self, path: str, *, status: int = 200) -> Page:
        response = self.page.goto(self.base_url + path)
        assert response is not None
        assert response.status == status, f"{path} answered {response.status}"
        return self.page

    def choose_language(self) -> None:
        """Use the header's language switcher, as a person would, unless already there."""
        page = self.page
        shown = page.locator("html").get_attribute("lang") or "en"
        if shown != self.language:
            page.get_by_role("navigation", name=message(shown, "Main")).get_by_role(
                "button", name=LANGUAGE_SWITCH_LABEL[self.language]
            ).click()
        expect(page.locator("html")).to_have_attribute("lang", self.language)

    def sign_in(self, email: str, *, step: str) -> None:
        """Follow the header's "Sign in" link and send the form with email and password."""
        page = self.page
        page.get_by_role("link", name=self.t("Sign in"), exact=True).click()
        self.check(step)
        page.get_by_label(self.label("Email")).fill(email)
        page.get_by_label(self.label("Password")).fill(PASSWORD)
        page.get_by_role("button", name=self.t("Sign In")).click()

    def check(self, step: str) -> Path:
        """At desktop and at phone width: the page does not scroll sideways, axe-core finds no
        WCAG 2.1 A or AA violation, and a full-page screenshot is kept.

        Returns the desktop screenshot's path; the page is left at the width it had, so a
        journey walked at phone width goes on at phone width.
        """
        page = self.page
        walked_at = page.viewport_size or VIEWPORTS["desktop"]
        page.wait_for_load_state("load")
        expect(page.locator("html")).to_have_attribute("lang", self.language)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        screenshots = {}
        try:
            for size, viewport in VIEWPORTS.items():
                page.set_viewport_size(viewport)
                screenshots[size] = self._check_at(step, size)
        finally:
            page.set_viewport_size(walked_at)
        blocked = [text for text in self.console_errors if "Content Security Policy" in text]
        assert not blocked, (
            f"The Content Security Policy blocked something on {page.url}: {blocked}"
        )
        return screenshots["desktop"]

    def _check_at(self, step: str, size: str) -> Path:
        page = self.page
        page_width, window_width = page.evaluate(
            "() => [document.scrollingElement.scrollWidth, window.innerWidth]"
        )
        assert page_width <= window_width, (
            f"{page.url} ({step}) is {page_width} px wide in a {window_width} px {size} window:\n"
            + "\n".join(page.evaluate(WIDE_ELEMENTS_SCRIPT))
        )
        screenshot = SCREENSHOTS / f"{self.journey}-{self.language}-{step}-{size}.png"
        page.screenshot(
            path=screenshot,
            full_page=True,
            animations="disabled",  # e.g. the skip link slides in; show where it ends up
        )
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            page.add_script_tag(url=self.base_url + AXE_STATIC_PATH)
        violations = page.evaluate(
            """tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})
                .then(results => results.violations.map(v => ({
                    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                    nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html,
                                              summary: n.failureSummary})),
                })))""",
            AXE_TAGS,
        )
        assert not violations, (
            f"axe-core found WCAG 2.1 AA violations on {page.url} ({step}, {size}):\n"
            + format_violations(violations)
        )
        return screenshot


def format_violations(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        lines.append(f"  {violation['helpUrl']}")
        for node in violation["nodes"]:
            lines.append(f"    at {node['target']}: {node['html'][:200]}")
            lines.extend(f"      {line}" for line in (node["summary"] or "").splitlines())
    return "\n".join(lines)


@pytest.fixture
def visit(live_server: LiveServer, new_context: Callable[..., BrowserContext]) -> Iterator:
    """Open a visit: `visit(journey, language)` gives a fresh browser context (a new person)."""

    def open_visit(journey: str, language: str) -> Visit:
        return Visit(
            context=new_context(), base_url=live_server.url, journey=journey, language=language
        )

    # allauth remembers used TOTP codes in the cache; a code from an earlier test must not
    # count as replayed in this one.
    cache.clear()
    yield open_visit


@pytest.fixture
def authenticator_code() -> Callable[[], str]:
    """What the staff personas' authenticator app shows; call it when the code is typed."""
    return _totp_code_now


@dataclass(frozen=True)
class Network:
    """The people and members a journey starts from."""

    liaison_email: str
    specialist: User
    members: int


@pytest.fixture
def network() -> Network:
    """About 400 members, the liaison persona and the specialist persona (no regions yet)."""
    liaison = next(p for p in PERSONAS if p.email == "liaison@tapestry.example")
    specialist = next(p for p in PERSONAS if p.email == "specialist@tapestry.example")
    persona_ensure(liaison, password=PASSWORD)
    return Network(
        liaison_email=liaison.email,
        specialist=persona_ensure(specialist, password=PASSWORD),
        members=demo_organizations_create(),
    )
