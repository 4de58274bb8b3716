"""Shapes of the activity reports API: a report with its rows, as a liaison's client sends it.

Every constraint is in the OpenAPI document (django-ninja answers 400 naming the field), so
every body the document allows is one the service takes or refuses with a stated 4xx.
"""

from typing import Annotated

from ninja import Schema
from pydantic import Field

from tapestry.core.schemas import CONTROL_CHARACTERS_PATTERN, ErrorOut, MessageOut
from tapestry.engagement.models import ActivityDelivery, ActivityType, ProfessionalRole

__all__ = ["ErrorOut", "MessageOut", "ReportIn", "ReportOut", "ReportRowIn"]

ID_MAX = 2**63 - 1


def _one_of(values: list[str]) -> str:
    return "^(" + "|".join(values) + ")$"


Day = Annotated[
    str, Field(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", json_schema_extra={"format": "date"})
]


class ReportRowIn(Schema):
    participants: int = Field(
        ge=1, le=100_000, description="People of this role from this ZIP code."
    )
    zip_code: str = Field(pattern=r"^[0-9]{5}$", description="A U.S. ZIP code (5 digits).")
    role: str = Field(pattern=_one_of(ProfessionalRole.values), description="Professional role.")


class ReportIn(Schema):
    organization_id: int = Field(
        ge=1, le=ID_MAX, description="An organization you are the liaison of."
    )
    title: str = Field(min_length=1, max_length=200, pattern=CONTROL_CHARACTERS_PATTERN)
    activity_type: str = Field(pattern=_one_of(ActivityType.values))
    delivery: str = Field(pattern=_one_of(ActivityDelivery.values))
    activity_date: Day
    event_id: int | None = Field(
        default=None, ge=1, le=ID_MAX, description="An event you organize."
    )
    rows: list[ReportRowIn] = Field(min_length=1, max_length=500)
    submit: bool = Field(default=True, description="Submit for review (else keep as a draft).")


class ReportRowOut(Schema):
    participants: int
    zip_code: str
    role: str


class ReportOut(Schema):
    id: int
    organization_id: int
    title: str
    activity_type: str
    delivery: str
    activity_date: str
    event_id: int | None
    status: str
    region: str
    participants: int
    rows: list[ReportRowOut]
    url: str
