"""Community engagement's writes, one block per part, as keyword-only `<entity>_<verb>`
functions in a transaction, with email on commit."""

import datetime
import logging
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import get_language, override
from django.utils.translation import gettext as _

from tapestry.accounts.api import Role, people_with_role, person_get, user_has_role
from tapestry.core.api import audit_record, checkpoint, email_send
from tapestry.core.geography import zip_lookup
from tapestry.engagement import kit_calendar
from tapestry.engagement.models import (
    ActivityReport,
    ActivityReportRow,
    EngagementRequest,
    Event,
    EventFormat,
    Kit,
    KitItem,
    KitReservation,
    KitReturnItem,
    ProfessionalRole,
    Registration,
    RequestMessage,
    RequestMilestone,
    registration_token,
    token_hash,
    token_new,
)
from tapestry.engagement.permissions import (
    kit_desk_is_staff,
    kit_organizations_of,
    kit_reservations_in_scope,
)
from tapestry.engagement.report_csv import ReportRow
from tapestry.network.api import (
    organization_places,
    organizations_get,
    organizations_of_liaison,
    region_codes_of_specialist,
    region_of_state,
    specialists_of_region,
)
from tapestry.surveys.api import SurveyError, evaluation_attach, evaluation_invite

# --- Events ---


logger = logging.getLogger(__name__)


# PostgreSQL's SQLSTATE for "deadlock detected", and how often a kit's loan is inserted again
# after one (see kit_reserve).
DEADLOCK_DETECTED = "40P01"
KIT_INSERT_ATTEMPTS = 3


class EventError(Exception):
    """A refusal whose message is safe to show; nothing was changed."""


class EventNotFound(EventError):
    """No such event among those the caller may manage (a 404, whoever asks)."""


class RegistrationRefused(EventError):
    """The event cannot take this registration (cancelled, over, already registered)."""


class RegistrationLinkInvalid(EventError):
    """A confirm or cancel link that matches no registration."""


def event_scope(user: Any) -> Q:
    """The events a person may manage and whose registrants they may see: those they organize,
    those of the organizations they are the liaison of, and those of the regions they cover as
    an engagement specialist. Deny by default: anyone else gets nothing."""
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    scope = Q(organizer_id=user.pk)
    organizations = organizations_of_liaison(user_id=user.pk)
    if organizations:
        scope |= Q(organization_id__in=organizations)
    if user_has_role(user, Role.ENGAGEMENT_SPECIALIST):
        regions = region_codes_of_specialist(user_id=user.pk)
        if regions:
            scope |= Q(region_code__in=regions)
    return scope


def _event_locked(actor: Any, event_id: int) -> Event:
    event = Event.objects.select_for_update().filter(event_scope(actor), pk=event_id).first()
    if event is None:
        raise EventNotFound(_("That event is not one you organize."))
    return event


def _url(name: str, *args: Any) -> str:
    return f"{settings.SITE_URL}{reverse(name, args=args)}"


def _place_apply(event: Event, *, actor: Any, details: dict[str, Any]) -> None:
    """Set the host, the place and the region from the form's details, checking the caller may
    hold an event there."""
    organization_id = details.get("organization_id")
    liaison_of = set(organizations_of_liaison(user_id=actor.pk))
    specialist_of = (
        set(region_codes_of_specialist(user_id=actor.pk))
        if user_has_role(actor, Role.ENGAGEMENT_SPECIALIST)
        else set()
    )
    place = None
    if organization_id is not None:
        place = organization_places(organization_ids=[organization_id]).get(organization_id)
        if place is None:
            raise EventError(_("That member organization does not exist."))
        if organization_id not in liaison_of and place.region_code not in specialist_of:
            raise EventError(
                _("You may hold events only for your own organization or in your regions.")
            )
    elif not specialist_of:
        raise EventError(_("Choose the member organization that holds the event."))
    event.organization_id = organization_id
    event.venue_name = details.get("venue_name", "")
    event.virtual_link = details.get("virtual_link", "") if event.is_online else ""
    if not event.is_in_person:
        event.address_line1 = event.city = event.state_code = event.zip_code = ""
        event.latitude = event.longitude = None
        event.region_code = place.region_code if place else sorted(specialist_of)[0]
        return
    if details.get("address_line1") or place is None:
        zip_place = zip_lookup(details.get("zip_code", ""))
        if zip_place is None:
            raise EventError(_("Enter the ZIP code of the place, or hold the event at the host."))
        event.address_line1 = details.get("address_line1", "")
        event.city = details.get("city") or zip_place.city.title()
        event.state_code = zip_place.state
        event.zip_code = zip_place.zip_code
        event.latitude, event.longitude = zip_place.latitude, zip_place.longitude
    else:
        event.address_line1 = place.address_line1
        event.city = place.city
        event.state_code = place.state_code
        event.zip_code = place.zip_code
        event.latitude, event.longitude = place.latitude, place.longitude
        event.venue_name = event.venue_name or place.name
    region = region_of_state(state_code=event.state_code)
    event.region_code = region.code if region else (place.region_code if place else "")
    if organization_id is None and event.region_code not in specialist_of:
        raise EventError(_("That place is outside the regions you cover."))


EVENT_FIELDS = (
    "title",
    "description",
    "focus_area",
    "audience",
    "language",
    "format",
    "capacity",
    "starts_at",
    "ends_at",
    "time_zone",
    "accessibility_notes",
)


def _details_check(details: dict[str, Any]) -> None:
    if details["ends_at"] <= details["starts_at"]:
        raise EventError(_("The event must end after it starts."))
    if details["format"] != EventFormat.IN_PERSON and not details.get("virtual_link"):
        raise EventError(_("An online event needs its link."))


def event_create(*, actor: Any, details: dict[str, Any]) -> Event:
    """A draft event held by one of the liaison's organizations, or anywhere in the
    specialist's regions. `details` are a validated EventForm's cleaned data."""
    _details_check(details)
    with transaction.atomic():
        event = Event(**{field: details[field] for field in EVENT_FIELDS}, organizer=actor)
        _place_apply(event, actor=actor, details=details)
        event.save()
        audit_record(
            actor=actor, action="engagement.event_create", target=event, summary=event.title
        )
    return event


def event_update(*, actor: Any, event_id: int, details: dict[str, Any]) -> Event:
    """Change an event the caller manages. Seats cannot drop below the people already seated;
    more seats seat the waitlist, in order, each with an email."""
    _details_check(details)
    with transaction.atomic():
        event = _event_locked(actor, event_id)
        if event.status == Event.Status.CANCELLED:
            raise EventError(_("This event was cancelled; it can no longer be changed."))
        seated = event.registrations.filter(status=Registration.Status.CONFIRMED).count()
        if details["capacity"] < seated:
            raise EventError(
                _("%(seated)s people already have a seat: the event needs at least that many.")
                % {"seated": seated}
            )
        for field in EVENT_FIELDS:
            setattr(event, field, details[field])
        _place_apply(event, actor=actor, details=details)
        event.save()
        _waitlist_promote(event)
        audit_record(
            actor=actor, action="engagement.event_update", target=event, summary=event.title
        )
    return event


def event_publish(*, actor: Any, event_id: int) -> Event:
    """Show a draft event in the finder and open its registration."""
    with transaction.atomic():
        event = _event_locked(actor, event_id)
        if event.status != Event.Status.DRAFT:
            raise EventError(_("Only a draft can be published."))
        if event.ends_at <= timezone.now():
            raise EventError(_("This event is already over."))
        event.status = Event.Status.PUBLISHED
        event.published_at = timezone.now()
        event.save(update_fields=["status", "published_at", "updated_at"])
        audit_record(
            actor=actor, action="engagement.event_publish", target=event, summary=event.title
        )
    return event


def event_cancel(*, actor: Any, event_id: int, reason: str = "") -> Event:
    """Cancel an event and tell everyone registered (pending, seated or waiting)."""
    with transaction.atomic():
        event = _event_locked(actor, event_id)
        if event.status == Event.Status.CANCELLED:
            raise EventError(_("This event was already cancelled."))
        event.status = Event.Status.CANCELLED
        event.cancelled_at = timezone.now()
        event.save(update_fields=["status", "cancelled_at", "updated_at"])
        registrations = list(
            event.registrations.exclude(status=Registration.Status.CANCELLED).exclude(email="")
        )
        for registration in registrations:
            _email(registration, "event_cancelled", reason=reason.strip())
        audit_record(
            actor=actor,
            action="engagement.event_cancel",
            target=event,
            summary=event.title,
            data={"reason": reason.strip(), "registrants_told": len(registrations)},
        )
    return event


def _email(registration: Registration, template: str, **context: Any) -> None:
    email_send(
        to=[registration.email],
        template=f"engagement/events/email/{template}",
        context={
            "event": registration.event,
            "registration": registration,
            "event_url": _url("engagement:event_detail", registration.event_id),
            "ics_url": _url("engagement:event_ics", registration.event_id),
            "confirm_url": _url(
                "engagement:registration_confirm", registration_token(registration, "confirm")
            ),
            "cancel_url": _url(
                "engagement:registration_cancel", registration_token(registration, "cancel")
            ),
            **context,
        },
        language=registration.language,
        recipient_name=registration.name,
    )


def registration_create(
    *,
    event_id: int,
    name: str,
    email: str,
    zip_code: str = "",
    role: str = "",
    language: str = "en",
) -> Registration:
    """Register someone without an account. Nothing is held yet: the email sent to the
    address carries the link that confirms it (and takes a seat or a waitlist place) and the
    link that cancels it. Refused for an event not open to registration and for an address
    already registered to the event."""
    email = email.strip().lower()
    with transaction.atomic():
        event = Event.objects.select_for_update().filter(pk=event_id).first()
        if event is None or event.status == Event.Status.DRAFT:
            raise RegistrationRefused(_("There is no such event."))
        if event.status == Event.Status.CANCELLED:
            raise RegistrationRefused(_("This event was cancelled, so it takes no registrations."))
        if event.ends_at <= timezone.now():
            raise RegistrationRefused(_("This event is over, so it takes no registrations."))
        if (
            event.registrations.filter(email=email)
            .exclude(status=Registration.Status.CANCELLED)
            .exists()
        ):
            raise RegistrationRefused(
                _(
                    "%(email)s is already registered for this event. The email we sent has "
                    "the links to confirm or cancel it."
                )
                % {"email": email}
            )
        registration = Registration(
            event=event,
            name=name.strip(),
            email=email,
            zip_code=zip_code,
            role=role,
            language=language if language in ("en", "es") else "en",
            link_salt=token_new(),
            # Placeholders, unique and matching no link, until the id the links sign exists.
            confirm_token_hash=token_hash(token_new()),
            cancel_token_hash=token_hash(token_new()),
        )
        try:
            with transaction.atomic():
                registration.save()
                registration.confirm_token_hash = token_hash(
                    registration_token(registration, "confirm")
                )
                registration.cancel_token_hash = token_hash(
                    registration_token(registration, "cancel")
                )
                registration.save(update_fields=["confirm_token_hash", "cancel_token_hash"])
        except IntegrityError as error:  # the same address at the same moment
            raise RegistrationRefused(
                _("%(email)s is already registered for this event.") % {"email": email}
            ) from error
        _email(registration, "registration_confirm")
    return registration


def _seats_left(event: Event) -> int:
    """Free seats; call with the event's row locked, so two confirmations of the last seat
    are counted one after the other."""
    seated = event.registrations.filter(status=Registration.Status.CONFIRMED).count()
    return max(0, event.capacity - seated)


def registration_confirm(*, token: str) -> Registration:
    """Confirm a registration by the link emailed to it: a seat if one is free, else the
    waitlist. Using the link again changes nothing."""
    with transaction.atomic():
        found = Registration.objects.filter(confirm_token_hash=token_hash(token)).first()
        if found is None:
            raise RegistrationLinkInvalid(_("This link is not valid. Please register again."))
        # Lock the event first: every seat decision for it queues on this row.
        event = Event.objects.select_for_update().get(pk=found.event_id)
        registration = Registration.objects.select_for_update().get(pk=found.pk)
        if registration.status != Registration.Status.PENDING:
            if registration.status == Registration.Status.CANCELLED:
                raise RegistrationLinkInvalid(_("This registration was cancelled."))
            return registration
        if event.status == Event.Status.CANCELLED:
            raise RegistrationRefused(_("This event was cancelled, so it takes no registrations."))
        if event.ends_at <= timezone.now():
            raise RegistrationRefused(_("This event is over, so it takes no registrations."))
        now = timezone.now()
        registration.confirmed_at = now
        if _seats_left(event) > 0:
            registration.status = Registration.Status.CONFIRMED
            registration.seated_at = now
        else:
            registration.status = Registration.Status.WAITLISTED
        registration.save(update_fields=["status", "confirmed_at", "seated_at"])
        registration.event = event
        _email(
            registration,
            "registration_seated"
            if registration.status == Registration.Status.CONFIRMED
            else "registration_waitlisted",
        )
    return registration


def registration_get_by_cancel_token(*, token: str) -> Registration | None:
    return (
        Registration.objects.select_related("event")
        .filter(cancel_token_hash=token_hash(token))
        .first()
    )


def registration_cancel(*, token: str) -> Registration:
    """Cancel a registration by the link emailed to it. A freed seat goes to the first person
    on the waitlist, who is emailed. Using the link again changes nothing."""
    with transaction.atomic():
        found = Registration.objects.filter(cancel_token_hash=token_hash(token)).first()
        if found is None:
            raise RegistrationLinkInvalid(_("This link is not valid."))
        event = Event.objects.select_for_update().get(pk=found.event_id)
        registration = Registration.objects.select_for_update().get(pk=found.pk)
        if registration.status == Registration.Status.CANCELLED:
            return registration
        if event.ends_at <= timezone.now():
            raise RegistrationRefused(_("This event is over; there is nothing to cancel."))
        registration.status = Registration.Status.CANCELLED
        registration.cancelled_at = timezone.now()
        registration.save(update_fields=["status", "cancelled_at"])
        if event.status != Event.Status.CANCELLED:
            _waitlist_promote(event)
    return registration


def _waitlist_promote(event: Event) -> list[Registration]:
    """Seat the waitlist, first confirmed first, while seats are free (event row locked)."""
    free = _seats_left(event)
    if free <= 0:
        return []
    promoted = list(
        event.registrations.select_for_update()
        .filter(status=Registration.Status.WAITLISTED)
        .order_by("confirmed_at", "pk")[:free]
    )
    now = timezone.now()
    for registration in promoted:
        registration.status = Registration.Status.CONFIRMED
        registration.seated_at = now
        registration.save(update_fields=["status", "seated_at"])
        registration.event = event
        _email(registration, "registration_promoted")
    return promoted


def registration_check_in(
    *, actor: Any, event_id: int, registration_id: int, attended: bool = True
) -> Registration:
    """Mark a seated person as here (or undo it), at an event the caller manages."""
    with transaction.atomic():
        event = _event_locked(actor, event_id)
        registration = event.registrations.select_for_update().filter(pk=registration_id).first()
        if registration is None:
            raise EventNotFound(_("That person is not registered for this event."))
        if event.status == Event.Status.CANCELLED:
            raise EventError(_("This event was cancelled."))
        if registration.status != Registration.Status.CONFIRMED:
            raise EventError(
                _("%(name)s has no seat (%(status)s), so cannot be checked in.")
                % {"name": registration.name, "status": registration.get_status_display()}
            )
        registration.attended = attended
        registration.checked_in_at = timezone.now() if attended else None
        registration.save(update_fields=["attended", "checked_in_at"])
    return registration


def event_evaluation_attach(*, actor: Any, event_id: int, instrument_slug: str) -> str:
    """Attach an event evaluation (surveys) to an event the caller manages; its title."""
    with transaction.atomic():
        event = _event_locked(actor, event_id)
        try:
            choice = evaluation_attach(
                subject_kind="event", subject_ref=str(event.pk), instrument_slug=instrument_slug
            )
        except SurveyError as error:
            raise EventError(str(error)) from error
    return str(choice.title_en)


def event_evaluation_invite(*, actor: Any, event_id: int) -> int:
    """Check-out: once the event has ended, invite each attendee not yet invited to its
    evaluation, in their language. Returns how many were invited (0 when none is attached)."""
    with transaction.atomic():
        event = _event_locked(actor, event_id)
        if event.ends_at > timezone.now():
            raise EventError(_("Invitations to the evaluation go out once the event has ended."))
        attendees = list(
            event.registrations.select_for_update()
            .filter(attended=True, evaluation_invited_at__isnull=True)
            .exclude(email="")
        )
        invited = 0
        now = timezone.now()
        for registration in attendees:
            link = evaluation_invite(
                subject_kind="event",
                subject_ref=str(event.pk),
                email=registration.email,
                language=registration.language,
            )
            if link is None:
                break
            registration.evaluation_invited_at = now
            registration.save(update_fields=["evaluation_invited_at"])
            invited += 1
        if invited:
            event.evaluation_sent_at = now
            event.save(update_fields=["evaluation_sent_at", "updated_at"])
    return invited


def event_reminders_send(*, now: datetime.datetime | None = None) -> int:
    """The day-before reminder: every seated person of a published event starting within the
    next 24 hours (and not yet reminded) gets one email. Returns how many were sent."""
    now = now or timezone.now()
    sent = 0
    event_ids = list(
        Event.objects.filter(
            status=Event.Status.PUBLISHED,
            starts_at__gt=now,
            starts_at__lte=now + datetime.timedelta(hours=24),
        ).values_list("pk", flat=True)
    )
    for event_id in event_ids:
        with transaction.atomic():
            event = Event.objects.select_for_update().get(pk=event_id)
            due = list(
                event.registrations.select_for_update()
                .filter(status=Registration.Status.CONFIRMED, reminded_at__isnull=True)
                .exclude(email="")
            )
            for registration in due:
                registration.event = event
                registration.reminded_at = now
                registration.save(update_fields=["reminded_at"])
                _email(registration, "event_reminder")
                sent += 1
            event.reminders_sent_at = now
            event.save(update_fields=["reminders_sent_at"])
        # Each event's marks commit with its queued emails (core.api.email_send_rendered), so
        # a run killed between events is taken up where it stopped (ADR 0031).
        checkpoint("email-batch")
    return sent


def registrants_anonymize(*, now: datetime.datetime | None = None) -> int:
    """Privacy: ENGAGEMENT_REGISTRANT_RETENTION_DAYS after an event ended (or was cancelled),
    erase its registrants' names and emails. The rows stay, with their status, attendance,
    ZIP code and role, so the counts the activity report needs are kept. Returns how many
    registrations were erased."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.ENGAGEMENT_REGISTRANT_RETENTION_DAYS)
    erased = 0
    events = Event.objects.filter(registrants_anonymized_at__isnull=True).filter(
        Q(ends_at__lte=cutoff) | Q(status=Event.Status.CANCELLED, cancelled_at__lte=cutoff)
    )
    for event_id in list(events.values_list("pk", flat=True)):
        with transaction.atomic():
            event = Event.objects.select_for_update().get(pk=event_id)
            erased += event.registrations.filter(anonymized_at__isnull=True).update(
                name="", email="", anonymized_at=now
            )
            event.registrants_anonymized_at = now
            event.save(update_fields=["registrants_anonymized_at"])
    if erased:
        logger.info("Erased the names and emails of %s registrations", erased)
    return erased


def event_local(event: Event, moment: datetime.datetime) -> datetime.datetime:
    """A moment in the event's own time zone."""
    return moment.astimezone(ZoneInfo(event.time_zone))


# --- Program kits ---
# The lending desk's workflow (ADR 0021): reserve → approve (or decline) → ship with the
# checklist ticked → return with missing and damaged items counted (the kit is then held until
# restocked); cancel while not yet shipped; remind the borrower of an overdue kit daily.


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
        # PostgreSQL checks an exclusion constraint by waiting for every in-progress insert that
        # conflicts; two such inserts can wait for each other, and the deadlock detector then
        # cancels one. Insert again: this time it waits for the other to end, then either
        # meets its committed loan (refused below) or finds the dates free.
        for attempt in range(1, KIT_INSERT_ATTEMPTS + 1):
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
                break
            except OperationalError as error:
                deadlock = getattr(error.__cause__, "sqlstate", None) == DEADLOCK_DETECTED
                if not deadlock or attempt == KIT_INSERT_ATTEMPTS:
                    raise
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


# --- Activity reports ---


REPORT_FIELDS = ("activity_type", "delivery", "activity_date", "title")


class ReportError(Exception):
    """A refusal whose message is safe to show; nothing was changed."""


class ReportNotFound(ReportError):
    """No such report among those the caller may see or act on (a 404, whoever asks)."""


def is_program_staff(user: Any) -> bool:
    return user_has_role(user, Role.PROGRAM_STAFF, Role.ADMINISTRATOR)


def activity_report_scope(user: Any) -> Q:
    """The reports a person may read: their own, their organizations', their regions' (as an
    engagement specialist) and, for program staff, all. Anyone else sees none."""
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    if is_program_staff(user):
        return Q()
    scope = Q(author_id=user.pk)
    organizations = organizations_of_liaison(user_id=user.pk)
    if organizations:
        scope |= Q(organization_id__in=organizations)
    if user_has_role(user, Role.ENGAGEMENT_SPECIALIST):
        regions_covered = region_codes_of_specialist(user_id=user.pk)
        if regions_covered:
            scope |= Q(region_code__in=regions_covered)
    return scope


def _report_editable_locked(actor: Any, report_id: int) -> ActivityReport:
    """A report its author's organization may still change (the author or a liaison of the
    organization), locked."""
    organizations = organizations_of_liaison(user_id=actor.pk)
    report = (
        ActivityReport.objects.select_for_update()
        .filter(Q(author_id=actor.pk) | Q(organization_id__in=organizations), pk=report_id)
        .first()
    )
    if report is None:
        raise ReportNotFound(_("That report is not one of yours."))
    return report


def _rows_check(rows: Iterable[ReportRow]) -> list[ReportRow]:
    checked = list(rows)
    if len(checked) > settings.ENGAGEMENT_REPORT_MAX_ROWS:
        raise ReportError(
            _("A report holds at most %(count)s rows.")
            % {"count": settings.ENGAGEMENT_REPORT_MAX_ROWS}
        )
    for number, row in enumerate(checked, start=1):
        if row.participants < 1:
            raise ReportError(_("row %(row)s: participants must be at least 1") % {"row": number})
        if zip_lookup(row.zip_code) is None:
            raise ReportError(
                _("row %(row)s: %(zip)s is not a known U.S. ZIP code")
                % {"row": number, "zip": row.zip_code}
            )
        if row.role not in ProfessionalRole.values:
            raise ReportError(_("row %(row)s: that is not one of the roles") % {"row": number})
    return checked


def _event_link(actor: Any, event_id: int | None) -> Event | None:
    if event_id is None:
        return None
    event = Event.objects.filter(event_scope(actor), pk=event_id).first()
    if event is None:
        raise ReportNotFound(_("That event is not one you organize."))
    return event


def activity_report_save(
    *,
    actor: Any,
    details: dict[str, Any],
    rows: Iterable[ReportRow],
    report_id: int | None = None,
) -> ActivityReport:
    """Create or change a report as a draft (or, when returned, keep it returned until it is
    submitted again). `details`: organization_id (one the actor is the liaison of),
    activity_type, delivery, activity_date, title and optionally event_id (an event the actor
    manages). The rows replace the report's rows, all of them or none."""
    checked = _rows_check(rows)
    with transaction.atomic():
        if report_id is None:
            organization_id = details.get("organization_id")
            if organization_id not in organizations_of_liaison(user_id=actor.pk):
                raise ReportError(
                    _("You may report only for the organizations you are the liaison of.")
                )
            organization = organizations_get(organization_ids=[organization_id])[organization_id]
            report = ActivityReport(
                author=actor,
                organization_id=organization_id,
                region_code=organization.region_code,
            )
        else:
            report = _report_editable_locked(actor, report_id)
            if not report.is_editable:
                raise ReportError(
                    _("This report was submitted; it can be changed only if it is returned.")
                )
        for field in REPORT_FIELDS:
            setattr(report, field, details[field])
        report.event = _event_link(actor, details.get("event_id"))
        report.save()
        report.rows.all().delete()
        ActivityReportRow.objects.bulk_create(
            ActivityReportRow(
                report=report, participants=row.participants, zip_code=row.zip_code, role=row.role
            )
            for row in checked
        )
    return report


def activity_report_submit(*, actor: Any, report_id: int) -> ActivityReport:
    """Send a draft (or a returned report) to the specialists of its region."""
    with transaction.atomic():
        report = _report_editable_locked(actor, report_id)
        if not report.is_editable:
            raise ReportError(_("This report was already submitted."))
        if not report.rows.exists():
            raise ReportError(_("Add at least one row of participants before submitting."))
        if report.activity_date > timezone.localdate():
            raise ReportError(
                _("The activity's date is still to come: submit the report once it has happened.")
            )
        report.status = (
            ActivityReport.Status.RESUBMITTED
            if report.status == ActivityReport.Status.RETURNED
            else ActivityReport.Status.SUBMITTED
        )
        report.submitted_at = timezone.now()
        report.save(update_fields=["status", "submitted_at", "updated_at"])
        audit_record(
            actor=actor,
            action="engagement.report_submit",
            target=report,
            summary=report.title,
            data={"status": report.status},
        )
        # The specialists of the region hear of it, each in their language.
        for specialist_id in specialists_of_region(region_code=report.region_code):
            specialist = person_get(user_id=specialist_id)
            if specialist is not None:
                email_send(
                    to=[specialist.email],
                    template="engagement/reports/email/report_submitted",
                    context={
                        "report": report,
                        "author": actor,
                        "report_url": _url("engagement:report_detail", report.pk),
                    },
                    language=specialist.language,
                    recipient_name=specialist.name,
                )
    return report


def activity_report_review(
    *, actor: Any, report_id: int, accept: bool, comments: str = ""
) -> ActivityReport:
    """A specialist of the report's region accepts it, or returns it with comments (required)
    for the author to fix. The author is emailed either way, in their language."""
    comments = comments.strip()
    if not accept and not comments:
        raise ReportError(_("Say what needs to change when you return a report."))
    with transaction.atomic():
        regions_covered = (
            region_codes_of_specialist(user_id=actor.pk)
            if user_has_role(actor, Role.ENGAGEMENT_SPECIALIST)
            else []
        )
        report = (
            ActivityReport.objects.select_for_update()
            .filter(pk=report_id, region_code__in=regions_covered)
            .first()
        )
        if report is None:
            raise ReportNotFound(_("That report is not in your regions."))
        if not report.is_awaiting_review:
            raise ReportError(_("This report is not waiting for a review."))
        report.status = ActivityReport.Status.ACCEPTED if accept else ActivityReport.Status.RETURNED
        report.reviewer = actor
        report.reviewed_at = timezone.now()
        report.review_comments = comments
        report.save(
            update_fields=["status", "reviewer", "reviewed_at", "review_comments", "updated_at"]
        )
        audit_record(
            actor=actor,
            action="engagement.report_accept" if accept else "engagement.report_return",
            target=report,
            summary=report.title,
            data={"comments": comments},
        )
        author = person_get(user_id=report.author_id)
        if author is not None:
            email_send(
                to=[author.email],
                template=(
                    "engagement/reports/email/report_accepted"
                    if accept
                    else "engagement/reports/email/report_returned"
                ),
                context={
                    "report": report,
                    "comments": comments,
                    "report_url": _url("engagement:report_detail", report.pk),
                },
                language=author.language,
                recipient_name=author.name,
            )
    return report


def report_rows_from_attendance(*, actor: Any, event_id: int) -> list[ReportRow]:
    """The rows an event's attendance gives: the checked-in registrants counted by ZIP code and
    role. Someone who gave no ZIP code counts under the event's (or its host's) ZIP code, no
    role under "other". Only for an event the caller manages."""
    event = Event.objects.filter(event_scope(actor), pk=event_id).first()
    if event is None:
        raise ReportNotFound(_("That event is not one you organize."))
    return attendance_rows(event)


def attendance_rows(event: Event) -> list[ReportRow]:
    """An event's checked-in registrants as report rows (see report_rows_from_attendance);
    the caller has checked that the event is theirs."""
    fallback_zip = event.zip_code
    if not fallback_zip and event.organization_id is not None:
        place = organization_places(organization_ids=[event.organization_id]).get(
            event.organization_id
        )
        fallback_zip = place.zip_code if place else ""
    counts: Counter[tuple[str, str]] = Counter()
    for zip_code, role in event.registrations.filter(attended=True).values_list("zip_code", "role"):
        zip_code = zip_code if zip_lookup(zip_code) is not None else fallback_zip
        role = role if role in ProfessionalRole.values else ProfessionalRole.OTHER
        counts[(zip_code, role)] += 1
    return [
        ReportRow(participants=count, zip_code=zip_code, role=role)
        for (zip_code, role), count in sorted(counts.items())
        if zip_code
    ]


# --- Engagement requests ---


REQUEST_FIELDS = (
    "audience",
    "focus_area",
    "language",
    "preferred_date_1",
    "preferred_date_2",
    "preferred_date_3",
    "expected_attendance",
    "notes",
)
# The statuses a request may move to from each status (the specialists move it).
REQUEST_NEXT: dict[str, tuple[str, ...]] = {
    EngagementRequest.Status.NEW: (
        EngagementRequest.Status.IN_DISCUSSION,
        EngagementRequest.Status.DECLINED,
    ),
    EngagementRequest.Status.IN_DISCUSSION: (
        EngagementRequest.Status.PLANNED,
        EngagementRequest.Status.DECLINED,
    ),
    EngagementRequest.Status.PLANNED: (
        EngagementRequest.Status.COMPLETED,
        EngagementRequest.Status.DECLINED,
    ),
    EngagementRequest.Status.COMPLETED: (),
    EngagementRequest.Status.DECLINED: (),
}


class RequestError(Exception):
    """A refusal whose message is safe to show; nothing was changed."""


class RequestNotFound(RequestError):
    """No such request among those the caller may see (a 404, whoever asks)."""


def may_request_engagement(user: Any) -> bool:
    """Liaisons and signed-in library staff may ask for a program. Library staff hold no role
    of their own, so anyone signed in may; the request is routed by their organization's
    state, or by the state they name."""
    return bool(getattr(user, "is_authenticated", False))


def engagement_request_scope(user: Any) -> Q:
    """The requests a person may see: their own, their regions' (as an engagement
    specialist) and, for program staff, all. Anyone else sees none."""
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    if is_program_staff(user):
        return Q()
    scope = Q(requester_id=user.pk)
    if user_has_role(user, Role.ENGAGEMENT_SPECIALIST):
        regions_covered = region_codes_of_specialist(user_id=user.pk)
        if regions_covered:
            scope |= Q(region_code__in=regions_covered)
    return scope


def request_handles(user: Any, request: EngagementRequest) -> bool:
    """Whether the person handles the request (a specialist of its region, or program staff)."""
    if is_program_staff(user):
        return True
    return user_has_role(user, Role.ENGAGEMENT_SPECIALIST) and (
        request.region_code in region_codes_of_specialist(user_id=user.pk)
    )


def _request_locked(actor: Any, request_id: int) -> EngagementRequest:
    request = (
        EngagementRequest.objects.select_for_update()
        .filter(engagement_request_scope(actor), pk=request_id)
        .first()
    )
    if request is None:
        raise RequestNotFound(_("There is no such request among yours."))
    return request


def _request_email(
    request: EngagementRequest, template: str, user_ids: Iterable[int], **context: Any
) -> None:
    for user_id in dict.fromkeys(user_ids):
        person = person_get(user_id=user_id)
        if person is None:
            continue
        email_send(
            to=[person.email],
            template=f"engagement/requests/email/{template}",
            context={
                "request": request,
                "request_url": _url("engagement:request_detail", request.pk),
                **context,
            },
            language=person.language,
            recipient_name=person.name,
        )


def _handlers_of(request: EngagementRequest) -> list[int]:
    """Who hears from the requester: the assigned specialist, else the region's."""
    if request.specialist_id is not None:
        return [request.specialist_id]
    return specialists_of_region(region_code=request.region_code)


def engagement_request_create(*, actor: Any, details: dict[str, Any]) -> EngagementRequest:
    """A liaison's (or library staff's) request, routed to the specialists of the region of
    the state of their organization (`details["organization_id"]`, one they are the liaison
    of), or of `details["state_code"]` when they have none. The region's first specialist is
    assigned and every specialist of the region is emailed."""
    if not may_request_engagement(actor):
        raise RequestError(_("Sign in to ask for a program."))
    organization_id = details.get("organization_id")
    state_code = (details.get("state_code") or "").upper()
    if organization_id is not None:
        if organization_id not in organizations_of_liaison(user_id=actor.pk):
            raise RequestError(_("Choose one of the organizations you are the liaison of."))
        state_code = organizations_get(organization_ids=[organization_id])[
            organization_id
        ].state_code
    region = region_of_state(state_code=state_code) if state_code else None
    if region is None:
        raise RequestError(_("Choose the state where the program would take place."))
    specialists = specialists_of_region(region_code=region.code)
    with transaction.atomic():
        request = EngagementRequest(
            requester=actor,
            organization_id=organization_id,
            state_code=state_code,
            region_code=region.code,
            specialist_id=specialists[0] if specialists else None,
            **{field: details.get(field) for field in REQUEST_FIELDS},
        )
        request.notes = request.notes or ""
        request.save()
        audit_record(
            actor=actor,
            action="engagement.request_create",
            target=request,
            summary=str(request),
            data={"region": region.code},
        )
        _request_email(request, "request_new", specialists, requester=actor)
    return request


def engagement_request_message_post(*, actor: Any, request_id: int, body: str) -> RequestMessage:
    """A message in the request's thread; it emails the other side (the requester, or the
    specialist handling it), each in their language, with a link to the thread."""
    body = body.strip()
    if not body:
        raise RequestError(_("Write a message first."))
    with transaction.atomic():
        request = _request_locked(actor, request_id)
        message = RequestMessage.objects.create(request=request, author=actor, body=body)
        if actor.pk == request.requester_id:
            recipients = _handlers_of(request)
        else:
            recipients = [request.requester_id]
            if request.specialist_id is None and request_handles(actor, request):
                request.specialist = actor
                request.save(update_fields=["specialist", "updated_at"])
        _request_email(request, "request_message", recipients, message=message, author=actor)
    return message


def engagement_request_status_set(
    *, actor: Any, request_id: int, status: str, note: str = ""
) -> EngagementRequest:
    """Move a request along (new → in discussion → planned → completed, or declined), by a
    specialist of its region or program staff. The change is a milestone and the requester
    is emailed."""
    with transaction.atomic():
        request = _request_locked(actor, request_id)
        if not request_handles(actor, request):
            raise RequestError(_("Only the specialists of the region change a request's status."))
        if status not in REQUEST_NEXT[request.status]:
            raise RequestError(
                _("A request that is %(status)s cannot become that.")
                % {"status": request.get_status_display().lower()}
            )
        request.status = status
        if request.specialist_id is None:
            request.specialist = actor
        request.save(update_fields=["status", "specialist", "updated_at"])
        RequestMilestone.objects.create(
            request=request,
            on=timezone.localdate(),
            status=status,
            note=note.strip()[:300],
            author=actor,
        )
        audit_record(
            actor=actor,
            action="engagement.request_status",
            target=request,
            summary=str(request),
            data={"status": status, "note": note.strip()},
        )
        _request_email(request, "request_status", [request.requester_id], note=note.strip())
    return request


def engagement_request_milestone_add(
    *, actor: Any, request_id: int, on: datetime.date, note: str
) -> RequestMilestone:
    """A dated note on the request, by whoever handles it."""
    note = note.strip()
    if not note:
        raise RequestError(_("Write what happened."))
    with transaction.atomic():
        request = _request_locked(actor, request_id)
        if not request_handles(actor, request):
            raise RequestError(_("Only the specialists of the region add milestones."))
        return RequestMilestone.objects.create(request=request, on=on, note=note, author=actor)


def engagement_request_convert(*, actor: Any, request_id: int, details: dict[str, Any]) -> Event:
    """Turn a request into a draft event (the events part's `event_create`, with the event
    form's cleaned data); the request links to it and becomes planned."""
    with transaction.atomic():
        request = _request_locked(actor, request_id)
        if not request_handles(actor, request):
            raise RequestError(
                _("Only the specialists of the region turn a request into an event.")
            )
        if request.event_id is not None:
            raise RequestError(_("This request already has its event."))
        if request.status in (
            EngagementRequest.Status.COMPLETED,
            EngagementRequest.Status.DECLINED,
        ):
            raise RequestError(_("This request is closed."))
        try:
            event = event_create(actor=actor, details=details)
        except EventError as refusal:
            raise RequestError(str(refusal)) from refusal
        request.event = event
        request.status = EngagementRequest.Status.PLANNED
        if request.specialist_id is None:
            request.specialist = actor
        request.save(update_fields=["event", "status", "specialist", "updated_at"])
        RequestMilestone.objects.create(
            request=request,
            on=timezone.localdate(),
            status=EngagementRequest.Status.PLANNED,
            note=event.title[:300],
            author=actor,
        )
        audit_record(
            actor=actor,
            action="engagement.request_convert",
            target=request,
            summary=event.title,
            data={"event": event.pk},
        )
        _request_email(request, "request_status", [request.requester_id], note="")
    return event
