"""An instrument as plain data: the shape of the shipped templates (`data/templates/*.json`),
of the REDCap importer's output, and of the JSON API's instruments.

`InstrumentSpec` checks form (lengths, codes, kinds); `services.instrument_create` checks what
only the whole can say (codes unique, conditions pointing at earlier questions).
"""

from decimal import Decimal
from typing import Annotated, Any

from ninja import Schema
from pydantic import Field

from tapestry.core.schemas import CONTROL_CHARACTERS_PATTERN
from tapestry.surveys.logic import CODE_PATTERN
from tapestry.surveys.models import Instrument, Question

# Limits that keep one instrument a questionnaire, not a denial of service.
MAX_SECTIONS = 50
MAX_QUESTIONS = 500
MAX_CHOICES = 100

OneLine = Annotated[str, Field(max_length=500, pattern=CONTROL_CHARACTERS_PATTERN)]
# Free text may hold line breaks and tabs, nothing else below 0x20.
Paragraph = Annotated[str, Field(max_length=5000, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$")]


class TextSpec(Schema):
    en: OneLine = ""
    es: OneLine = ""


class ParagraphSpec(Schema):
    en: Paragraph = ""
    es: Paragraph = ""


class ChoiceSpec(Schema):
    code: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,20}$")]
    label: TextSpec


class QuestionSpec(Schema):
    code: Annotated[str, Field(pattern=CODE_PATTERN.pattern)]
    kind: Question.Kind
    label: ParagraphSpec
    help: ParagraphSpec = ParagraphSpec()
    required: bool = False
    minimum: Decimal | None = Field(default=None, max_digits=18, decimal_places=6)
    maximum: Decimal | None = Field(default=None, max_digits=18, decimal_places=6)
    whole_number: bool = False
    show_if: dict[str, Any] | None = None
    describes: Question.Describes = Question.Describes.NOTHING
    choices: Annotated[list[ChoiceSpec], Field(max_length=MAX_CHOICES)] = []


class SectionSpec(Schema):
    title: TextSpec = TextSpec()
    introduction: ParagraphSpec = ParagraphSpec()
    questions: Annotated[list[QuestionSpec], Field(max_length=MAX_QUESTIONS)]


class InstrumentSpec(Schema):
    slug: Annotated[str, Field(pattern=r"^[-a-zA-Z0-9_]{1,60}$")]
    title: TextSpec
    introduction: ParagraphSpec = ParagraphSpec()
    purpose: Instrument.Purpose = Instrument.Purpose.OTHER
    mode: Instrument.Mode = Instrument.Mode.ANONYMOUS
    allow_multiple: bool = False
    sections: Annotated[list[SectionSpec], Field(min_length=1, max_length=MAX_SECTIONS)]
