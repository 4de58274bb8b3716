"""Readability against the formulas' published worked examples, and the targets.

Where a source gives a text's counts and its result, a text with exactly those counts is
scored and must come out the same. The formulas as their sources give them:
- Flesch-Kincaid grade (Kincaid et al. 1975): 0.39 * words/sentence + 11.8 * syllables/word
  - 15.59.
- SMOG (McLaughlin 1969): 1.043 √(polysyllables * 30 / sentences) + 3.1291.
- Fernández-Huerta (1959, corrected by Law 2011; legible.es): 206.84 - 60 * syllables/word
  - 1.02 * words/sentence.
- Szigriszt-Pazos (1993; legible.es): 206.835 - 62.3 * syllables/words - words/sentences.
"""

import pytest

from tapestry.resources import readability
from tapestry.resources.readability import Counts, counts_of, plain_text, score
from tapestry.resources.tests.factories import (
    DENSE_EN,
    DENSE_ES,
    MIDDLE_EN,
    MIDDLE_ES,
    PLAIN_EN,
    PLAIN_ES,
)

# --- English: Flesch-Kincaid grade ------------------------------------------------------------

PLATYPUS = "The Australian platypus is seemingly a hybrid of a mammal and reptilian creature."


def test_flesch_kincaid_reproduces_the_worked_example_of_the_platypus_sentence() -> None:
    # Wikipedia, "Flesch-Kincaid readability tests": the sentence has 24 syllables and 13
    # words, which gives grade 11.3 (0.39 * 13 + 11.8 * 24/13 - 15.59 = 11.26).
    counted = counts_of(PLATYPUS, "en")
    result = score(PLATYPUS, language="en")

    assert (counted.words, counted.syllables, counted.sentences) == (13, 24, 1)
    assert result.as_dict()["flesch_kincaid"] == 11.3


def test_flesch_kincaid_is_the_formula_of_kincaid_1975() -> None:
    assert readability.flesch_kincaid(
        Counts(words=100, sentences=5, syllables=150, polysyllables=0)
    ) == pytest.approx(0.39 * 20 + 11.8 * 1.5 - 15.59)


# --- English: SMOG ----------------------------------------------------------------------------

# 30 sentences with 64 words of three syllables or more ("medicine", "history", "energy").
SMOG_SAMPLE = " ".join(
    ["We studied medicine, history and energy."] * 4 + ["We studied medicine and history."] * 26
)


def test_smog_reproduces_the_worked_example_of_64_polysyllables_in_30_sentences() -> None:
    # McLaughlin's example as retold with his shortcut (√64 + 3 = 11, "suitable for those with
    # 11 years of schooling"); his regression gives 1.043 * √64 + 3.1291 = 11.47, and his
    # conversion table puts 57 to 72 polysyllables at grade 11.
    counted = counts_of(SMOG_SAMPLE, "en")
    result = score(SMOG_SAMPLE, language="en")

    assert (counted.sentences, counted.polysyllables) == (30, 64)
    assert result.as_dict()["smog"] == 11.5
    assert round(result.as_dict()["smog"] - 0.5) == 11


def test_smog_scales_a_short_text_to_30_sentences() -> None:
    # 10 sentences with 10 polysyllables read like 30 with 30: 1.043 * √30 + 3.1291 = 8.84.
    assert readability.smog(
        Counts(words=100, sentences=10, syllables=150, polysyllables=10)
    ) == pytest.approx(8.8418, abs=1e-4)


# --- Spanish: syllables, Fernández-Huerta and Szigriszt-Pazos ---------------------------------


@pytest.mark.parametrize(
    ("word", "syllables"),
    [
        # The Real Academia's examples (Ortografía de la lengua española, 2010, §4.1): a
        # diphthong is one syllable, a hiatus two, an accent on i or u breaks a diphthong, and
        # the u of que/qui/gue/gui is silent.
        ("agua", 2),  # a-gua
        ("ciudad", 2),  # ciu-dad
        ("día", 2),  # dí-a
        ("país", 2),  # pa-ís
        ("oía", 3),  # o-í-a
        ("aéreo", 4),  # a-é-re-o
        ("poeta", 3),  # po-e-ta
        ("teléfono", 4),  # te-lé-fo-no
        ("buey", 1),  # a triphthong
        ("Uruguay", 3),  # U-ru-guay
        ("queso", 2),  # que-so
        ("guerra", 2),  # gue-rra
        ("pingüino", 3),  # pin-güi-no
        ("y", 1),
        ("hoy", 1),
        ("mayo", 2),  # ma-yo: a y between vowels is a consonant
    ],
)
def test_spanish_syllables_follow_the_academy(word: str, syllables: int) -> None:
    assert readability.spanish_syllables(word) == syllables


SPANISH_SAMPLE = "Mi tía vive en otro país. Bebe agua fría cada día."


def test_fernandez_huerta_reproduces_a_count_by_hand() -> None:
    # mi tí-a vi-ve en o-tro pa-ís (6 words, 10 syllables), be-be a-gua frí-a ca-da dí-a
    # (5 words, 10 syllables): 206.84 - 60 * 20/11 - 1.02 * 11/2 = 92.14.
    counted = counts_of(SPANISH_SAMPLE, "es")

    assert (counted.words, counted.syllables, counted.sentences) == (11, 20, 2)
    assert score(SPANISH_SAMPLE, language="es").as_dict()["fernandez_huerta"] == 92.1


def test_szigriszt_pazos_reproduces_a_count_by_hand_from_206_835() -> None:
    # 206.835 - 62.3 * 20/11 - 11/2 = 88.06 (textstat starts from 206.84 instead).
    assert score(SPANISH_SAMPLE, language="es").as_dict()["szigriszt_pazos"] == 88.1
    assert readability.szigriszt_pazos(
        Counts(words=100, sentences=10, syllables=200, polysyllables=0)
    ) == pytest.approx(206.835 - 124.6 - 10)


def test_spanish_limits_are_those_of_the_published_scales() -> None:
    # Fernández-Huerta: 60-70 "normal", grades 7 and 8; 70-80 "algo fácil", grade 6.
    # Inflesz (Szigriszt-Pazos): 55-65 "normal"; 65-80 "bastante fácil".
    limits = {
        (limit.formula, grade): limit.limit
        for grade in (8, 6)
        for limit in readability.limits("es", grade)
    }

    assert limits == {
        ("fernandez_huerta", 8): 60,
        ("szigriszt_pazos", 8): 55,
        ("fernandez_huerta", 6): 70,
        ("szigriszt_pazos", 6): 65,
    }


# --- targets ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "language"), [(PLAIN_EN, "en"), (PLAIN_ES, "es")])
def test_a_plain_text_meets_grade_8_and_grade_6(text: str, language: str) -> None:
    assert score(text, language=language).meets_target is True
    assert score(text, language=language, critical=True).meets_target is True


@pytest.mark.parametrize(("text", "language"), [(DENSE_EN, "en"), (DENSE_ES, "es")])
def test_a_dense_academic_paragraph_does_not_meet_grade_8(text: str, language: str) -> None:
    result = score(text, language=language)

    assert result.meets_target is False
    assert [item.meets for item in result.scores] == [False, False]


def test_english_plain_text_scores() -> None:
    result = score(PLAIN_EN, language="en")

    assert (result.words, result.sentences) == (76, 9)
    assert result.as_dict() == {"smog": 5.8, "flesch_kincaid": 2.3}


@pytest.mark.parametrize(("text", "language"), [(MIDDLE_EN, "en"), (MIDDLE_ES, "es")])
def test_critical_instructions_use_the_grade_6_limits(text: str, language: str) -> None:
    ordinary = score(text, language=language)
    critical = score(text, language=language, critical=True)

    assert (ordinary.target_grade, ordinary.meets_target) == (8, True)
    assert (critical.target_grade, critical.meets_target) == (6, False)
    assert ordinary.as_dict() == critical.as_dict()
    assert [item.limit for item in critical.scores] == (
        [6.0, 6.0] if language == "en" else [70.0, 65.0]
    )


def test_the_middle_spanish_text_scores() -> None:
    assert score(MIDDLE_ES, language="es").as_dict() == {
        "fernandez_huerta": 67.4,
        "szigriszt_pazos": 62.9,
    }


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("text", ["", " ", "."])
def test_empty_text_does_not_meet_the_target_and_does_not_raise(text: str, language: str) -> None:
    result = score(text, language=language)

    assert result.meets_target is False
    assert result.words == 0
    assert [item.value for item in result.scores] == [0.0, 0.0]


# --- what the reader reads --------------------------------------------------------------------


def test_plain_text_turns_headings_and_list_items_into_sentences() -> None:
    markup = (
        "<h2>Get help</h2><ul><li>Call your doctor</li><li>Go to the clinic today.</li></ul>"
        "<p>We are here &amp; ready!</p><p>Questions? <strong>Call</strong> us.</p>"
    )

    assert plain_text(markup) == (
        "Get help. Call your doctor. Go to the clinic today. We are here & ready! "
        "Questions? Call us."
    )


def test_list_items_count_as_sentences_not_one_long_one() -> None:
    items = "".join(f"<li>Take {n} steps each day</li>" for n in ("two", "three", "four"))

    assert score(plain_text(f"<ul>{items}</ul>"), language="en").sentences == 3


def test_plain_text_of_nothing_is_nothing() -> None:
    assert plain_text("") == ""
    assert plain_text("<p> </p><ul><li></li></ul>") == ""
