"""A handout as a PDF: its published words, in its language, with the site and its address."""

import re
import zlib
from typing import Any

import pytest
from django.test import Client

from tapestry.resources import pdf, selectors, services
from tapestry.resources.models import Kind
from tapestry.resources.tests.test_public_pages import (
    DIABETES_EN,
    DIABETES_ES,
    es,
    in_both_languages,
    publish,
    published,
)

pytestmark = pytest.mark.django_db

STREAM = re.compile(rb"/Length (\d+)[^>]*>>\s*stream\r?\n")


def pdf_strings(document: bytes) -> str:
    """The text strings of a PDF WeasyPrint wrote (its title, its language, its outline),
    read from its compressed streams (as the funding tests do); page text is glyph ids."""
    blob = document
    for match in STREAM.finditer(document):
        try:
            blob += b"\n" + zlib.decompress(
                document[match.end() : match.end() + int(match.group(1))]
            )
        except zlib.error:
            continue  # a font or an image, not text
    literal = [text.decode("latin-1") for text in re.findall(rb"\(([^()]*)\)", blob)]
    utf16 = [
        bytes.fromhex(text.decode()).decode("utf-16-be")
        for text in re.findall(rb"<feff([0-9a-fA-F]+)>", blob)
    ]
    return "\n".join(literal + utf16)


def test_a_handout_prints_as_a_pdf_named_after_it(
    sam_specialist: Any, paula_program_staff: Any, visitor: Client
) -> None:
    text = published(sam_specialist, paula_program_staff, kind=Kind.HANDOUT)

    response = visitor.get(f"/resources/{text.resource_id}/en/handout.pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'inline; filename="living-well-with-diabetes.pdf"'
    assert response.content.startswith(b"%PDF-")
    strings = pdf_strings(response.content)
    assert "Living well with diabetes" in strings
    assert "en" in re.findall(r"^(?:en|es)$", strings, flags=re.MULTILINE)


def test_the_handout_holds_the_title_body_site_address_and_date_in_its_language(
    sam_specialist: Any, paula_program_staff: Any, visitor: Client
) -> None:
    _, text_es = in_both_languages(sam_specialist, paula_program_staff, kind=Kind.HANDOUT)
    public = selectors.text_public(resource_id=text_es.resource_id, language="es")
    assert public is not None
    address = f"http://testserver/resources/{text_es.resource_id}/es/"

    # The page is asked for by an English-speaking visitor: the handout is still Spanish.
    response = visitor.get(f"/resources/{text_es.resource_id}/es/handout.pdf")
    html = pdf.handout_html(public, page_url=address)

    assert response.content.startswith(b"%PDF-")
    strings = pdf_strings(response.content)
    assert "Vivir bien con diabetes" in strings
    assert "es" in re.findall(r"^(?:en|es)$", strings, flags=re.MULTILINE)
    assert '<html lang="es">' in html
    assert "<title>Vivir bien con diabetes</title>" in html
    assert DIABETES_ES["body"] in html
    assert '<p class="site">Tapestry</p>' in html
    assert es("Read it online: %(url)s") % {"url": address} in html
    date = re.search(r"\d{1,2} \w+ \d{4}|\w+ \d{1,2}, \d{4}", html)
    assert date is not None
    assert es("Last updated: %(date)s") % {"date": date.group(0)} in html


def test_the_handout_shows_the_published_words_until_the_next_publication(
    sam_specialist: Any, paula_program_staff: Any, visitor: Client
) -> None:
    text = published(sam_specialist, paula_program_staff, kind=Kind.HANDOUT)
    address = f"/resources/{text.resource_id}/en/handout.pdf"
    first = visitor.get(address).content

    # A change waiting for review leaves the PDF as it was
    text = services.text_save(
        actor=sam_specialist,
        text=text,
        title="Living well with type 2 diabetes",
        summary=DIABETES_EN["summary"],
        body=DIABETES_EN["body"],
    )
    assert visitor.get(address).content == first

    # Once published, the PDF is the new one (not the one rendered before)
    publish(text, author=sam_specialist, reviewer=paula_program_staff)
    second = visitor.get(address)
    assert "Living well with type 2 diabetes" in pdf_strings(second.content)
    assert second["Content-Disposition"] == 'inline; filename="living-well-with-diabetes.pdf"'


def test_only_handouts_print_and_only_while_published(
    sam_specialist: Any, paula_program_staff: Any, visitor: Client
) -> None:
    article = published(sam_specialist, paula_program_staff, kind=Kind.ARTICLE)
    handout = published(sam_specialist, paula_program_staff, kind=Kind.HANDOUT)
    services.text_withdraw(actor=paula_program_staff, text=handout, reason="Out of date.")

    assert visitor.get(f"/resources/{article.resource_id}/en/handout.pdf").status_code == 404
    assert visitor.get(f"/resources/{handout.resource_id}/en/handout.pdf").status_code == 404
    assert visitor.get(f"/resources/{handout.resource_id}/es/handout.pdf").status_code == 404


def test_a_filename_is_safe_whatever_the_slug() -> None:
    text = selectors.PublicText(
        resource_id=7,
        language="es",
        kind=Kind.HANDOUT,
        slug="",
        title="",
        summary="",
        body="",
        transcript="",
        url="",
        first_published_at=None,  # type: ignore[arg-type]
        published_at=None,  # type: ignore[arg-type]
        focus_areas=(),
        audiences=(),
        other_language_published=False,
    )

    assert pdf.handout_filename(text) == "resource-7.pdf"
    assert pdf.handout_filename(
        selectors.PublicText(**{**text.__dict__, "slug": 'a"b\r\nc/../d'})
    ) == ("a-b-c-d.pdf")
