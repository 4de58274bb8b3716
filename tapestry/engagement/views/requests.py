"""Engagement request pages: "Design a program with us" (the form), the list of requests one
may see, a request's page (its thread, milestones and, for its specialists, the status and
milestone forms) and its conversion into an event (the events part's form, pre-filled).

Every request is fetched through `selectors.request_visible_get`, scoped to the caller: the
requester sees their own, specialists their regions', program staff all; anyone else a 404."""

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tapestry.accounts.api import AuthenticatedRequest
from tapestry.engagement import selectors, services
from tapestry.engagement.demo import state_time_zones
from tapestry.engagement.forms.events import EventForm
from tapestry.engagement.forms.requests import (
    EngagementRequestForm,
    MessageForm,
    MilestoneForm,
    StatusForm,
)
from tapestry.engagement.models import EngagementRequest
from tapestry.network.api import (
    organization_choices,
    organizations_get,
    organizations_in_regions,
    organizations_of_liaison,
    region_codes_of_specialist,
    state_choices,
)

TEMPLATES = "engagement/requests"


def _request_of(request: AuthenticatedRequest, request_id: int) -> EngagementRequest:
    found = selectors.request_visible_get(user=request.user, request_id=request_id)
    if found is None:
        raise Http404
    return found


@login_required
@require_GET
def request_list(request: AuthenticatedRequest) -> HttpResponse:
    return render(
        request,
        f"{TEMPLATES}/list.html",
        {"requests": selectors.requests_visible(user=request.user)[:200]},
    )


@login_required
@require_http_methods(["GET", "POST"])
def request_new(request: AuthenticatedRequest) -> HttpResponse:
    allowed = set(organizations_of_liaison(user_id=request.user.pk))
    organizations = [(pk, label) for pk, label in organization_choices() if pk in allowed]
    form = EngagementRequestForm(
        request.POST or None,
        organizations=organizations,
        states=state_choices(language=get_language()),
    )
    if request.method == "POST" and form.is_valid():
        try:
            created = services.engagement_request_create(
                actor=request.user, details=form.cleaned_data
            )
        except services.RequestError as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(
                request,
                _("Thank you. The engagement specialists of your region have your request."),
            )
            return redirect("engagement:request_detail", request_id=created.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, f"{TEMPLATES}/form.html", {"form": form}, status=status)


def _detail(
    request: AuthenticatedRequest,
    found: EngagementRequest,
    *,
    message_form: MessageForm | None = None,
    status_form: StatusForm | None = None,
    milestone_form: MilestoneForm | None = None,
    status: int = 200,
) -> HttpResponse:
    handles = services.request_handles(request.user, found)
    next_statuses = services.REQUEST_NEXT[found.status] if handles else ()
    if status_form is None and next_statuses:
        status_form = StatusForm()
    if status_form is not None:
        status_form.fields["status"].choices = [  # type: ignore[attr-defined]
            (value, label)
            for value, label in EngagementRequest.Status.choices
            if value in next_statuses
        ]
    organization = (
        organizations_get(organization_ids=[found.organization_id]).get(found.organization_id)
        if found.organization_id
        else None
    )
    return render(
        request,
        f"{TEMPLATES}/detail.html",
        {
            "found": found,
            "organization": organization,
            "thread": found.messages.select_related("author"),
            "milestones": found.milestones.all(),
            "handles": handles,
            "message_form": message_form or MessageForm(),
            "status_form": status_form if next_statuses else None,
            "milestone_form": (
                milestone_form or MilestoneForm(initial={"on": timezone.localdate().isoformat()})
            )
            if handles
            else None,
            "may_convert": handles
            and found.event_id is None
            and found.status not in ("completed", "declined"),
        },
        status=status,
    )


@login_required
@require_GET
def request_detail(request: AuthenticatedRequest, request_id: int) -> HttpResponse:
    return _detail(request, _request_of(request, request_id))


@login_required
@require_POST
def request_message(request: AuthenticatedRequest, request_id: int) -> HttpResponseBase:
    found = _request_of(request, request_id)
    form = MessageForm(request.POST)
    if form.is_valid():
        try:
            services.engagement_request_message_post(
                actor=request.user, request_id=found.pk, body=form.cleaned_data["body"]
            )
        except services.RequestError as refusal:
            form.add_error("body", str(refusal))
        else:
            messages.success(request, _("Message sent."))
            return redirect("engagement:request_detail", request_id=found.pk)
    return _detail(request, found, message_form=form, status=400)


@login_required
@require_POST
def request_status(request: AuthenticatedRequest, request_id: int) -> HttpResponseBase:
    found = _request_of(request, request_id)
    if not services.request_handles(request.user, found):
        raise Http404
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            services.engagement_request_status_set(
                actor=request.user,
                request_id=found.pk,
                status=form.cleaned_data["status"],
                note=form.cleaned_data["note"],
            )
        except services.RequestError as refusal:
            form.add_error("status", str(refusal))
        else:
            messages.success(request, _("Status changed; the requester was emailed."))
            return redirect("engagement:request_detail", request_id=found.pk)
    return _detail(request, found, status_form=form, status=400)


@login_required
@require_POST
def request_milestone(request: AuthenticatedRequest, request_id: int) -> HttpResponseBase:
    found = _request_of(request, request_id)
    if not services.request_handles(request.user, found):
        raise Http404
    form = MilestoneForm(request.POST)
    if form.is_valid():
        try:
            services.engagement_request_milestone_add(
                actor=request.user,
                request_id=found.pk,
                on=form.cleaned_data["on"],
                note=form.cleaned_data["note"],
            )
        except services.RequestError as refusal:
            form.add_error("note", str(refusal))
        else:
            messages.success(request, _("Milestone added."))
            return redirect("engagement:request_detail", request_id=found.pk)
    return _detail(request, found, milestone_form=form, status=400)


def event_organizations_for(user: Any) -> list[tuple[int, str]]:
    """The member organizations a specialist may hold the event at: their regions'."""
    allowed = set(
        organizations_in_regions(region_codes=region_codes_of_specialist(user_id=user.pk))
    )
    allowed |= set(organizations_of_liaison(user_id=user.pk))
    return [(pk, label) for pk, label in organization_choices() if pk in allowed]


def _event_initial(found: EngagementRequest) -> dict[str, Any]:
    starts = datetime.datetime.combine(found.preferred_date_1, datetime.time(18, 0))
    # The title in the language the program will be held in.
    with translation.override(found.language):
        title = _("%(topic)s for %(audience)s") % {
            "topic": found.get_focus_area_display(),
            "audience": found.audience,
        }
    return {
        "title": title,
        "description": found.notes,
        "focus_area": found.focus_area,
        "audience": found.audience,
        "language": found.language,
        "format": "in_person",
        "organization_id": found.organization_id,
        "capacity": found.expected_attendance,
        # Strings as the datetime-local inputs take them (the form's field template shows the
        # value itself, not the widget's rendering).
        "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (starts + datetime.timedelta(hours=1, minutes=30)).strftime("%Y-%m-%dT%H:%M"),
        "time_zone": state_time_zones().get(found.state_code, "America/New_York"),
    }


@login_required
@require_http_methods(["GET", "POST"])
def request_convert(request: AuthenticatedRequest, request_id: int) -> HttpResponse:
    """The event form, pre-filled from the request; saving creates the draft event."""
    found = _request_of(request, request_id)
    if not services.request_handles(request.user, found):
        raise Http404
    form = EventForm(
        request.POST or None,
        organizations=event_organizations_for(request.user),
        initial=_event_initial(found),
    )
    if request.method == "POST" and form.is_valid():
        try:
            event = services.engagement_request_convert(
                actor=request.user, request_id=found.pk, details=form.cleaned_data
            )
        except services.RequestError as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(
                request, _("Event saved as a draft, linked to the request. Publish it when ready.")
            )
            return redirect("engagement:event_registrants", event_id=event.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "engagement/events/staff/event_form.html",
        {"form": form, "event": None, "from_request": found},
        status=status,
    )
