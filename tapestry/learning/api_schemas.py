"""Shapes of the learning JSON API (`/api/v1/learning/...`): its parameters and answers."""

import datetime
from typing import Annotated

from ninja import Schema
from pydantic import Field

# Ids are positive and fit PostgreSQL's integer column.
ID_MAX = 2_147_483_647


class ComplianceQuery(Schema):
    user: Annotated[int, Field(ge=1, le=ID_MAX)] = Field(
        description="The person's id: yourself, or someone in your scope as staff."
    )


class RequirementStateOut(Schema):
    role: str = Field(description="The role (`accounts` role value) that requires the course.")
    course_slug: str
    course_title: str
    status: str = Field(description="`compliant`, `expiring`, `expired` or `missing`.")
    expires_at: datetime.datetime | None = Field(
        description="When the completion that counts expires (null: none, or a bypass)."
    )
    due_on: datetime.date | None
    bypassed: bool = Field(description="Met by an administrator's bypass.")


class ComplianceOut(Schema):
    user: int
    requirements: list[RequirementStateOut]
