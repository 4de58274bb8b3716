"""Shapes of the surveys JSON API (`/api/v1/surveys/...`): its query parameters and answers.

An instrument goes in as `schemas.InstrumentSpec` and comes out as the same spec with its
status, window and revision beside it, so what one reads can be posted back as a new draft.
"""

import datetime
from typing import Annotated

from django.conf import settings
from ninja import Schema
from pydantic import Field
from pydantic.json_schema import SkipJsonSchema

from tapestry.surveys.models import Instrument, Language, Subject
from tapestry.surveys.schemas import InstrumentSpec

# A link name, as `InstrumentSpec.slug` and the page addresses allow it.
SLUG_PATTERN = r"^[-a-zA-Z0-9_]{1,60}$"
PAGE_MAX = 100_000
DEFAULT_PAGE_SIZE = 25
# An optional parameter is left out, never sent as null: keep null out of the document.
Absent = SkipJsonSchema[None]


class PageQuery(Schema):
    page: Annotated[int, Field(ge=1, le=PAGE_MAX)] | Absent = Field(
        default=None, description="Page number (1 by default); a page past the last is empty."
    )
    page_size: Annotated[int, Field(ge=1, le=settings.SURVEYS_API_MAX_PAGE_SIZE)] | Absent = Field(
        default=None,
        description=f"Items per page ({DEFAULT_PAGE_SIZE} by default, at most "
        f"{settings.SURVEYS_API_MAX_PAGE_SIZE}).",
    )


class TitleOut(Schema):
    en: str
    es: str


class InstrumentSummaryOut(Schema):
    slug: str
    title: TitleOut
    purpose: Instrument.Purpose
    mode: Instrument.Mode
    status: Instrument.Status
    opens_at: datetime.datetime | None
    closes_at: datetime.datetime | None
    revision: int
    responses: int = Field(description="Responses submitted so far.")


class InstrumentPage(Schema):
    count: int
    page: int
    pages: int
    page_size: int
    results: list[InstrumentSummaryOut]


class InstrumentOut(InstrumentSpec):
    """The instrument as a spec (post it back to make a copy), with where it stands."""

    status: Instrument.Status
    opens_at: datetime.datetime | None
    closes_at: datetime.datetime | None
    revision: int


class SubjectOut(Schema):
    kind: Subject
    ref: str


class ResponseOut(Schema):
    id: int
    submitted_at: str = Field(
        description="When it was submitted: the day only (YYYY-MM-DD) for an anonymous "
        "instrument, the moment (ISO 8601) for an identified one."
    )
    language: Language
    role: str = Field(description="An accounts role, or the role question's choice code.")
    region: str = Field(description="The region code of the map in force when it came in.")
    subject: SubjectOut | None = Field(description="The course, event or award it evaluates.")
    person_id: int | None = Field(description="Identified instruments only.")
    revision: int
    answers: dict[str, str | list[str]] = Field(
        description="By question code: a choice code, a list of choice codes (multiple "
        "choice), a number or an ISO date as text, or the text written."
    )


class ResponsePage(Schema):
    count: int
    page: int
    pages: int
    page_size: int
    results: list[ResponseOut]
