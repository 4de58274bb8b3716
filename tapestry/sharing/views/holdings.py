"""A library's holdings and lending pages, under /sharing/library/<organization_id>/: its
holdings (search, add, change, delete, CSV import and export), its lending policy, its closures
and its preferred lenders. Only the library's liaison reaches them: any other id is a 404."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tapestry.accounts.api import AuthenticatedRequest
from tapestry.core.api import csv_lines
from tapestry.network.api import organization_choices, organizations_get
from tapestry.sharing import holdings, ledger
from tapestry.sharing.forms.holdings import (
    ClosureForm,
    HoldingForm,
    HoldingSearchForm,
    HoldingsImportForm,
    LendingPolicyForm,
    PreferredLendersForm,
)
from tapestry.sharing.models import Closure, Holding
from tapestry.sharing.permissions import acts_for

TEMPLATES = "sharing/holdings"


def _library(request: AuthenticatedRequest, organization_id: int) -> dict[str, Any]:
    """The page's library, or 404 when the caller does not act for it."""
    if not acts_for(request.user, organization_id):
        raise Http404
    reference = organizations_get(organization_ids=[organization_id]).get(organization_id)
    if reference is None:
        raise Http404
    return {"library": reference, "lending": holdings.lends_now(organization_id=organization_id)}


def _errors_to_form(
    form: Any, error: ValidationError, renamed: dict[str, str] | None = None
) -> None:
    """The service's refusal on the form: on its field where the form has it, else on top."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, messages_ in error.message_dict.items():
        name = (renamed or {}).get(name, name)
        form.add_error(name if name in form.fields else None, messages_)


@login_required
@require_GET
def holdings_list(request: AuthenticatedRequest, organization_id: int) -> HttpResponse:
    context = _library(request, organization_id)
    form = HoldingSearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_bound and form.is_valid() else ""
    found = holdings.holdings_search(
        actor=request.user, organization_id=organization_id, query=query
    )
    page = Paginator(found, settings.SHARING_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        f"{TEMPLATES}/list.html",
        {
            **context,
            "form": form,
            "query": query,
            "page": page,
            "result": {
                "page": page.number,
                "num_pages": page.paginator.num_pages,
                "has_previous": page.has_previous(),
                "has_next": page.has_next(),
            },
            "total": page.paginator.count,
            "rows": [
                (holding, holdings.statement_format(holding.ranges.all()))
                for holding in page.object_list
            ],
        },
    )


def _holding_page(
    request: AuthenticatedRequest, organization_id: int, holding: Holding | None
) -> HttpResponse:
    context = _library(request, organization_id)
    if request.method == "POST":
        form = HoldingForm(request.POST)
        if form.is_valid():
            try:
                saved = holdings.holding_save(
                    actor=request.user,
                    organization_id=organization_id,
                    holding_id=holding.pk if holding else None,
                    **form.cleaned_data,
                )
            except ValidationError as error:
                _errors_to_form(form, error)
            else:
                messages.success(request, _("“%(title)s” is saved.") % {"title": saved.title})
                return redirect("sharing:holdings", organization_id)
    elif holding is not None:
        form = HoldingForm(
            initial={
                "kind": holding.kind,
                "title": holding.title,
                "issn": holding.issn,
                "isbn": holding.isbn,
                "holding_format": holding.holding_format,
                "licence_allows_lending": holding.licence_allows_lending,
                "statement": holdings.statement_format(holding.ranges.all()),
            }
        )
    else:
        form = HoldingForm(initial={"kind": Holding.Kind.SERIAL, "holding_format": "print"})
    return render(
        request,
        f"{TEMPLATES}/holding_form.html",
        {**context, "form": form, "holding": holding},
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def holding_new(request: AuthenticatedRequest, organization_id: int) -> HttpResponse:
    return _holding_page(request, organization_id, None)


def _holding_of(request: AuthenticatedRequest, organization_id: int, holding_id: int) -> Holding:
    try:
        return holdings.holding_get(
            actor=request.user, organization_id=organization_id, holding_id=holding_id
        )
    except (holdings.NotYourLibrary, Holding.DoesNotExist):
        raise Http404 from None


@login_required
@require_http_methods(["GET", "POST"])
def holding_edit(
    request: AuthenticatedRequest, organization_id: int, holding_id: int
) -> HttpResponse:
    return _holding_page(
        request, organization_id, _holding_of(request, organization_id, holding_id)
    )


@login_required
@require_POST
def holding_delete(
    request: AuthenticatedRequest, organization_id: int, holding_id: int
) -> HttpResponse:
    _library(request, organization_id)
    holding = _holding_of(request, organization_id, holding_id)
    holdings.holding_delete(
        actor=request.user, organization_id=organization_id, holding_id=holding.pk
    )
    messages.success(request, _("“%(title)s” is deleted.") % {"title": holding.title})
    return redirect("sharing:holdings", organization_id)


@login_required
@require_GET
def holdings_export(request: AuthenticatedRequest, organization_id: int) -> StreamingHttpResponse:
    _library(request, organization_id)
    rows = holdings.holdings_export_rows(actor=request.user, organization_id=organization_id)
    response = StreamingHttpResponse(csv_lines(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="holdings-{organization_id}.csv"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def holdings_import(request: AuthenticatedRequest, organization_id: int) -> HttpResponse:
    context = _library(request, organization_id)
    form = HoldingsImportForm(request.POST or None, request.FILES or None)
    row_errors: list[holdings.RowError] = []
    if request.method == "POST" and form.is_valid():
        try:
            result = holdings.holdings_import(
                actor=request.user, organization_id=organization_id, data=form.read()
            )
        except holdings.HoldingsImportRefused as refused:
            row_errors = refused.errors
        else:
            messages.success(
                request,
                _("Imported: %(created)s holdings added, %(updated)s updated.")
                % {"created": result.created, "updated": result.updated},
            )
            return redirect("sharing:holdings", organization_id)
    return render(
        request,
        f"{TEMPLATES}/import.html",
        {
            **context,
            "form": form,
            "file_errors": [error for error in row_errors if error.row is None],
            "row_errors": [error for error in row_errors if error.row is not None],
            "max_rows": settings.SHARING_HOLDINGS_CSV_MAX_ROWS,
            "max_kb": settings.SHARING_HOLDINGS_CSV_MAX_BYTES // 1024,
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def lending_policy(request: AuthenticatedRequest, organization_id: int) -> HttpResponse:
    context = _library(request, organization_id)
    policy = holdings.lending_policy_get(actor=request.user, organization_id=organization_id)
    if request.method == "POST":
        form = LendingPolicyForm(request.POST)
        if form.is_valid():
            try:
                holdings.lending_policy_save(
                    actor=request.user, organization_id=organization_id, **form.service_fields()
                )
            except ValidationError as error:
                _errors_to_form(form, error, {"fee_cents": "fee"})
            else:
                messages.success(request, _("Your lending policy is saved."))
                return redirect("sharing:lending_policy", organization_id)
    elif policy is not None:
        form = LendingPolicyForm(
            initial={
                **{name: getattr(policy, name) for name in holdings.POLICY_FIELDS},
                "fee": f"{policy.fee_cents / 100:.2f}",
            }
        )
    else:
        form = LendingPolicyForm(
            initial={
                "lends": True,
                "lends_to_region": True,
                "fee": "0.00",
                "delivers_electronically": True,
                "answer_business_days": settings.SHARING_DEFAULT_ANSWER_BUSINESS_DAYS,
            }
        )
    return render(
        request,
        f"{TEMPLATES}/policy.html",
        {
            **context,
            "form": form,
            "policy": policy,
            "fee": ledger.dollars(policy.fee_cents) if policy else "",
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def closures(request: AuthenticatedRequest, organization_id: int) -> HttpResponse:
    context = _library(request, organization_id)
    form = ClosureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            holdings.closure_add(
                actor=request.user, organization_id=organization_id, **form.cleaned_data
            )
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, _("The closure is saved."))
            return redirect("sharing:closures", organization_id)
    return render(
        request,
        f"{TEMPLATES}/closures.html",
        {
            **context,
            "form": form,
            "closures": holdings.closures_list(actor=request.user, organization_id=organization_id),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
@require_POST
def closure_remove(
    request: AuthenticatedRequest, organization_id: int, closure_id: int
) -> HttpResponse:
    _library(request, organization_id)
    try:
        holdings.closure_remove(
            actor=request.user, organization_id=organization_id, closure_id=closure_id
        )
    except Closure.DoesNotExist:
        raise Http404 from None
    messages.success(request, _("The closure is removed."))
    return redirect("sharing:closures", organization_id)


@login_required
@require_http_methods(["GET", "POST"])
def preferred_lenders(request: AuthenticatedRequest, organization_id: int) -> HttpResponse:
    context = _library(request, organization_id)
    libraries = [(pk, label) for pk, label in organization_choices() if pk != organization_id]
    form = PreferredLendersForm(
        request.POST or None,
        libraries=libraries,
        initial_ids=holdings.preferred_lenders_of(organization_id=organization_id),
    )
    if request.method == "POST" and form.is_valid():
        try:
            holdings.preferred_lenders_set(
                actor=request.user, borrower_id=organization_id, lender_ids=form.lender_ids()
            )
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, _("Your preferred lenders are saved."))
            return redirect("sharing:preferred_lenders", organization_id)
    return render(
        request,
        f"{TEMPLATES}/preferred.html",
        {**context, "form": form},
        status=400 if form.is_bound and form.errors else 200,
    )


LIBRARY = "library/<int:organization_id>/"

urlpatterns = [
    path(f"{LIBRARY}holdings/", holdings_list, name="holdings"),
    path(f"{LIBRARY}holdings/new/", holding_new, name="holding_new"),
    path(f"{LIBRARY}holdings/<int:holding_id>/", holding_edit, name="holding_edit"),
    path(f"{LIBRARY}holdings/<int:holding_id>/delete/", holding_delete, name="holding_delete"),
    path(f"{LIBRARY}holdings/export.csv", holdings_export, name="holdings_export"),
    path(f"{LIBRARY}holdings/import/", holdings_import, name="holdings_import"),
    path(f"{LIBRARY}policy/", lending_policy, name="lending_policy"),
    path(f"{LIBRARY}closures/", closures, name="closures"),
    path(f"{LIBRARY}closures/<int:closure_id>/remove/", closure_remove, name="closure_remove"),
    path(f"{LIBRARY}preferred/", preferred_lenders, name="preferred_lenders"),
]
