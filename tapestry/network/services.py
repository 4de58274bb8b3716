from __future__ import annotations

import datetime
import logging
from typing import TYPE_CHECKING, Any, Literal

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tapestry.accounts.api import Role, email_is_verified, people_get, person_get, role_grant
from tapestry.core.api import audit_record, email_send
from tapestry.core.geography import zip_lookup
from tapestry.network import selectors
from tapestry.network.models import (
    DETAIL_FIELDS,
    MembershipApplication,
    Organization,
    RegionSpecialist,
    ReviewReminder,
)
from tapestry.network.permissions import organizations_editable_by, regions_for_specialist

if TYPE_CHECKING:
    from tapestry.accounts.api import User

logger = logging.getLogger(__name__)


class NetworkError(Exception):
    """A request the network cannot carry out; the message is safe to show the person."""


class DuplicateApplication(NetworkError):
    pass


class NotAllowed(NetworkError):
    pass


class AlreadyDecided(NetworkError):
    pass


class OwnApplication(NotAllowed):
    """A specialist may not decide an application they sent themselves."""


class ConfirmationLinkInvalid(NetworkError):
    """A liaison-email link that is altered, expired, or for an address no longer in use."""


LiaisonRecordKind = Literal["application", "organization"]
_CONFIRMATION_SALT = "tapestry.network.liaison-email"


def membership_application_submit(
    *, applicant: User, details: dict[str, Any], language: str | None = None
) -> MembershipApplication:
    """Record an application and tell the specialists of the state's region.

    `details` holds validated OrganizationDetails fields (see forms.MembershipApplicationForm).
    The applicant gets a receipt in `language` (default: their preferred language). A liaison
    email other than the applicant's own verified address gets a link to confirm it, and
    counts as unconfirmed until then. Raises DuplicateApplication if the organization is a
    member or already has a pending application.
    """
    language = language or applicant.preferred_language
    name, zip_code = details["name"], details["zip_code"]
    if selectors.organization_duplicate(name=name, zip_code=zip_code):
        raise DuplicateApplication(
            _("%(name)s in ZIP code %(zip)s is already a member of the network.")
            % {"name": name, "zip": zip_code}
        )
    if selectors.application_pending_duplicate(name=name, zip_code=zip_code):
        raise DuplicateApplication(
            _("An application for %(name)s in ZIP code %(zip)s is already waiting for review.")
            % {"name": name, "zip": zip_code}
        )
    region = selectors.region_for_state(state_code=details["state"].code)
    if region is None:
        raise NetworkError(_("No region covers that state yet. Please contact the network office."))
    try:
        with transaction.atomic():
            application = MembershipApplication.objects.create(
                applicant=applicant,
                region=region,
                liaison_email_confirmed_at=_confirmed_now_if_verified(
                    user=applicant, email=details["liaison_email"]
                ),
                **{f: details[f] for f in DETAIL_FIELDS},
            )
            audit_record(
                actor=applicant,
                action="membership.apply",
                target=application,
                summary=f"{name} ({zip_code}) → {region.name}",
            )
            specialist_ids = RegionSpecialist.objects.filter(region=region).values_list(
                "user_id", flat=True
            )
            for specialist in people_get(user_ids=specialist_ids):
                email_send(
                    to=[specialist.email],
                    template="network/email/application_received",
                    context={"application": application, "site_url": settings.SITE_URL},
                    language=specialist.language,
                    recipient_name=specialist.name,
                )
            email_send(
                to=[applicant.email],
                template="network/email/application_receipt",
                context={"application": application, "site_url": settings.SITE_URL},
                language=language,
                recipient_name=applicant.get_full_name(),
            )
            if not application.liaison_email_confirmed:
                _liaison_confirmation_send(
                    record=application,
                    kind="application",
                    asked_by=applicant.get_full_name(),
                    language=language,
                )
    except IntegrityError as error:
        # Two submissions raced past the checks above; the constraint kept only one.
        raise DuplicateApplication(
            _("An application for %(name)s in ZIP code %(zip)s is already waiting for review.")
            % {"name": name, "zip": zip_code}
        ) from error
    return application


def membership_application_decide(
    *, specialist: User, application_id: int, approve: bool, reason: str = ""
) -> MembershipApplication:
    """Approve or reject a pending application in one of the specialist's regions.

    Approval creates the member organization (it then appears in the directory) and makes the
    applicant its liaison. A rejection needs a reason. The applicant is emailed either way.
    Nobody decides their own application (OwnApplication), administrators included.
    """
    with transaction.atomic():
        application = (
            MembershipApplication.objects.select_for_update()
            .filter(pk=application_id, region__in=regions_for_specialist(specialist))
            .first()
        )
        if application is None:
            raise NotAllowed(_("That application is not in a region you cover."))
        if application.applicant_id == specialist.pk:
            raise OwnApplication(
                _(
                    "You sent this application yourself, so another specialist must decide it. "
                    "Nothing was changed."
                )
            )
        if application.status != MembershipApplication.Status.PENDING:
            raise AlreadyDecided(_("This application was already decided; nothing was changed."))
        if not approve and not reason.strip():
            raise NetworkError(_("Please give the applicant a reason."))
        now = timezone.now()
        application.status = (
            MembershipApplication.Status.APPROVED
            if approve
            else MembershipApplication.Status.REJECTED
        )
        application.decided_at = now
        application.decided_by = specialist
        application.decision_reason = reason.strip()
        if approve:
            application.organization = _organization_from_application(
                application, today=timezone.localdate(now)
            )
            transaction.on_commit(selectors.directory_version_forget)
            role_grant(user_id=application.applicant_id, roles=[Role.LIAISON])
        application.save(
            update_fields=["status", "decided_at", "decided_by", "decision_reason", "organization"]
        )
        audit_record(
            actor=specialist,
            action="membership.approve" if approve else "membership.reject",
            target=application,
            summary=application.name,
            data={"reason": application.decision_reason},
        )
        applicant = person_get(user_id=application.applicant_id)
        if applicant is not None:
            email_send(
                to=[applicant.email],
                template="network/email/application_decided",
                context={"application": application, "site_url": settings.SITE_URL},
                language=applicant.language,
                recipient_name=applicant.name,
            )
    return application


def _organization_from_application(
    application: MembershipApplication, *, today: datetime.date
) -> Organization:
    """The member record an approved application becomes, located at its ZIP code."""
    place = zip_lookup(application.zip_code)
    if place is None:  # validated at submission; the ZIP table ships with the code
        raise NetworkError(f"ZIP code {application.zip_code} has no known location.")
    return Organization.objects.create(
        **{f: getattr(application, f) for f in DETAIL_FIELDS},
        liaison=application.applicant,
        liaison_email_confirmed_at=application.liaison_email_confirmed_at,
        latitude=place.latitude,
        longitude=place.longitude,
        joined_on=today,
        last_reviewed_on=today,
    )


def organization_review_confirm(
    *, liaison: User, organization_id: int, details: dict[str, Any], language: str | None = None
) -> Organization:
    """The liaison's annual review: save any corrections and mark the record reviewed today.

    A new liaison email that is not the liaison's own verified address is unconfirmed (hidden
    from the directory, sent no reminders) until the link sent to it, in `language`, is used.
    """
    with transaction.atomic():
        organization = (
            organizations_editable_by(liaison)
            .select_for_update()
            .filter(pk=organization_id)
            .first()
        )
        if organization is None:
            raise NotAllowed(_("You are not the liaison for that organization."))
        place = zip_lookup(details["zip_code"])
        if place is None:
            raise NetworkError(_("Enter a ZIP code we can find."))
        changed = [f for f in DETAIL_FIELDS if getattr(organization, f) != details[f]]
        new_liaison_email = organization.liaison_email.lower() != details["liaison_email"].lower()
        for field_name in DETAIL_FIELDS:
            setattr(organization, field_name, details[field_name])
        if new_liaison_email:
            organization.liaison_email_confirmed_at = _confirmed_now_if_verified(
                user=liaison, email=organization.liaison_email
            )
        organization.latitude, organization.longitude = place.latitude, place.longitude
        organization.last_reviewed_on = timezone.localdate()
        transaction.on_commit(selectors.directory_version_forget)
        organization.save(
            update_fields=[
                *DETAIL_FIELDS,
                "latitude",
                "longitude",
                "last_reviewed_on",
                "liaison_email_confirmed_at",
                "updated_at",
            ]
        )
        audit_record(
            actor=liaison,
            action="organization.review",
            target=organization,
            summary=organization.name,
            data={"changed": changed},
        )
        if not organization.liaison_email_confirmed:
            _liaison_confirmation_send(
                record=organization,
                kind="organization",
                asked_by=liaison.get_full_name(),
                language=language or liaison.preferred_language,
            )
    return organization


def review_reminders_send(*, today: datetime.date | None = None) -> int:
    """Email each liaison whose annual review falls due within a reminder window.

    Windows come from settings (for example 30, 7 and 0 days before). A record gets the
    reminder of the narrowest window it is in, once per review cycle, so a day the scheduler
    missed is caught up the next day and running twice sends nothing twice. The reminder goes
    to the liaison email once it is confirmed, otherwise to the liaison's own (verified)
    sign-in address; a record with neither gets none.
    """
    today = today or timezone.localdate()
    windows = sorted(settings.NETWORK_REVIEW_REMINDER_DAYS)
    review_days = datetime.timedelta(days=settings.NETWORK_ANNUAL_REVIEW_DAYS)
    # Records that fell due yesterday stay in range, so a missed due day is caught up too.
    earliest = today - review_days - datetime.timedelta(days=1)
    latest = today + datetime.timedelta(days=windows[-1]) - review_days
    sent = 0
    due_soon = list(Organization.objects.filter(last_reviewed_on__range=(earliest, latest)))
    liaisons = {
        person.id: person
        for person in people_get(user_ids={o.liaison_id for o in due_soon if o.liaison_id})
    }
    for organization in due_soon:
        due_on = organization.review_due_on
        days_left = (due_on - today).days
        window = next(w for w in windows if days_left <= w)
        recipient = _reminder_recipient(organization)
        if recipient is None:
            logger.warning(
                "No confirmed address for the annual-review reminder of organization %s",
                organization.pk,
            )
            continue
        with transaction.atomic():
            _reminder, created = ReviewReminder.objects.get_or_create(
                organization=organization, due_on=due_on, days_before=window
            )
            if not created:
                continue
            liaison = liaisons.get(organization.liaison_id or 0)
            language = liaison.language if liaison else "en"
            email_send(
                to=[recipient],
                template="network/email/review_reminder",
                context={
                    "organization": organization,
                    "due_on": due_on,
                    "days_left": days_left,
                    "site_url": settings.SITE_URL,
                },
                language=language,
                recipient_name=organization.liaison_name,
            )
        sent += 1
    logger.info("Sent %s annual-review reminders", sent)
    return sent


def _reminder_recipient(organization: Organization) -> str | None:
    """Where a record's reminder may go: an address known to reach the liaison, or None."""
    if organization.liaison_email_confirmed:
        return organization.liaison_email
    if organization.liaison is not None and organization.liaison.is_active:
        return organization.liaison.email
    return None


def _confirmed_now_if_verified(*, user: User, email: str) -> datetime.datetime | None:
    """Now if `email` is one of the user's verified sign-in addresses, else None (unconfirmed)."""
    return timezone.now() if email_is_verified(user_id=user.pk, email=email) else None


def liaison_confirmation_token(
    *, kind: LiaisonRecordKind, record_id: int, email: str, issued_at: datetime.datetime
) -> str:
    """A signed link token naming the record and the address it confirms, and when it was made.

    The address is part of the token, so a link stops working if the liaison email changes.
    """
    return signing.dumps(
        {
            "kind": kind,
            "id": record_id,
            "email": email.lower(),
            "issued": int(issued_at.timestamp()),
        },
        salt=_CONFIRMATION_SALT,
    )


def _liaison_confirmation_send(
    *,
    record: MembershipApplication | Organization,
    kind: LiaisonRecordKind,
    asked_by: str,
    language: str,
) -> None:
    """Email the liaison address a link that confirms it (see liaison_email_confirm)."""
    cache.set(
        _resend_key(kind=kind, record_id=record.pk),
        True,
        timeout=settings.NETWORK_LIAISON_RESEND_SECONDS,
    )
    token = liaison_confirmation_token(
        kind=kind, record_id=record.pk, email=record.liaison_email, issued_at=timezone.now()
    )
    email_send(
        to=[record.liaison_email],
        template="network/email/liaison_email_confirm",
        context={
            "record": record,
            "asked_by": asked_by,
            "confirm_url": settings.SITE_URL
            + reverse("network:liaison_email_confirm", kwargs={"token": token}),
            "days": settings.NETWORK_LIAISON_CONFIRMATION_DAYS,
        },
        language=language,
        recipient_name=record.liaison_name,
    )


def _resend_key(*, kind: LiaisonRecordKind, record_id: int) -> str:
    """The cache key that remembers a link was sent lately, so a new one waits a while."""
    return f"network:liaison-link-sent:{kind}:{record_id}"


def liaison_email_confirmation_read(
    *, token: str, now: datetime.datetime | None = None
) -> MembershipApplication | Organization:
    """The application or member record a confirmation link is for, if the link still holds.

    Raises ConfirmationLinkInvalid for an altered or expired link, or one sent to an address
    that is no longer the record's liaison email.
    """
    now = now or timezone.now()
    try:
        payload = signing.loads(token, salt=_CONFIRMATION_SALT)
    except signing.BadSignature as error:
        raise ConfirmationLinkInvalid(
            _("This confirmation link is not valid. Copy the whole link from the email.")
        ) from error
    issued = datetime.datetime.fromtimestamp(payload["issued"], tz=datetime.UTC)
    if now - issued > datetime.timedelta(days=settings.NETWORK_LIAISON_CONFIRMATION_DAYS):
        raise ConfirmationLinkInvalid(
            _(
                "This confirmation link has expired. The applicant or liaison can send a new "
                "one from their membership page."
            )
        )
    model = MembershipApplication if payload["kind"] == "application" else Organization
    record = model.objects.filter(pk=payload["id"]).first()
    if record is None or record.liaison_email.lower() != payload["email"]:
        raise ConfirmationLinkInvalid(
            _(
                "This link was sent to an address that is no longer the liaison email of the "
                "organization, so it confirms nothing. Nothing was changed."
            )
        )
    return record


def liaison_email_confirm(
    *, token: str, now: datetime.datetime | None = None
) -> MembershipApplication | Organization:
    """Mark the liaison email a link was sent to as confirmed (idempotent).

    Confirming an application's address also confirms it on the member record the application
    became, if that record still has the same address.
    """
    now = now or timezone.now()
    with transaction.atomic():
        record = liaison_email_confirmation_read(token=token, now=now)
        record = type(record).objects.select_for_update().get(pk=record.pk)
        if record.liaison_email_confirmed:
            return record
        records: list[MembershipApplication | Organization] = [record]
        if isinstance(record, MembershipApplication) and record.organization is not None:
            member = record.organization
            if member.liaison_email.lower() == record.liaison_email.lower():
                records.append(member)
        for confirmed in records:
            if not confirmed.liaison_email_confirmed:
                confirmed.liaison_email_confirmed_at = now
                confirmed.save(update_fields=["liaison_email_confirmed_at"])
                audit_record(
                    actor=None,
                    action="liaison_email.confirm",
                    target=confirmed,
                    summary=confirmed.liaison_email,
                )
        transaction.on_commit(selectors.directory_version_forget)
    return record


def liaison_email_confirmation_resend(
    *, user: User, kind: LiaisonRecordKind, record_id: int, language: str
) -> MembershipApplication | Organization:
    """Send the confirmation link again, for the applicant's or the liaison's own record."""
    record: MembershipApplication | Organization | None
    if kind == "application":
        record = MembershipApplication.objects.filter(pk=record_id, applicant=user).first()
    else:
        record = organizations_editable_by(user).filter(pk=record_id).first()
    if record is None:
        raise NotAllowed(_("You can ask for a link only for your own application or record."))
    if record.liaison_email_confirmed:
        raise NetworkError(_("The liaison email is already confirmed; no link was sent."))
    if cache.get(_resend_key(kind=kind, record_id=record.pk)):
        raise NetworkError(
            _(
                "A link went to %(email)s a few minutes ago; no new one was sent. Please check "
                "that mailbox, or ask again in ten minutes."
            )
            % {"email": record.liaison_email}
        )
    with transaction.atomic():
        _liaison_confirmation_send(
            record=record, kind=kind, asked_by=user.get_full_name(), language=language
        )
    return record
