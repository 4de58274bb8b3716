"""JSON API for resource sharing, under /api/v1/sharing: a library's requests (enter one,
follow it through its lenders, cancel it), its lending queue (fill, or say why not), its
holdings (list, add, remove, import a CSV) and its monthly statements.

Every path names the library: the caller must act for it (be its liaison), with an API token
holding the `sharing` scope or signed in on the site (the session, with its CSRF token on
writes). 401 without either, 403 for a token without the scope; 404 for a library the caller
does not act for and for a request that is not the library's (or that it was never asked to
lend), alike, so an answer never tells whether an id exists. A service's refusal keeps its
message: 400 for input it refuses (naming each field), 409 for a state that forbids it (the
request moved on; the rule of five, with `count`). Nothing is written on any refusal.

A lender never sees the borrower's patron reference: `LendingOut` has no such field. The
delivered PDF is not served here: a request's `delivery.download_path` is the web page that
serves it to the borrowing library's signed-in liaison.
"""

import datetime
import re
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Form, P, PathEx, Query, Router, Status
from ninja.files import UploadedFile
from ninja.security import SessionAuth

from tapestry.accounts.api import ApiTokenAuth, ApiTokenScope
from tapestry.core.schemas import unknown_parameters
from tapestry.network.api import organizations_get
from tapestry.sharing import holdings, ledger, selectors, services
from tapestry.sharing.models import Delivery, Holding, Lender, Request
from tapestry.sharing.permissions import acts_for
from tapestry.sharing.schemas import (
    ID_MAX,
    ConflictOut,
    DeliveryOut,
    ErrorOut,
    FillIn,
    HoldingIn,
    HoldingOut,
    HoldingPage,
    HoldingQuery,
    ImportOut,
    ImportRefusedOut,
    ImportRowErrorOut,
    LenderOut,
    LendingOut,
    LendingPage,
    LendingQuery,
    MessageOut,
    NotFillIn,
    RequestIn,
    RequestOut,
    RequestPage,
    RequestQuery,
    StatementItemOut,
    StatementLineOut,
    StatementOut,
)


class SignedInSession(SessionAuth):
    """The site's session (a page's own fetches). Django checks the CSRF token on writes; an
    anonymous caller gets the 401 of a missing token, not a CSRF refusal."""

    def _get_key(self, request: HttpRequest) -> str | None:
        if not request.user.is_authenticated:
            return None
        return super()._get_key(request)


router = Router(
    tags=["sharing"],
    auth=[ApiTokenAuth(scope=ApiTokenScope.SHARING), SignedInSession()],
)

NO_LIBRARY = "No such library among those you act for."
NO_REQUEST = "No such request among your library's."
NOT_ASKED = "Your library has not been asked for this request."
ACCESS: dict[int, Any] = {400: ErrorOut, 401: MessageOut, 403: MessageOut, 404: MessageOut}
REFUSALS: dict[int, Any] = {**ACCESS, 409: ConflictOut}

# The fill's optional PDF, a multipart field (a default, not an annotation: `File[...] | None`
# would drop it from the form).
PDF_FIELD: Any = File(None, description="The PDF, for an electronic fill (at most 25 MB).")
LibraryId = PathEx[
    int, P(ge=1, le=ID_MAX, description="A member library you act for (its organization id).")
]
RequestId = PathEx[int, P(ge=1, le=ID_MAX, description="The request's id.")]


def _refusal(error: services.SharingError | ValidationError) -> Status[Any]:
    if isinstance(error, ValidationError):
        errors = error.message_dict if hasattr(error, "error_dict") else {"": error.messages}
        return Status(400, ErrorOut(detail="Invalid request.", errors=errors))
    if isinstance(error, services.RuleOfFive):
        return Status(409, ConflictOut(detail=error.message, count=error.count))
    if error.status == 404:
        return Status(404, MessageOut(detail=error.message))
    if error.status == 409:
        return Status(409, ConflictOut(detail=error.message))
    return Status(400, ErrorOut(detail=error.message))


def _outcome(lender: Lender) -> str:
    if lender.status == Lender.Status.NOT_FILLED and lender.reason:
        return str(Lender.Reason(lender.reason).label)
    if lender.status == Lender.Status.SKIPPED and lender.note == "closed":
        return _("Closed when its turn came")
    return str(Lender.Status(lender.status).label)


def _delivery_out(item: Request) -> DeliveryOut | None:
    delivery: Delivery | None = getattr(item, "delivery", None)
    if delivery is None:
        return None
    opens = (
        delivery.method == Delivery.Method.ELECTRONIC
        and delivery.purged_at is None
        and delivery.expires_at is not None
        and delivery.expires_at > timezone.now()
    )
    return DeliveryOut(
        method=delivery.method,
        expires_at=delivery.expires_at,
        download_path=(
            reverse("sharing:request_document", args=[item.borrower_id, item.pk]) if opens else None
        ),
        downloads=delivery.downloads,
    )


def _requests_out(items: list[Request]) -> list[RequestOut]:
    """The requests with their lender sequences, naming every lender in one query."""
    names = organizations_get(
        organization_ids={lender.organization_id for item in items for lender in item.lenders.all()}
    )
    return [
        RequestOut(
            id=item.pk,
            reference=item.reference,
            organization_id=item.borrower_id,
            status=item.status,
            kind=item.kind,
            title=item.title,
            authors=item.authors,
            journal_title=item.journal_title,
            issn=item.issn,
            isbn=item.isbn,
            year=item.year,
            volume=item.volume,
            issue=item.issue,
            pages=item.pages,
            pmid=item.pmid,
            needed_by=item.needed_by,
            max_cost_cents=item.max_cost_cents,
            urgency=item.urgency,
            patron_reference=item.patron_reference,
            compliance=item.compliance,
            created_at=item.created_at,
            closed_at=item.closed_at,
            lenders=[
                LenderOut(
                    position=lender.position,
                    organization_id=lender.organization_id,
                    name=names[lender.organization_id].name
                    if lender.organization_id in names
                    else "",
                    status=lender.status,
                    outcome=_outcome(lender),
                    reason=lender.reason,
                    fee_cents=lender.fee_cents,
                    asked_at=lender.asked_at,
                    due_at=lender.due_at,
                    answered_at=lender.answered_at,
                )
                for lender in sorted(item.lenders.all(), key=lambda lender: lender.position)
            ],
            delivery=_delivery_out(item),
            unfilled_reasons=services.unfilled_reason_display(item),
        )
        for item in items
    ]


def _request_get(organization_id: int, request_id: int) -> Request | None:
    return (
        Request.objects.filter(borrower_id=organization_id, pk=request_id)
        .select_related("delivery")
        .prefetch_related("lenders")
        .first()
    )


def _lending_out(turns: list[Lender]) -> list[LendingOut]:
    names = organizations_get(organization_ids={turn.request.borrower_id for turn in turns})
    return [
        LendingOut(
            id=turn.request.pk,
            reference=turn.request.reference,
            borrower_id=turn.request.borrower_id,
            borrower_name=names[turn.request.borrower_id].name
            if turn.request.borrower_id in names
            else "",
            status=turn.status,
            kind=turn.request.kind,
            title=turn.request.title,
            authors=turn.request.authors,
            journal_title=turn.request.journal_title,
            issn=turn.request.issn,
            isbn=turn.request.isbn,
            year=turn.request.year,
            volume=turn.request.volume,
            issue=turn.request.issue,
            pages=turn.request.pages,
            pmid=turn.request.pmid,
            needed_by=turn.request.needed_by,
            urgency=turn.request.urgency,
            compliance=turn.request.compliance,
            fee_cents=turn.fee_cents,
            asked_at=turn.asked_at,
            due_at=turn.due_at,
        )
        for turn in turns
    ]


# --- The borrowing library ---


@router.get(
    "/libraries/{organization_id}/requests",
    response={200: RequestPage, **ACCESS},
    summary="Your library's requests, newest first (scope: sharing)",
)
def requests_list(
    request: HttpRequest,
    organization_id: LibraryId,  # type: ignore[valid-type]
    query: Query[RequestQuery],
) -> Status[Any]:
    unknown = unknown_parameters(request, {"status", "q", "page"})
    if unknown:
        return Status(400, unknown)
    if not acts_for(request.user, organization_id):
        return Status(404, MessageOut(detail=NO_LIBRARY))
    found = selectors.requests_of_borrower(
        borrower_id=organization_id,
        status=query.status.value if query.status else "",
        query=query.q or "",
    ).prefetch_related("lenders")
    page = Paginator(found.select_related("delivery"), settings.SHARING_PAGE_SIZE).get_page(
        query.page or 1
    )
    return Status(
        200,
        RequestPage(
            count=page.paginator.count,
            page=page.number,
            pages=page.paginator.num_pages,
            requests=_requests_out(list(page.object_list)),
        ),
    )


@router.post(
    "/libraries/{organization_id}/requests",
    response={201: RequestOut, **REFUSALS},
    summary="Enter a request for your library; it goes to the first lender at once "
    "(scope: sharing)",
)
def request_create(
    request: HttpRequest,
    organization_id: LibraryId,  # type: ignore[valid-type]
    body: RequestIn,
) -> Status[Any]:
    """The sixth recent article from one journal this year under the CONTU guidelines (ccg)
    is a 409 with `count`: send it again with `compliance` "ccl" if your library pays
    royalties or holds a subscription. The same `submission_token` again returns the first
    request, unchanged."""
    if not acts_for(request.user, organization_id):
        return Status(404, MessageOut(detail=NO_LIBRARY))
    try:
        created = services.request_create(
            actor=request.user,
            borrower_id=organization_id,
            kind=body.kind.value,
            title=body.title,
            authors=body.authors,
            journal_title=body.journal_title,
            issn=body.issn,
            year=body.year,
            volume=body.volume,
            issue=body.issue,
            pages=body.pages,
            pmid=body.pmid,
            isbn=body.isbn,
            needed_by=body.needed_by,
            max_cost_cents=body.max_cost_cents,
            urgency=body.urgency.value,
            patron_reference=body.patron_reference,
            compliance=body.compliance.value,
            submission_token=body.submission_token,
        )
    except (services.SharingError, ValidationError) as error:
        return _refusal(error)
    item = _request_get(organization_id, created.pk)
    assert item is not None  # just made (or found) for this library
    return Status(201, _requests_out([item])[0])


@router.get(
    "/libraries/{organization_id}/requests/{request_id}",
    response={200: RequestOut, **ACCESS},
    summary="One of your library's requests, with its lenders and its delivery (scope: sharing)",
)
def request_get(
    request: HttpRequest,
    organization_id: LibraryId,  # type: ignore[valid-type]
    request_id: RequestId,  # type: ignore[valid-type]
) -> Status[Any]:
    if not acts_for(request.user, organization_id):
        return Status(404, MessageOut(detail=NO_LIBRARY))
    item = _request_get(organization_id, request_id)
    if item is None:
        return Status(404, MessageOut(detail=NO_REQUEST))
    return Status(200, _requests_out([item])[0])


@router.post(
    "/libraries/{organization_id}/requests/{request_id}/cancel",
    response={200: RequestOut, **REFUSALS},
    summary="Withdraw your library's request while no lender has filled it (scope: sharing)",
)
def request_cancel(
    request: HttpRequest,
    organization_id: LibraryId,  # type: ignore[valid-type]
    request_id: RequestId,  # type: ignore[valid-type]
) -> Status[Any]:
    if not acts_for(request.user, organization_id):
        return Status(404, MessageOut(detail=NO_LIBRARY))
    if selectors.request_of_borrower(borrower_id=organization_id, request_id=request_id) is None:
        return Status(404, MessageOut(detail=NO_REQUEST))
    try:
        services.request_cancel(actor=request.user, request_id=request_id)
    except services.SharingError as error:
        return _refusal(error)
    item = _request_get(organization_id, request_id)
    assert item is not None  # the library's own, just cancelled
    return Status(200, _requests_out([item])[0])


# --- The lending library ---


@router.get(
    "/libraries/{organization_id}/lending",
    response={200: LendingPage, **ACCESS},
    summary="The requests your library is asked to answer now, the soonest due first "
    "(scope: sharing)",
)
def lending_list(
    request: HttpRequest,
    organization_id: LibraryId,  # type: ignore[valid-type]
    query: Query[LendingQuery],
) -> Status[Any]:
    unknown = unknown_parameters(request, {"page"})
    if unknown:
        return Status(400, unknown)
    if not acts_for(request.user, organization_id):
        return Status(404, MessageOut(detail=NO_LIBRARY))
    page = Paginator(
        selectors.lending_queue(lender_id=organization_id), settings.SHARING_PAGE_SIZE
    ).get_page(query.page or 1)
    return Status(
        200,
        LendingPage(
            count=page.paginator.count,
            page=page.number,
            pages=page.paginator.num_pages,
            requests=_lending_out(list(page.object_list)),
        ),
    )


def _lender_turn(user: Any, organization_id: int, request_id: int) -> Status[Any] | None:
    """A 404 unless the caller acts for the library and it was asked for this request."""
    if not acts_for(user, organization_id):
        return Status(404, MessageOut(detail=NO_LIBRARY))
    if selectors.request_of_lender(lender_id=organization_id, request_id=request_id) is None:
        return Status(404, MessageOut(detail=NOT_ASKED))
    return None


def _answered(organization_id: int, request_id: int) -> Status[Any]:
    turn = selectors.request_of_lender(lender_id=organization_id, request_id=request_id)
    assert turn is not None  # it was asked, and answered just now
    return Status(200, _lending_out([turn])[0])


@router.post(
    "/libraries/{organization_id}/lending/{request_id}/not-fill",
    response={200: LendingOut, **REFUSALS},
    summary="Your library cannot fill the request it is asked: it goes to the next lender "
    "(scope: sharing)",
)
def lending_not_fill(
    request: HttpRequest,
    organization_id: LibraryId,  # type: ignore[valid-type]
    request_id: RequestId,  # type: ignore[valid-type]
    body: NotFillIn,
) -> Status[Any]:
    refused = _lender_turn(request.user, organization_id, request_id)
    if refused:
        return refused
    try:
        services.request_not_fill(
            actor=request.user,
            lender_id=organization_id,
            request_id=request_id,
            reason=body.reason.value,
            note=body.note,
        )
    except (services.SharingError, ValidationError) as error:
        return _refusal(error)
    return _answered(organization_id, request_id)


@router.post(
    "/libraries/{organization_id}/lending/{request_id}/fill",
    response={200: LendingOut, **REFUSALS},
    summary="Fill the request your library is asked: by mail, or electronically with the PDF "
    "(scope: sharing)",
)
def lending_fill(
    request: HttpRequest,
    organization_id: LibraryId,  # type: ignore[valid-type]
    request_id: RequestId,  # type: ignore[valid-type]
    body: Form[FillIn],
    file: UploadedFile | None = PDF_FIELD,
) -> Status[Any]:
    """Sent as a form (multipart/form-data): `method` "mail", or "electronic" with the PDF in
    `file` (at most 25 MB; only the borrowing library can open it, until its link expires).
    The borrower is charged your fee. Exactly one fill counts."""
    refused = _lender_turn(request.user, organization_id, request_id)
    if refused:
        return refused
    try:
        services.request_fill(
            actor=request.user,
            lender_id=organization_id,
            request_id=request_id,
            method=body.method.value,
            upload=file,
        )
    except (services.SharingError, ValidationError) as error:
        return _refusal(error)
    return _answered(organization_id, request_id)


# --- Holdings ---

HoldingId = PathEx[int, P(ge=1, le=ID_MAX, description="The holding's id.")]
Month = PathEx[str, P(max_length=20, description="The month, as 2026-11.")]
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
CSV_FIELD: Any = File(description="The holdings CSV (columns as the export writes them).")


def _holding_out(holding: Holding) -> HoldingOut:
    return HoldingOut(
        id=holding.pk,
        kind=holding.kind,
        title=holding.title,
        issn=holding.issn,
        isbn=holding.isbn,
        holding_format=holding.holding_format,
        licence_allows_lending=holding.licence_allows_lending,
        lendable=holding.lendable,
        holdings=holdings.statement_format(holding.ranges.all()),
    )


@router.get(
    "/libraries/{organization_id}/holdings",
    response={200: HoldingPage, **ACCESS},
    summary="Your library's holdings, by title (scope: sharing)",
)
def holdings_list(
    request: HttpRequest,
    organization_id: LibraryId,  # type: ignore[valid-type]
    query: Query[HoldingQuery],
) -> Status[Any]:
    unknown = unknown_parameters(request, {"q", "page"})
    if unknown:
        return Status(400, unknown)
    if not acts_for(request.user, organization_id):
        return Status(404, MessageOut(detail=NO_LIBRARY))
    found = holdings.holdings_search(
        actor=request.user, organization_id=organization_id, query=query.q or ""
    ).prefetch_related("ranges")
    page = Paginator(found, settings.SHARING_PAGE_SIZE).get_page(query.page or 1)
    return Status(
        200,
        HoldingPage(
            count=page.paginator.count,
            page=page.number,
            pages=page.paginator.num_pages,
            holdings=[_holding_out(holding) for holding in page.object_list],
        ),
    )


@router.post(
    "/libraries/{organization_id}/holdings",
    response={201: HoldingOut, **ACCESS},
    summary="Add a journal or a book your library holds (scope: sharing)",
)
def holding_create(
    request: HttpRequest,
    organization_id: LibraryId,  # type: ignore[valid-type]
    body: HoldingIn,
) -> Status[Any]:
    if not acts_for(request.user, organization_id):
        return Status(404, MessageOut(detail=NO_LIBRARY))
    try:
        holding = holdings.holding_save(
            actor=request.user,
            organization_id=organization_id,
            kind=body.kind.value,
            title=body.title,
            issn=body.issn,
            isbn=body.isbn,
            holding_format=body.holding_format.value,
            licence_allows_lending=body.licence_allows_lending,
            statement=body.holdings,
        )
    except ValidationError as error:
        # The service names the statement as its form does; here it is the `holdings` field.
        errors = {
            ("holdings" if field == "statement" else field): problems
            for field, problems in error.message_dict.items()
        }
        return Status(400, ErrorOut(detail="Invalid request.", errors=errors))
    return Status(201, _holding_out(holding))


@router.post(
    "/libraries/{organization_id}/holdings/import",
    response={
        200: ImportOut,
        400: ImportRefusedOut,
        401: MessageOut,
        403: MessageOut,
        404: MessageOut,
    },
    summary="Add or update holdings from a CSV; all rows or none (scope: sharing)",
)
def holdings_csv_import(
    request: HttpRequest,
    organization_id: LibraryId,  # type: ignore[valid-type]
    file: UploadedFile = CSV_FIELD,
) -> Status[Any]:
    """Sent as a form (multipart/form-data) with the CSV in `file` (columns `kind, title,
    issn, isbn, format, licence_allows_lending, holdings`, as the web page's export writes
    them). Every row is checked first; if any is wrong the answer lists each by row and
    column and nothing is written."""
    if not acts_for(request.user, organization_id):
        return Status(404, MessageOut(detail=NO_LIBRARY))
    data = bytes(file.read(settings.SHARING_HOLDINGS_CSV_MAX_BYTES + 1))
    try:
        result = holdings.holdings_import(
            actor=request.user, organization_id=organization_id, data=data
        )
    except holdings.HoldingsImportRefused as refused:
        return Status(
            400,
            ImportRefusedOut(
                detail="Nothing was imported: correct these rows and send the file again.",
                rows=[
                    ImportRowErrorOut(row=error.row, column=error.column, message=error.message)
                    for error in refused.errors
                ],
            ),
        )
    return Status(200, ImportOut(created=result.created, updated=result.updated))


# Registered after the import: Django tries paths in order, and "import" would be read as
# a holding's id.
@router.delete(
    "/libraries/{organization_id}/holdings/{holding_id}",
    response={204: None, **ACCESS},
    summary="Remove one of your library's holdings (scope: sharing)",
)
def holding_remove(
    request: HttpRequest,
    organization_id: LibraryId,  # type: ignore[valid-type]
    holding_id: HoldingId,  # type: ignore[valid-type]
) -> Status[Any]:
    if not acts_for(request.user, organization_id):
        return Status(404, MessageOut(detail=NO_LIBRARY))
    try:
        holdings.holding_delete(
            actor=request.user, organization_id=organization_id, holding_id=holding_id
        )
    except (holdings.NotYourLibrary, Holding.DoesNotExist):
        return Status(404, MessageOut(detail="No such holding in your library."))
    return Status(204, None)


# --- Statements ---


@router.get(
    "/libraries/{organization_id}/statements/{month}",
    response={200: StatementOut, **ACCESS},
    summary="Your library's statement for a month: what it owes and is owed, library by "
    "library, and the filled requests behind it (scope: sharing)",
)
def statement_get(
    request: HttpRequest,
    organization_id: LibraryId,  # type: ignore[valid-type]
    month: Month,  # type: ignore[valid-type]
) -> Status[Any]:
    if not MONTH.match(month) or month < "1900":
        return Status(
            400, ErrorOut(detail="Invalid request.", errors={"month": ["A month, as 2026-11."]})
        )
    if not acts_for(request.user, organization_id):
        return Status(404, MessageOut(detail=NO_LIBRARY))
    first_day = datetime.date(int(month[:4]), int(month[5:7]), 1)
    result = ledger.statement(organization_id=organization_id, month=first_day)
    return Status(
        200,
        StatementOut(
            library_id=organization_id,
            month=month,
            owed_by_us_cents=result.owed_by_us_cents,
            owed_to_us_cents=result.owed_to_us_cents,
            net_cents=result.net_cents,
            lines=[
                StatementLineOut(
                    library_id=line.counterparty_id,
                    library_name=line.counterparty_name,
                    owed_by_us_cents=line.owed_by_us_cents,
                    owed_to_us_cents=line.owed_to_us_cents,
                    net_cents=line.net_cents,
                )
                for line in result.lines
            ],
            items=[
                StatementItemOut(
                    request_id=item.request_id,
                    reference=item.reference,
                    title=item.title,
                    filled_at=item.filled_at,
                    we_borrowed=item.we_borrowed,
                    library_id=item.counterparty_id,
                    amount_cents=item.amount_cents,
                )
                for item in result.items
            ],
        ),
    )
