"""Researcher access: the workbench home, the access page (what a researcher still needs), the
Data User Code of Conduct, the public list of projects, a researcher's own log, and program
staff's pages (researchers' access, identity, bypasses, the whole log)."""

import datetime
import itertools
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tapestry.accounts.api import AuthenticatedRequest
from tapestry.core.api import csv_lines
from tapestry.research import selectors, services
from tapestry.research.access import CONTROLLED, REGISTERED, access_of, conduct_current
from tapestry.research.forms import (
    BypassGrantForm,
    ConductSignForm,
    IdentityAttestForm,
    IdentityWithdrawForm,
    LogFilterForm,
    ProjectSearchForm,
    ResearcherSearchForm,
    StaffLogSearchForm,
)
from tapestry.research.models import ConductSignature, Requirement
from tapestry.research.permissions import (
    access_change_log,
    can_manage_research_access,
    is_researcher,
)
from tapestry.research.views.browser import _page_number

View = Callable[..., HttpResponseBase]


def researcher_required(view: View) -> View:
    """Signed in (else the sign-in page) and holding the researcher role (else 403)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_researcher(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def staff_required(view: View) -> View:
    """Signed in (else the sign-in page) as program staff or an administrator (else 403);
    the two-factor middleware already asked them for their code."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not can_manage_research_access(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


# A researcher's own pages


@require_GET
@researcher_required
def workbench_home(request: AuthenticatedRequest) -> HttpResponse:
    state = access_of(request.user)
    access_change_log(request.user, state)
    return render(
        request,
        "research/workbench/home.html",
        {
            "access": state,
            "missing": state.missing(),
            "workspaces": selectors.workspaces_of(user_id=request.user.pk),
        },
    )


def _access_page(
    request: AuthenticatedRequest, *, status: int = 200, error: str = ""
) -> HttpResponse:
    state = access_of(request.user)
    access_change_log(request.user, state)
    return render(
        request,
        "research/workbench/access.html",
        {
            "access": state,
            "missing": state.missing(),
            "registered": [item for item in state.requirements if item.requirement in REGISTERED],
            "controlled": [item for item in state.requirements if item.requirement in CONTROLLED],
            "identity_met": any(
                item.met for item in state.requirements if item.requirement == Requirement.IDENTITY
            ),
            "institutions": selectors.institutions_in_force(on=timezone.localdate()),
            "identity_requested_at": selectors.identity_request_open(user_id=request.user.pk),
            "error": error,
        },
        status=status,
    )


@require_GET
@researcher_required
def access_page(request: AuthenticatedRequest) -> HttpResponse:
    return _access_page(request)


@require_POST
@researcher_required
def identity_request(request: AuthenticatedRequest) -> HttpResponse:
    try:
        services.identity_check_request(user=request.user)
    except services.AccessRefused as refusal:
        return _access_page(request, status=409, error=str(refusal))
    messages.success(
        request, _("Program staff will email you to arrange a short call to confirm who you are.")
    )
    return redirect("research:access")


@require_http_methods(["GET", "POST"])
@researcher_required
def conduct(request: AuthenticatedRequest) -> HttpResponse:
    current = conduct_current()
    form = ConductSignForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if current is None:
            raise Http404
        if form.is_valid():
            try:
                services.conduct_sign(
                    user=request.user,
                    version_id=form.cleaned_data["version"],
                    typed_name=form.cleaned_data["typed_name"],
                )
            except services.AccessRefused as refusal:
                form.add_error(None, str(refusal))
                status = 409
            else:
                messages.success(request, _("Thank you: you signed the Data User Code of Conduct."))
                return redirect("research:access")
    signature = (
        ConductSignature.objects.filter(user_id=request.user.pk, version=current).first()
        if current
        else None
    )
    if current is not None and request.method == "GET":
        form = ConductSignForm(initial={"version": current.pk})
    spanish = (get_language() or "en").startswith("es")
    return render(
        request,
        "research/workbench/conduct.html",
        {
            "version": current,
            "text": (current.text_es if spanish else current.text_en) if current else "",
            "signature": signature,
            "form": form,
        },
        status=status,
    )


@require_GET
@researcher_required
def my_log(request: AuthenticatedRequest) -> HttpResponse:
    form = LogFilterForm(request.GET)
    action = form.cleaned_data["action"] if form.is_valid() else ""
    return render(
        request,
        "research/workbench/log.html",
        {
            "form": form,
            "result": selectors.research_log_of(
                user_id=request.user.pk, action=action, page=_page_number(request)
            ),
        },
        status=200 if form.is_valid() else 400,
    )


# The public list of projects


@require_GET
def projects(request: HttpRequest) -> HttpResponse:
    form = ProjectSearchForm(request.GET)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    response = render(
        request,
        "research/workbench/projects.html",
        {
            "form": form,
            "query": query,
            "result": selectors.public_projects(query=query, page=_page_number(request)),
        },
        status=200 if form.is_valid() else 400,
    )
    patch_vary_headers(response, ["HX-Request"])
    return response


# Program staff


@require_GET
@staff_required
def staff_researchers(request: HttpRequest) -> HttpResponse:
    form = ResearcherSearchForm(request.GET)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    return render(
        request,
        "research/workbench/staff_researchers.html",
        {
            "form": form,
            "result": selectors.researchers_search(query=query, page=_page_number(request)),
        },
        status=200 if form.is_valid() else 400,
    )


def _researcher_page(
    request: HttpRequest, user_id: int, *, status: int = 200, **forms: Any
) -> HttpResponse:
    record = selectors.researcher_record(user_id=user_id)
    if record is None:
        raise Http404
    return render(
        request,
        "research/workbench/staff_researcher.html",
        {
            "record": record,
            "today": timezone.localdate(),
            "attest_form": forms.get("attest_form") or IdentityAttestForm(),
            "withdraw_form": forms.get("withdraw_form") or IdentityWithdrawForm(),
            "bypass_form": forms.get("bypass_form")
            or BypassGrantForm(
                initial={
                    "ends_on": (timezone.localdate() + datetime.timedelta(days=30)).isoformat()
                }
            ),
            "error": forms.get("error", ""),
        },
        status=status,
    )


@require_GET
@staff_required
def staff_researcher(request: HttpRequest, user_id: int) -> HttpResponse:
    return _researcher_page(request, user_id)


def _staff_act(
    request: HttpRequest,
    user_id: int,
    form_name: str,
    form: Any,
    act: Callable[[dict[str, Any]], object],
    done: str,
) -> HttpResponse:
    """Run a staff action from a valid form; else the page again with the form's errors."""
    if selectors.researcher_record(user_id=user_id) is None:
        raise Http404
    if not form.is_valid():
        return _researcher_page(request, user_id, status=400, **{form_name: form})
    try:
        act(form.cleaned_data)
    except services.AccessRefused as refusal:
        return _researcher_page(request, user_id, status=409, error=str(refusal))
    messages.success(request, done)
    return redirect("research:staff_researcher", user_id=user_id)


@require_POST
@staff_required
def staff_identity_attest(request: HttpRequest, user_id: int) -> HttpResponse:
    return _staff_act(
        request,
        user_id,
        "attest_form",
        IdentityAttestForm(request.POST),
        lambda data: services.identity_attest(
            actor=request.user, user_id=user_id, method=data["method"], note=data["note"]
        ),
        _("Identity confirmed. The researcher has been told by email."),
    )


@require_POST
@staff_required
def staff_identity_withdraw(request: HttpRequest, user_id: int) -> HttpResponse:
    return _staff_act(
        request,
        user_id,
        "withdraw_form",
        IdentityWithdrawForm(request.POST),
        lambda data: services.identity_withdraw(
            actor=request.user, user_id=user_id, reason=data["reason"]
        ),
        _("Identity confirmation withdrawn. The researcher has been told by email."),
    )


@require_POST
@staff_required
def staff_bypass_grant(request: HttpRequest, user_id: int) -> HttpResponse:
    return _staff_act(
        request,
        user_id,
        "bypass_form",
        BypassGrantForm(request.POST),
        lambda data: services.bypass_grant(
            actor=request.user,
            user_id=user_id,
            requirement=data["requirement"],
            reason=data["reason"],
            ends_on=data["ends_on"],
        ),
        _("Bypass granted. The researcher has been told by email."),
    )


@require_POST
@staff_required
def staff_bypass_withdraw(request: HttpRequest, user_id: int, bypass_id: int) -> HttpResponse:
    if selectors.researcher_record(user_id=user_id) is None:
        raise Http404
    try:
        services.bypass_withdraw(actor=request.user, user_id=user_id, bypass_id=bypass_id)
    except services.AccessRefused as refusal:
        return _researcher_page(request, user_id, status=409, error=str(refusal))
    messages.success(request, _("Bypass withdrawn. The researcher has been told by email."))
    return redirect("research:staff_researcher", user_id=user_id)


def _log_filters(form: StaffLogSearchForm) -> selectors.LogFilters:
    data = form.cleaned_data
    return selectors.LogFilters(
        email=data["email"].strip(),
        action=data["action"],
        date_from=data["date_from"],
        date_to=data["date_to"],
        workspace=data["workspace"].strip(),
    )


@require_GET
@staff_required
def staff_log(request: HttpRequest) -> HttpResponse:
    form = StaffLogSearchForm(request.GET)
    valid = form.is_valid()
    filters = _log_filters(form) if valid else selectors.LogFilters()
    return render(
        request,
        "research/workbench/staff_log.html",
        {
            "form": form,
            "result": selectors.research_log_page(filters=filters, page=_page_number(request)),
            "query": request.GET.urlencode(),
        },
        status=200 if valid else 400,
    )


@require_GET
@staff_required
def staff_log_csv(request: HttpRequest) -> HttpResponseBase:
    form = StaffLogSearchForm(request.GET)
    if not form.is_valid():
        return HttpResponse(
            _("The search is not valid: correct it on the log page."),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    rows = selectors.research_log_search(filters=_log_filters(form))
    header = ["when", "person", "actor", "action", "workspace", "summary"]
    entries = (
        [
            timezone.localtime(entry.at).isoformat(timespec="seconds"),
            entry.user.email if entry.user else "",
            entry.actor.email if entry.actor else "",
            entry.action,
            entry.workspace.name if entry.workspace else "",
            entry.summary,
        ]
        for entry in rows.iterator(chunk_size=2000)
    )
    lines = csv_lines(itertools.chain([header], entries))
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="research-log.csv"'
    return response
