"""The public side of events: the finder, an event's page, registration without an account
(honeypot and a limit per client address), the confirm and cancel pages the emailed links open,
and the iCalendar files (an event, an organization's feed, a region's feed).

Nothing here shows who registered: only counts of seats."""

from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from tapestry.core.api import client_address
from tapestry.engagement import calendars, selectors, services
from tapestry.engagement.forms.events import EventFinderForm, RegistrationForm
from tapestry.engagement.models import Event, Registration
from tapestry.network.api import organizations_get, regions

TEMPLATES = "engagement/events"


@require_GET
def event_finder(request: HttpRequest) -> HttpResponse:
    """Find events by ZIP code and radius, dates, focus area, language and format."""
    form = EventFinderForm(request.GET or None)
    template = (
        f"{TEMPLATES}/finder.html#results"
        if request.headers.get("HX-Request")
        else f"{TEMPLATES}/finder.html"
    )
    context: dict[str, Any] = {
        "form": form,
        "result": None,
        "default_radius": settings.ENGAGEMENT_EVENTS_DEFAULT_RADIUS_MILES,
    }
    if request.GET and not form.is_valid():
        return render(request, template, context, status=400)
    filters = form.filters() if request.GET else selectors.EventFilters()
    page = (form.cleaned_data.get("page") if request.GET else None) or 1
    context["result"] = selectors.event_search(filters=filters, page=page)
    context["filters"] = filters
    return render(request, template, context)


def _public_event(event_id: int) -> Event:
    event = selectors.event_public_get(event_id=event_id)
    if event is None:
        raise Http404
    return event


def _event_page(
    request: HttpRequest,
    event: Event,
    *,
    form: RegistrationForm | None = None,
    refusal: str = "",
    status: int = 200,
) -> HttpResponse:
    host = (
        organizations_get(organization_ids=[event.organization_id]).get(event.organization_id)
        if event.organization_id is not None
        else None
    )
    seats_taken = getattr(event, "seats_taken", 0)
    return render(
        request,
        f"{TEMPLATES}/detail.html",
        {
            "event": event,
            "host": host,
            "seats_left": max(0, event.capacity - seats_taken),
            "open": event.status == Event.Status.PUBLISHED and event.ends_at > timezone.now(),
            "form": form or RegistrationForm(),
            "refusal": refusal,
        },
        status=status,
    )


@require_GET
def event_detail(request: HttpRequest, event_id: int) -> HttpResponse:
    return _event_page(request, _public_event(event_id))


def registration_allowed(request: HttpRequest) -> bool:
    """At most ENGAGEMENT_REGISTRATIONS_PER_ADDRESS_PER_HOUR registrations per client address
    and hour; each call counts one."""
    hour = timezone.now().strftime("%Y%m%d%H")
    key = f"engagement:register:{client_address(request)}:{hour}"
    cache.add(key, 0, timeout=3600)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr: count this one as the first
        count = 1
    return bool(count <= settings.ENGAGEMENT_REGISTRATIONS_PER_ADDRESS_PER_HOUR)


@require_http_methods(["POST"])
def event_register(request: HttpRequest, event_id: int) -> HttpResponse:
    """Register: the email sent holds the link that confirms it (no seat before that)."""
    event = _public_event(event_id)
    if not registration_allowed(request):
        now = timezone.now()
        response = _event_page(
            request,
            event,
            refusal=_(
                "Many registrations came from your connection in the last hour. Please try "
                "again in an hour."
            ),
            status=429,
        )
        response["Retry-After"] = str(3600 - now.minute * 60 - now.second)
        return response
    form = RegistrationForm(request.POST)
    if form.is_bot:
        # Answer as for a person, so a script learns nothing; nothing is saved or sent.
        return render(request, f"{TEMPLATES}/registered.html", {"event": event})
    if not form.is_valid():
        return _event_page(request, event, form=form, status=400)
    try:
        services.registration_create(
            event_id=event.pk,
            name=form.cleaned_data["name"],
            email=form.cleaned_data["email"],
            zip_code=form.cleaned_data["zip_code"],
            role=form.cleaned_data["role"],
            language=(get_language() or "en")[:2],
        )
    except services.RegistrationRefused as refusal:
        return _event_page(request, event, form=form, refusal=str(refusal), status=409)
    return render(request, f"{TEMPLATES}/registered.html", {"event": event})


@require_http_methods(["GET", "POST"])
def registration_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The emailed confirm link: a page with one button (mail scanners that open links do not
    press it), which takes a seat or a waitlist place."""
    registration = (
        Registration.objects.select_related("event")
        .filter(confirm_token_hash=services.token_hash(token))
        .first()
    )
    if registration is None:
        return render(request, f"{TEMPLATES}/link_invalid.html", status=404)
    context: dict[str, Any] = {"registration": registration, "event": registration.event}
    if request.method == "POST":
        try:
            registration = services.registration_confirm(token=token)
        except services.EventError as refusal:
            context["refusal"] = str(refusal)
            return render(request, f"{TEMPLATES}/confirm.html", context, status=409)
        context.update(registration=registration, done=True)
    return render(request, f"{TEMPLATES}/confirm.html", context)


@require_http_methods(["GET", "POST"])
def registration_cancel(request: HttpRequest, token: str) -> HttpResponse:
    """The emailed cancel link: a page with one button that gives the seat up."""
    registration = services.registration_get_by_cancel_token(token=token)
    if registration is None:
        return render(request, f"{TEMPLATES}/link_invalid.html", status=404)
    context: dict[str, Any] = {"registration": registration, "event": registration.event}
    if request.method == "POST":
        try:
            registration = services.registration_cancel(token=token)
        except services.EventError as refusal:
            context["refusal"] = str(refusal)
            return render(request, f"{TEMPLATES}/cancel.html", context, status=409)
        context.update(registration=registration, done=True)
    return render(request, f"{TEMPLATES}/cancel.html", context)


def _calendar_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
def event_ics(request: HttpRequest, event_id: int) -> HttpResponse:
    event = _public_event(event_id)
    return _calendar_response(
        calendars.calendar_build([event], name=event.title), f"event-{event.pk}.ics"
    )


@require_GET
def organization_feed(request: HttpRequest, organization_id: int) -> HttpResponse:
    organization = organizations_get(organization_ids=[organization_id]).get(organization_id)
    if organization is None:
        raise Http404
    events = selectors.events_of_organization(organization_id=organization_id).filter(
        ends_at__gte=calendars.feed_window_start()
    )
    return _calendar_response(
        calendars.calendar_build(events, name=organization.name),
        f"organization-{organization_id}.ics",
    )


@require_GET
def region_feed(request: HttpRequest, region_code: str) -> HttpResponse:
    region = next((region for region in regions() if region.code == region_code), None)
    if region is None:
        raise Http404
    events = selectors.events_of_region(region_code=region_code).filter(
        ends_at__gte=calendars.feed_window_start()
    )
    return _calendar_response(
        calendars.calendar_build(events, name=region.display_name(get_language())),
        f"region-{region_code}.ics",
    )
