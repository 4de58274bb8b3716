""" "Show this question if": branching conditions as plain data (ADR 0018).

A condition is a JSON tree, stored on the question (`Question.show_if`) and read by the server,
by the browser (`static/surveys/branching.js` evaluates the same tree) and by the REDCap
interchange (`redcap.py` turns REDCap's `[q1] = '2' and [q3] > 5` into a tree and back):

    {"op": "and", "args": [condition, condition, ...]}        every one holds
    {"op": "or", "args": [condition, condition, ...]}         at least one holds
    {"op": "=", "question": "q1", "value": "2"}               also "!=", "<", "<=", ">", ">="
    {"op": "checked", "question": "q2", "choice": "3"}        multiple choice: "3" is ticked
    {"op": "unchecked", "question": "q2", "choice": "3"}      multiple choice: "3" is not ticked

`value` is always a string, as REDCap writes it: a choice code for single choice and Likert
questions, a number for number questions, an ISO date (YYYY-MM-DD) for dates, "" for "not
answered" (`[q1] = ''`). The semantics follow REDCap's so an imported instrument behaves the
same here: a question not answered (or hidden) is blank; blank `=` "" is true, blank `!=` "x" is
true, and an order comparison (`<`, `>`...) with a blank side is false.

This module imports no Django: the REDCap importer, the benchmarks and the browser script's
tests use it as it is.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

COMPARISONS = ("=", "!=", "<", "<=", ">", ">=")
CHECKS = ("checked", "unchecked")
GROUPS = ("and", "or")
# A REDCap variable name: lower-case letters, digits and underscores, starting with a letter.
CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,99}$")
# How deep a condition may nest; a REDCap expression deeper than this is a mistake or an attack.
MAX_DEPTH = 12
MAX_NODES = 200

# What an answer is, as the logic sees it: a string (choice code, number, ISO date, text), a
# list of choice codes (multiple choice), or None (not answered).
Answer = str | list[str] | None


class ConditionError(ValueError):
    """A condition that is not well formed; the message says what and where, in English for the
    log and the API (forms translate their own)."""


@dataclass(frozen=True)
class QuestionFacts:
    """What the logic needs to know about a question a condition may refer to."""

    code: str
    kind: str  # a `Question.Kind` value: "single", "multiple", "likert", "number", "text", "date"
    choices: tuple[str, ...] = ()  # choice codes, for single, multiple and Likert questions


def validate(condition: Any, *, earlier: Mapping[str, QuestionFacts]) -> None:
    """Raise ConditionError unless `condition` is a well-formed tree whose every reference is to
    one of the `earlier` questions (a question may depend only on questions before it, which
    also rules out cycles), with values that question can hold."""
    _validate(condition, earlier, depth=0, count=[0])


def _validate(
    node: Any, earlier: Mapping[str, QuestionFacts], *, depth: int, count: list[int]
) -> None:
    count[0] += 1
    if depth > MAX_DEPTH or count[0] > MAX_NODES:
        raise ConditionError("The condition is too long or nested too deeply.")
    if not isinstance(node, dict):
        raise ConditionError("A condition must be an object.")
    op = node.get("op")
    if op in GROUPS:
        args = node.get("args")
        if set(node) != {"op", "args"} or not isinstance(args, list) or len(args) < 2:
            raise ConditionError(f"'{op}' needs a list of at least two conditions in 'args'.")
        for arg in args:
            _validate(arg, earlier, depth=depth + 1, count=count)
        return
    if op in CHECKS:
        if set(node) != {"op", "question", "choice"}:
            raise ConditionError(f"'{op}' needs exactly 'question' and 'choice'.")
        facts = _referenced(node, earlier)
        if facts.kind != "multiple":
            raise ConditionError(
                f"'{op}' applies to multiple-choice questions; {facts.code} is not one."
            )
        if node["choice"] not in facts.choices:
            raise ConditionError(f"{facts.code} has no choice {node['choice']!r}.")
        return
    if op in COMPARISONS:
        if set(node) != {"op", "question", "value"} or not isinstance(node["value"], str):
            raise ConditionError(f"'{op}' needs exactly 'question' and a string 'value'.")
        facts = _referenced(node, earlier)
        value = node["value"]
        if facts.kind == "multiple":
            raise ConditionError(
                f"{facts.code} is multiple choice: use 'checked' or 'unchecked' with a choice."
            )
        if value == "":
            if op not in ("=", "!="):
                raise ConditionError("Only '=' and '!=' compare with blank.")
            return
        if facts.kind in ("single", "likert") and value not in facts.choices:
            raise ConditionError(f"{facts.code} has no choice {value!r}.")
        if facts.kind == "number" and _number(value) is None:
            raise ConditionError(f"{value!r} is not a number.")
        if facts.kind == "date" and _date(value) is None:
            raise ConditionError(f"{value!r} is not a date written YYYY-MM-DD.")
        if facts.kind == "text" and op not in ("=", "!="):
            raise ConditionError(f"{facts.code} is free text: compare it with '=' or '!=' only.")
        return
    raise ConditionError(f"Unknown operator {op!r}.")


def _referenced(node: dict[str, Any], earlier: Mapping[str, QuestionFacts]) -> QuestionFacts:
    code = node.get("question")
    if not isinstance(code, str) or code not in earlier:
        raise ConditionError(f"{code!r} is not a question that comes before this one.")
    return earlier[code]


def references(condition: Any) -> set[str]:
    """The codes of the questions a (valid) condition reads."""
    if not condition:
        return set()
    if condition["op"] in GROUPS:
        return set().union(*(references(arg) for arg in condition["args"]))
    return {condition["question"]}


def evaluate(condition: Any, answers: Mapping[str, Answer], kinds: Mapping[str, str]) -> bool:
    """Whether a (valid) condition holds for these answers. None or {} always holds."""
    if not condition:
        return True
    op = condition["op"]
    if op == "and":
        return all(evaluate(arg, answers, kinds) for arg in condition["args"])
    if op == "or":
        return any(evaluate(arg, answers, kinds) for arg in condition["args"])
    answer = answers.get(condition["question"])
    if op in CHECKS:
        ticked = condition["choice"] in (answer or [])
        return ticked if op == "checked" else not ticked
    return _compare(op, answer, condition["value"], kinds.get(condition["question"], "text"))


def _compare(op: str, answer: Answer, value: str, kind: str) -> bool:
    blank = answer is None or answer == "" or answer == []
    if value == "" or blank:
        same = blank and value == ""
        if op == "=":
            return same
        if op == "!=":
            return not same
        return False
    assert isinstance(answer, str)
    left: Any = answer
    right: Any = value
    if kind == "number":
        left, right = _number(answer), _number(value)
        if left is None or right is None:
            return False
    if op == "=":
        return bool(left == right)
    if op == "!=":
        return bool(left != right)
    if kind not in ("number", "date") and op in ("<", "<=", ">", ">="):
        # REDCap compares choice codes as numbers when both are numbers ([q1] > 2 on a scale).
        left, right = _number(answer), _number(value)
        if left is None or right is None:
            return False
    return {
        "<": left < right,
        "<=": left <= right,
        ">": left > right,
        ">=": left >= right,
    }[op]


def _number(text: str) -> Decimal | None:
    try:
        number = Decimal(text.strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _date(text: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        return None


def visible(
    questions: Sequence[QuestionFacts],
    conditions: Mapping[str, Any],
    answers: Mapping[str, Answer],
) -> tuple[set[str], dict[str, Answer]]:
    """Which questions show, given the answers so far, and the answers that count.

    Walks the questions in order: a hidden question's answer is blanked before any later
    condition reads it, so hiding cascades (q3 depends on q2, which q1 hid: q3 hides too).
    Returns the codes that show and the answers with every hidden question's removed.
    """
    kinds = {question.code: question.kind for question in questions}
    shown: set[str] = set()
    kept: dict[str, Answer] = {}
    for question in questions:
        if evaluate(conditions.get(question.code), kept, kinds):
            shown.add(question.code)
            if question.code in answers:
                kept[question.code] = answers[question.code]
    return shown, kept


def describe(
    condition: Any,
    labels: Mapping[str, str],
    choice_labels: Mapping[tuple[str, str], str],
    words: Mapping[str, str] | None = None,
) -> str:
    """A condition in words for staff pages ("Q1 is Yes and Q3 is more than 5").

    `words` gives the operator words, "and", "or" and "blank" in the page's language (keys as
    in `OPERATOR_WORDS`, plus "and", "or", "blank"); English when left out.
    """
    if not condition:
        return ""
    words = {**OPERATOR_WORDS, **(words or {})}
    op = condition["op"]
    if op in GROUPS:
        joiner = f" {words[op]} "
        return (
            "("
            + joiner.join(describe(arg, labels, choice_labels, words) for arg in condition["args"])
            + ")"
        )
    code = condition["question"]
    name = labels.get(code, code)
    if op in CHECKS:
        choice = choice_labels.get((code, condition["choice"]), condition["choice"])
        return f"{name} {words[op]} {choice}"
    value = condition["value"]
    shown = words["blank"] if value == "" else choice_labels.get((code, value), value)
    return f"{name} {words[op]} {shown}"


OPERATOR_WORDS = {
    "=": "is",
    "!=": "is not",
    "<": "is less than",
    "<=": "is at most",
    ">": "is more than",
    ">=": "is at least",
    "checked": "includes",
    "unchecked": "does not include",
    "and": "and",
    "or": "or",
    "blank": "blank",
}


def all_of(conditions: Iterable[Any]) -> Any:
    """Several conditions that must all hold, as one (None if there are none)."""
    present = [condition for condition in conditions if condition]
    if not present:
        return None
    return present[0] if len(present) == 1 else {"op": "and", "args": present}
