"""The CDC Clear Communication Index score sheet: 20 items, a score out of 100, passing at 90."""

from typing import Any

import pytest

from tapestry.resources.clear_communication import SheetInvalid, items, score_sheet
from tapestry.resources.tests.factories import PASSING_SHEET


def sheet(**changes: str) -> dict[str, str]:
    """The passing sheet with some answers changed: sheet(item_3="no")."""
    return PASSING_SHEET | {name.removeprefix("item_"): answer for name, answer in changes.items()}


def test_the_index_has_20_items_11_of_which_always_apply() -> None:
    assert [item.number for item in items()] == list(range(1, 21))
    assert [item.number for item in items() if item.applies == "always"] == list(range(1, 12))


def test_a_perfect_sheet_scores_100_and_passes() -> None:
    result = score_sheet(PASSING_SHEET)

    assert (result.score, result.passed, result.earned, result.applicable) == (100, True, 11, 11)


def test_one_no_among_the_core_items_scores_91_and_passes() -> None:
    result = score_sheet(sheet(item_3="no"))

    assert (result.score, result.passed) == (round(100 * 10 / 11), True)
    assert result.score == 91


def test_two_noes_among_the_core_items_score_82_and_fail() -> None:
    result = score_sheet(sheet(item_3="no", item_8="no"))

    assert (result.score, result.passed) == (82, False)


def test_every_part_that_applies_counts() -> None:
    every_item_yes = {str(number): "yes" for number in range(1, 21)} | {"17": "no"}

    result = score_sheet(every_item_yes)

    assert (result.score, result.earned, result.applicable) == (100, 20, 20)


def test_item_17_scores_for_no_and_not_for_yes() -> None:
    # "Does the audience have to do math?": no is the clear answer.
    numbers = {"15": "yes", "16": "yes", "17": "no"}
    math_needed = numbers | {"17": "yes"}

    assert score_sheet(sheet(**numbers)).earned == 14
    assert score_sheet(sheet(**math_needed)).earned == 13
    assert score_sheet(sheet(**math_needed)).score == round(100 * 13 / 14)


def test_not_applicable_is_refused_for_a_core_item() -> None:
    with pytest.raises(SheetInvalid) as error:
        score_sheet(sheet(item_5="na"))

    assert str(error.value) == "Item 5 applies to every material: answer yes or no."


def test_half_a_part_not_applicable_is_refused() -> None:
    with pytest.raises(SheetInvalid) as error:
        score_sheet(sheet(item_18="yes", item_19="yes"))

    assert str(error.value) == (
        "Items 18, 19, 20 go together: answer them all, or mark them all not applicable."
    )


def test_missing_answers_are_refused_naming_them() -> None:
    answers = {key: value for key, value in PASSING_SHEET.items() if key not in {"4", "12"}}

    with pytest.raises(SheetInvalid) as error:
        score_sheet(answers)

    assert str(error.value) == "Answer every item; not answered: 4, 12."


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        (sheet(item_2="maybe"), "Answer yes, no or not applicable for item 2."),
        (sheet(item_2="YES"), "Answer yes, no or not applicable for item 2."),
        (PASSING_SHEET | {"2": None}, "Answer yes, no or not applicable for item 2."),
        (PASSING_SHEET | {"2": ["yes"]}, "Answer yes, no or not applicable for item 2."),
        (PASSING_SHEET | {"21": "yes"}, "The score sheet has no item 21."),
        (PASSING_SHEET | {"notes": "fine", "0": "no"}, "The score sheet has no item 0, notes."),
        ({}, "Answer every item; not answered: " + ", ".join(map(str, range(1, 21))) + "."),
        (["yes"] * 20, "Answer every item of the score sheet."),
        ("yes", "Answer every item of the score sheet."),
        (None, "Answer every item of the score sheet."),
    ],
)
def test_junk_answers_are_refused_with_a_message(answers: Any, message: str) -> None:
    with pytest.raises(SheetInvalid) as error:
        score_sheet(answers)

    assert str(error.value) == message


def test_the_questions_read_in_both_languages() -> None:
    first = items()[0]

    assert first.question("en") == "Does the material contain one main message statement?"
    assert first.question("es") == (
        "¿El material contiene una sola frase con el mensaje principal?"
    )
