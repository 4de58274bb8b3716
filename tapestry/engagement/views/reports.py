"""Activity report pages: my reports, the report form (rows added with htmx, or without
JavaScript by the "Add a row" button), the CSV upload and its template, the pre-fill from an
event's attendance, the specialists' review queue and a report's page.

Reports are read through `selectors.report_visible_get` and changed through the services, each
scoped to the caller in the same query: someone else's report is a 404. The pages for writing
take the liaison role (else 403); the review queue takes the specialist role."""

import secrets
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tapestry.accounts.api import AuthenticatedRequest, Role, user_has_role
from tapestry.core.api import csv_lines
from tapestry.engagement import selectors, services
from tapestry.engagement.forms.reports import (
    CsvUploadForm,
    ReportForm,
    ReportRowFormSet,
    ReviewForm,
    formset_rows,
)
from tapestry.engagement.models import ActivityReport
from tapestry.engagement.report_csv import ReportCsvError, ReportRow, rows_from_csv, template_lines
from tapestry.engagement.services import event_local
from tapestry.network.api import organization_choices, organizations_get, organizations_of_liaison

TEMPLATES = "engagement/reports"


def _may_report(user: Any) -> bool:
    return bool(organizations_of_liaison(user_id=user.pk))


def _organizations_for(user: Any) -> list[tuple[int, str]]:
    allowed = set(organizations_of_liaison(user_id=user.pk))
    return [(pk, label) for pk, label in organization_choices() if pk in allowed]


def _events_for(user: Any) -> list[tuple[int, str]]:
    return [
        (event.pk, f"{event.title} ({event_local(event, event.starts_at):%Y-%m-%d})")
        for event in selectors.events_manageable(user=user)[:100]
    ]


def _report_of(request: AuthenticatedRequest, report_id: int) -> ActivityReport:
    report = selectors.report_visible_get(user=request.user, report_id=report_id)
    if report is None:
        raise Http404
    return report


def _row_formset(data: Any = None, *, initial: Any = None) -> Any:
    """The rows' formset, its element ids new on every rendering: when "Add a row" swaps the
    table in with htmx, no new element shares an id with an old one, so htmx has no
    attributes to carry over (its settling would write `style` attributes, which the
    Content Security Policy refuses)."""
    return ReportRowFormSet(data, initial=initial, auto_id=f"id_r{secrets.token_hex(4)}_%s")


def _rows_initial(rows: list[ReportRow]) -> list[dict[str, Any]]:
    return [
        {"participants": row.participants, "zip_code": row.zip_code, "role": row.role}
        for row in rows
    ]


def _name_organizations(reports: Any) -> None:
    names = organizations_get(organization_ids={report.organization_id for report in reports})
    for report in reports:
        found = names.get(report.organization_id)
        report.organization_name = found.name if found else ""


def _page_number(request: AuthenticatedRequest) -> int:
    page = request.GET.get("page", "1")
    return int(page) if page.isdigit() and 0 < int(page) < 100000 else 1


@login_required
@require_GET
def my_reports(request: AuthenticatedRequest) -> HttpResponse:
    if not _may_report(request.user):
        raise PermissionDenied
    page = selectors.reports_of_author(user=request.user, page=_page_number(request))
    _name_organizations(page)
    return render(request, f"{TEMPLATES}/my_reports.html", {"page": page})


def _render_form(
    request: AuthenticatedRequest,
    *,
    form: ReportForm,
    formset: Any,
    report: ActivityReport | None,
    status: int = 200,
) -> HttpResponse:
    template = f"{TEMPLATES}/report_form.html"
    if request.headers.get("HX-Request") and "add_row" in request.POST:
        template += "#rows"
    return render(
        request,
        template,
        {
            "form": form,
            "formset": formset,
            "report": report,
            "upload_form": CsvUploadForm(),
            "events": _events_for(request.user),
            "adding": "add_row" in request.POST,
        },
        status=status,
    )


def _rows_posted(data: Any) -> list[dict[str, str]]:
    """The rows as typed so far (the "Add a row" button keeps them)."""
    total = data.get("form-TOTAL_FORMS", "0")
    count = min(int(total), settings.ENGAGEMENT_REPORT_MAX_ROWS) if total.isdigit() else 0
    return [
        {
            name: data.get(f"form-{index}-{name}", "")
            for name in ("participants", "zip_code", "role")
        }
        for index in range(count)
        if not data.get(f"form-{index}-DELETE")
    ]


def _report_edit(request: AuthenticatedRequest, report: ActivityReport | None) -> HttpResponse:
    organizations = _organizations_for(request.user)
    events = _events_for(request.user)
    if request.method == "POST" and "add_row" in request.POST:
        # Show the table with one more row, keeping what was typed, without judging the
        # half-filled form yet.
        data = request.POST
        return _render_form(
            request,
            form=ReportForm(initial=data.dict(), organizations=organizations, events=events),
            formset=_row_formset(initial=[*_rows_posted(data), {}]),
            report=report,
        )
    if report is None:
        initial: dict[str, Any] = {}
        if len(organizations) == 1:
            initial["organization_id"] = organizations[0][0]
        rows_initial: list[dict[str, Any]] = [{}]
    else:
        initial = {
            "organization_id": report.organization_id,
            "title": report.title,
            "activity_type": report.activity_type,
            "delivery": report.delivery,
            "activity_date": report.activity_date.isoformat(),
            "event_id": report.event_id,
        }
        rows_initial = [
            {"participants": row.participants, "zip_code": row.zip_code, "role": row.role}
            for row in report.rows.all()
        ]
    if request.method != "POST":
        return _render_form(
            request,
            form=ReportForm(initial=initial, organizations=organizations, events=events),
            formset=_row_formset(initial=rows_initial),
            report=report,
        )
    form = ReportForm(request.POST, organizations=organizations, events=events)
    formset = _row_formset(request.POST)
    if form.is_valid() and formset.is_valid():
        try:
            saved = services.activity_report_save(
                actor=request.user,
                details=form.cleaned_data,
                rows=formset_rows(formset),
                report_id=report.pk if report else None,
            )
            if "send_for_review" in request.POST:
                services.activity_report_submit(actor=request.user, report_id=saved.pk)
        except services.ReportNotFound as missing:
            raise Http404 from missing
        except services.ReportError as refusal:
            form.add_error(None, str(refusal))
        else:
            if "send_for_review" in request.POST:
                messages.success(
                    request, _("Report submitted to the engagement specialists of your region.")
                )
            else:
                messages.success(request, _("Report saved as a draft."))
            return redirect("engagement:report_detail", report_id=saved.pk)
    return _render_form(request, form=form, formset=formset, report=report, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def report_new(request: AuthenticatedRequest) -> HttpResponse:
    if not _may_report(request.user):
        raise PermissionDenied
    event_id = request.GET.get("event", "")
    if request.method == "GET" and event_id.isdigit():
        return _prefilled(request, int(event_id))
    return _report_edit(request, None)


def _prefilled(request: AuthenticatedRequest, event_id: int) -> HttpResponse:
    """A new report's form filled from an event's attendance (the event must be the caller's)."""
    try:
        rows = services.report_rows_from_attendance(actor=request.user, event_id=event_id)
    except services.ReportNotFound as missing:
        raise Http404 from missing
    event = selectors.event_manageable_get(user=request.user, event_id=event_id)
    assert event is not None  # the service found it in the same scope
    organizations = _organizations_for(request.user)
    initial = {
        "organization_id": event.organization_id
        if any(pk == event.organization_id for pk, _label in organizations)
        else None,
        "title": event.title,
        "activity_type": "training",
        "delivery": {"in_person": "in_person", "virtual": "virtual", "hybrid": "both"}[
            event.format
        ],
        "activity_date": event_local(event, event.starts_at).date().isoformat(),
        "event_id": event.pk,
    }
    if not rows:
        messages.info(request, _("Nobody was checked in at this event yet, so there are no rows."))
    return _render_form(
        request,
        form=ReportForm(
            initial=initial, organizations=organizations, events=_events_for(request.user)
        ),
        formset=_row_formset(initial=_rows_initial(rows) or [{}]),
        report=None,
    )


@login_required
@require_http_methods(["GET", "POST"])
def report_edit(request: AuthenticatedRequest, report_id: int) -> HttpResponse:
    report = _report_of(request, report_id)
    if not _may_report(request.user) or not report.is_editable:
        raise PermissionDenied
    if (
        report.author_id != request.user.pk
        and report.organization_id not in organizations_of_liaison(user_id=request.user.pk)
    ):
        raise Http404
    return _report_edit(request, report)


@login_required
@require_http_methods(["GET", "POST"])
def report_upload(request: AuthenticatedRequest, report_id: int) -> HttpResponse:
    """Replace a draft's rows with a CSV file's; nothing is kept unless every row is right."""
    report = _report_of(request, report_id)
    if not report.is_editable or report.organization_id not in organizations_of_liaison(
        user_id=request.user.pk
    ):
        raise Http404
    form = CsvUploadForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > 0 and upload.size > _max_bytes():
                raise ReportCsvError(
                    [
                        _("The file is too big: at most %(size)s KB.")
                        % {"size": _max_bytes() // 1024}
                    ]
                )
            rows = rows_from_csv(upload.read(_max_bytes() + 1), file_name=upload.name)
            services.activity_report_save(
                actor=request.user,
                details={
                    "activity_type": report.activity_type,
                    "delivery": report.delivery,
                    "activity_date": report.activity_date,
                    "title": report.title,
                    "event_id": report.event_id,
                },
                rows=rows,
                report_id=report.pk,
            )
        except ReportCsvError as error:
            problems = error.problems
        except services.ReportError as refusal:
            problems = [str(refusal)]
        else:
            messages.success(
                request, _("%(count)s rows read from the file.") % {"count": len(rows)}
            )
            return redirect("engagement:report_edit", report_id=report.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        f"{TEMPLATES}/upload.html",
        {"report": report, "form": form, "problems": problems},
        status=status,
    )


def _max_bytes() -> int:
    return int(settings.ENGAGEMENT_REPORT_CSV_MAX_BYTES)


@login_required
@require_GET
def report_csv_template(request: AuthenticatedRequest) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_lines(template_lines()), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="activity-report-rows.csv"'
    return response


@login_required
@require_POST
def report_submit(request: AuthenticatedRequest, report_id: int) -> HttpResponseBase:
    report = _report_of(request, report_id)
    try:
        services.activity_report_submit(actor=request.user, report_id=report.pk)
    except services.ReportNotFound as missing:
        raise Http404 from missing
    except services.ReportError as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(
            request, _("Report submitted to the engagement specialists of your region.")
        )
    return redirect("engagement:report_detail", report_id=report.pk)


@login_required
@require_GET
def report_detail(request: AuthenticatedRequest, report_id: int) -> HttpResponse:
    report = _report_of(request, report_id)
    may_review = report.is_awaiting_review and report.region_code in (
        services.region_codes_of_specialist(user_id=request.user.pk)
        if user_has_role(request.user, Role.ENGAGEMENT_SPECIALIST)
        else []
    )
    may_edit = report.is_editable and report.organization_id in organizations_of_liaison(
        user_id=request.user.pk
    )
    organization = organizations_get(organization_ids=[report.organization_id]).get(
        report.organization_id
    )
    return render(
        request,
        f"{TEMPLATES}/detail.html",
        {
            "report": report,
            "rows": report.rows.all(),
            "organization": organization,
            "may_review": may_review,
            "may_edit": may_edit,
            "review_form": ReviewForm() if may_review else None,
        },
    )


@login_required
@require_GET
def review_queue(request: AuthenticatedRequest) -> HttpResponse:
    if not user_has_role(request.user, Role.ENGAGEMENT_SPECIALIST):
        raise PermissionDenied
    page = selectors.report_review_queue(user=request.user, page=_page_number(request))
    _name_organizations(page)
    return render(request, f"{TEMPLATES}/review_queue.html", {"page": page})


@login_required
@require_POST
def report_review(request: AuthenticatedRequest, report_id: int) -> HttpResponseBase:
    report = _report_of(request, report_id)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("engagement:report_detail", report_id=report.pk)
    try:
        services.activity_report_review(
            actor=request.user,
            report_id=report.pk,
            accept=form.cleaned_data["decision"] == "accept",
            comments=form.cleaned_data["comments"],
        )
    except services.ReportNotFound as missing:
        raise Http404 from missing
    except services.ReportError as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(
            request,
            _("Report accepted; the author was emailed.")
            if form.cleaned_data["decision"] == "accept"
            else _("Report returned; the author was emailed your comments."),
        )
    return redirect("engagement:report_detail", report_id=report.pk)
