from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tapestry.accounts.api import AuthenticatedRequest
from tapestry.network import exports, selectors
from tapestry.network.forms import (
    DecisionForm,
    DirectoryFilterForm,
    LiaisonEmailResendForm,
    MembershipApplicationForm,
    OrganizationReviewForm,
)
from tapestry.network.join_draft import join_draft, join_draft_forget, join_draft_save
from tapestry.network.models import MembershipApplication, Region, RegionMap
from tapestry.network.permissions import (
    is_network_staff,
    organizations_editable_by,
    regions_for_specialist,
)
from tapestry.network.services import (
    ConfirmationLinkInvalid,
    NetworkError,
    OwnApplication,
    liaison_email_confirm,
    liaison_email_confirmation_read,
    liaison_email_confirmation_resend,
    membership_application_decide,
    membership_application_submit,
    organization_review_confirm,
)


def _bad_request(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    return render(request, template, context, status=400)


# The directory's select filters: their drawn fragment is cached on these values alone.
_DIRECTORY_CHOICE_FILTERS = ("org_type", "state", "region", "service", "audience")


@require_GET
def directory(request: HttpRequest) -> HttpResponse:
    form = DirectoryFilterForm(request.GET or None)
    template = (
        "network/directory.html#results"
        if request.headers.get("HX-Request")
        else "network/directory.html"
    )
    choices_key = "&".join(
        f"{name}={request.GET.get(name, '')}" for name in _DIRECTORY_CHOICE_FILTERS
    )
    if request.GET and not form.is_valid():
        return _bad_request(
            request, template, {"form": form, "result": None, "choices_key": choices_key}
        )
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
            "choices_key": choices_key,
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


@require_http_methods(["GET", "POST"])
def join(request: HttpRequest) -> HttpResponse:
    """The join form. A visitor sees why an account is needed and may fill the form first."""
    if not request.user.is_authenticated:
        return _join_as_visitor(request)
    authenticated = cast(AuthenticatedRequest, request)
    draft = join_draft(request)
    if request.method == "GET":
        form = MembershipApplicationForm(initial=draft) if draft else MembershipApplicationForm()
        return render(request, "network/join.html", {"form": form, "restored_draft": bool(draft)})
    form = MembershipApplicationForm(request.POST)
    if not form.is_valid():
        return _bad_request(request, "network/join.html", {"form": form})
    try:
        membership_application_submit(
            applicant=authenticated.user, details=form.cleaned_data, language=get_language()
        )
    except NetworkError as error:
        form.add_error(None, str(error))
        return _bad_request(request, "network/join.html", {"form": form})
    join_draft_forget(request)
    messages.success(
        request,
        _(
            "Thank you. Your application was sent to your region's engagement specialists, "
            "and we emailed you a receipt."
        ),
    )
    return redirect("network:my_applications")


def _join_as_visitor(request: HttpRequest) -> HttpResponse:
    """Explain the account, keep what the visitor typed, and send them to get one."""
    if request.method == "POST":
        join_draft_save(request, data=request.POST)
        # Said again on the sign-up or sign-in page, so the detour does not come without a word.
        messages.info(
            request,
            _(
                "We kept what you typed in the join form. Once you are signed in, with your "
                "email confirmed, we bring you back to it to send your application."
            ),
        )
        step = "account_login" if request.POST.get("then") == "sign_in" else "account_signup"
        return redirect(f"{reverse(step)}?{urlencode({'next': reverse('network:join')})}")
    draft = join_draft(request)
    form = MembershipApplicationForm(initial=draft) if draft else MembershipApplicationForm()
    return render(
        request,
        "network/join.html",
        {
            "form": form,
            "visitor": True,
            "restored_draft": bool(draft),
            "sign_up_url": f"{reverse('account_signup')}?{urlencode({'next': reverse('network:join')})}",
        },
    )


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


@require_http_methods(["GET", "POST"])
def liaison_email_confirm_view(request: HttpRequest, token: str) -> HttpResponse:
    """The page a liaison-email link opens: a button confirms (a GET alone changes nothing, so
    mail scanners that follow links confirm nothing)."""
    template = "network/liaison_email_confirm.html"
    try:
        if request.method == "POST":
            record = liaison_email_confirm(token=token)
            messages.success(
                request,
                _("Thank you. %(email)s is confirmed as the liaison email of %(name)s.")
                % {"email": record.liaison_email, "name": record.name},
            )
            return redirect("network:liaison_email_confirm", token=token)
        record = liaison_email_confirmation_read(token=token)
    except ConfirmationLinkInvalid as error:
        return _bad_request(request, template, {"error": str(error)})
    return render(request, template, {"record": record})


@login_required
@require_POST
def liaison_email_resend(request: AuthenticatedRequest) -> HttpResponse:
    """Send the liaison-email link again for the person's own application or record."""
    form = LiaisonEmailResendForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("That request was not understood; no link was sent."))
        return redirect("network:my_applications")
    try:
        record = liaison_email_confirmation_resend(
            user=request.user,
            kind=form.cleaned_data["kind"],
            record_id=form.cleaned_data["record_id"],
            language=get_language(),
        )
    except NetworkError as error:
        messages.error(request, str(error))
        return redirect("network:my_applications")
    messages.success(
        request, _("We sent a new link to %(email)s.") % {"email": record.liaison_email}
    )
    return redirect("network:my_applications")


def _specialist_regions(request: HttpRequest) -> QuerySet[Region]:
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
    # An empty POST is still a POST: bind it, so the missing decision is reported.
    form = DecisionForm(request.POST if request.method == "POST" else None)
    own_application = application.applicant_id == request.user.pk
    context = {"application": application, "form": form, "own_application": own_application}
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
        except OwnApplication as error:
            messages.error(request, str(error))
            return render(request, "network/application_decide.html", context, status=403)
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
    form = OrganizationReviewForm(
        request.POST if request.method == "POST" else None, instance=organization
    )
    context = {"organization": organization, "form": form}
    if request.method == "POST":
        if not form.is_valid():
            return _bad_request(request, "network/organization_review.html", context)
        try:
            organization_review_confirm(
                liaison=request.user,
                organization_id=organization.pk,
                details=form.cleaned_data,
                language=get_language(),
            )
        except NetworkError as error:
            form.add_error(None, str(error))
            return _bad_request(request, "network/organization_review.html", context)
        messages.success(request, _("Thank you. The record is confirmed for another year."))
        return redirect("network:organization_detail", organization_id=organization.pk)
    return render(request, "network/organization_review.html", context)


@login_required
@require_GET
def directory_export(request: AuthenticatedRequest) -> HttpResponseBase:
    if not is_network_staff(request.user):
        raise PermissionDenied
    form = DirectoryFilterForm(request.GET)
    if not form.is_valid():
        return _bad_request(request, "network/directory.html", {"form": form, "result": None})
    lines = exports.directory_csv(
        actor=request.user, filters=form.filters(), query=request.GET.dict()
    )
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="tapestry-directory.csv"'
    return response
