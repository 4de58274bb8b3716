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
from tapestry.research.selectors import CONCEPT_ID_MAX, SEARCH_MAX_LENGTH

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
    name: str
    code: str
    vocabulary: str
    domain: str
    participants: CountOut
    url: str


class ConceptSearchOut(Schema):
    release: ReleaseOut
    q: str
    domain: str
    count: int
    limit: int
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
