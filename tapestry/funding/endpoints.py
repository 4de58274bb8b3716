"""JSON API for funding: the open calls (public), and for a liaison's client (an API token
with the `funding` scope) their applications (start one, set its budget, submit it) and their
awards (read one with its balance and invoices, submit an invoice).

401 without a live token, 403 without the scope; 404 for a call that is not open or an
application that is not the caller's, alike, so an answer never tells whether an id exists.
A service's refusal keeps its message: 400 for input it refuses (a budget over the maximum, a
missing title), 403 for someone who may not (or an organization the call is not open to), 409 for a state that forbids it (the deadline
passed, already applied, already submitted, a report overdue, the award closed). Nothing is
written on any refusal.
"""

import datetime
import uuid
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from ninja import Router, Status
from ninja.pagination import LimitOffsetPagination, paginate

from tapestry.accounts.api import ApiTokenAuth, ApiTokenScope
from tapestry.funding import awards, selectors, services
from tapestry.funding.models import Application, Award, Invoice, Opportunity
from tapestry.funding.schemas import (
    ApplicationIn,
    ApplicationOut,
    AwardOut,
    BudgetIn,
    BudgetLineOut,
    CallOut,
    ErrorOut,
    InvoiceIn,
    InvoiceOut,
    MessageOut,
)
from tapestry.network.api import organizations_of_liaison

router = Router(tags=["funding"])

AUTH = ApiTokenAuth(scope=ApiTokenScope.FUNDING)
CALL_NOT_FOUND = "No such open call."
APPLICATION_NOT_FOUND = "No such application among yours."
REFUSALS: dict[int, Any] = {
    400: ErrorOut,
    401: MessageOut,
    403: MessageOut,
    404: MessageOut,
    409: MessageOut,
}


def _money(amount: Decimal) -> str:
    return f"{amount:.2f}"


def _call_out(request: HttpRequest, call: Opportunity) -> CallOut:
    return CallOut(
        id=str(call.public_id),
        title=call.title,
        title_es=call.title_es,
        description=call.description,
        description_es=call.description_es,
        eligible_types=call.eligible_types,
        eligible_states=call.eligible_states,
        performance_start=call.performance_start.isoformat(),
        performance_end=call.performance_end.isoformat(),
        awards_available=call.awards_available,
        maximum_amount=_money(call.maximum_amount),
        deadline=call.deadline.isoformat(),
        url=request.build_absolute_uri(reverse("funding:call_detail", args=[call.public_id])),
    )


def _application_out(request: HttpRequest, application: Application) -> ApplicationOut:
    lines = list(application.budget_lines.all())
    return ApplicationOut(
        id=str(application.public_id),
        call_id=str(application.opportunity.public_id),
        organization_id=application.organization_id,
        status=application.status,
        project_title=application.project_title,
        summary=application.summary,
        tracking_number=application.tracking_number,
        submitted_at=application.submitted_at.isoformat() if application.submitted_at else None,
        budget=[
            BudgetLineOut(description=line.description, amount=_money(line.amount))
            for line in lines
        ],
        budget_total=_money(sum((line.amount for line in lines), Decimal(0))),
        url=request.build_absolute_uri(
            reverse("funding:application_edit", args=[application.public_id])
        ),
    )


def _refusal(refusal: services.FundingError) -> Status[Any]:
    if isinstance(refusal, services.NotAllowed | services.NotEligible):
        return Status(403, MessageOut(detail=str(refusal)))
    if isinstance(
        refusal,
        services.CallClosed
        | services.AlreadyApplied
        | services.InvalidTransition
        | awards.ReportOverdue
        | awards.AwardClosed,
    ):
        return Status(409, MessageOut(detail=str(refusal)))
    return Status(400, ErrorOut(detail=str(refusal)))


@router.get(
    "/calls",
    response={200: list[CallOut], 400: ErrorOut},
    auth=None,
    summary="The calls for funding open to applications",
)
@paginate(LimitOffsetPagination)
def call_list(request: HttpRequest) -> Any:
    return [_call_out(request, call) for call in selectors.calls_open(now=timezone.now())]


@router.get(
    "/calls/{call_id}",
    response={200: CallOut, 400: ErrorOut, 404: MessageOut},
    auth=None,
    summary="One call open to applications",
)
def call_get(request: HttpRequest, call_id: uuid.UUID) -> Status[CallOut | MessageOut]:
    call = selectors.calls_open(now=timezone.now()).filter(public_id=call_id).first()
    if call is None:
        return Status(404, MessageOut(detail=CALL_NOT_FOUND))
    return Status(200, _call_out(request, call))


@router.get(
    "/applications",
    response={200: list[ApplicationOut], 400: ErrorOut, 401: MessageOut, 403: MessageOut},
    auth=AUTH,
    summary="Your organizations' applications (scope: funding)",
)
@paginate(LimitOffsetPagination)
def application_list(request: HttpRequest) -> Any:
    user: Any = request.user
    applications = selectors.applications_of_person(user=user).prefetch_related("budget_lines")
    return [_application_out(request, application) for application in applications]


@router.post(
    "/applications",
    response={201: ApplicationOut, **REFUSALS},
    auth=AUTH,
    summary="Start an application to an open call for your organization (scope: funding)",
)
def application_create(
    request: HttpRequest, body: ApplicationIn
) -> Status[ApplicationOut | ErrorOut | MessageOut]:
    user: Any = request.user
    call = (
        selectors.calls_open(now=timezone.now()).filter(public_id=uuid.UUID(body.call_id)).first()
    )
    if call is None:
        return Status(404, MessageOut(detail=CALL_NOT_FOUND))
    if body.organization_id not in organizations_of_liaison(user_id=user.pk):
        return Status(404, MessageOut(detail="No such organization among yours."))
    title, summary = body.project_title.strip(), body.summary.strip()
    if not title or not summary:
        return Status(
            400,
            ErrorOut(
                detail="Invalid request.",
                errors={"project_title" if not title else "summary": ["Write some text."]},
            ),
        )
    try:
        application = services.application_start(
            actor=user,
            opportunity=call,
            organization_id=body.organization_id,
            project_title=title,
            summary=summary,
        )
    except services.FundingError as refusal:
        return _refusal(refusal)
    return Status(201, _application_out(request, application))


@router.get(
    "/applications/{application_id}",
    response={
        200: ApplicationOut,
        400: ErrorOut,
        401: MessageOut,
        403: MessageOut,
        404: MessageOut,
    },
    auth=AUTH,
    summary="One of your organizations' applications (scope: funding)",
)
def application_get(
    request: HttpRequest, application_id: uuid.UUID
) -> Status[ApplicationOut | MessageOut]:
    application = selectors.application_of_person_get(user=request.user, public_id=application_id)
    if application is None:
        return Status(404, MessageOut(detail=APPLICATION_NOT_FOUND))
    return Status(200, _application_out(request, application))


@router.put(
    "/applications/{application_id}/budget",
    response={200: ApplicationOut, **REFUSALS},
    auth=AUTH,
    summary="Replace a draft's budget (scope: funding); at most the call's maximum",
)
def application_budget_set(
    request: HttpRequest, application_id: uuid.UUID, body: BudgetIn
) -> Status[ApplicationOut | ErrorOut | MessageOut]:
    application = selectors.application_of_person_get(user=request.user, public_id=application_id)
    if application is None:
        return Status(404, MessageOut(detail=APPLICATION_NOT_FOUND))
    try:
        services.budget_set(
            actor=request.user,
            application=application,
            lines=[(line.description, Decimal(line.amount)) for line in body.lines],
        )
    except services.FundingError as refusal:
        return _refusal(refusal)
    return Status(200, _application_out(request, application))


@router.post(
    "/applications/{application_id}/submit",
    response={200: ApplicationOut, **REFUSALS},
    auth=AUTH,
    summary="Submit a draft before the call's deadline (scope: funding)",
)
def application_submit(
    request: HttpRequest, application_id: uuid.UUID
) -> Status[ApplicationOut | ErrorOut | MessageOut]:
    application = selectors.application_of_person_get(user=request.user, public_id=application_id)
    if application is None:
        return Status(404, MessageOut(detail=APPLICATION_NOT_FOUND))
    try:
        application = services.application_submit(actor=request.user, application=application)
    except services.FundingError as refusal:
        return _refusal(refusal)
    return Status(200, _application_out(request, application))


AWARD_NOT_FOUND = "No such award among yours."


def _invoice_out(invoice: Invoice) -> InvoiceOut:
    return InvoiceOut(
        id=str(invoice.public_id),
        number=invoice.number,
        billing_month=invoice.billing_month.isoformat(),
        invoice_date=invoice.invoice_date.isoformat(),
        amount=_money(invoice.amount),
        status=invoice.status,
    )


def _award_out(request: HttpRequest, award: Award) -> AwardOut:
    return AwardOut(
        id=str(award.public_id),
        number=award.number,
        organization_id=award.organization_id,
        status=award.status,
        amount=_money(award.amount),
        balance=_money(awards.balance_of(award)),
        period_start=award.period_start.isoformat(),
        period_end=award.period_end.isoformat(),
        overdue_reports=[report.kind for report in awards.overdue_reports(award)],
        invoices=[_invoice_out(invoice) for invoice in award.invoices.all()],
        url=request.build_absolute_uri(
            reverse("funding:award_detail", kwargs={"award_id": award.public_id})
        ),
    )


@router.get(
    "/awards",
    response={200: list[AwardOut], 400: ErrorOut, 401: MessageOut, 403: MessageOut},
    auth=AUTH,
    summary="Your organizations' awards, with their balance and invoices (scope: funding)",
)
@paginate(LimitOffsetPagination)
def award_list(request: HttpRequest) -> Any:
    visible = awards.awards_visible(user=request.user).prefetch_related("invoices")
    return [_award_out(request, award) for award in visible.order_by("-period_start", "pk")]


@router.get(
    "/awards/{award_id}",
    response={200: AwardOut, 400: ErrorOut, 401: MessageOut, 403: MessageOut, 404: MessageOut},
    auth=AUTH,
    summary="One of your organizations' awards (scope: funding)",
)
def award_get(request: HttpRequest, award_id: uuid.UUID) -> Status[AwardOut | MessageOut]:
    award = awards.award_visible_get(user=request.user, public_id=award_id)
    if award is None:
        return Status(404, MessageOut(detail=AWARD_NOT_FOUND))
    return Status(200, _award_out(request, award))


@router.post(
    "/awards/{award_id}/invoices",
    response={201: InvoiceOut, **REFUSALS},
    auth=AUTH,
    summary="Submit an invoice for one month of an award (scope: funding); at most one a "
    "month, within the balance, never dated ahead, none while a report is overdue",
)
def invoice_create(
    request: HttpRequest, award_id: uuid.UUID, body: InvoiceIn
) -> Status[InvoiceOut | ErrorOut | MessageOut]:
    award = awards.award_visible_get(user=request.user, public_id=award_id)
    if award is None:
        return Status(404, MessageOut(detail=AWARD_NOT_FOUND))
    days = {}
    for field in ("billing_month", "invoice_date"):
        try:
            days[field] = datetime.date.fromisoformat(getattr(body, field))
        except ValueError:
            return Status(
                400, ErrorOut(detail="Invalid request.", errors={field: ["Not a calendar day."]})
            )
    try:
        invoice = awards.invoice_submit(
            actor=request.user,
            award=award,
            billing_month=days["billing_month"],
            invoice_date=days["invoice_date"],
            amount=Decimal(body.amount),
            description=body.description,
        )
    except services.FundingError as refusal:
        return _refusal(refusal)
    return Status(201, _invoice_out(invoice))
