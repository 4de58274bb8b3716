"""The resource-sharing pages, rendered in Spanish for the people who use them, show no
English.

The same scan as test_spanish_pages.py (english_leaks, the glossary's retired forms), over the
sharing pages: a public library's liaison (the home page, a new request, its requests, a
filled one, the rule-of-five warning, its holdings, policy, closures, preferred lenders,
statement and figures, its patrons), the lending library's liaison (the queue, a request to
answer), a patron (her page and a new request) and program staff (the network's figures).
Journal titles and library names are data, in no language.
"""

import datetime
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from tapestry.conftest import paula_program_staff, rosa_spanish, sign_in_with_code  # noqa: F401
from tapestry.sharing import services
from tapestry.sharing.models import PatronAgreement
from tapestry.sharing.tests.factories import LendingPolicyFactory, library, serial_holding
from tests.i18n import catalog_check
from tests.i18n.english_leaks import Leak, english_leaks, english_words, visible_texts

pytestmark = pytest.mark.django_db

CHECK_TRANSLATIONS = catalog_check.load()
AVOIDED = CHECK_TRANSLATIONS.glossary_avoided_forms()
WORDS = english_words()
# Library and journal names, titles and people's names are data, in no language.
NAMES = (
    "Biblioteca Pública de Pilsen",
    "Galter Health Sciences Library",
    "Nature",
    "Rosa",
    "Paula Program",
)


@dataclass(frozen=True)
class SharingWorld:
    clients: dict[str, Client]
    ids: dict[str, int]


def _spanish(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    return client


def _signed_in(person: Any) -> Client:
    client = _spanish(Client())
    client.force_login(person)
    return client


@pytest.fixture
def sharing_world(
    rosa_spanish: Any,  # noqa: F811 (the shared personas, imported above)
    paula_program_staff: Any,  # noqa: F811
) -> SharingWorld:
    """Pilsen (a public library taking patrons' requests) borrows from Galter; one request
    filled by mail, one asked now; Rosa's agreement approved and her request waiting."""
    pilsen = library("Biblioteca Pública de Pilsen", org_type="public_library", language="es")
    galter = library("Galter Health Sciences Library", zip_code="60611", language="es")
    LendingPolicyFactory.create(organization_id=galter.pk)
    LendingPolicyFactory.create(
        organization_id=pilsen.pk, lends=False, accepts_patron_requests=True
    )
    serial_holding(galter)
    needed = services.network_today() + datetime.timedelta(days=14)
    citation: dict[str, Any] = {
        "issn": "0028-0836",
        "journal_title": "Nature",
        "year": 2024,
        "title": "Microbios intestinales y el sistema inmunitario",
        "needed_by": needed,
        "max_cost_cents": 2000,
        "compliance": "ccg",
    }
    filled = services.request_create(actor=pilsen.liaison, borrower_id=pilsen.pk, **citation)
    services.request_fill(
        actor=galter.liaison, lender_id=galter.pk, request_id=filled.pk, method="mail"
    )
    asked = services.request_create(actor=pilsen.liaison, borrower_id=pilsen.pk, **citation)
    PatronAgreement.objects.create(
        organization_id=pilsen.pk, person=rosa_spanish, status=PatronAgreement.Status.APPROVED
    )
    services.patron_request_create(
        person=rosa_spanish,
        organization_id=pilsen.pk,
        issn="0028-0836",
        journal_title="Nature",
        year=2023,
        title="Dormir bien en la vejez",
        needed_by=needed,
    )
    return SharingWorld(
        clients={
            "borrower": _signed_in(pilsen.liaison),
            "lender": _signed_in(galter.liaison),
            "patron": _signed_in(rosa_spanish),
            "staff": sign_in_with_code(paula_program_staff, _spanish(Client())),
        },
        ids={"pilsen": pilsen.pk, "galter": galter.pk, "filled": filled.pk, "asked": asked.pk},
    )


# (persona, path, expected status). Paths may name the ids of `sharing_world`.
PAGES = [
    ("borrower", "/sharing/", 200),
    ("borrower", "/sharing/library/{pilsen}/requests/", 200),
    ("borrower", "/sharing/library/{pilsen}/requests/?q=nada", 200),
    ("borrower", "/sharing/library/{pilsen}/requests/new/", 200),
    ("borrower", "/sharing/library/{pilsen}/requests/{filled}/", 200),
    ("borrower", "/sharing/library/{pilsen}/requests/{asked}/", 200),
    ("borrower", "/sharing/library/{pilsen}/patrons/", 200),
    ("borrower", "/sharing/library/{pilsen}/holdings/", 200),
    ("borrower", "/sharing/library/{pilsen}/holdings/new/", 200),
    ("borrower", "/sharing/library/{pilsen}/holdings/import/", 200),
    ("borrower", "/sharing/library/{pilsen}/policy/", 200),
    ("borrower", "/sharing/library/{pilsen}/closures/", 200),
    ("borrower", "/sharing/library/{pilsen}/statements/", 200),
    ("borrower", "/sharing/library/{pilsen}/figures/", 200),
    ("borrower", "/me/", 200),
    ("lender", "/sharing/library/{galter}/lending/", 200),
    ("lender", "/sharing/library/{galter}/lending/{asked}/", 200),
    ("lender", "/sharing/library/{galter}/holdings/", 200),
    ("lender", "/sharing/library/{galter}/statements/", 200),
    ("patron", "/sharing/patron/", 200),
    ("patron", "/sharing/patron/libraries/{pilsen}/request/", 200),
    ("staff", "/sharing/network/", 200),
]


def _page_id(visit: tuple[str, str, int]) -> str:
    persona, path, _status = visit
    return f"{persona}:{path}"


def _report(leaks: list[Leak]) -> str:
    return "\n".join(f"{leak.word!r} in {leak.text!r}" for leak in leaks)


def _off_glossary(html_text: str) -> list[str]:
    return [
        f"{text!r}: {problem}"
        for text in visible_texts(html_text)
        for problem in CHECK_TRANSLATIONS.style_problems(
            CHECK_TRANSLATIONS.Message(msgid="", msgstr=text), AVOIDED
        )
        if not problem.startswith("Title Case")  # journal and library names are capitalised
    ]


@pytest.mark.parametrize("visit", PAGES, ids=[_page_id(visit) for visit in PAGES])
def test_the_sharing_page_in_spanish_shows_no_english(
    sharing_world: SharingWorld, visit: tuple[str, str, int]
) -> None:
    persona, path, status = visit
    url = path.format(**sharing_world.ids)

    response = sharing_world.clients[persona].get(url, follow=True)

    assert response.status_code == status, response.content[:500]
    assert response.headers["Content-Language"] == "es"
    leaks = english_leaks(response.text, words=WORDS, english_data=NAMES)
    assert not leaks, f"English on {url} as {persona}:\n{_report(leaks)}"
    off_glossary = _off_glossary(response.text)
    assert not off_glossary, f"Off-glossary Spanish on {url}:\n" + "\n".join(off_glossary)
