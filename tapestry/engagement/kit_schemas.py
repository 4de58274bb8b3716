"""Shapes of the program kits' JSON API (`/api/v1/engagement/kits`): parameters and answers."""

import datetime
from typing import Annotated

from ninja import Schema
from pydantic import Field
from pydantic.json_schema import SkipJsonSchema

from tapestry.core.schemas import CONTROL_CHARACTERS_PATTERN, ErrorOut, MessageOut
from tapestry.engagement.models import KitLanguage, KitTopic

__all__ = [
    "ErrorOut",
    "KitAvailabilityOut",
    "KitListQuery",
    "KitOut",
    "KitPage",
    "KitReservationOut",
    "KitReserveIn",
    "KitsConflictOut",
    "MessageOut",
]

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
ID_MAX = 2_147_483_647
PAGE_MAX = 100_000
# A note may run over several lines; other control characters (and NUL, which PostgreSQL
# refuses in text) are refused.
NOTE_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
Absent = SkipJsonSchema[None]


class KitListQuery(Schema):
    q: Annotated[str, Field(max_length=100, pattern=CONTROL_CHARACTERS_PATTERN)] | Absent = Field(
        default=None, description="Words of the kit's name or description, in either language."
    )
    topic: KitTopic | Absent = Field(default=None, description="A topic the kit covers.")
    language: KitLanguage | Absent = Field(
        default=None, description="A language the kit's materials are offered in."
    )
    page: Annotated[int, Field(ge=1, le=PAGE_MAX)] | Absent = Field(
        default=None, description="Page number; a page past the last gives the last."
    )


class KitItemOut(Schema):
    name: str
    name_es: str
    quantity: int


class KitOut(Schema):
    slug: str
    name: str
    name_es: str
    description: str
    description_es: str
    topics: list[str]
    languages: list[str]
    items: list[KitItemOut]
    held: bool = Field(description="Back from a loan and being restocked: takes no reservation.")
    next_free_ship_date: datetime.date | None = Field(
        description="The first ship date a reservation may have now (null: none this year)."
    )
    url: str


class KitPage(Schema):
    count: int
    page: int
    pages: int
    kits: list[KitOut]


class BusyOut(Schema):
    blocked_from: datetime.date = Field(description="The loan's ship date.")
    due_date: datetime.date = Field(description="The day the borrower mails the kit back.")
    blocked_until: datetime.date = Field(
        description="The first day another loan may ship (after transit and turnaround)."
    )


class KitAvailabilityOut(Schema):
    slug: str
    earliest_ship_date: datetime.date
    latest_ship_date: datetime.date
    next_free_ship_date: datetime.date | None
    loan_days: int
    transit_days: int
    turnaround_days: int
    busy: list[BusyOut] = Field(description="Loans holding the kit from today on.")


class KitReserveIn(Schema):
    organization_id: Annotated[int, Field(ge=1, le=ID_MAX)] = Field(
        description="A member organization you are the liaison of."
    )
    ship_date: datetime.date = Field(description="The day the kit is mailed to you.")
    program_note: Annotated[str, Field(max_length=2000, pattern=NOTE_PATTERN)] = Field(
        default="", description="What you plan to do with the kit."
    )


class KitReservationOut(Schema):
    id: int
    kit: str
    organization_id: int
    ship_date: datetime.date
    due_date: datetime.date
    status: str


class KitsConflictOut(MessageOut):
    """The kit cannot take this reservation: dates taken (with the next free ship date), the
    organization's limit reached, or the kit held or not lent."""

    next_free_ship_date: datetime.date | None = None
