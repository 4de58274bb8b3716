"""JSON API for events: the public finder and an event, read-only, never registrants.

400 when a parameter breaks the constraints the OpenAPI document states (or `date_to` is before
`date_from`); 404 for a ZIP code that does not exist and for an event that is not public.
"""

from django.db.models import Count
from django.forms import Form
from django.http import HttpRequest
from django.urls import reverse
from ninja import P, PathEx, Query, Router, Status

from tapestry.engagement import selectors
from tapestry.engagement.event_schemas import (
    EVENT_ID_MAX,
    ErrorOut,
    EventOut,
    EventPageOut,
    EventQuery,
)
from tapestry.engagement.forms.events import EventFinderForm
from tapestry.engagement.models import Event, Registration

router = Router(tags=["engagement"])


def _event_out(request: HttpRequest, event: Event, seats_taken: int) -> EventOut:
    return EventOut(
        id=event.pk,
        title=event.title,
        description=event.description,
        focus_area=event.focus_area,
        focus_area_label=str(event.get_focus_area_display()),
        audience=event.audience,
        language=event.language,
        format=event.format,
        status=event.status,
        starts_at=event.starts_at.isoformat(),
        ends_at=event.ends_at.isoformat(),
        time_zone=event.time_zone,
        venue_name=event.venue_name,
        address_line1=event.address_line1,
        city=event.city,
        state=event.state_code,
        zip_code=event.zip_code,
        latitude=event.latitude,
        longitude=event.longitude,
        distance_miles=event.distance_miles,
        organization_id=event.organization_id,
        region=event.region_code,
        capacity=event.capacity,
        seats_left=max(0, event.capacity - seats_taken),
        accessibility_notes=event.accessibility_notes,
        url=request.build_absolute_uri(reverse("engagement:event_detail", args=[event.pk])),
        ics_url=request.build_absolute_uri(reverse("engagement:event_ics", args=[event.pk])),
    )


def _form_errors(form: Form) -> dict[str, list[str]]:
    return {field: [str(error) for error in errors] for field, errors in form.errors.items()}


@router.get(
    "",
    response={200: EventPageOut, 400: ErrorOut, 404: ErrorOut},
    summary="Find public events",
)
def events(request: HttpRequest, query: Query[EventQuery]) -> Status[EventPageOut | ErrorOut]:
    """Published events not yet over, soonest first, filtered by `near` (a ZIP code) and
    `radius_miles`, `date_from`/`date_to`, `focus_area`, `language` and `format`. An unknown
    ZIP code answers 404 with the parameter named."""
    form = EventFinderForm(query.dict(exclude_none=True))
    if not form.is_valid():
        codes = {(field, e.code) for field, errors in form.errors.as_data().items() for e in errors}
        if codes == {("near", "unknown_zip")}:
            return Status(404, ErrorOut(detail="No such ZIP code.", errors=_form_errors(form)))
        return Status(400, ErrorOut(detail="Invalid filters.", errors=_form_errors(form)))
    filters = form.filters()
    result = selectors.event_search(filters=filters, page=form.cleaned_data["page"] or 1)
    seats = dict(
        Registration.objects.filter(
            event_id__in=[event.pk for event in result.events],
            status=Registration.Status.CONFIRMED,
        )
        .values_list("event_id")
        .annotate(count=Count("pk"))
        .order_by()
    )
    return Status(
        200,
        EventPageOut(
            count=result.total,
            page=result.page,
            pages=result.num_pages,
            page_size=result.page_size,
            near=filters.near.zip_code if filters.near else None,
            radius_miles=filters.radius_miles if filters.near else None,
            results=[_event_out(request, event, seats.get(event.pk, 0)) for event in result.events],
        ),
    )


@router.get(
    "/{event_id}",
    response={200: EventOut, 400: ErrorOut, 404: ErrorOut},
    summary="One public event",
)
def event(
    request: HttpRequest,
    event_id: PathEx[int, P(ge=1, le=EVENT_ID_MAX)],  # type: ignore[valid-type]
) -> Status[EventOut | ErrorOut]:
    found = selectors.event_public_get(event_id=event_id)
    if found is None:
        return Status(404, ErrorOut(detail="No public event has that id."))
    return Status(200, _event_out(request, found, getattr(found, "seats_taken", 0)))


__all__ = ["router"]
