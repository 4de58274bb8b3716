"""Shapes of the events API: the finder's query parameters and a public event.

The parameters carry their constraints so the OpenAPI document says exactly which requests are
well formed (django-ninja answers 400 naming the parameter); every request they allow is one the
finder's form accepts. A public event never carries its registrants, only seat counts.
"""

from typing import Annotated

from django.conf import settings
from ninja import Schema
from pydantic import Field
from pydantic.json_schema import SkipJsonSchema

from tapestry.core.schemas import ErrorOut, MessageOut
from tapestry.engagement.models import EventFormat, EventLanguage, FocusArea

__all__ = ["ErrorOut", "EventOut", "EventPageOut", "EventQuery", "MessageOut"]

EVENT_ID_MAX = 2**63 - 1
PAGE_MAX = 100_000
Absent = SkipJsonSchema[None]
# A calendar day as the finder's form reads it. A string (not pydantic's date, which would also
# take a number of seconds such as `0`), with the format stated for the document.
Day = Annotated[
    str, Field(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", json_schema_extra={"format": "date"})
]


class EventQuery(Schema):
    """The finder's filters; every one optional, none sent empty."""

    near: Annotated[str, Field(pattern=r"^[0-9]{5}$")] | Absent = Field(
        default=None,
        description="Five-digit U.S. ZIP code: events held within `radius_miles` of it. A ZIP "
        "code that does not exist answers 404.",
    )
    radius_miles: (
        Annotated[int, Field(ge=1, le=settings.ENGAGEMENT_EVENTS_MAX_RADIUS_MILES)] | Absent
    ) = Field(
        default=None,
        description="Search radius around `near`, in miles (default "
        f"{settings.ENGAGEMENT_EVENTS_DEFAULT_RADIUS_MILES}).",
    )
    date_from: Day | Absent = Field(
        default=None, description="Events on or after this day (YYYY-MM-DD)."
    )
    date_to: Day | Absent = Field(
        default=None,
        description="Events starting on or before this day (YYYY-MM-DD). A range that ends "
        "before it starts finds nothing.",
    )
    focus_area: FocusArea | Absent = Field(default=None, description="Focus area.")
    language: EventLanguage | Absent = Field(default=None, description="Language it is held in.")
    format: EventFormat | Absent = Field(default=None, description="In person, virtual, hybrid.")
    page: Annotated[int, Field(ge=1, le=PAGE_MAX)] | Absent = Field(
        default=None, description="Page number; a page past the last gives the last."
    )


class EventOut(Schema):
    id: int
    title: str
    description: str
    focus_area: str
    focus_area_label: str
    audience: str
    language: str
    format: str
    status: str
    starts_at: str
    ends_at: str
    time_zone: str
    venue_name: str
    address_line1: str
    city: str
    state: str
    zip_code: str
    latitude: float | None
    longitude: float | None
    distance_miles: float | None = None
    organization_id: int | None
    region: str
    capacity: int
    seats_left: int
    accessibility_notes: str
    url: str
    ics_url: str


class EventPageOut(Schema):
    count: int
    page: int
    pages: int
    page_size: int
    near: str | None
    radius_miles: int | None
    results: list[EventOut]
