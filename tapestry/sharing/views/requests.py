"""The request pages: a library's requests (enter, follow, download, cancel), its lending queue
(fill or say why not), its patrons (agreements, requests to approve), and the patron's own page.
Every page under /sharing/library/<id>/ is for the person who acts for that library; any other
library's id is a 404."""

from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tapestry.network.api import OrganizationRef, organizations_get
from tapestry.sharing import ledger, selectors, services
from tapestry.sharing.forms.requests import (
    AgreementForm,
    ApproveForm,
    DeclineForm,
    FillForm,
    NotFillForm,
    PatronRequestForm,
    RequestFilterForm,
    RequestForm,
    cents,
)
from tapestry.sharing.models import Lender, Request
from tapestry.sharing.permissions import acts_for, libraries_of, sees_network_figures


def _library(request: HttpRequest, organization_id: int) -> OrganizationRef:
    """The library in the address, if this person acts for it (else 404: nothing revealed)."""
    if not acts_for(request.user, organization_id):
        raise Http404
    return organizations_get(organization_ids=[organization_id])[organization_id]


def _form_refused(form: Any, error: Exception) -> int:
    """Put a service's refusal on the form; the status to answer with."""
    if isinstance(error, ValidationError):
        for field, problems in error.message_dict.items():
            form.add_error(field if field in form.fields else None, problems)
        return 400
    if isinstance(error, services.RequestNotFound):
        raise Http404
    assert isinstance(error, services.SharingError)
    form.add_error(None, error.message)
    return error.status


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """What resource sharing is, and for a liaison each of their libraries' work waiting."""
    library_ids = libraries_of(request.user)
    names = organizations_get(organization_ids=library_ids)
    counts = selectors.library_counts(organization_ids=library_ids)
    libraries = [
        {"library": names[pk], **counts[pk]}
        for pk in sorted(library_ids, key=lambda pk: names[pk].name)
        if pk in names
    ]
    return render(
        request,
        "sharing/home.html",
        {"libraries": libraries, "sees_network": sees_network_figures(request.user)},
    )


@login_required
@require_GET
def requests_list(request: HttpRequest, organization_id: int) -> HttpResponse:
    library = _library(request, organization_id)
    form = RequestFilterForm(request.GET or None)
    status = 200
    query = state = ""
    if form.is_bound:
        if form.is_valid():
            query, state = form.cleaned_data["q"], form.cleaned_data["status"]
        else:
            status = 400
    found = selectors.requests_of_borrower(borrower_id=organization_id, status=state, query=query)
    page = Paginator(found, settings.SHARING_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "sharing/requests/list.html",
        {"library": library, "form": form, "result": page},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def request_new(request: HttpRequest, organization_id: int) -> HttpResponse:
    library = _library(request, organization_id)
    form = RequestForm(request.POST or None)
    status = 200
    rule_of_five = None
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                created = services.request_create(
                    actor=request.user,
                    borrower_id=organization_id,
                    **form.citation(),
                    max_cost_cents=cents(data["max_cost"]),
                    urgency=data["urgency"],
                    patron_reference=data["patron_reference"],
                    compliance=data["compliance"],
                    submission_token=data["submission_token"],
                )
            except services.RuleOfFive as error:
                rule_of_five = error
                form.add_error("compliance", error.message)
                status = error.status
            except (services.SharingError, ValidationError) as error:
                status = _form_refused(form, error)
            else:
                if created.status == Request.Status.UNFILLED:
                    messages.warning(
                        request, _("No library can lend this item now; see why below.")
                    )
                else:
                    messages.success(
                        request,
                        _("Request %(reference)s is sent.") % {"reference": created.reference},
                    )
                return redirect("sharing:request", organization_id, created.pk)
        else:
            status = 400
    return render(
        request,
        "sharing/requests/new.html",
        {"library": library, "form": form, "rule_of_five": rule_of_five},
        status=status,
    )


@login_required
@require_GET
def request_detail(request: HttpRequest, organization_id: int, request_id: int) -> HttpResponse:
    library = _library(request, organization_id)
    item = selectors.request_of_borrower(borrower_id=organization_id, request_id=request_id)
    if item is None:
        raise Http404
    lenders = list(item.lenders.order_by("position"))
    names = organizations_get(organization_ids=[lender.organization_id for lender in lenders])
    delivery = getattr(item, "delivery", None)
    return render(
        request,
        "sharing/requests/detail.html",
        {
            "library": library,
            "item": item,
            "lenders": [
                (lender, names.get(lender.organization_id), ledger.dollars(lender.fee_cents))
                for lender in lenders
            ],
            "delivery": delivery,
            "charge": getattr(item, "charge", None),
            "events": item.events.order_by("at", "pk"),
            "unfilled": services.unfilled_reason_display(item),
        },
    )


@login_required
@require_POST
def request_cancel(request: HttpRequest, organization_id: int, request_id: int) -> HttpResponse:
    _library(request, organization_id)
    if selectors.request_of_borrower(borrower_id=organization_id, request_id=request_id) is None:
        raise Http404
    try:
        services.request_cancel(actor=request.user, request_id=request_id)
    except services.RequestNotFound as error:
        raise Http404 from error
    except services.SharingError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The request is cancelled."))
    return redirect("sharing:request", organization_id, request_id)


@login_required
@require_GET
def request_document(
    request: HttpRequest, organization_id: int, request_id: int
) -> HttpResponseBase:
    _library(request, organization_id)
    if selectors.request_of_borrower(borrower_id=organization_id, request_id=request_id) is None:
        raise Http404
    try:
        delivery = services.delivery_open(actor=request.user, request_id=request_id)
    except services.RequestNotFound as error:
        raise Http404 from error
    except services.SharingError as error:
        return render(
            request,
            "sharing/requests/expired.html",
            {
                "message": error.message,
                "organization_id": organization_id,
                "request_id": request_id,
            },
            status=410,
        )
    response = FileResponse(
        delivery.file.open("rb"),
        as_attachment=True,
        filename=f"{delivery.request.reference}.pdf",
        content_type="application/pdf",
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def lending_queue(request: HttpRequest, organization_id: int) -> HttpResponse:
    library = _library(request, organization_id)
    asked = list(selectors.lending_queue(lender_id=organization_id))
    answered = Paginator(
        selectors.lending_answered(lender_id=organization_id), settings.SHARING_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    names = organizations_get(
        organization_ids={lender.request.borrower_id for lender in [*asked, *answered]}
    )
    return render(
        request,
        "sharing/lending/queue.html",
        {"library": library, "asked": asked, "result": answered, "names": names},
    )


def _lending_page(
    request: HttpRequest,
    library: OrganizationRef,
    lender: Lender,
    *,
    fill_form: FillForm | None = None,
    not_fill_form: NotFillForm | None = None,
    status: int = 200,
) -> HttpResponse:
    borrower = organizations_get(organization_ids=[lender.request.borrower_id]).get(
        lender.request.borrower_id
    )
    return render(
        request,
        "sharing/lending/request.html",
        {
            "library": library,
            "lender": lender,
            "item": lender.request,
            "borrower": borrower,
            "fill_form": fill_form or FillForm(),
            "not_fill_form": not_fill_form or NotFillForm(),
            "fee": ledger.dollars(lender.fee_cents),
        },
        status=status,
    )


def _lender_turn(
    request: HttpRequest, organization_id: int, request_id: int
) -> tuple[OrganizationRef, Lender]:
    library = _library(request, organization_id)
    lender = selectors.request_of_lender(lender_id=organization_id, request_id=request_id)
    if lender is None:
        raise Http404
    return library, lender


@login_required
@require_GET
def lending_request(request: HttpRequest, organization_id: int, request_id: int) -> HttpResponse:
    library, lender = _lender_turn(request, organization_id, request_id)
    return _lending_page(request, library, lender)


@login_required
@require_POST
def lending_fill(request: HttpRequest, organization_id: int, request_id: int) -> HttpResponse:
    library, lender = _lender_turn(request, organization_id, request_id)
    form = FillForm(request.POST, request.FILES)
    if not form.is_valid():
        return _lending_page(request, library, lender, fill_form=form, status=400)
    try:
        services.request_fill(
            actor=request.user,
            lender_id=organization_id,
            request_id=request_id,
            method=form.cleaned_data["method"],
            upload=form.cleaned_data["file"],
        )
    except (services.SharingError, ValidationError) as error:
        status = _form_refused(form, error)
        lender.refresh_from_db()
        return _lending_page(request, library, lender, fill_form=form, status=status)
    messages.success(request, _("Filled. The borrowing library is told, and charged your fee."))
    return redirect("sharing:lending_queue", organization_id)


@login_required
@require_POST
def lending_not_fill(request: HttpRequest, organization_id: int, request_id: int) -> HttpResponse:
    library, lender = _lender_turn(request, organization_id, request_id)
    form = NotFillForm(request.POST)
    if not form.is_valid():
        return _lending_page(request, library, lender, not_fill_form=form, status=400)
    try:
        services.request_not_fill(
            actor=request.user,
            lender_id=organization_id,
            request_id=request_id,
            reason=form.cleaned_data["reason"],
            note=form.cleaned_data["note"],
        )
    except (services.SharingError, ValidationError) as error:
        status = _form_refused(form, error)
        lender.refresh_from_db()
        return _lending_page(request, library, lender, not_fill_form=form, status=status)
    messages.success(request, _("Answered. The request goes to the next library."))
    return redirect("sharing:lending_queue", organization_id)


# --- Patrons ---


@login_required
@require_GET
def patrons(request: HttpRequest, organization_id: int) -> HttpResponse:
    """The library's side: people it requests for, and their requests waiting for approval."""
    library = _library(request, organization_id)
    return render(
        request,
        "sharing/patrons/library.html",
        {
            "library": library,
            "agreements": selectors.agreements_of_library(organization_id=organization_id),
            "waiting": selectors.patron_requests_waiting(borrower_id=organization_id),
            "approve_form": ApproveForm(),
            "decline_form": DeclineForm(),
        },
    )


@login_required
@require_POST
def agreement_decide(request: HttpRequest, organization_id: int, agreement_id: int) -> HttpResponse:
    _library(request, organization_id)
    approve = request.POST.get("decision") == "approve"
    try:
        services.agreement_decide(actor=request.user, agreement_id=agreement_id, approve=approve)
    except services.RequestNotFound as error:
        raise Http404 from error
    messages.success(request, _("Saved; the person is told by email."))
    return redirect("sharing:patrons", organization_id)


@login_required
@require_POST
def patron_request_decide(
    request: HttpRequest, organization_id: int, request_id: int
) -> HttpResponse:
    library = _library(request, organization_id)
    if request.POST.get("decision") == "approve":
        form: ApproveForm | DeclineForm = ApproveForm(request.POST)
    else:
        form = DeclineForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            if isinstance(form, ApproveForm):
                services.patron_request_approve(
                    actor=request.user,
                    request_id=request_id,
                    patron_reference=form.cleaned_data["patron_reference"],
                    max_cost_cents=cents(form.cleaned_data["max_cost"]),
                    compliance=form.cleaned_data["compliance"],
                )
            else:
                services.patron_request_decline(
                    actor=request.user, request_id=request_id, note=form.cleaned_data["note"]
                )
        except (services.SharingError, ValidationError) as error:
            status = _form_refused(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("sharing:patrons", organization_id)
    return render(
        request,
        "sharing/patrons/library.html",
        {
            "library": library,
            "agreements": selectors.agreements_of_library(organization_id=organization_id),
            "waiting": selectors.patron_requests_waiting(borrower_id=organization_id),
            "approve_form": form if isinstance(form, ApproveForm) else ApproveForm(),
            "decline_form": form if isinstance(form, DeclineForm) else DeclineForm(),
            "failed_request_id": request_id,
        },
        status=status,
    )


@login_required
@require_GET
def patron_home(request: HttpRequest) -> HttpResponse:
    """A person's own page: the libraries that take patrons' requests, their agreements and
    their requests."""
    agreements = list(selectors.agreements_of_person(person_id=cast(int, request.user.pk)))
    libraries = selectors.libraries_taking_patrons()
    names = organizations_get(
        organization_ids={*libraries, *(agreement.organization_id for agreement in agreements)}
    )
    asked = {agreement.organization_id for agreement in agreements}
    return render(
        request,
        "sharing/patrons/home.html",
        {
            "agreements": [
                (agreement, names.get(agreement.organization_id)) for agreement in agreements
            ],
            "libraries": sorted(
                (names[pk] for pk in libraries if pk in names and pk not in asked),
                key=lambda library: library.name,
            ),
            "requests": [
                (item, names.get(item.borrower_id))
                for item in selectors.requests_of_patron(person_id=cast(int, request.user.pk))[:50]
            ],
            "agreement_form": AgreementForm(),
        },
    )


@login_required
@require_POST
def agreement_ask(request: HttpRequest, organization_id: int) -> HttpResponse:
    form = AgreementForm(request.POST)
    if not form.is_valid():
        raise Http404
    try:
        services.agreement_ask(
            person=request.user,
            organization_id=organization_id,
            is_health_professional=form.cleaned_data["is_health_professional"],
        )
    except services.RequestNotFound as error:
        raise Http404 from error
    messages.success(request, _("Sent. The library will answer by email."))
    return redirect("sharing:patron_home")


@login_required
@require_http_methods(["GET", "POST"])
def patron_request_new(request: HttpRequest, organization_id: int) -> HttpResponse:
    names = organizations_get(organization_ids=[organization_id])
    if organization_id not in names:
        raise Http404
    form = PatronRequestForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.patron_request_create(
                    person=request.user,
                    organization_id=organization_id,
                    note=form.cleaned_data["note"],
                    **form.citation(),
                )
            except (services.SharingError, ValidationError) as error:
                status = _form_refused(form, error)
            else:
                messages.success(request, _("Sent to the library. It will email you."))
                return redirect("sharing:patron_home")
        else:
            status = 400
    return render(
        request,
        "sharing/patrons/new.html",
        {"library": names[organization_id], "form": form},
        status=status,
    )


LIBRARY = "library/<int:organization_id>/"
urlpatterns = [
    path("", home, name="home"),
    path(f"{LIBRARY}requests/", requests_list, name="requests"),
    path(f"{LIBRARY}requests/new/", request_new, name="request_new"),
    path(f"{LIBRARY}requests/<int:request_id>/", request_detail, name="request"),
    path(f"{LIBRARY}requests/<int:request_id>/cancel/", request_cancel, name="request_cancel"),
    path(
        f"{LIBRARY}requests/<int:request_id>/document/", request_document, name="request_document"
    ),
    path(f"{LIBRARY}lending/", lending_queue, name="lending_queue"),
    path(f"{LIBRARY}lending/<int:request_id>/", lending_request, name="lending_request"),
    path(f"{LIBRARY}lending/<int:request_id>/fill/", lending_fill, name="lending_fill"),
    path(f"{LIBRARY}lending/<int:request_id>/not-fill/", lending_not_fill, name="lending_not_fill"),
    path(f"{LIBRARY}patrons/", patrons, name="patrons"),
    path(
        f"{LIBRARY}patrons/agreements/<int:agreement_id>/",
        agreement_decide,
        name="agreement_decide",
    ),
    path(
        f"{LIBRARY}patrons/requests/<int:request_id>/",
        patron_request_decide,
        name="patron_request_decide",
    ),
    path("patron/", patron_home, name="patron_home"),
    path("patron/libraries/<int:organization_id>/ask/", agreement_ask, name="agreement_ask"),
    path(
        "patron/libraries/<int:organization_id>/request/",
        patron_request_new,
        name="patron_request_new",
    ),
]
