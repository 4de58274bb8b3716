import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.functional import SimpleLazyObject
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from tapestry.accounts.api import AuthenticatedRequest
from tapestry.core.api import audit_record
from tapestry.network import selectors
from tapestry.network.forms import (
    DecisionForm,
    DirectoryFilterForm,
    MembershipApplicationForm,
    OrganizationReviewForm,
)
from tapestry.network.models import MembershipApplication, RegionMap
from tapestry.network.permissions import (
    is_network_staff,
    organizations_editable_by,
    regions_for_export,
    regions_for_specialist,
)
from tapestry.network.services import (
    NetworkError,
    membership_application_decide,
    membership_application_submit,
    organization_review_confirm,
)


def _bad_request(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    return render(request, template, context, status=400)


@require_GET
def directory(request: HttpRequest) -> HttpResponse:
    form = DirectoryFilterForm(request.GET or None)
    template = (
        "network/directory.html#results"
        if request.headers.get("HX-Request")
        else "network/directory.html"
    )
    if request.GET and not form.is_valid():
        return _bad_request(request, template, {"form": form, "result": None})
    filters = form.filters() if request.GET else selectors.DirectoryFilters()
    page = (form.cleaned_data.get("page") if request.GET else None) or 1
    # The results are a cached fragment keyed on the query and the directory's version;
    # the search runs only when the template renders the fragment on a cache miss.
    result = SimpleLazyObject(lambda: selectors.organization_search(filters=filters, page=page))
    return render(
        request,
        template,
        {
            "form": form,
            "result": result,
            "can_export": is_network_staff(request.user),
            "directory_version": selectors.directory_version(),
        },
    )


@require_GET
def organization_detail(request: HttpRequest, organization_id: int) -> HttpResponse:
    organization = selectors.organization_get(organization_id=organization_id)
    if organization is None:
        raise Http404
    region = selectors.region_for_state(state_code=organization.state_id)
    return render(
        request,
        "network/organization_detail.html",
        {
            "organization": organization,
            "region_name": region.display_name(get_language()) if region else "",
            # An anonymous visitor's pk is None, as is the liaison of a record without one.
            "is_liaison": request.user.is_authenticated
            and organization.liaison_id == request.user.pk,
        },
    )


@require_GET
def region_map(request: HttpRequest) -> HttpResponse:
    maps = list(RegionMap.objects.all())
    chosen = request.GET.get("map")
    current = selectors.region_map_current()
    region_map_shown = next((m for m in maps if m.code == chosen), current) if chosen else current
    if chosen and region_map_shown.code != chosen:
        raise Http404
    rows = selectors.state_region_summary(region_map=region_map_shown)
    columns = max(row["state"].tile_column for row in rows) + 1
    tile_rows = max(row["state"].tile_row for row in rows) + 1
    return render(
        request,
        "network/region_map.html",
        {
            "maps": maps,
            "region_map": region_map_shown,
            "rows": rows,
            "regions": selectors.regions_with_member_counts(
                region_map=region_map_shown, language=get_language()
            ),
            "svg_width": columns * 52,
            "svg_height": tile_rows * 52,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def join(request: AuthenticatedRequest) -> HttpResponse:
    form = MembershipApplicationForm(request.POST or None)
    if request.method == "POST":
        if not form.is_valid():
            return _bad_request(request, "network/join.html", {"form": form})
        try:
            membership_application_submit(applicant=request.user, details=form.cleaned_data)
        except NetworkError as error:
            form.add_error(None, str(error))
            return _bad_request(request, "network/join.html", {"form": form})
        messages.success(
            request,
            _("Thank you. Your application was sent to your region's engagement specialists."),
        )
        return redirect("network:my_applications")
    return render(request, "network/join.html", {"form": form})


@login_required
@require_GET
def my_applications(request: AuthenticatedRequest) -> HttpResponse:
    return render(
        request,
        "network/my_applications.html",
        {
            "applications": selectors.applications_for_applicant(user=request.user),
            "organizations": selectors.organizations_for_liaison(user=request.user),
        },
    )


def _specialist_regions(request: HttpRequest):
    regions = regions_for_specialist(request.user)
    if not regions.exists():
        raise PermissionDenied
    return regions


@login_required
@require_GET
def review_queue(request: AuthenticatedRequest) -> HttpResponse:
    regions = _specialist_regions(request)
    return render(
        request,
        "network/review_queue.html",
        {
            "regions": regions,
            "pending": selectors.applications_for_regions(
                regions=regions, status=MembershipApplication.Status.PENDING
            ),
            "recent": selectors.applications_for_regions(regions=regions)
            .exclude(status=MembershipApplication.Status.PENDING)
            .order_by("-decided_at")[:10],
            "overdue": selectors.organizations_review_overdue(regions=regions)[:50],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def application_decide(request: AuthenticatedRequest, application_id: int) -> HttpResponse:
    regions = _specialist_regions(request)
    application = (
        selectors.applications_for_regions(regions=regions).filter(pk=application_id).first()
    )
    if application is None:
        raise Http404
    form = DecisionForm(request.POST or None)
    context = {"application": application, "form": form}
    if request.method == "POST":
        if not form.is_valid():
            return _bad_request(request, "network/application_decide.html", context)
        try:
            membership_application_decide(
                specialist=request.user,
                application_id=application.pk,
                approve=form.cleaned_data["decision"] == "approve",
                reason=form.cleaned_data["reason"],
            )
        except NetworkError as error:
            messages.error(request, str(error))
            return redirect("network:review_queue")
        messages.success(request, _("Decision saved and the applicant was emailed."))
        return redirect("network:review_queue")
    return render(request, "network/application_decide.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def organization_review(request: AuthenticatedRequest, organization_id: int) -> HttpResponse:
    organization = organizations_editable_by(request.user).filter(pk=organization_id).first()
    if organization is None:
        raise Http404
    form = OrganizationReviewForm(request.POST or None, instance=organization)
    context = {"organization": organization, "form": form}
    if request.method == "POST":
        if not form.is_valid():
            return _bad_request(request, "network/organization_review.html", context)
        try:
            organization_review_confirm(
                liaison=request.user, organization_id=organization.pk, details=form.cleaned_data
            )
        except NetworkError as error:
            form.add_error(None, str(error))
            return _bad_request(request, "network/organization_review.html", context)
        messages.success(request, _("Thank you. The record is confirmed for another year."))
        return redirect("network:organization_detail", organization_id=organization.pk)
    return render(request, "network/organization_review.html", context)


def _csv_safe(value) -> str:
    """Stop spreadsheet programs from running a cell as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class _Echo:
    def write(self, value: str) -> str:
        return value


@login_required
@require_GET
def directory_export(request: AuthenticatedRequest) -> HttpResponseBase:
    if not is_network_staff(request.user):
        raise PermissionDenied
    form = DirectoryFilterForm(request.GET)
    if not form.is_valid():
        return _bad_request(request, "network/directory.html", {"form": form, "result": None})
    rows = selectors.organization_export_rows(
        filters=form.filters(), regions=regions_for_export(request.user)
    )
    audit_record(
        actor=request.user, action="directory.export", data={"filters": request.GET.dict()}
    )
    writer = csv.writer(_Echo())
    header = [
        "id",
        "name",
        "type",
        "address_line1",
        "address_line2",
        "city",
        "state",
        "zip_code",
        "phone",
        "website",
        "library_id",
        "liaison_name",
        "liaison_email",
        "services",
        "joined_on",
        "last_reviewed_on",
        "review_due_on",
    ]

    def lines():
        yield writer.writerow(header)
        for org in rows.iterator(chunk_size=1000):
            yield writer.writerow(
                [
                    _csv_safe(value)
                    for value in [
                        org.pk,
                        org.name,
                        org.org_type,
                        org.address_line1,
                        org.address_line2,
                        org.city,
                        org.state_id,
                        org.zip_code,
                        org.phone,
                        org.website,
                        org.library_id,
                        org.liaison_name,
                        org.liaison_email,
                        "; ".join(f"{s}: {', '.join(a)}" for s, a in sorted(org.services.items())),
                        org.joined_on,
                        org.last_reviewed_on,
                        org.review_due_on,
                    ]
                ]
            )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="tapestry-directory.csv"'
    return response
