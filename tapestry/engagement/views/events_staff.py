"""The organizers' side of events: my events (create, edit, publish, cancel), the registrant
list and the check-in screen (htmx, usable on a tablet), and the evaluation at check-out.

Every event is fetched through `selectors.event_manageable_get`, scoped to the caller in the
same query (services.event_scope): an event someone does not organize is a 404, never a peek
at who registered. Creating one takes the liaison or specialist role (else 403)."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tapestry.accounts.api import AuthenticatedRequest, Role, user_has_role
from tapestry.engagement import selectors, services
from tapestry.engagement.forms.events import EventCancelForm, EventForm, RegistrantSearchForm
from tapestry.engagement.models import Event
from tapestry.network.api import (
    organization_choices,
    organizations_in_regions,
    organizations_of_liaison,
    region_codes_of_specialist,
)
from tapestry.surveys.api import evaluation_instruments, evaluation_of

TEMPLATES = "engagement/events/staff"


def _may_organize(user: Any) -> bool:
    return user_has_role(user, Role.LIAISON, Role.ENGAGEMENT_SPECIALIST)


def _organizations_for(user: Any) -> list[tuple[int, str]]:
    """The member organizations this person may hold an event for."""
    allowed = set(organizations_of_liaison(user_id=user.pk))
    if user_has_role(user, Role.ENGAGEMENT_SPECIALIST):
        allowed |= set(
            organizations_in_regions(region_codes=region_codes_of_specialist(user_id=user.pk))
        )
    return [(pk, label) for pk, label in organization_choices() if pk in allowed]


def _event_of(request: AuthenticatedRequest, event_id: int) -> Event:
    event = selectors.event_manageable_get(user=request.user, event_id=event_id)
    if event is None:
        raise Http404
    return event


@login_required
@require_GET
def my_events(request: AuthenticatedRequest) -> HttpResponse:
    if not _may_organize(request.user):
        raise PermissionDenied
    events = list(selectors.events_manageable(user=request.user)[:200])
    now = timezone.now()
    return render(
        request,
        f"{TEMPLATES}/my_events.html",
        {
            "upcoming": [event for event in events if event.ends_at > now][::-1],
            "past": [event for event in events if event.ends_at <= now],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def event_new(request: AuthenticatedRequest) -> HttpResponse:
    if not _may_organize(request.user):
        raise PermissionDenied
    organizations = _organizations_for(request.user)
    form = EventForm(
        request.POST or None,
        organizations=organizations,
        initial={"organization_id": organizations[0][0]} if len(organizations) == 1 else None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            event = services.event_create(actor=request.user, details=form.cleaned_data)
        except services.EventError as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("Event saved as a draft. Publish it to open registration."))
            return redirect("engagement:event_registrants", event_id=event.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, f"{TEMPLATES}/event_form.html", {"form": form, "event": None}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def event_edit(request: AuthenticatedRequest, event_id: int) -> HttpResponse:
    event = _event_of(request, event_id)
    form = EventForm(
        request.POST or None,
        organizations=_organizations_for(request.user),
        initial=EventForm.initial_of(event),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.event_update(actor=request.user, event_id=event.pk, details=form.cleaned_data)
        except services.EventError as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("Changes saved."))
            return redirect("engagement:event_registrants", event_id=event.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, f"{TEMPLATES}/event_form.html", {"form": form, "event": event}, status=status
    )


@login_required
@require_POST
def event_publish(request: AuthenticatedRequest, event_id: int) -> HttpResponseBase:
    event = _event_of(request, event_id)
    try:
        services.event_publish(actor=request.user, event_id=event.pk)
    except services.EventError as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(
            request, _("Published: the event is in the finder and open to registration.")
        )
    return redirect("engagement:event_registrants", event_id=event.pk)


@login_required
@require_http_methods(["GET", "POST"])
def event_cancel(request: AuthenticatedRequest, event_id: int) -> HttpResponse:
    event = _event_of(request, event_id)
    form = EventCancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.event_cancel(
                actor=request.user, event_id=event.pk, reason=form.cleaned_data["reason"]
            )
        except services.EventError as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(request, _("The event is cancelled; everyone registered was emailed."))
        return redirect("engagement:event_registrants", event_id=event.pk)
    return render(request, f"{TEMPLATES}/event_cancel.html", {"form": form, "event": event})


@login_required
@require_GET
def event_registrants(request: AuthenticatedRequest, event_id: int) -> HttpResponse:
    """The registrant list: only the event's organizers and its region's specialists."""
    event = _event_of(request, event_id)
    evaluation = evaluation_of(subject_kind="event", subject_ref=str(event.pk))
    return render(
        request,
        f"{TEMPLATES}/registrants.html",
        {
            "event": event,
            "registrations": selectors.registrants_of(event=event),
            "counts": selectors.registration_counts(event=event),
            "evaluation": evaluation,
            "instruments": [] if evaluation else evaluation_instruments(purpose="event_evaluation"),
            "ended": event.ends_at <= timezone.now(),
        },
    )


@login_required
@require_GET
def event_check_in(request: AuthenticatedRequest, event_id: int) -> HttpResponse:
    """The check-in screen: search by name, one button per person (htmx swaps the row)."""
    event = _event_of(request, event_id)
    form = RegistrantSearchForm(request.GET or None)
    q = form.cleaned_data["q"] if form.is_valid() else ""
    registrations = selectors.registrants_of(event=event, q=q).filter(
        status__in=["confirmed", "waitlisted"]
    )
    template = (
        f"{TEMPLATES}/check_in.html#people"
        if request.headers.get("HX-Request")
        else f"{TEMPLATES}/check_in.html"
    )
    return render(
        request,
        template,
        {
            "event": event,
            "form": form,
            "registrations": registrations,
            "counts": selectors.registration_counts(event=event),
        },
    )


@login_required
@require_POST
def registration_check_in(
    request: AuthenticatedRequest, event_id: int, registration_id: int
) -> HttpResponseBase:
    event = _event_of(request, event_id)
    attended = request.POST.get("attended", "1") == "1"
    error = ""
    try:
        registration = services.registration_check_in(
            actor=request.user,
            event_id=event.pk,
            registration_id=registration_id,
            attended=attended,
        )
    except services.EventNotFound as missing:
        raise Http404 from missing
    except services.EventError as refusal:
        error = str(refusal)
        registration = event.registrations.get(pk=registration_id)
    if request.headers.get("HX-Request"):
        return render(
            request,
            f"{TEMPLATES}/check_in.html#person",
            {"event": event, "registration": registration, "error": error},
            status=409 if error else 200,
        )
    if error:
        messages.error(request, error)
    return redirect("engagement:event_check_in", event_id=event.pk)


@login_required
@require_POST
def event_evaluation(request: AuthenticatedRequest, event_id: int) -> HttpResponseBase:
    """Attach the evaluation (`instrument`) or, after the event, invite the attendees."""
    event = _event_of(request, event_id)
    try:
        if request.POST.get("instrument"):
            title = services.event_evaluation_attach(
                actor=request.user, event_id=event.pk, instrument_slug=request.POST["instrument"]
            )
            messages.success(request, _("Evaluation attached: %(title)s.") % {"title": title})
        else:
            invited = services.event_evaluation_invite(actor=request.user, event_id=event.pk)
            messages.success(
                request,
                _("%(count)s attendees were invited to the evaluation.") % {"count": invited},
            )
    except services.EventError as refusal:
        messages.error(request, str(refusal))
    return redirect("engagement:event_registrants", event_id=event.pk)
