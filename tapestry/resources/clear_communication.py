"""The CDC Clear Communication Index: 20 items, a score out of 100, passing at 90.

Items are data (`data/clear_communication_index.csv`). Items 1 to 11 always apply; the parts on
behavioral recommendations (12 to 14), numbers (15 to 17) and risk (18 to 20) apply only when the
material has them, and the reviewer then answers "not applicable" for the whole part. The score
is the points earned over the items that apply, times 100 (the Index's own scoring); item 17
("does the audience have to do math?") scores a point for "no".
"""

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.utils.translation import gettext as _

ITEMS_FILE = Path(__file__).resolve().parent / "data" / "clear_communication_index.csv"
PASSING_SCORE = 90
ANSWERS = ("yes", "no", "na")


@dataclass(frozen=True)
class Item:
    number: int
    part: str
    applies: str  # "always", or the part that may not apply: behavior, numbers, risk
    yes_scores: bool
    question_en: str
    question_es: str

    def question(self, language: str) -> str:
        return self.question_es if language == "es" else self.question_en


@cache
def items() -> tuple[Item, ...]:
    with ITEMS_FILE.open(newline="", encoding="utf-8") as file:
        return tuple(
            Item(
                number=int(row["number"]),
                part=row["part"],
                applies=row["applies"],
                yes_scores=row["yes_scores"] == "1",
                question_en=row["question_en"],
                question_es=row["question_es"],
            )
            for row in csv.DictReader(file)
        )


class SheetInvalid(ValueError):
    """The answers do not make a complete score sheet; the message names what is wrong."""


@dataclass(frozen=True)
class Result:
    score: int
    passed: bool
    earned: int
    applicable: int


def score_sheet(answers: object) -> Result:
    """Score a complete sheet: one of "yes", "no", "na" for each item number (as text).

    Whatever was sent (a form's fields, a JSON body) is checked here, so a malformed sheet is
    refused with a message naming what is wrong rather than failing somewhere later.
    """
    if not isinstance(answers, dict):
        raise SheetInvalid(_("Answer every item of the score sheet."))
    numbers = {str(item.number) for item in items()}
    unknown = sorted(str(key) for key in answers if key not in numbers)
    if unknown:
        raise SheetInvalid(
            _("The score sheet has no item %(items)s.") % {"items": ", ".join(unknown)}
        )
    missing = [item.number for item in items() if str(item.number) not in answers]
    if missing:
        raise SheetInvalid(
            _("Answer every item; not answered: %(items)s.")
            % {"items": ", ".join(map(str, missing))}
        )
    wrong = [
        item.number
        for item in items()
        if not isinstance(answers[str(item.number)], str)
        or answers[str(item.number)] not in ANSWERS
    ]
    if wrong:
        raise SheetInvalid(
            _("Answer yes, no or not applicable for item %(items)s.")
            % {"items": ", ".join(map(str, wrong))}
        )
    earned = applicable = 0
    for item in items():
        answer = answers[str(item.number)]
        if answer == "na":
            if item.applies == "always":
                raise SheetInvalid(
                    _("Item %(number)s applies to every material: answer yes or no.")
                    % {"number": item.number}
                )
            continue
        applicable += 1
        earned += int((answer == "yes") == item.yes_scores)
    # A part either applies or does not: half a part marked "not applicable" is a mistake.
    for part in sorted({item.applies for item in items()} - {"always"}):
        part_answers = {answers[str(i.number)] == "na" for i in items() if i.applies == part}
        if len(part_answers) > 1:
            raise SheetInvalid(
                _("Items %(items)s go together: answer them all, or mark them all not applicable.")
                % {"items": ", ".join(str(i.number) for i in items() if i.applies == part)}
            )
    score = round(100 * earned / applicable)
    return Result(score=score, passed=score >= PASSING_SCORE, earned=earned, applicable=applicable)
