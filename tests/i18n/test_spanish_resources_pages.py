"""The health information pages, rendered in Spanish for the people who use them, show no
English.

The same scan as test_spanish_pages.py (english_leaks, the glossary's retired forms), over the
resources pages: a visitor (browsing, searching, a resource, the pages for libraries) and the
people who write and review (the staff list, a new resource, a text in review with its score
sheet, a published one, the translation form, what a resource is). What the writers typed is
in Spanish, as a Spanish-speaking health educator would write it.
"""

from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

# The shared personas (tapestry/conftest.py), for this directory sits outside tapestry/.
from tapestry.conftest import (  # noqa: F401
    olga_other_specialist,
    paula_program_staff,
    sam_specialist,
    sign_in_with_code,
)
from tapestry.resources import services
from tapestry.resources.tests.factories import PLAIN_ES, html, text_publish, text_write
from tests.i18n import catalog_check
from tests.i18n.english_leaks import Leak, english_leaks, english_words, visible_texts

pytestmark = pytest.mark.django_db

CHECK_TRANSLATIONS = catalog_check.load()
AVOIDED = CHECK_TRANSLATIONS.glossary_avoided_forms()
WORDS = english_words()
# People's names are data, in no language.
NAMES = ("Sam Specialist", "Olga Other", "Paula Program")


@dataclass(frozen=True)
class ResourcesWorld:
    clients: dict[str, Client]
    ids: dict[str, int]


def _spanish(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    return client


@pytest.fixture
def resources_world(
    sam_specialist: Any,  # noqa: F811 (the shared personas, imported above)
    olga_other_specialist: Any,  # noqa: F811
    paula_program_staff: Any,  # noqa: F811
) -> ResourcesWorld:
    """A Spanish handout published by Paula, written by Sam; a Spanish article in review."""
    published = text_publish(
        text_write(
            author=sam_specialist,
            language="es",
            title="La diabetes: lo básico",
            summary="Qué es la diabetes y qué puede hacer usted.",
            kind="handout",
        ),
        reviewer=paula_program_staff,
    )
    in_review = text_write(
        author=olga_other_specialist,
        language="es",
        title="Cómo dormir bien",
        summary="Ideas sencillas para descansar mejor.",
        body=html(PLAIN_ES),
    )
    services.text_submit(actor=olga_other_specialist, text=in_review)
    return ResourcesWorld(
        clients={
            "visitor": _spanish(Client()),
            "writer": sign_in_with_code(sam_specialist, _spanish(Client())),
            "reviewer": sign_in_with_code(paula_program_staff, _spanish(Client())),
        },
        ids={
            "resource": published.resource_id,
            "published": published.pk,
            "in_review": in_review.pk,
            "in_review_resource": in_review.resource_id,
        },
    )


# (persona, path, expected status). Paths may name the ids of `resources_world`.
PAGES = [
    ("visitor", "/resources/", 200),
    ("visitor", "/resources/?q=diabetes", 200),
    ("visitor", "/resources/?q=nada-de-nada", 200),
    ("visitor", "/resources/?area=health-literacy", 200),
    ("visitor", "/resources/{resource}/", 200),
    ("visitor", "/resources/{resource}/es/", 200),
    ("visitor", "/resources/for-libraries/", 200),
    ("visitor", "/resources/for-libraries/health-literacy/", 200),
    ("visitor", "/resources/for-libraries/precision-medicine/", 200),
    ("writer", "/resources/staff/", 200),
    ("writer", "/resources/staff/new/", 200),
    ("writer", "/resources/staff/texts/{published}/", 200),
    ("writer", "/resources/staff/resources/{resource}/about/", 200),
    ("writer", "/resources/staff/resources/{resource}/add/en/", 200),
    ("reviewer", "/resources/staff/", 200),
    ("reviewer", "/resources/staff/texts/{in_review}/", 200),
    ("reviewer", "/me/", 200),
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
        if not problem.startswith("Title Case")  # formula and program names are capitalised
    ]


@pytest.mark.parametrize("visit", PAGES, ids=[_page_id(visit) for visit in PAGES])
def test_the_resources_page_in_spanish_shows_no_english(
    resources_world: ResourcesWorld, visit: tuple[str, str, int]
) -> None:
    persona, path, status = visit
    url = path.format(**resources_world.ids)

    response = resources_world.clients[persona].get(url, follow=True)

    assert response.status_code == status, response.content[:500]
    assert response.headers["Content-Language"] == "es"
    leaks = english_leaks(response.text, words=WORDS, english_data=NAMES)
    assert not leaks, f"English on {url} as {persona}:\n{_report(leaks)}"
    off_glossary = _off_glossary(response.text)
    assert not off_glossary, f"Off-glossary Spanish on {url}:\n" + "\n".join(off_glossary)
