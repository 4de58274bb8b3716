"""Shapes of the funding API: open calls (public), a liaison's applications, their budget and
submission, and an awardee's invoices.

Money travels as a string of dollars and cents ("1250.00"), never a JSON number, so no float
ever touches an amount. Every constraint is in the OpenAPI document (django-ninja answers 400
naming the field), so every body the document allows is one the service takes or refuses
with a stated 4xx.
"""

from typing import Annotated

from ninja import Schema
from pydantic import Field

from tapestry.core.schemas import CONTROL_CHARACTERS_PATTERN, ErrorOut, MessageOut

__all__ = [
    "ApplicationIn",
    "ApplicationOut",
    "AwardOut",
    "BudgetIn",
    "BudgetLineIn",
    "CallOut",
    "ErrorOut",
    "InvoiceIn",
    "InvoiceOut",
    "MessageOut",
]

ID_MAX = 2**63 - 1
# Up to ten digits of dollars and two of cents: what the amount fields hold.
Money = Annotated[
    str,
    Field(
        pattern=r"^[0-9]{1,10}(\.[0-9]{1,2})?$",
        description='Dollars and cents as a string, e.g. "1250.00" (never a JSON number).',
        examples=["1250.00"],
    ),
]
Day = Annotated[
    str, Field(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", json_schema_extra={"format": "date"})
]


class CallOut(Schema):
    id: str = Field(description="The call's public id (a UUID).")
    title: str
    title_es: str
    description: str
    description_es: str
    eligible_types: list[str] = Field(description="Organization types; empty: any type.")
    eligible_states: list[str] = Field(description="State codes; empty: any state.")
    performance_start: str
    performance_end: str
    awards_available: int
    maximum_amount: Money
    deadline: str = Field(description="ISO 8601 with its UTC offset.")
    url: str


class BudgetLineOut(Schema):
    description: str
    amount: Money


class ApplicationOut(Schema):
    id: str = Field(description="The application's public id (a UUID).")
    call_id: str
    organization_id: int
    status: str
    project_title: str
    summary: str
    tracking_number: str | None
    submitted_at: str | None
    budget: list[BudgetLineOut]
    budget_total: Money
    url: str


class ApplicationIn(Schema):
    call_id: str = Field(
        pattern=r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$",
        description="The public id of an open call.",
    )
    organization_id: int = Field(
        ge=1, le=ID_MAX, description="An organization you are the liaison of."
    )
    project_title: str = Field(min_length=1, max_length=200, pattern=CONTROL_CHARACTERS_PATTERN)
    summary: str = Field(min_length=1, max_length=5000)


class BudgetLineIn(Schema):
    description: str = Field(min_length=1, max_length=200, pattern=CONTROL_CHARACTERS_PATTERN)
    amount: Money


class BudgetIn(Schema):
    lines: list[BudgetLineIn] = Field(min_length=1, max_length=100)


class InvoiceIn(Schema):
    billing_month: Day = Field(description="Any day of the month billed.")
    invoice_date: Day
    amount: Money
    description: str = Field(min_length=1, max_length=5000)


class InvoiceOut(Schema):
    id: str
    number: str
    billing_month: str
    invoice_date: str
    amount: Money
    status: str


class AwardOut(Schema):
    id: str = Field(description="The award's public id (a UUID).")
    number: str
    organization_id: int
    status: str
    amount: Money
    balance: Money = Field(description="The amount less every invoice not returned.")
    period_start: str
    period_end: str
    overdue_reports: list[str] = Field(
        description="Reports past their due date and not in: no invoice is taken until they are."
    )
    invoices: list[InvoiceOut]
    url: str
