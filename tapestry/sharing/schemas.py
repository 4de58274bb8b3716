"""Shapes of the resource-sharing JSON API (`/api/v1/sharing`): a library's requests (enter,
follow, cancel), its lending queue (fill, or say why not), its holdings and its statements.

Money travels in whole cents (JSON integers), as the models keep it. Every constraint the
services apply that JSON Schema can say is in the OpenAPI document, so django-ninja refuses
it with a 400 naming the field before a service runs; what only the service can judge (a
needed-by day in the past, an ISSN's check digit, the rule of five) is its 400 or 409.

What a lender sees (`LendingOut`) is its own shape, not the borrower's with fields left out:
the borrower's patron reference and maximum cost are not in it, so no later change to the
borrower's shape can leak them.
"""

import datetime
import enum
import uuid
from typing import Annotated

from ninja import Schema
from pydantic import Field
from pydantic.json_schema import SkipJsonSchema

from tapestry.core.schemas import CONTROL_CHARACTERS_PATTERN, ErrorOut, MessageOut
from tapestry.sharing.models import (
    CopyrightCompliance,
    Delivery,
    Holding,
    HoldingFormat,
    Lender,
    Request,
    Urgency,
)

__all__ = [
    "ConflictOut",
    "DeliveryOut",
    "ErrorOut",
    "FillIn",
    "HoldingIn",
    "HoldingOut",
    "HoldingPage",
    "HoldingQuery",
    "ImportOut",
    "ImportRefusedOut",
    "LenderOut",
    "LendingOut",
    "LendingPage",
    "LendingQuery",
    "MessageOut",
    "NotFillIn",
    "RequestIn",
    "RequestOut",
    "RequestPage",
    "RequestQuery",
    "StatementOut",
    "StatusFilter",
]

ID_MAX = 2**63 - 1
PAGE_MAX = 100_000
# The form's ceiling: $1,000.00.
MAX_COST_CENTS = 100_000
Absent = SkipJsonSchema[None]


Title = Annotated[str, Field(min_length=1, max_length=500, pattern=CONTROL_CHARACTERS_PATTERN)]
Text500 = Annotated[str, Field(max_length=500, pattern=CONTROL_CHARACTERS_PATTERN)]
Text300 = Annotated[str, Field(max_length=300, pattern=CONTROL_CHARACTERS_PATTERN)]
Text60 = Annotated[str, Field(max_length=60, pattern=CONTROL_CHARACTERS_PATTERN)]
Text30 = Annotated[str, Field(max_length=30, pattern=CONTROL_CHARACTERS_PATTERN)]
Text20 = Annotated[str, Field(max_length=20, pattern=CONTROL_CHARACTERS_PATTERN)]
Text17 = Annotated[str, Field(max_length=17, pattern=CONTROL_CHARACTERS_PATTERN)]
Text12 = Annotated[str, Field(max_length=12, pattern=CONTROL_CHARACTERS_PATTERN)]


class StatusFilter(enum.StrEnum):
    """The list's status filter: "open" (with a lender now) or one state of a request."""

    OPEN = "open"
    ROUTING = Request.Status.ROUTING.value
    FILLED = Request.Status.FILLED.value
    UNFILLED = Request.Status.UNFILLED.value
    CANCELLED = Request.Status.CANCELLED.value
    DECLINED = Request.Status.DECLINED.value


class RequestQuery(Schema):
    status: StatusFilter | Absent = Field(default=None, description="Only requests in this state.")
    q: Annotated[str, Field(max_length=100, pattern=CONTROL_CHARACTERS_PATTERN)] | Absent = Field(
        default=None,
        description="Words of the title or the journal, an ISSN or ISBN, your patron "
        'reference, or the request\'s reference ("R-000123").',
    )
    page: Annotated[int, Field(ge=1, le=PAGE_MAX)] | Absent = Field(
        default=None, description="Page number; a page past the last gives the last."
    )


class LendingQuery(Schema):
    page: Annotated[int, Field(ge=1, le=PAGE_MAX)] | Absent = Field(
        default=None, description="Page number; a page past the last gives the last."
    )


class RequestIn(Schema):
    kind: Request.Kind = Field(
        default=Request.Kind.ARTICLE, description="An article (ISSN and year) or a book (ISBN)."
    )
    title: Title = Field(description="The article's or the book's title.")
    authors: Text500 = ""
    journal_title: Text300 = ""
    issn: Text12 = Field(default="", description='For an article: "0028-0836".')
    year: Annotated[int, Field(ge=1600, le=2200)] | None = Field(
        default=None, description="For an article: the year it was published."
    )
    volume: Text20 = ""
    issue: Text20 = ""
    pages: Text30 = ""
    pmid: Annotated[int, Field(ge=1, le=999_999_999)] | None = Field(
        default=None, description="The PubMed ID, if known."
    )
    isbn: Text17 = Field(default="", description="For a book: 10 or 13 digits.")
    needed_by: datetime.date = Field(description="Today or later (the network's time zone).")
    max_cost_cents: int = Field(
        ge=0,
        le=MAX_COST_CENTS,
        description="The most your library pays, in cents; lenders charging more are not asked.",
    )
    urgency: Urgency = Urgency.REGULAR
    patron_reference: Text60 = Field(
        default="",
        description="Your library's own reference for the patron, never their name. "
        "Lenders never see it.",
    )
    compliance: CopyrightCompliance = Field(
        description="Your copyright statement: ccg (CONTU guidelines) or ccl (copyright law)."
    )
    submission_token: uuid.UUID | None = Field(
        default=None,
        description="Any UUID you choose: sending the same one again returns the first request "
        "instead of entering a second.",
    )


class LenderOut(Schema):
    position: int
    organization_id: int
    name: str
    status: str = Field(description="waiting, asked, filled, not_filled, timed_out or skipped.")
    outcome: str = Field(description="The turn's outcome in words (the reason, when not filled).")
    reason: str = Field(description="Why it did not fill (a reason code), or empty.")
    fee_cents: int
    asked_at: datetime.datetime | None
    due_at: datetime.datetime | None = Field(description="When its time to answer ends.")
    answered_at: datetime.datetime | None


class DeliveryOut(Schema):
    method: str = Field(description="electronic or mail.")
    expires_at: datetime.datetime | None = Field(
        description="When the electronic copy's link stops working (and the copy is deleted)."
    )
    download_path: str | None = Field(
        description="The web page that downloads the PDF (signed in as your library's "
        "liaison), while its link works; null for mail or once expired."
    )
    downloads: int


class RequestOut(Schema):
    id: int
    reference: str = Field(description='The number people say on the phone ("R-000123").')
    organization_id: int = Field(description="The borrowing library.")
    status: str
    kind: str
    title: str
    authors: str
    journal_title: str
    issn: str
    isbn: str
    year: int | None
    volume: str
    issue: str
    pages: str
    pmid: int | None
    needed_by: datetime.date
    max_cost_cents: int
    urgency: str
    patron_reference: str
    compliance: str
    created_at: datetime.datetime
    closed_at: datetime.datetime | None
    lenders: list[LenderOut] = Field(description="The lender sequence, in the order asked.")
    delivery: DeliveryOut | None
    unfilled_reasons: list[str] = Field(description="For an unfilled request: why, per lender.")


class RequestPage(Schema):
    count: int
    page: int
    pages: int
    requests: list[RequestOut]


class LendingOut(Schema):
    """A request as the library asked to lend sees it: never the borrower's patron reference
    or maximum cost."""

    id: int
    reference: str
    borrower_id: int
    borrower_name: str
    status: str = Field(description="This library's turn: asked, filled, not_filled, ….")
    kind: str
    title: str
    authors: str
    journal_title: str
    issn: str
    isbn: str
    year: int | None
    volume: str
    issue: str
    pages: str
    pmid: int | None
    needed_by: datetime.date
    urgency: str
    compliance: str
    fee_cents: int = Field(description="Your fee, charged to the borrower on a fill.")
    asked_at: datetime.datetime | None
    due_at: datetime.datetime | None = Field(description="Answer by then, or it moves on.")


class LendingPage(Schema):
    count: int
    page: int
    pages: int
    requests: list[LendingOut]


class NotFillIn(Schema):
    reason: Lender.Reason
    note: Annotated[str, Field(max_length=300, pattern=CONTROL_CHARACTERS_PATTERN)] = Field(
        default="", description="A word to the borrowing library."
    )


class FillIn(Schema):
    method: Delivery.Method = Field(
        description="mail, or electronic with the PDF in the `file` field (at most 25 MB)."
    )


class ConflictOut(MessageOut):
    """The state forbids it: the request moved on, or (with `count`) the rule of five."""

    count: int | None = Field(
        default=None,
        description="For the rule of five: the articles from this journal's recent issues your "
        "library already asked for this year.",
    )


# --- Holdings and statements ---


class HoldingQuery(Schema):
    q: Annotated[str, Field(max_length=100, pattern=CONTROL_CHARACTERS_PATTERN)] | Absent = Field(
        default=None, description="Words of the title, an ISSN or an ISBN."
    )
    page: Annotated[int, Field(ge=1, le=PAGE_MAX)] | Absent = Field(
        default=None, description="Page number; a page past the last gives the last."
    )


class HoldingIn(Schema):
    kind: Holding.Kind = Field(description="A journal (by ISSN) or a book (by ISBN).")
    title: Annotated[str, Field(min_length=1, max_length=300, pattern=CONTROL_CHARACTERS_PATTERN)]
    issn: Text12 = ""
    isbn: Text17 = ""
    holding_format: HoldingFormat = HoldingFormat.PRINT
    licence_allows_lending: bool = Field(
        default=False, description="For an electronic journal: its licence allows lending."
    )
    holdings: Annotated[str, Field(max_length=500, pattern=CONTROL_CHARACTERS_PATTERN)] = Field(
        default="",
        description='The years (and volumes) held, as "1990-1995; 1998-" or '
        '"1990-1995 v.1-6; 1998- v.9-"; a journal only.',
    )


class HoldingOut(Schema):
    id: int
    kind: str
    title: str
    issn: str
    isbn: str
    holding_format: str
    licence_allows_lending: bool
    lendable: bool
    holdings: str


class HoldingPage(Schema):
    count: int
    page: int
    pages: int
    holdings: list[HoldingOut]


class ImportRowErrorOut(Schema):
    row: int | None = Field(description="The row's number in the file (1 is the header).")
    column: str
    message: str


class ImportRefusedOut(ErrorOut):
    """Bad parameters (`errors`, as everywhere), or a file whose rows are wrong (`rows`)."""

    rows: list[ImportRowErrorOut] = []


class ImportOut(Schema):
    created: int
    updated: int


class StatementLineOut(Schema):
    library_id: int
    library_name: str
    owed_by_us_cents: int
    owed_to_us_cents: int
    net_cents: int = Field(description="Positive: the other library owes yours.")


class StatementItemOut(Schema):
    request_id: int
    reference: str
    title: str
    filled_at: datetime.datetime
    we_borrowed: bool
    library_id: int
    amount_cents: int


class StatementOut(Schema):
    library_id: int
    month: str
    owed_by_us_cents: int
    owed_to_us_cents: int
    net_cents: int
    lines: list[StatementLineOut]
    items: list[StatementItemOut]
