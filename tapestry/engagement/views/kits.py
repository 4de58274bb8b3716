"""Program kits' pages: the public catalog and kit page with its availability calendar, the
reserve form and "My organization's kits" for liaisons, and the desk's queue for engagement
specialists (their regions) and program staff: approve or decline, ship with the checklist,
return with missing and damaged counts, restock."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dates import WEEKDAYS, WEEKDAYS_ABBR
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tapestry.engagement import kit_calendar, selectors, services
from tapestry.engagement.forms.kits import (
    KitCatalogForm,
    KitDecideForm,
    KitReserveForm,
    KitReturnForm,
    KitShipForm,
)
from tapestry.engagement.models import KitPhoto, KitReservation
from tapestry.engagement.permissions import kit_desk_is_staff, kit_organizations_of
from tapestry.network.api import organizations_get


def _language() -> str:
    return get_language() or "en"


@require_GET
def catalog(request: HttpRequest) -> HttpResponse:
    form = KitCatalogForm(request.GET or None)
    query = topic = language = ""
    status = 200
    if form.is_bound:
        if form.is_valid():
            query = form.cleaned_data["q"].strip()
            topic = form.cleaned_data["topic"]
            language = form.cleaned_data["language"]
        else:
            status = 400
    kits = selectors.kits_catalog(query=query, topic=topic, language=language)
    if status != 200:
        kits = kits.none()
    page = Paginator(kits, settings.ENGAGEMENT_KIT_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "engagement/kits/catalog.html",
        {
            "form": form,
            "page": page,
            # The shape includes/pagination.html reads.
            "result": {
                "page": page.number,
                "num_pages": page.paginator.num_pages,
                "has_previous": page.has_previous(),
                "has_next": page.has_next(),
            },
            "total": page.paginator.count,
            "filtered": bool(query or topic or language),
            "language": _language(),
            "is_liaison": bool(kit_organizations_of(request.user)),
            "is_desk": kit_desk_is_staff(request.user),
        },
        status=status,
    )


@require_GET
def kit_page(request: HttpRequest, slug: str) -> HttpResponse:
    kit = selectors.kit_get(slug=slug)
    if kit is None:
        raise Http404
    today = timezone.localdate()
    return render(
        request,
        "engagement/kits/kit.html",
        {
            "kit": kit,
            "language": _language(),
            "months": selectors.kit_calendar_months(kit_id=kit.pk, today=today),
            "busy": selectors.kit_busy_ranges(kit_id=kit.pk, since=today),
            "next_free": selectors.kit_next_free_ship_date(kit_id=kit.pk, today=today),
            "earliest": kit_calendar.earliest_ship_date(today),
            "may_reserve": bool(kit_organizations_of(request.user)),
            "weekday_names": [(WEEKDAYS_ABBR[day], WEEKDAYS[day]) for day in range(7)],
            "settings": {
                "loan_days": settings.ENGAGEMENT_KIT_LOAN_DAYS,
                "transit_days": settings.ENGAGEMENT_KIT_TRANSIT_DAYS,
                "turnaround_days": settings.ENGAGEMENT_KIT_TURNAROUND_DAYS,
                "min_lead_days": settings.ENGAGEMENT_KIT_MIN_LEAD_DAYS,
                "max_lead_days": settings.ENGAGEMENT_KIT_MAX_LEAD_DAYS,
                "max_active": settings.ENGAGEMENT_KIT_MAX_ACTIVE_PER_ORGANIZATION,
            },
        },
    )


@require_GET
def photo(request: HttpRequest, photo_id: int) -> FileResponse:
    """A photo of an active kit (photos are public, like the kit)."""
    kit_photo = get_object_or_404(KitPhoto, pk=photo_id, kit__active=True)
    try:
        handle = kit_photo.image.open("rb")
    except OSError as error:
        raise Http404 from error
    return FileResponse(handle)


def _organization_choices(request: HttpRequest) -> list[tuple[int, str]]:
    ids = kit_organizations_of(request.user)
    found = organizations_get(organization_ids=ids)
    return sorted(
        ((pk, f"{ref.name}, {ref.state_code}") for pk, ref in found.items()),
        key=lambda choice: choice[1],
    )


@require_http_methods(["GET", "POST"])
@login_required
def reserve(request: HttpRequest, slug: str) -> HttpResponse:
    kit = selectors.kit_get(slug=slug)
    if kit is None:
        raise Http404
    organizations = _organization_choices(request)
    if not organizations:
        raise PermissionDenied(_("Only the liaison of a member organization can reserve kits."))
    today = timezone.localdate()
    form = KitReserveForm(request.POST or None, organizations=organizations)
    earliest = kit_calendar.earliest_ship_date(today)
    form.fields["ship_date"].widget.attrs.update(
        {"min": earliest.isoformat(), "max": kit_calendar.latest_ship_date(today).isoformat()}
    )
    status = 200
    next_free = None
    if request.method == "POST":
        if form.is_valid():
            try:
                reservation = services.kit_reserve(
                    user=request.user,
                    kit_id=kit.pk,
                    organization_id=form.cleaned_data["organization"],
                    ship_date=form.cleaned_data["ship_date"],
                    program_note=form.cleaned_data["program_note"],
                )
            except services.KitDatesTaken as error:
                form.add_error("ship_date", str(error))
                next_free = error.next_free
                status = error.status
            except services.KitError as error:
                form.add_error(
                    "ship_date" if error.status == 400 else None,
                    str(error),
                )
                status = error.status
            else:
                messages.success(
                    request,
                    _(
                        "Your request is sent. Your engagement specialist will review it; we "
                        "emailed you a copy."
                    ),
                )
                return redirect("engagement:kits_mine_reservation", reservation.pk)
        else:
            status = 400
    return render(
        request,
        "engagement/kits/reserve.html",
        {
            "kit": kit,
            "form": form,
            "language": _language(),
            "earliest": earliest,
            "next_free": next_free or selectors.kit_next_free_ship_date(kit_id=kit.pk, today=today),
            "busy": selectors.kit_busy_ranges(kit_id=kit.pk, since=today),
            "loan_days": settings.ENGAGEMENT_KIT_LOAN_DAYS,
        },
        status=status,
    )


@require_GET
@login_required
def mine(request: HttpRequest, reservation_id: int | None = None) -> HttpResponse:
    reservations = list(selectors.kit_reservations_of_liaison(user=request.user))
    if not kit_organizations_of(request.user):
        raise PermissionDenied(_("Only the liaison of a member organization has kits here."))
    if reservation_id is not None and reservation_id not in {r.pk for r in reservations}:
        raise Http404
    names = organizations_get(organization_ids={r.organization_id for r in reservations})
    return render(
        request,
        "engagement/kits/mine.html",
        {
            "reservations": reservations,
            "organization_names": {pk: ref.name for pk, ref in names.items()},
            "highlight": reservation_id,
            "language": _language(),
            "cancellable": (KitReservation.Status.REQUESTED, KitReservation.Status.APPROVED),
        },
    )


@require_POST
@login_required
def cancel(request: HttpRequest, reservation_id: int) -> HttpResponse:
    back = "engagement:kits_desk" if request.POST.get("next") == "desk" else "engagement:kits_mine"
    try:
        services.kit_reservation_cancel(user=request.user, reservation_id=reservation_id)
    except services.KitNotFound as error:
        raise Http404 from error
    except services.KitError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The reservation is cancelled; its dates are free again."))
    return redirect(back)


def _desk_only(request: HttpRequest) -> None:
    if not kit_desk_is_staff(request.user):
        raise PermissionDenied(_("The kit desk is for engagement specialists and program staff."))


@require_GET
@login_required
def desk(request: HttpRequest) -> HttpResponse:
    _desk_only(request)
    status = request.GET.get("status", "")
    if status not in KitReservation.Status.values:
        status = ""
    rows = list(selectors.kit_reservations_queue(user=request.user, status=status))
    names = organizations_get(organization_ids={r.organization_id for r in rows})
    return render(
        request,
        "engagement/kits/desk.html",
        {
            "reservations": rows,
            "organization_names": {pk: ref.name for pk, ref in names.items()},
            "status": status,
            "statuses": KitReservation.Status.choices,
            "held": selectors.kits_held(),
            "language": _language(),
            "today": timezone.localdate(),
        },
    )


def _desk_page(
    request: HttpRequest,
    reservation: KitReservation,
    *,
    decide_form: KitDecideForm | None = None,
    ship_form: KitShipForm | None = None,
    return_form: KitReturnForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    language = _language()
    items = list(reservation.kit.items.all())
    organization = organizations_get(organization_ids=[reservation.organization_id]).get(
        reservation.organization_id
    )
    return render(
        request,
        "engagement/kits/desk_reservation.html",
        {
            "reservation": reservation,
            "organization": organization,
            "language": language,
            "items": items,
            "error": error,
            "decide_form": decide_form or KitDecideForm(),
            "ship_form": ship_form or KitShipForm(items=items, language=language),
            "return_form": return_form or KitReturnForm(items=items, language=language),
            "kit_held": reservation.kit.held,
        },
        status=status,
    )


def _reservation_for_desk(request: HttpRequest, reservation_id: int) -> KitReservation:
    _desk_only(request)
    reservation = selectors.kit_reservation_for_desk(
        user=request.user, reservation_id=reservation_id
    )
    if reservation is None:
        raise Http404
    return reservation


@require_http_methods(["GET", "POST"])
@login_required
def desk_reservation(request: HttpRequest, reservation_id: int) -> HttpResponse:
    reservation = _reservation_for_desk(request, reservation_id)
    if request.method == "GET":
        return _desk_page(request, reservation)
    action = request.POST.get("action")
    language = _language()
    items = list(reservation.kit.items.all())
    forms: dict[str, Any] = {}
    try:
        if action == "decide":
            decide_form = forms["decide_form"] = KitDecideForm(request.POST)
            if not decide_form.is_valid():
                return _desk_page(request, reservation, status=400, **forms)
            approve = decide_form.cleaned_data["decision"] == "approve"
            services.kit_reservation_decide(
                user=request.user,
                reservation_id=reservation.pk,
                approve=approve,
                reason=decide_form.cleaned_data["reason"],
            )
            done = (
                _("The reservation is approved.") if approve else _("The reservation is declined.")
            )
        elif action == "ship":
            ship_form = forms["ship_form"] = KitShipForm(
                request.POST, items=items, language=language
            )
            if not ship_form.is_valid():
                return _desk_page(request, reservation, status=400, **forms)
            services.kit_reservation_ship(
                user=request.user,
                reservation_id=reservation.pk,
                checked_item_ids=ship_form.cleaned_data["items"],
            )
            done = _("The kit is marked shipped; the library was emailed.")
        elif action == "return":
            return_form = forms["return_form"] = KitReturnForm(
                request.POST, items=items, language=language
            )
            if not return_form.is_valid():
                return _desk_page(request, reservation, status=400, **forms)
            services.kit_reservation_return(
                user=request.user,
                reservation_id=reservation.pk,
                counts=return_form.counts(),
                notes=return_form.cleaned_data["notes"],
            )
            done = _("The return is recorded; the kit is held until it is restocked.")
        else:
            return _desk_page(request, reservation, error=_("Choose an action."), status=400)
    except services.KitNotFound as error:
        raise Http404 from error
    except services.KitError as error:
        reservation.refresh_from_db()
        return _desk_page(request, reservation, error=str(error), status=error.status, **forms)
    messages.success(request, done)
    return redirect("engagement:kits_desk_reservation", reservation.pk)


@require_POST
@login_required
def restock(request: HttpRequest, kit_id: int) -> HttpResponse:
    _desk_only(request)
    try:
        kit = services.kit_restock(user=request.user, kit_id=kit_id)
    except services.KitNotFound as error:
        raise Http404 from error
    except services.KitError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("%(kit)s is restocked and can be lent again.")
            % {"kit": kit.display_name(_language())},
        )
    return redirect("engagement:kits_desk")
