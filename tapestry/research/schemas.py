"""Shapes of the public research API. Every count is a CountOut: never a raw number.

The query parameters carry their constraints, so the OpenAPI document says exactly which
requests are well formed; django-ninja checks them before the endpoint runs (400 naming the
parameter), and every request they allow is one the search form accepts.
"""

from typing import Annotated, Literal

from ninja import Schema
from pydantic import Field
from pydantic.json_schema import SkipJsonSchema

from tapestry.core.schemas import CONTROL_CHARACTERS_PATTERN, ErrorOut, MessageOut
from tapestry.research.models import Domain
from tapestry.research.selectors import (
    CONCEPT_ID_MAX,
    SEARCH_MAX_LENGTH,
    SEARCH_PAGE_SIZE,
    SEARCH_PAGE_SIZE_MAX,
)

PAGE_MAX = 1_000_000  # beyond any release's concepts; keeps the offset a small number

__all__ = [
    "CONCEPT_ID_MAX",
    "CONTROL_CHARACTERS_PATTERN",
    "BreakdownOut",
    "CellOut",
    "ConceptDetailOut",
    "ConceptOut",
    "ConceptQuery",
    "ConceptSearchOut",
    "CountOut",
    "DomainOut",
    "ErrorOut",
    "HistogramBinOut",
    "HistogramOut",
    "MessageOut",
    "ReleaseOut",
    "SummaryOut",
    "SurveyAnswerOut",
    "SurveyListOut",
    "SurveyOut",
    "SurveyQuestionDetailOut",
    "SurveyQuestionOut",
]


class ConceptQuery(Schema):
    # Constraints sit on the non-null branch so that the document shows them; an optional
    # parameter is left out, never sent as null.
    q: (
        Annotated[str, Field(max_length=SEARCH_MAX_LENGTH, pattern=CONTROL_CHARACTERS_PATTERN)]
        | SkipJsonSchema[None]
    ) = Field(
        default=None,
        description=f"Words of a concept's name, its code or its concept id. At most "
        f"{SEARCH_MAX_LENGTH} characters, no control characters.",
    )
    domain: Domain | SkipJsonSchema[None] = Field(default=None, description="Keep one domain.")
    page: int = Field(default=1, ge=1, le=PAGE_MAX, description="The page of results, from 1.")
    page_size: int = Field(
        default=SEARCH_PAGE_SIZE,
        ge=1,
        le=SEARCH_PAGE_SIZE_MAX,
        description=f"Results per page, 1 to {SEARCH_PAGE_SIZE_MAX}.",
    )


class CountOut(Schema):
    count: int | None  # the rounded number; null when suppressed
    display: str  # "≤ 20", "1,240" or "suppressed"
    suppressed: bool


class ReleaseOut(Schema):
    version: str
    cutoff_date: str | None
    published_at: str | None


class DomainOut(Schema):
    domain: str
    label: str
    participants: CountOut
    concepts: int


class SummaryOut(Schema):
    release: ReleaseOut
    participants: CountOut
    domains: list[DomainOut]


class ConceptOut(Schema):
    concept_id: int
    name: str  # the standard (English) name
    name_es: str  # the team's Spanish name; "" where there is none
    display_name: str  # the name in the request's language (Accept-Language)
    code: str
    vocabulary: str
    domain: str
    participants: CountOut
    url: str


class ConceptSearchOut(Schema):
    release: ReleaseOut
    q: str
    domain: str
    total: int  # concepts matching, over every page
    page: int
    pages: int
    page_size: int
    count: int  # results on this page
    results: list[ConceptOut]


class CellOut(Schema):
    key: str
    label: str
    count: CountOut
    # Of the shown cells' rounded counts added up; null for a "≤ 20" or suppressed cell.
    percentage: float | None


class BreakdownOut(Schema):
    total: CountOut
    cells: list[CellOut]  # every category of the dimension, a zero shown as "≤ 20"


class HistogramBinOut(Schema):
    low: float
    high: float
    count: CountOut


class HistogramOut(Schema):
    unit: str
    bins: list[HistogramBinOut] = Field(
        description="Participants by value, each counted once by their most recent value."
    )
    no_value: CountOut = Field(description="Participants with the concept but no numeric value.")


class ConceptDetailOut(ConceptOut):
    release: ReleaseOut
    withheld: Literal["small_total"] | None = Field(
        description='Why the breakdowns and histogram are null: "small_total" when the '
        "participants number from 1 to 20, a group too small to describe."
    )
    by_sex: BreakdownOut | None
    by_age: BreakdownOut | None
    by_race: BreakdownOut | None
    histogram: HistogramOut | None
    parents: list[ConceptOut] = Field(description="The concepts one level more general.")
    children: list[ConceptOut] = Field(description="The concepts one level more specific.")


class SurveyQuestionOut(Schema):
    code: str
    concept_id: int
    name: str  # English
    name_es: str  # Spanish, "" where none is written yet
    text: str  # in the request's language
    several_answers: bool  # "select all that apply": answers add up to more than the total
    participants: CountOut  # answered, skipping and "prefer not to answer" included
    url: str


class SurveyOut(Schema):
    code: str
    label: str
    questions: list[SurveyQuestionOut]


class SurveyListOut(Schema):
    release: ReleaseOut
    surveys: list[SurveyOut]


class SurveyAnswerOut(Schema):
    code: str
    concept_id: int
    name: str
    name_es: str
    text: str
    count: CountOut  # "≤ 20" for 0 to 20
    percentage: float | None  # null for "≤ 20" and suppressed counts


class SurveyQuestionDetailOut(SurveyQuestionOut):
    survey: str
    release: ReleaseOut
    breakdown_hidden: bool  # 1 to 20 answered: no answer is described
    percentages: str  # how the percentages were computed
    answers: list[SurveyAnswerOut]


# --- The researchers' cohort count (POST /api/v1/research/cohorts/count) ---------------------

COHORT_BODY_MAX_BYTES = 64 * 1024


class CohortCountOut(Schema):
    """A cohort's count as a researcher sees it: rounded like the public counts, and shown
    the same as a count within 20 of one already seen (ADR 0025)."""

    count: CountOut
    release: str


# The request body, for the OpenAPI document: the endpoint reads the raw body itself (to
# refuse a large one before parsing it) and checks it with cohort_definition.definition_parse,
# which says at which path a definition is wrong.
_CRITERION_SCHEMA = {
    "type": "object",
    "description": "A criterion: an event (`domain` condition, drug, measurement, procedure or "
    "observation, with `concept_id`), a survey answer (`domain` survey, `question`, "
    "`answers`) or a demographic (`domain` demographic, `field`).",
    "required": ["domain"],
    "properties": {
        "domain": {
            "type": "string",
            "enum": [
                "condition",
                "drug",
                "measurement",
                "procedure",
                "observation",
                "survey",
                "demographic",
            ],
        }
    },
}
_GROUP_SCHEMA = {
    "type": "object",
    "required": ["items"],
    "properties": {"items": {"type": "array", "minItems": 1, "items": _CRITERION_SCHEMA}},
}
COHORT_DEFINITION_BODY = {
    "required": True,
    "description": "A cohort definition, version 1 (tapestry/research/warehouse/"
    "cohort_definition.py): participants who match every include group and no exclude group; "
    f"items within a group are OR-ed. At most {COHORT_BODY_MAX_BYTES // 1024} KB.",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {
                    "version": {"type": "integer", "enum": [1]},
                    "include": {"type": "array", "items": _GROUP_SCHEMA},
                    "exclude": {"type": "array", "items": _GROUP_SCHEMA},
                },
            },
            "example": {
                "version": 1,
                "include": [
                    {"items": [{"domain": "demographic", "field": "age", "min": 40, "max": 64}]},
                    {"items": [{"domain": "condition", "concept_id": 201826}]},
                ],
                "exclude": [],
            },
        }
    },
}
