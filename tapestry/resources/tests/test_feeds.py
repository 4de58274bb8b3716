"""The Atom feed of new resources, one per language."""

import datetime
import xml.etree.ElementTree as ElementTree
from typing import Any

import pytest
import time_machine
from django.test import Client

from tapestry.resources import selectors, services
from tapestry.resources.tests.test_public_pages import (
    DIABETES_EN,
    DIABETES_ES,
    TRIALS_EN,
    TRIALS_ES,
    es,
    in_both_languages,
    publish,
    published,
)

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def feed_of(client: Client, language: str) -> ElementTree.Element:
    response = client.get(f"/resources/feed/{language}.atom")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    return ElementTree.fromstring(response.content)  # noqa: S314 (the app's own output)


def entries_of(feed: ElementTree.Element) -> list[tuple[str, str, str]]:
    """(title, link, summary) of each entry, in the feed's order."""
    return [
        (
            entry.findtext(f"{ATOM}title", ""),
            link.get("href", "") if (link := entry.find(f"{ATOM}link")) is not None else "",
            entry.findtext(f"{ATOM}summary", ""),
        )
        for entry in feed.findall(f"{ATOM}entry")
    ]


def test_each_feed_lists_its_languages_texts_newest_first(
    sam_specialist: Any, paula_program_staff: Any, visitor: Client
) -> None:
    # Given diabetes published in both languages in March, trials in April (Spanish later)
    with time_machine.travel(datetime.datetime(2027, 3, 1, 15, tzinfo=datetime.UTC), tick=False):
        diabetes_en, diabetes_es = in_both_languages(sam_specialist, paula_program_staff)
    with time_machine.travel(datetime.datetime(2027, 4, 1, 15, tzinfo=datetime.UTC), tick=False):
        trials_en = published(sam_specialist, paula_program_staff, words=TRIALS_EN)
    with time_machine.travel(datetime.datetime(2027, 5, 1, 15, tzinfo=datetime.UTC), tick=False):
        trials_es = published(
            sam_specialist,
            paula_program_staff,
            language="es",
            words=TRIALS_ES,
            resource=trials_en.resource,
        )

    english = feed_of(visitor, "en")
    spanish = feed_of(visitor, "es")

    # Then each lists its own language's texts only, newest first, linking to their pages
    assert entries_of(english) == [
        (
            TRIALS_EN["title"],
            f"http://testserver/resources/{trials_en.resource_id}/en/",
            TRIALS_EN["summary"],
        ),
        (
            DIABETES_EN["title"],
            f"http://testserver/resources/{diabetes_en.resource_id}/en/",
            DIABETES_EN["summary"],
        ),
    ]
    assert entries_of(spanish) == [
        (
            TRIALS_ES["title"],
            f"http://testserver/resources/{trials_es.resource_id}/es/",
            TRIALS_ES["summary"],
        ),
        (
            DIABETES_ES["title"],
            f"http://testserver/resources/{diabetes_es.resource_id}/es/",
            DIABETES_ES["summary"],
        ),
    ]
    # in its own language, titled in it
    assert english.get(XML_LANG) == "en"
    assert spanish.get(XML_LANG) == "es"
    assert english.findtext(f"{ATOM}title") == "New health resources from Tapestry"
    assert spanish.findtext(f"{ATOM}title") == es("New health resources from Tapestry")
    assert spanish.findtext(f"{ATOM}subtitle") == es(
        "Health information in plain Spanish, newest first."
    )
    assert english.findtext(f"{ATOM}updated") == "2027-04-01T15:00:00+00:00"
    first = english.findall(f"{ATOM}entry")[0]
    assert first.findtext(f"{ATOM}published") == "2027-04-01T15:00:00+00:00"
    assert [c.get("term") for c in first.findall(f"{ATOM}category")] == ["Health literacy"]


def test_the_feed_keeps_the_first_publication_date_and_the_published_words(
    sam_specialist: Any, paula_program_staff: Any, visitor: Client
) -> None:
    # Given a text published in March, then changed and published again in June, then
    # changed once more (a draft not yet reviewed)
    with time_machine.travel(datetime.datetime(2027, 3, 1, 15, tzinfo=datetime.UTC), tick=False):
        text = published(sam_specialist, paula_program_staff)
    with time_machine.travel(datetime.datetime(2027, 6, 1, 15, tzinfo=datetime.UTC), tick=False):
        text = services.text_save(
            actor=sam_specialist,
            text=text,
            title="Living well with type 2 diabetes",
            summary=DIABETES_EN["summary"],
            body=DIABETES_EN["body"],
        )
        text = publish(text, author=sam_specialist, reviewer=paula_program_staff)
    services.text_save(
        actor=sam_specialist,
        text=text,
        title="A draft title",
        summary=DIABETES_EN["summary"],
        body=DIABETES_EN["body"],
    )

    entry = feed_of(visitor, "en").findall(f"{ATOM}entry")[0]

    assert entry.findtext(f"{ATOM}title") == "Living well with type 2 diabetes"
    assert entry.findtext(f"{ATOM}published") == "2027-03-01T15:00:00+00:00"
    assert entry.findtext(f"{ATOM}updated") == "2027-06-01T15:00:00+00:00"


def test_withdrawn_texts_leave_the_feed_and_it_holds_the_newest_few(
    sam_specialist: Any,
    paula_program_staff: Any,
    visitor: Client,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(selectors, "FEED_SIZE", 2)
    for day, words in enumerate((DIABETES_EN, TRIALS_EN, {**DIABETES_EN, "title": "Sugar"}), 1):
        with time_machine.travel(
            datetime.datetime(2027, 3, day, 15, tzinfo=datetime.UTC), tick=False
        ):
            last = published(sam_specialist, paula_program_staff, words=words)
    services.text_withdraw(actor=paula_program_staff, text=last, reason="A mistake.")

    titles = [title for title, _, _ in entries_of(feed_of(visitor, "en"))]

    assert titles == [TRIALS_EN["title"], DIABETES_EN["title"]]
    monkeypatch.setattr(selectors, "FEED_SIZE", 1)
    assert [title for title, _, _ in entries_of(feed_of(visitor, "en"))] == [TRIALS_EN["title"]]


def test_an_empty_feed_is_still_a_feed_and_an_unknown_language_is_not_found(
    visitor: Client,
) -> None:
    assert entries_of(feed_of(visitor, "es")) == []
    assert visitor.get("/resources/feed/fr.atom").status_code == 404
    assert visitor.get("/resources/feed/en.rss").status_code == 404
