"""JSON API for program kits, under /api/v1/engagement/kits.

The catalog and a kit's availability are public. A reservation takes an API token with the
`kits` scope (401 without a live token, 403 without the scope) and is made for a member
organization the token's owner is the liaison of (403 otherwise). The refusals are the pages':
400 for a ship date outside the lead time or a malformed body, 404 for a kit that does not
exist or is not lent, 409 for dates overlapping another loan (with the next free ship date),
the organization's limit of kits at once, or a kit held until restocked.
"""

from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from ninja import P, PathEx, Query, Router, Status

from tapestry.accounts.api import ApiTokenAuth, ApiTokenScope
from tapestry.core.schemas import unknown_parameters
from tapestry.engagement import kit_calendar, selectors, services
from tapestry.engagement.kit_schemas import (
    SLUG_PATTERN,
    BusyOut,
    ErrorOut,
    KitAvailabilityOut,
    KitItemOut,
    KitListQuery,
    KitOut,
    KitPage,
    KitReservationOut,
    KitReserveIn,
    KitsConflictOut,
    MessageOut,
)
from tapestry.engagement.models import Kit

router = Router(tags=["engagement"])

NO_KIT = "There is no such kit."
Slug = PathEx[str, P(max_length=80, pattern=SLUG_PATTERN, description="The kit's link name.")]


def _kit_out(request: HttpRequest, kit: Kit) -> KitOut:
    today = timezone.localdate()
    return KitOut(
        slug=kit.slug,
        name=kit.name,
        name_es=kit.name_es,
        description=kit.description,
        description_es=kit.description_es,
        topics=[tag.topic for tag in kit.topic_tags.all()],
        languages=[tag.language for tag in kit.language_tags.all()],
        items=[
            KitItemOut(name=item.name, name_es=item.name_es, quantity=item.quantity)
            for item in kit.items.all()
        ],
        held=kit.held,
        next_free_ship_date=selectors.kit_next_free_ship_date(kit_id=kit.pk, today=today),
        url=request.build_absolute_uri(reverse("engagement:kits_kit", args=[kit.slug])),
    )


@router.get(
    "",
    response={200: KitPage, 400: ErrorOut},
    summary="The program kits catalog",
)
def kits(request: HttpRequest, query: Query[KitListQuery]) -> Status[Any]:
    """Active kits by name, filtered by words (`q`), `topic` and `language`, a page at a time."""
    unknown = unknown_parameters(request, {"q", "topic", "language", "page"})
    if unknown:
        return Status(400, unknown)
    rows = selectors.kits_catalog(
        query=(query.q or "").strip(), topic=query.topic or "", language=query.language or ""
    ).prefetch_related("items")
    page = Paginator(rows, settings.ENGAGEMENT_KIT_PAGE_SIZE).get_page(query.page or 1)
    return Status(
        200,
        KitPage(
            count=page.paginator.count,
            page=page.number,
            pages=page.paginator.num_pages,
            kits=[_kit_out(request, kit) for kit in page.object_list],
        ),
    )


@router.get(
    "/{slug}",
    response={200: KitAvailabilityOut, 400: ErrorOut, 404: MessageOut},
    summary="A kit's availability",
)
def availability(
    request: HttpRequest,
    slug: Slug,  # type: ignore[valid-type]
) -> Status[Any]:
    """The ship dates a reservation may have now, and the loans holding the kit."""
    unknown = unknown_parameters(request, set())
    if unknown:
        return Status(400, unknown)
    kit = selectors.kit_get(slug=slug)
    if kit is None:
        return Status(404, MessageOut(detail=NO_KIT))
    today = timezone.localdate()
    return Status(
        200,
        KitAvailabilityOut(
            slug=kit.slug,
            earliest_ship_date=kit_calendar.earliest_ship_date(today),
            latest_ship_date=kit_calendar.latest_ship_date(today),
            next_free_ship_date=selectors.kit_next_free_ship_date(kit_id=kit.pk, today=today),
            loan_days=settings.ENGAGEMENT_KIT_LOAN_DAYS,
            transit_days=settings.ENGAGEMENT_KIT_TRANSIT_DAYS,
            turnaround_days=settings.ENGAGEMENT_KIT_TURNAROUND_DAYS,
            busy=[
                BusyOut(
                    blocked_from=busy.first_day,
                    due_date=busy.due_date,
                    blocked_until=busy.last_day + kit_calendar.DAY,
                )
                for busy in selectors.kit_busy_ranges(kit_id=kit.pk, since=today)
            ],
        ),
    )


@router.post(
    "/{slug}/reservations",
    response={
        201: KitReservationOut,
        400: ErrorOut,
        401: MessageOut,
        403: MessageOut,
        404: MessageOut,
        409: KitsConflictOut,
    },
    auth=ApiTokenAuth(scope=ApiTokenScope.KITS),
    summary="Reserve a kit for your organization (scope: kits)",
)
def reserve(
    request: HttpRequest,
    slug: Slug,  # type: ignore[valid-type]
    body: KitReserveIn,
) -> Status[Any]:
    """Ask for the kit from `ship_date`; the engagement specialist of your region approves it."""
    kit = selectors.kit_get(slug=slug)
    if kit is None:
        return Status(404, MessageOut(detail=NO_KIT))
    try:
        reservation = services.kit_reserve(
            user=request.user,
            kit_id=kit.pk,
            organization_id=body.organization_id,
            ship_date=body.ship_date,
            program_note=body.program_note,
        )
    except services.KitDatesTaken as error:
        return Status(409, KitsConflictOut(detail=str(error), next_free_ship_date=error.next_free))
    except services.KitError as error:
        if error.status == 400:
            return Status(400, ErrorOut(detail=str(error), errors={"ship_date": [str(error)]}))
        if error.status == 409:
            return Status(409, KitsConflictOut(detail=str(error)))
        if error.status == 404:
            return Status(404, MessageOut(detail=str(error)))
        return Status(403, MessageOut(detail=str(error)))
    return Status(
        201,
        KitReservationOut(
            id=reservation.pk,
            kit=kit.slug,
            organization_id=reservation.organization_id,
            ship_date=reservation.ship_date,
            due_date=reservation.due_date,
            status=reservation.status,
        ),
    )
