"""Community engagement's writes, one block per part: keyword-only `<entity>_<verb>` functions
in a transaction, email on commit, an audit row where the domain needs a trail."""

# --- Program kits ---
# The lending desk's workflow (ADR 0021): reserve → approve (or decline) → ship with the
# checklist ticked → return with missing and damaged items counted (the kit is then held until
# restocked); cancel while not yet shipped; remind the borrower of an overdue kit daily.

import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import get_language, override
from django.utils.translation import gettext as _

from tapestry.accounts.api import Role, people_with_role, person_get
from tapestry.core.api import audit_record, email_send
from tapestry.engagement import kit_calendar
from tapestry.engagement.models import Kit, KitItem, KitReservation, KitReturnItem
from tapestry.engagement.permissions import (
    kit_desk_is_staff,
    kit_organizations_of,
    kit_reservations_in_scope,
)
from tapestry.network.api import organizations_get, region_codes_of_specialist


class KitError(Exception):
    """A refusal whose message is safe to show; `status` is the HTTP status a view answers."""

    status = 400


class KitNotFound(KitError):
    status = 404


class KitNotAllowed(KitError):
    status = 403


class KitUnavailable(KitError):
    status = 409


class KitLimitReached(KitError):
    status = 409


class KitWrongStatus(KitError):
    status = 409


class KitDatesTaken(KitError):
    """The dates overlap another loan; `next_free` is the first ship date that does not."""

    status = 409

    def __init__(self, message: str, *, next_free: datetime.date | None) -> None:
        super().__init__(message)
        self.next_free = next_free


def _date(value: datetime.date) -> str:
    return formats.date_format(value, "DATE_FORMAT")


def _busy(
    kit_id: int, *, excluding: int | None = None
) -> list[tuple[datetime.date, datetime.date]]:
    rows = KitReservation.objects.filter(kit_id=kit_id, status__in=KitReservation.HOLDING)
    if excluding is not None:
        rows = rows.exclude(pk=excluding)
    return list(rows.values_list("blocked_from", "blocked_until"))


def _dates_taken(kit_id: int, *, wanted: datetime.date, today: datetime.date) -> KitDatesTaken:
    next_free = kit_calendar.next_free_ship_date(wanted=wanted, busy=_busy(kit_id), today=today)
    if next_free is None:
        message = _(
            "Those dates overlap another loan of this kit, and it has no free dates within the "
            "next year. Please choose another kit."
        )
    else:
        message = _(
            "Those dates overlap another loan of this kit: the next free ship date is %(date)s."
        ) % {"date": _date(next_free)}
    return KitDatesTaken(message, next_free=next_free)


def _serialize_organization(organization_id: int) -> None:
    """Make one organization's reservations wait for each other, so two requests at the same
    moment cannot both pass the kits-at-once limit. PostgreSQL: a transaction-scoped advisory
    lock; SQLite runs one writing transaction at a time already."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Two keys: the first names this lock's purpose, so it cannot meet another one.
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [71001, organization_id])


def _notify(
    reservation: KitReservation,
    template: str,
    extra: Mapping[str, Any] | None = None,
    *,
    short: Iterable[KitReturnItem] = (),
) -> None:
    """Email the person who asked for the reservation, in their language. `short`: what came
    back missing or damaged, named in that language."""
    person = person_get(user_id=reservation.requested_by_id)
    if person is None:
        return
    organization = organizations_get(organization_ids=[reservation.organization_id]).get(
        reservation.organization_id
    )
    with override(person.language):
        context = {
            "reservation": reservation,
            "kit_name": reservation.kit.display_name(person.language),
            "organization_name": organization.name if organization else "",
            "ship_date": _date(reservation.ship_date),
            "due_date": _date(reservation.due_date),
            "short": [
                {
                    "name": row.item.display_name(person.language),
                    "missing": row.missing,
                    "damaged": row.damaged,
                }
                for row in short
            ],
            **(extra or {}),
        }
    email_send(
        to=[person.email],
        template=f"engagement/kits/email/{template}",
        context=context,
        language=person.language,
        recipient_name=person.name,
    )


def _notify_specialists(reservation: KitReservation) -> None:
    """Tell the engagement specialists of the organization's region that a request waits."""
    organization = organizations_get(organization_ids=[reservation.organization_id]).get(
        reservation.organization_id
    )
    for person in people_with_role(role=Role.ENGAGEMENT_SPECIALIST):
        if reservation.region_code not in region_codes_of_specialist(user_id=person.id):
            continue
        with override(person.language):
            context = {
                "reservation": reservation,
                "kit_name": reservation.kit.display_name(person.language),
                "organization_name": organization.name if organization else "",
                "ship_date": _date(reservation.ship_date),
            }
        email_send(
            to=[person.email],
            template="engagement/kits/email/to_decide",
            context=context,
            language=person.language,
            recipient_name=person.name,
        )


def kit_reserve(
    *,
    user: Any,
    kit_id: int,
    organization_id: int,
    ship_date: datetime.date,
    program_note: str = "",
) -> KitReservation:
    """Reserve a kit for one of the organizations this person is the liaison of.

    Refused, with one message per reason: not their organization (KitNotAllowed), no such kit
    (KitNotFound), a kit not lent now or held until restocked (KitUnavailable), a ship date
    sooner or later than the lead time allows (KitError), the organization at its limit of kits
    at once (KitLimitReached), dates overlapping another loan (KitDatesTaken, with the next free
    ship date). On PostgreSQL the exclusion constraint decides between two requests at the same
    moment; the loser gets the same KitDatesTaken.
    """
    if organization_id not in kit_organizations_of(user):
        raise KitNotAllowed(
            _("You can reserve kits only for an organization you are the liaison of.")
        )
    kit = Kit.objects.filter(pk=kit_id).first()
    if kit is None:
        raise KitNotFound(_("There is no such kit."))
    if not kit.active:
        raise KitUnavailable(_("This kit is not being lent at the moment."))
    if kit.held:
        raise KitUnavailable(
            _(
                "This kit is being checked and restocked after its last loan. Please try again "
                "in a few days."
            )
        )
    today = timezone.localdate()
    earliest = kit_calendar.earliest_ship_date(today)
    latest = kit_calendar.latest_ship_date(today)
    if ship_date < earliest:
        raise KitError(
            _("That ship date is too soon: the earliest is %(date)s.") % {"date": _date(earliest)}
        )
    if ship_date > latest:
        raise KitError(
            _("That ship date is too far ahead: the latest is %(date)s.") % {"date": _date(latest)}
        )
    dates = kit_calendar.loan_dates(ship_date)
    organization = organizations_get(organization_ids=[organization_id]).get(organization_id)
    with transaction.atomic():
        _serialize_organization(organization_id)
        if connection.vendor != "postgresql":
            # SQLite: no exclusion constraint, so the check below must not race. The row lock
            # is a no-op there (writes are serialized by the IMMEDIATE transaction); it keeps
            # the intent visible on any other database without the constraint.
            Kit.objects.select_for_update().filter(pk=kit.pk).first()
        active = KitReservation.objects.filter(
            organization_id=organization_id, status__in=KitReservation.ACTIVE
        ).count()
        limit = settings.ENGAGEMENT_KIT_MAX_ACTIVE_PER_ORGANIZATION
        if active >= limit:
            raise KitLimitReached(
                _(
                    "Your organization already has %(count)d kits requested or on loan, the most "
                    "it may have at once. A kit must come back, or a request be cancelled, "
                    "before you reserve another."
                )
                % {"count": active}
            )
        overlapping = KitReservation.objects.filter(
            kit=kit,
            status__in=KitReservation.HOLDING,
            blocked_from__lt=dates.blocked_until,
            blocked_until__gt=dates.blocked_from,
        ).exists()
        if overlapping:
            raise _dates_taken(kit.pk, wanted=ship_date, today=today)
        try:
            with transaction.atomic():
                reservation = KitReservation.objects.create(
                    kit=kit,
                    organization_id=organization_id,
                    region_code=organization.region_code if organization else "",
                    requested_by_id=user.pk,
                    ship_date=dates.ship_date,
                    due_date=dates.due_date,
                    blocked_from=dates.blocked_from,
                    blocked_until=dates.blocked_until,
                    program_note=program_note.strip(),
                )
        except IntegrityError as error:
            # Another request for overlapping dates committed between the check and the
            # insert: the exclusion constraint refused this one.
            if "no_overlap" not in str(error):
                raise
            raise _dates_taken(kit.pk, wanted=ship_date, today=today) from error
        audit_record(
            actor=user,
            action="kit.reserve",
            target=reservation,
            summary=f"{kit.name}: {ship_date.isoformat()}",
            data={"organization_id": organization_id, "ship_date": ship_date.isoformat()},
        )
        _notify(reservation, "requested")
        _notify_specialists(reservation)
    return reservation


def _in_scope_for_update(user: Any, reservation_id: int) -> KitReservation:
    reservation = (
        KitReservation.objects.select_for_update()
        .select_related("kit")
        .filter(kit_reservations_in_scope(user), pk=reservation_id)
        .first()
    )
    if reservation is None:
        raise KitNotFound(_("That reservation is not in a region you cover."))
    return reservation


def kit_reservation_decide(
    *, user: Any, reservation_id: int, approve: bool, reason: str = ""
) -> KitReservation:
    """Approve or decline a requested reservation of an organization in the person's regions
    (program staff: any). A decline needs a reason; the borrower is emailed either way."""
    with transaction.atomic():
        reservation = _in_scope_for_update(user, reservation_id)
        if reservation.status != KitReservation.Status.REQUESTED:
            raise KitWrongStatus(_("This reservation was already decided; nothing was changed."))
        if not approve and not reason.strip():
            raise KitError(_("Please give the library a reason for declining."))
        reservation.status = (
            KitReservation.Status.APPROVED if approve else KitReservation.Status.DECLINED
        )
        reservation.decided_at = timezone.now()
        reservation.decided_by = user
        reservation.decision_reason = reason.strip()
        reservation.save(update_fields=["status", "decided_at", "decided_by", "decision_reason"])
        audit_record(
            actor=user,
            action="kit.approve" if approve else "kit.decline",
            target=reservation,
            summary=reservation.kit.name,
            data={"reason": reservation.decision_reason},
        )
        _notify(reservation, "approved" if approve else "declined")
    return reservation


def kit_reservation_ship(
    *, user: Any, reservation_id: int, checked_item_ids: Iterable[int]
) -> KitReservation:
    """Mark an approved reservation shipped. Every line of the kit's contents checklist must be
    ticked, and a kit held until restocked cannot go out."""
    with transaction.atomic():
        reservation = _in_scope_for_update(user, reservation_id)
        if reservation.status != KitReservation.Status.APPROVED:
            raise KitWrongStatus(_("Only an approved reservation can be shipped."))
        if Kit.objects.filter(pk=reservation.kit_id, held=True).exists():
            raise KitUnavailable(_("This kit is held until it is restocked; restock it first."))
        items = list(KitItem.objects.filter(kit_id=reservation.kit_id))
        checked = set(checked_item_ids)
        unticked = [item for item in items if item.pk not in checked]
        if unticked:
            raise KitError(
                _("Tick every item of the checklist before shipping. Not ticked: %(items)s.")
                % {"items": ", ".join(item.display_name(get_language()) for item in unticked)}
            )
        reservation.status = KitReservation.Status.SHIPPED
        reservation.shipped_at = timezone.now()
        reservation.shipped_by = user
        reservation.save(update_fields=["status", "shipped_at", "shipped_by"])
        audit_record(
            actor=user, action="kit.ship", target=reservation, summary=reservation.kit.name
        )
        _notify(reservation, "shipped")
    return reservation


def kit_reservation_return(
    *,
    user: Any,
    reservation_id: int,
    counts: Mapping[int, tuple[int, int]],
    notes: str = "",
) -> KitReservation:
    """Record a shipped kit's return: for each checklist item (by id) how many came back
    missing and how many damaged (items not named: none). The kit is held until restocked."""
    with transaction.atomic():
        reservation = _in_scope_for_update(user, reservation_id)
        if reservation.status != KitReservation.Status.SHIPPED:
            raise KitWrongStatus(_("Only a shipped kit can be returned."))
        items = {item.pk: item for item in KitItem.objects.filter(kit_id=reservation.kit_id)}
        unknown = set(counts) - set(items)
        if unknown:
            raise KitError(_("Those items are not on this kit's checklist."))
        rows = []
        for item_id, (missing, damaged) in counts.items():
            item = items[item_id]
            if missing < 0 or damaged < 0:
                raise KitError(_("Counts cannot be negative."))
            if missing + damaged > item.quantity:
                raise KitError(
                    _(
                        "%(item)s: %(missing)d missing and %(damaged)d damaged is more than the "
                        "%(quantity)d the kit holds."
                    )
                    % {
                        "item": item.display_name(get_language()),
                        "missing": missing,
                        "damaged": damaged,
                        "quantity": item.quantity,
                    }
                )
            if missing or damaged:
                rows.append(
                    KitReturnItem(
                        reservation=reservation, item=item, missing=missing, damaged=damaged
                    )
                )
        KitReturnItem.objects.bulk_create(rows)
        now = timezone.now()
        reservation.status = KitReservation.Status.RETURNED
        reservation.returned_at = now
        reservation.returned_by = user
        reservation.return_notes = notes.strip()
        reservation.save(update_fields=["status", "returned_at", "returned_by", "return_notes"])
        Kit.objects.filter(pk=reservation.kit_id).update(held=True, held_since=now)
        audit_record(
            actor=user,
            action="kit.return",
            target=reservation,
            summary=reservation.kit.name,
            data={
                "items": {
                    str(row.item_id): {"missing": row.missing, "damaged": row.damaged}
                    for row in rows
                }
            },
        )
        _notify(reservation, "returned", short=rows)
    return reservation


def kit_restock(*, user: Any, kit_id: int) -> Kit:
    """Release a kit held after a return: it is checked and complete again."""
    if not kit_desk_is_staff(user):
        raise KitNotAllowed(_("Only the kit desk's staff can restock a kit."))
    with transaction.atomic():
        kit = Kit.objects.select_for_update().filter(pk=kit_id).first()
        if kit is None:
            raise KitNotFound(_("There is no such kit."))
        if not kit.held:
            raise KitWrongStatus(_("This kit is not held; nothing was changed."))
        kit.held = False
        kit.held_since = None
        kit.save(update_fields=["held", "held_since"])
        audit_record(actor=user, action="kit.restock", target=kit, summary=kit.name)
    return kit


def kit_reservation_cancel(*, user: Any, reservation_id: int) -> KitReservation:
    """Cancel a reservation not yet shipped: by the liaison of its organization, or by the
    desk's staff who cover it. Its dates are free again at once."""
    with transaction.atomic():
        reservation = (
            KitReservation.objects.select_for_update()
            .select_related("kit")
            .filter(pk=reservation_id)
            .filter(
                kit_reservations_in_scope(user) | Q(organization_id__in=kit_organizations_of(user))
            )
            .first()
        )
        if reservation is None:
            raise KitNotFound(_("There is no such reservation among yours."))
        if reservation.status not in (
            KitReservation.Status.REQUESTED,
            KitReservation.Status.APPROVED,
        ):
            raise KitWrongStatus(_("Only a reservation that has not shipped yet can be cancelled."))
        reservation.status = KitReservation.Status.CANCELLED
        reservation.cancelled_at = timezone.now()
        reservation.save(update_fields=["status", "cancelled_at"])
        audit_record(
            actor=user, action="kit.cancel", target=reservation, summary=reservation.kit.name
        )
        _notify(reservation, "cancelled")
    return reservation


def kit_overdue_reminders_send(*, today: datetime.date | None = None) -> int:
    """Email the borrower of each kit still out past its due date: on the first day overdue,
    then every ENGAGEMENT_KIT_OVERDUE_REMINDER_EVERY_DAYS days until it is back. Returns how
    many reminders went out."""
    today = today or timezone.localdate()
    every = datetime.timedelta(days=settings.ENGAGEMENT_KIT_OVERDUE_REMINDER_EVERY_DAYS)
    sent = 0
    with transaction.atomic():
        overdue = (
            KitReservation.objects.select_for_update()
            .select_related("kit")
            .filter(status=KitReservation.Status.SHIPPED, due_date__lt=today)
            .filter(Q(overdue_reminded_on__isnull=True) | Q(overdue_reminded_on__lte=today - every))
            .order_by("pk")
        )
        for reservation in overdue:
            reservation.overdue_reminded_on = today
            reservation.save(update_fields=["overdue_reminded_on"])
            _notify(reservation, "overdue", {"days_late": (today - reservation.due_date).days})
            sent += 1
    return sent
