"""The results selector: exact counts, who was shown a branched question, percentages,
free-text answers and the cache."""

from __future__ import annotations

import pytest

from tapestry.surveys import logic
from tapestry.surveys.demo import responses_generate
from tapestry.surveys.models import Answer, Instrument, Response
from tapestry.surveys.results import results_page
from tapestry.surveys.selectors import instrument_structure
from tapestry.surveys.tests.factories import instrument_make

pytestmark = pytest.mark.django_db


def _items(instrument: Instrument, **options: object) -> dict[str, object]:
    page = results_page(instrument=instrument, language="en", **options)  # type: ignore[arg-type]
    return {item.question.code: item for _title, items in page.sections for item in items}


def _stored_answers(instrument: Instrument) -> dict[int, dict[str, logic.Answer]]:
    answers: dict[int, dict[str, logic.Answer]] = {}
    for response_id, code, choice, number, date, text in Answer.objects.filter(
        response__instrument=instrument
    ).values_list("response_id", "question__code", "choice__code", "number", "date", "text"):
        given = answers.setdefault(response_id, {})
        if code == "topics":
            given.setdefault(code, []).append(choice)  # type: ignore[union-attr]
        else:
            given[code] = choice or (str(number) if number is not None else "") or str(date or text)
    return answers


def test_identified_results_are_exact_and_count_who_was_shown_a_branched_question() -> None:
    # Given an identified survey with 120 responses
    instrument = instrument_make(mode="identified")
    responses_generate(instrument=instrument, count=120, seed=8)
    structure = instrument_structure(instrument=instrument)
    stored = _stored_answers(instrument)
    kinds = {question.code: question.kind for question in structure.questions}
    condition = structure.by_code["research_detail"].show_if
    shown = sum(1 for answers in stored.values() if logic.evaluate(condition, answers, kinds))
    answered = Answer.objects.filter(question__code="research_detail").count()
    said_yes = Answer.objects.filter(question__code="offers_health", choice__code="1").count()
    answered_offers = Answer.objects.filter(question__code="offers_health").count()

    # When the results are read
    items = _items(instrument)

    # Then the branched question says how many saw it, and counts are exact
    research = items["research_detail"]
    assert research.shown_to.value == shown  # type: ignore[attr-defined]
    assert research.answered.value == answered  # type: ignore[attr-defined]
    offers = items["offers_health"]
    yes_row = offers.rows[0]  # type: ignore[attr-defined]
    assert yes_row.count.value == said_yes
    assert yes_row.percent == f"{round(100 * said_yes / answered_offers, 1):.1f}%"


def test_anonymous_free_text_is_shuffled_the_same_way_each_time_without_dates() -> None:
    instrument = instrument_make()
    responses_generate(instrument=instrument, count=80, seed=9)

    first = _items(instrument)["comments"].texts  # type: ignore[attr-defined]
    again = _items(instrument)["comments"].texts  # type: ignore[attr-defined]

    in_arrival_order = list(
        Answer.objects.filter(question__code="comments")
        .order_by("id")
        .values_list("text", flat=True)
    )[:10]
    assert list(first) == list(again)
    assert all(submitted is None for _text, submitted, _language in first)
    assert {language for _text, _submitted, language in first} <= {"en", "es"}
    assert [text for text, _submitted, _language in first] != in_arrival_order


def test_a_new_response_shows_at_once() -> None:
    instrument = instrument_make()
    responses_generate(instrument=instrument, count=30, seed=10)
    before = results_page(instrument=instrument, language="en").responses.value

    responses_generate(instrument=instrument, count=1, seed=11)

    assert before == 30
    assert results_page(instrument=instrument, language="en").responses.value == 31
    assert Response.objects.filter(instrument=instrument).count() == 31


def test_an_anonymous_survey_refuses_two_filters_in_the_selector_too() -> None:
    instrument = instrument_make()

    with pytest.raises(ValueError, match="one dimension at a time"):
        results_page(
            instrument=instrument, language="en", selection={"region": "1", "language": "en"}
        )


def test_a_survey_nobody_answered_shows_fewer_than_5() -> None:
    instrument = instrument_make()

    page = results_page(instrument=instrument, language="en")

    assert page.responses.value is None
    assert page.responses.text == "fewer than 5"


def test_dates_are_counted_per_month_and_numbers_in_bins() -> None:
    # Given an identified survey (exact counts)
    instrument = instrument_make(mode="identified")
    responses_generate(instrument=instrument, count=90, seed=12)
    dates = [
        day
        for day in Answer.objects.filter(question__code="last_program").values_list(
            "date", flat=True
        )
        if day is not None
    ]
    staff = [
        number
        for number in Answer.objects.filter(question__code="staff").values_list("number", flat=True)
        if number is not None
    ]

    items = _items(instrument)

    # Then each month's count is the answers in that month, and each bin's the numbers in it
    months = items["last_program"].rows  # type: ignore[attr-defined]
    first_month = min(dates).replace(day=1)
    in_first = sum(1 for day in dates if day.replace(day=1) == first_month)
    assert months[0].count.value == in_first
    assert sum(row.count.value for row in months) == len(dates)
    bins = items["staff"].rows  # type: ignore[attr-defined]
    assert [row.label for row in bins] == [
        "1 to 100",
        "101 to 200",
        "201 to 300",
        "301 to 400",
        "401 to 500",
    ]
    assert bins[0].count.value == sum(1 for number in staff if number <= 100)
    assert sum(row.count.value for row in bins) == len(staff)
