"""English and Spanish kept in step: an edit to one language flags the other."""

import pytest

from tapestry.surveys.models import Question
from tapestry.surveys.tests.factories import instrument_make

pytestmark = pytest.mark.django_db


def _edit(question: Question, **texts: str) -> Question:
    before = {language: question.texts(language) for language in ("en", "es")}
    for name, value in texts.items():
        setattr(question, name, value)
    question.note_edit(before)
    return question


def test_an_english_edit_flags_the_spanish_as_needing_an_update() -> None:
    question = Question.objects.get(instrument=instrument_make(), code="comments")

    _edit(question, label_en="Anything else you want to tell us?")

    assert question.translation_outdated == "es"


def test_a_spanish_edit_alone_flags_the_english() -> None:
    question = Question.objects.get(instrument=instrument_make(), code="comments")

    _edit(question, help_es="Opcional.")

    assert question.translation_outdated == "en"


def test_editing_both_languages_together_clears_the_flag() -> None:
    question = Question.objects.get(instrument=instrument_make(), code="comments")
    _edit(question, label_en="Anything else you want to tell us?")

    _edit(question, label_en="Anything else?", label_es="¿Algo más que decirnos?")

    assert question.translation_outdated == ""


def test_spanish_left_blank_reads_in_english() -> None:
    question = Question.objects.get(instrument=instrument_make(), code="comments")
    question.label_es = ""

    assert question.text("label", "es") == "Anything else?"
    assert question.text("label", "es-mx") == "Anything else?"
    assert question.text("label", "en") == "Anything else?"
