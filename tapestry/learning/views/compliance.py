"""Staff compliance pages: the people in the caller's scope, one person's standing (with
bypasses for administrators), the audit trail and the reports with their CSV and chart.

Liaisons, engagement specialists, program staff and administrators only; what each sees is
`reports.scope_of` (the accounts middleware asks for two-factor sign-in of the roles that need
it; liaisons sign in with a password and see only their own organizations' learners). A person
outside the caller's scope is a 404, as is one who does not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tapestry.accounts.api import AuthenticatedRequest, Role, people_get, person_get
from tapestry.core.api import csv_lines
from tapestry.learning import reports, selectors, services
from tapestry.learning.forms.compliance import (
    AuditFilterForm,
    BypassForm,
    PeopleSearchForm,
    ReportForm,
    WithdrawForm,
)
from tapestry.learning.models import AuditEntry, Bypass, Completion, Requirement

View = Callable[..., HttpResponseBase]
PAGE_SIZE = 25
ROLE_LABELS = dict(Role.choices)


def staff_only(view: View) -> View:
    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not reports.is_staff(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _pages(page: Any) -> dict[str, Any]:
    return {
        "page": page.number,
        "num_pages": page.paginator.num_pages,
        "has_previous": page.has_previous(),
        "has_next": page.has_next(),
    }


@staff_only
@require_GET
def staff_home(request: AuthenticatedRequest) -> HttpResponse:
    scope = reports.scope_of(request.user)
    form = PeopleSearchForm(request.GET)
    if not form.is_valid():
        return render(
            request, "learning/compliance/home.html", {"form": form, "scope": scope}, status=400
        )
    search = form.cleaned_data["q"]
    paginator = Paginator(reports.people_with_requirements(scope, search=search), PAGE_SIZE)
    page = paginator.get_page(form.cleaned_data.get("page") or 1)
    people = list(page.object_list)
    counts = reports.counts_by_person(user_ids=[person.pk for person in people])
    return render(
        request,
        "learning/compliance/home.html",
        {
            "form": form,
            "scope": scope,
            "search": search,
            "rows": [(person, counts[person.pk]) for person in people],
            "result": _pages(page),
            "count": paginator.count,
            "can_read_audit": reports.can_read_audit(request.user),
        },
    )


def _person_in_scope(request: AuthenticatedRequest, user_id: int) -> Any:
    """The person if the caller's scope covers them; 404 otherwise (whether or not they exist)."""
    if not reports.in_scope(reports.scope_of(request.user), user_id=user_id):
        raise Http404
    person = person_get(user_id=user_id)
    if person is None:
        raise Http404
    return person


def _person_page(
    request: AuthenticatedRequest,
    person: Any,
    *,
    bypass_form: BypassForm | None = None,
    withdraw_forms: dict[int, WithdrawForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    statuses = selectors.compliance_of(user_id=person.id)
    completions = list(
        Completion.objects.filter(user_id=person.id)
        .select_related("course", "certificate")
        .order_by("-completed_at")
    )
    bypasses = list(
        Bypass.objects.filter(user_id=person.id)
        .select_related("requirement__course")
        .order_by("-granted_at")
    )
    granters = {
        granter.id: granter.name
        for granter in people_get(user_ids={bypass.granted_by_id for bypass in bypasses})
    }
    can_bypass = reports.can_bypass(request.user)
    requirement_ids = [item.requirement_id for item in statuses]
    withdraw_forms = withdraw_forms or {}
    return render(
        request,
        "learning/compliance/person.html",
        {
            "person": person,
            "statuses": [(item, ROLE_LABELS.get(item.role, item.role)) for item in statuses],
            "completions": completions,
            "bypasses": [
                (
                    bypass,
                    granters.get(bypass.granted_by_id, ""),
                    withdraw_forms.get(bypass.pk) or WithdrawForm(prefix=f"withdraw-{bypass.pk}"),
                )
                for bypass in bypasses
            ],
            "today": timezone.localdate(),
            "can_bypass": can_bypass and bool(requirement_ids),
            "bypass_form": bypass_form or BypassForm(requirement_ids=requirement_ids),
        },
        status=status,
    )


@staff_only
@require_GET
def person_compliance(request: AuthenticatedRequest, user_id: int) -> HttpResponse:
    return _person_page(request, _person_in_scope(request, user_id))


@staff_only
@require_POST
def bypass_new(request: AuthenticatedRequest, user_id: int) -> HttpResponse:
    person = _person_in_scope(request, user_id)
    if not reports.can_bypass(request.user):
        raise PermissionDenied
    requirement_ids = [item.requirement_id for item in selectors.compliance_of(user_id=person.id)]
    form = BypassForm(request.POST, requirement_ids=requirement_ids)
    if not form.is_valid():
        return _person_page(request, person, bypass_form=form, status=400)
    requirement: Requirement = form.cleaned_data["requirement"]
    try:
        services.bypass_grant(
            user_id=person.id,
            requirement=requirement,
            actor=request.user,
            reason=form.cleaned_data["reason"],
            ends_on=form.cleaned_data["ends_on"],
        )
    except services.LearningError as error:
        form.add_error(None, str(error))
        return _person_page(request, person, bypass_form=form, status=error.status)
    messages.success(
        request, _("The requirement is bypassed for %(name)s.") % {"name": person.name}
    )
    return redirect("learning:person_compliance", user_id=person.id)


@staff_only
@require_POST
def bypass_withdraw(request: AuthenticatedRequest, user_id: int, bypass_id: int) -> HttpResponse:
    person = _person_in_scope(request, user_id)
    if not reports.can_bypass(request.user):
        raise PermissionDenied
    # The bypass is looked up by the person too: an id from someone else's page is a 404.
    if not Bypass.objects.filter(pk=bypass_id, user_id=person.id).exists():
        raise Http404
    form = WithdrawForm(request.POST, prefix=f"withdraw-{bypass_id}")
    if not form.is_valid():
        return _person_page(request, person, withdraw_forms={bypass_id: form}, status=400)
    try:
        services.bypass_withdraw(
            bypass_id=bypass_id, actor=request.user, reason=form.cleaned_data["reason"]
        )
    except services.LearningError as error:
        form.add_error(None, str(error))
        return _person_page(request, person, withdraw_forms={bypass_id: form}, status=error.status)
    messages.success(request, _("The bypass is withdrawn."))
    return redirect("learning:person_compliance", user_id=person.id)


@staff_only
@require_GET
def audit(request: AuthenticatedRequest) -> HttpResponse:
    if not reports.can_read_audit(request.user):
        raise PermissionDenied
    form = AuditFilterForm(request.GET)
    if not form.is_valid():
        return render(request, "learning/compliance/audit.html", {"form": form}, status=400)
    entries = AuditEntry.objects.order_by("-occurred_at", "-pk")
    if form.cleaned_data.get("action"):
        entries = entries.filter(action=form.cleaned_data["action"])
    paginator = Paginator(entries, PAGE_SIZE)
    page = paginator.get_page(form.cleaned_data.get("page") or 1)
    rows = list(page.object_list)
    names = {
        person.id: person.name
        for person in people_get(
            user_ids={pk for row in rows for pk in (row.actor_id, row.person_id) if pk}
        )
    }
    return render(
        request,
        "learning/compliance/audit.html",
        {
            "form": form,
            "rows": [
                (row, names.get(row.actor_id or 0, ""), names.get(row.person_id or 0, ""))
                for row in rows
            ],
            "result": _pages(page),
        },
    )


CHART_WIDTH = 600
CHART_HEIGHT = 200


def _chart(points: list[reports.MonthPoint]) -> list[dict[str, Any]]:
    """Bars of the SVG chart: one per month, its height the share current."""
    width = CHART_WIDTH // max(len(points), 1)
    return [
        {
            "x": index * width + 6,
            "width": width - 12,
            "height": point.percent * CHART_HEIGHT // 100,
            "y": CHART_HEIGHT - point.percent * CHART_HEIGHT // 100,
            "point": point,
        }
        for index, point in enumerate(points)
    ]


def _grouping(request: HttpRequest) -> tuple[ReportForm, str | None]:
    form = ReportForm(request.GET)
    if not form.is_valid():
        return form, None
    return form, form.cleaned_data.get("group_by") or reports.Grouping.ROLE


@staff_only
@require_GET
def reports_page(request: AuthenticatedRequest) -> HttpResponse:
    form, grouping = _grouping(request)
    if grouping is None:
        return render(request, "learning/compliance/reports.html", {"form": form}, status=400)
    scope = reports.scope_of(request.user)
    rows = reports.compliance_counts(scope, grouping=grouping)
    points = reports.compliance_over_time(scope)
    return render(
        request,
        "learning/compliance/reports.html",
        {
            "form": form,
            "grouping": grouping,
            "grouping_label": dict(reports.Grouping.choices)[grouping],
            "rows": rows,
            "totals": reports.totals(rows),
            "points": points,
            "bars": _chart(points),
            "chart_width": CHART_WIDTH,
            "chart_height": CHART_HEIGHT,
            "scope": scope,
        },
    )


@staff_only
@require_http_methods(["GET"])
def reports_csv(request: AuthenticatedRequest) -> HttpResponse | StreamingHttpResponse:
    form, grouping = _grouping(request)
    if grouping is None:
        return render(request, "learning/compliance/reports.html", {"form": form}, status=400)
    rows = reports.compliance_counts(reports.scope_of(request.user), grouping=grouping)
    response = StreamingHttpResponse(
        csv_lines(reports.csv_rows(rows, grouping=grouping)), content_type="text/csv"
    )
    day = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="compliance-by-{grouping}-{day}.csv"'
    return response
