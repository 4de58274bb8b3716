"""REDCap branching logic to condition trees and back (redcap.branching_parse / _format)."""

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tapestry.surveys import logic
from tapestry.surveys.redcap import BranchingError, branching_format, branching_parse


def test_a_comparison_with_single_quotes() -> None:
    assert branching_parse("[q1] = '2'") == {"op": "=", "question": "q1", "value": "2"}


def test_double_quotes_and_bare_numbers_give_the_same_string_values() -> None:
    assert branching_parse('[q1] = "2"') == {"op": "=", "question": "q1", "value": "2"}
    assert branching_parse("[q3] > 5") == {"op": ">", "question": "q3", "value": "5"}
    assert branching_parse("[q3] >= -2.5") == {"op": ">=", "question": "q3", "value": "-2.5"}


@pytest.mark.parametrize(
    ("text", "op"),
    [
        ("[q] <> '1'", "!="),
        ("[q] != '1'", "!="),
        ("[q] <= '1'", "<="),
        ("[q] >= '1'", ">="),
        ("[q] < '1'", "<"),
        ("[q] > '1'", ">"),
        ("[q] = '1'", "="),
    ],
)
def test_every_comparison_operator(text: str, op: str) -> None:
    assert branching_parse(text) == {"op": op, "question": "q", "value": "1"}


def test_and_binds_tighter_than_or() -> None:
    tree = branching_parse("[a] = '1' or [b] = '2' and [c] = '3'")

    assert tree == {
        "op": "or",
        "args": [
            {"op": "=", "question": "a", "value": "1"},
            {
                "op": "and",
                "args": [
                    {"op": "=", "question": "b", "value": "2"},
                    {"op": "=", "question": "c", "value": "3"},
                ],
            },
        ],
    }


def test_parentheses_group_and_the_keywords_ignore_case() -> None:
    tree = branching_parse("([a] = '1' OR [b] = '2') AND [c] = '3'")

    assert tree == {
        "op": "and",
        "args": [
            {
                "op": "or",
                "args": [
                    {"op": "=", "question": "a", "value": "1"},
                    {"op": "=", "question": "b", "value": "2"},
                ],
            },
            {"op": "=", "question": "c", "value": "3"},
        ],
    }


def test_a_chain_of_ands_is_one_group() -> None:
    assert branching_parse("[a] = '1' and [b] = '2' and [c] = '3'") == {
        "op": "and",
        "args": [
            {"op": "=", "question": "a", "value": "1"},
            {"op": "=", "question": "b", "value": "2"},
            {"op": "=", "question": "c", "value": "3"},
        ],
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[q2(3)] = '1'", {"op": "checked", "question": "q2", "choice": "3"}),
        ("[q2(3)] = '0'", {"op": "unchecked", "question": "q2", "choice": "3"}),
        ("[q2(3)] <> '0'", {"op": "checked", "question": "q2", "choice": "3"}),
        ("[q2(3)] <> '1'", {"op": "unchecked", "question": "q2", "choice": "3"}),
        ("[q2(yes)] = 1", {"op": "checked", "question": "q2", "choice": "yes"}),
    ],
)
def test_checkbox_choices(text: str, expected: dict[str, Any]) -> None:
    assert branching_parse(text) == expected


def test_blank_is_an_empty_string() -> None:
    assert branching_parse("[q1] = ''") == {"op": "=", "question": "q1", "value": ""}
    assert branching_parse('[q1] <> ""') == {"op": "!=", "question": "q1", "value": ""}


def test_blank_logic_is_no_condition() -> None:
    assert branching_parse("  ") is None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("datediff([d1], 'today', 'd') > 5", "functions such as datediff() are not supported"),
        ("[a] + [b] > 5", "arithmetic is not supported"),
        ("[a] * 2 > 5", "arithmetic is not supported"),
        ("[a] = [b]", "comparing two fields is not supported"),
        (
            "[event_1_arm_1][q1] = '1'",
            "event names ([event][field]) refer to longitudinal projects",
        ),
        ("[q1] = '1", "a quotation mark is not closed"),
        ("([q1] = '1'", "a parenthesis is not closed"),
        ("[q1] = '1')", "a parenthesis closes that was never opened"),
        ("[q1] = '1' and", "a condition must start with a [field]"),
        ("[q1]", "[q1] needs a comparison such as = or <>"),
        ("[q2(3)] = '2'", "a checkbox [q2(3)] compares only with = or <> '1' or '0'"),
        ("[q1] = '1' xor [q2] = '2'", "xor is not understood"),
    ],
)
def test_what_the_parser_refuses_it_names(text: str, reason: str) -> None:
    with pytest.raises(BranchingError) as refused:
        branching_parse(text)

    assert str(refused.value) == reason


def test_nesting_too_deep_is_refused() -> None:
    text = "(" * 20 + "[a] = '1'" + ")" * 20

    with pytest.raises(BranchingError, match="nested too deeply"):
        branching_parse(text)


def test_the_formatter_writes_redcap_logic() -> None:
    tree = {
        "op": "or",
        "args": [
            {
                "op": "and",
                "args": [
                    {"op": "checked", "question": "q2", "choice": "3"},
                    {"op": ">", "question": "q3", "value": "5"},
                ],
            },
            {"op": "!=", "question": "q1", "value": "it's"},
            {"op": "unchecked", "question": "q2", "choice": "4"},
        ],
    }

    assert branching_format(tree) == (
        "([q2(3)] = '1' and [q3] > 5) or [q1] <> \"it's\" or [q2(4)] = '0'"
    )


codes = st.from_regex(logic.CODE_PATTERN, fullmatch=True).map(lambda code: code[:30])
values = st.one_of(
    st.from_regex(r"-?[0-9]{1,4}(\.[0-9]{1,2})?", fullmatch=True),
    st.text(st.characters(exclude_characters='"', exclude_categories=["Cs"]), max_size=12),
)
comparisons = st.builds(
    lambda op, code, value: {"op": op, "question": code, "value": value},
    st.sampled_from(logic.COMPARISONS),
    codes,
    values,
)
checks = st.builds(
    lambda op, code, choice: {"op": op, "question": code, "choice": choice},
    st.sampled_from(logic.CHECKS),
    codes,
    st.from_regex(r"[A-Za-z0-9_.-]{1,20}", fullmatch=True),
)
trees = st.recursive(
    st.one_of(comparisons, checks),
    lambda children: st.builds(
        lambda op, args: {"op": op, "args": args},
        st.sampled_from(logic.GROUPS),
        st.lists(children, min_size=2, max_size=4),
    ),
    max_leaves=12,
)


@given(trees)
def test_format_then_parse_is_the_identity(tree: dict[str, Any]) -> None:
    assert branching_parse(branching_format(tree)) == tree
