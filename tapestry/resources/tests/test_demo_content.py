"""The demo content: every text in plain language within its own target, in both languages,
spread over the focus areas, and seeded through the services as people would do it."""

import csv
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from tapestry.resources import readability
from tapestry.resources.demo import (
    ENGLISH_EDITED,
    SPANISH_IN_REVIEW,
    DemoResource,
    DemoText,
    demo_resources,
)
from tapestry.resources.models import (
    ClearCommunicationReview,
    Resource,
    ResourceText,
    Status,
)
from tapestry.resources.services import language_detected, latest_sheet, translation_out_of_date

DATA = Path(__file__).resolve().parent.parent / "data"
RESOURCES = demo_resources()
TEXTS = [(item, text) for item in RESOURCES for text in item.texts]


def _slugs(name: str) -> set[str]:
    with (DATA / name).open(newline="", encoding="utf-8") as file:
        return {row["slug"] for row in csv.DictReader(file)}


def _seed() -> str:
    out = StringIO()
    call_command("resources_seed_demo", stdout=out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("item", "text"),
    TEXTS,
    ids=[f"{item.name}-{text.language}-{index}" for index, (item, text) in enumerate(TEXTS)],
)
def test_each_demo_text_meets_its_own_target_and_reads_as_its_language(
    item: DemoResource, text: DemoText
) -> None:
    # given the words the services score (summary, body, transcript)
    words = text.words()

    # when they are scored in their own language, against grade 6 for critical instructions
    result = readability.score(words, language=text.language, critical=item.critical)
    detected = language_detected(
        readability.plain_text(f"<p>{text.title}</p><p>{text.summary}</p>{text.body}")
        + " "
        + text.transcript
    )

    # then every formula meets its limit, and the text reads as the language it is marked
    assert [score.formula for score in result.scores if not score.meets] == []
    assert detected == text.language
    assert 150 <= result.words <= 400


def test_the_demo_has_at_least_twenty_resources_each_in_english_and_spanish() -> None:
    assert len(RESOURCES) >= 20
    assert all(item.english.title and item.spanish.title for item in RESOURCES)
    assert all(item.english.body and item.spanish.body for item in RESOURCES)


def test_every_focus_area_has_at_least_two_demo_resources_and_every_slug_exists() -> None:
    areas = _slugs("focus_areas.csv")
    counts = {area: sum(area in item.focus_areas for item in RESOURCES) for area in areas}

    assert {area for area, count in counts.items() if count < 2} == set()
    assert {area for item in RESOURCES for area in item.focus_areas} <= areas
    assert {group for item in RESOURCES for group in item.audiences} <= _slugs("audiences.csv")


def test_videos_have_transcripts_and_links_and_videos_have_addresses() -> None:
    for item in RESOURCES:
        for text in (item.english, item.spanish):
            assert (item.kind == "video") == bool(text.transcript), item.name
            assert (item.kind in ("video", "link")) == text.url.startswith("https://"), item.name


def test_the_demo_keeps_exactly_one_of_each_kind_of_work_in_progress() -> None:
    states = sorted(item.work_in_progress for item in RESOURCES if item.work_in_progress)

    assert states == sorted([SPANISH_IN_REVIEW, ENGLISH_EDITED])


@pytest.mark.django_db
def test_seeding_twice_makes_each_resource_once() -> None:
    # given the demo seeded once
    first = _seed()
    counts = (
        Resource.objects.count(),
        ResourceText.objects.count(),
        ClearCommunicationReview.objects.count(),
    )

    # when it is seeded again
    second = _seed()

    # then nothing new was made
    # one sheet per text, less the Spanish waiting in review, plus the English edited since
    assert counts == (len(RESOURCES), 2 * len(RESOURCES), 2 * len(RESOURCES))
    assert (
        Resource.objects.count(),
        ResourceText.objects.count(),
        ClearCommunicationReview.objects.count(),
    ) == counts
    assert (
        first.strip()
        == f"Resources: {len(RESOURCES)} written in English and Spanish ({len(RESOURCES)} in all)."
    )
    assert second.strip() == f"Resources: already there ({len(RESOURCES)} resources)."


@pytest.mark.django_db
def test_the_published_demo_texts_passed_review_by_someone_other_than_their_author() -> None:
    # given the demo
    _seed()

    # when its published texts are read
    published = ResourceText.objects.filter(status=Status.PUBLISHED)

    # then each was published by a reviewer other than its author, with a passing sheet,
    # within its readability target, and every demo resource is live in English
    assert published.count() == 2 * len(RESOURCES) - 1
    for text in published:
        sheet = latest_sheet(text)
        assert sheet is not None and sheet.passed, text.title
        assert sheet.reviewer_id == text.reviewer_id != text.author_id, text.title
        assert text.meets_target and text.published_at is not None, text.title
    live_english = ResourceText.objects.filter(language="en", published_at__isnull=False)
    assert live_english.count() == len(RESOURCES)


@pytest.mark.django_db
def test_the_demo_leaves_a_spanish_text_waiting_for_a_reviewer() -> None:
    # given the demo
    _seed()
    item = next(item for item in RESOURCES if item.work_in_progress == SPANISH_IN_REVIEW)

    # when its Spanish text is read
    english = ResourceText.objects.get(language="en", slug=item.english_slug)
    spanish = english.resource.texts.get(language="es")

    # then it waits in review, with no sheet and no reviewer yet, and was never published
    assert (spanish.status, spanish.reviewer_id, spanish.published_at) == (
        Status.IN_REVIEW,
        None,
        None,
    )
    assert spanish.reviews.count() == 0
    assert english.status == Status.PUBLISHED


@pytest.mark.django_db
def test_the_demo_leaves_a_spanish_text_out_of_date_after_its_english_changed() -> None:
    # given the demo
    _seed()
    item = next(item for item in RESOURCES if item.work_in_progress == ENGLISH_EDITED)
    assert item.english_update is not None

    # when the resource's two texts are read
    english = ResourceText.objects.get(language="en", slug=item.english_slug)
    spanish = english.resource.texts.get(language="es")

    # then the English was changed and published again after the Spanish, which is behind
    assert english.published_body == item.english_update.body
    assert english.status == spanish.status == Status.PUBLISHED
    assert translation_out_of_date(spanish, english) is True
    assert translation_out_of_date(english, spanish) is False
    # and no other Spanish text is behind its English
    others = ResourceText.objects.filter(language="es").exclude(pk=spanish.pk)
    behind = [
        text.title
        for text in others.select_related("resource")
        if translation_out_of_date(text, text.resource.texts.get(language="en"))
    ]
    assert behind == []
