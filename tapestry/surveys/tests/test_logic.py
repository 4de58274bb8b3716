"""The branching conditions: validation, REDCap's semantics for blanks, cascading hiding."""

from typing import Any

import pytest

from tapestry.surveys import logic
from tapestry.surveys.logic import QuestionFacts

EARLIER = {
    "likes": QuestionFacts("likes", "single", ("1", "0")),
    "topics": QuestionFacts("topics", "multiple", ("1", "2", "3")),
    "staff": QuestionFacts("staff", "number"),
    "since": QuestionFacts("since", "date"),
    "comment": QuestionFacts("comment", "text"),
}
KINDS = {code: facts.kind for code, facts in EARLIER.items()}


@pytest.mark.parametrize(
    ("condition", "answers", "holds"),
    [
        ({"op": "=", "question": "likes", "value": "1"}, {"likes": "1"}, True),
        ({"op": "=", "question": "likes", "value": "1"}, {"likes": "0"}, False),
        ({"op": "=", "question": "likes", "value": "1"}, {}, False),
        # REDCap: a blank answer is "not '1'", and equal to ''.
        ({"op": "!=", "question": "likes", "value": "1"}, {}, True),
        ({"op": "=", "question": "likes", "value": ""}, {}, True),
        ({"op": "!=", "question": "likes", "value": ""}, {"likes": "0"}, True),
        # Numbers compare as numbers ("10" > "9"), and a blank is never more or less.
        ({"op": ">", "question": "staff", "value": "9"}, {"staff": "10"}, True),
        ({"op": "<", "question": "staff", "value": "9"}, {}, False),
        ({"op": ">=", "question": "since", "value": "2026-05-01"}, {"since": "2026-05-01"}, True),
        ({"op": "checked", "question": "topics", "choice": "2"}, {"topics": ["1", "2"]}, True),
        ({"op": "unchecked", "question": "topics", "choice": "3"}, {"topics": ["1", "2"]}, True),
        ({"op": "unchecked", "question": "topics", "choice": "3"}, {}, True),
        (
            {
                "op": "or",
                "args": [
                    {"op": "=", "question": "likes", "value": "1"},
                    {
                        "op": "and",
                        "args": [
                            {"op": "checked", "question": "topics", "choice": "3"},
                            {"op": "<=", "question": "staff", "value": "2"},
                        ],
                    },
                ],
            },
            {"likes": "0", "topics": ["3"], "staff": "2"},
            True,
        ),
    ],
)
def test_a_condition_holds_as_redcap_would_say(condition: Any, answers: Any, holds: bool) -> None:
    logic.validate(condition, earlier=EARLIER)

    assert logic.evaluate(condition, answers, KINDS) is holds


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        (
            {"op": "=", "question": "later", "value": "1"},
            "'later' is not a question that comes before this one.",
        ),
        ({"op": "=", "question": "likes", "value": "7"}, "likes has no choice '7'."),
        (
            {"op": "=", "question": "topics", "value": "1"},
            "topics is multiple choice: use 'checked' or 'unchecked' with a choice.",
        ),
        (
            {"op": "checked", "question": "likes", "choice": "1"},
            "'checked' applies to multiple-choice questions; likes is not one.",
        ),
        ({"op": ">", "question": "staff", "value": "many"}, "'many' is not a number."),
        (
            {"op": "<", "question": "since", "value": "31/12/2026"},
            "'31/12/2026' is not a date written YYYY-MM-DD.",
        ),
        (
            {"op": "<", "question": "comment", "value": "b"},
            "comment is free text: compare it with '=' or '!=' only.",
        ),
        ({"op": ">", "question": "staff", "value": ""}, "Only '=' and '!=' compare with blank."),
        (
            {"op": "and", "args": [{"op": "=", "question": "likes", "value": "1"}]},
            "'and' needs a list of at least two conditions in 'args'.",
        ),
        (
            {"op": "=", "question": "likes", "value": 1},
            "'=' needs exactly 'question' and a string 'value'.",
        ),
        ({"op": "xor"}, "Unknown operator 'xor'."),
        ([], "A condition must be an object."),
    ],
)
def test_a_malformed_condition_is_refused_with_its_reason(condition: Any, message: str) -> None:
    with pytest.raises(logic.ConditionError) as refused:
        logic.validate(condition, earlier=EARLIER)

    assert str(refused.value) == message


def test_a_condition_nested_too_deeply_is_refused() -> None:
    condition: Any = {"op": "=", "question": "likes", "value": "1"}
    for _level in range(logic.MAX_DEPTH + 1):
        condition = {
            "op": "or",
            "args": [condition, {"op": "=", "question": "likes", "value": "0"}],
        }

    with pytest.raises(logic.ConditionError, match="too long or nested too deeply"):
        logic.validate(condition, earlier=EARLIER)


def test_hiding_cascades_and_hidden_answers_do_not_count() -> None:
    questions = [
        QuestionFacts("likes", "single", ("1", "0")),
        QuestionFacts("topics", "multiple", ("1", "2", "3")),
        QuestionFacts("detail", "text"),
    ]
    conditions = {
        "topics": {"op": "=", "question": "likes", "value": "1"},
        "detail": {"op": "checked", "question": "topics", "choice": "3"},
    }
    # Someone ticked topic 3, then went back and said they do not like it after all.
    answers: dict[str, logic.Answer] = {"likes": "0", "topics": ["3"], "detail": "More, please"}

    shown, kept = logic.visible(questions, conditions, answers)

    assert shown == {"likes"}
    assert kept == {"likes": "0"}


def test_references_name_every_question_a_condition_reads() -> None:
    condition = {
        "op": "and",
        "args": [
            {"op": "=", "question": "likes", "value": "1"},
            {
                "op": "or",
                "args": [
                    {"op": "checked", "question": "topics", "choice": "1"},
                    {"op": ">", "question": "staff", "value": "2"},
                ],
            },
        ],
    }

    assert logic.references(condition) == {"likes", "topics", "staff"}
    assert logic.references(None) == set()
