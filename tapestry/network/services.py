import datetime
import logging
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tapestry.accounts.api import Role, people_get, person_get, role_grant
from tapestry.core.api import audit_record, email_send
from tapestry.network import selectors
from tapestry.network.geography import zip_lookup
from tapestry.network.models import (
    MembershipApplication,
    Organization,
    RegionSpecialist,
    ReviewReminder,
)
from tapestry.network.permissions import organizations_editable_by, regions_for_specialist

if TYPE_CHECKING:
    from tapestry.accounts.api import User

logger = logging.getLogger(__name__)

DETAIL_FIELDS = [
    "name",
    "org_type",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "zip_code",
    "phone",
    "website",
    "library_id",
    "liaison_name",
    "liaison_email",
    "services",
]


class NetworkError(Exception):
    """A request the network cannot carry out; the message is safe to show the person."""


class DuplicateApplication(NetworkError):
    pass


class NotAllowed(NetworkError):
    pass


class AlreadyDecided(NetworkError):
    pass


def membership_application_submit(
    *, applicant: "User", details: dict[str, Any]
) -> MembershipApplication:
    """Record an application and tell the specialists of the state's region.

    `details` holds validated OrganizationDetails fields (see forms.MembershipApplicationForm).
    Raises DuplicateApplication if the organization is a member or already has a pending
    application.
    """
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
                applicant=applicant, region=region, **{f: details[f] for f in DETAIL_FIELDS}
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
    except IntegrityError as error:
        # Two submissions raced past the checks above; the constraint kept only one.
        raise DuplicateApplication(
            _("An application for %(name)s in ZIP code %(zip)s is already waiting for review.")
            % {"name": name, "zip": zip_code}
        ) from error
    return application


def membership_application_decide(
    *, specialist: "User", application_id: int, approve: bool, reason: str = ""
) -> MembershipApplication:
    """Approve or reject a pending application in one of the specialist's regions.

    Approval creates the member organization (it then appears in the directory) and makes the
    applicant its liaison. A rejection needs a reason. The applicant is emailed either way.
    """
    with transaction.atomic():
        application = (
            MembershipApplication.objects.select_for_update()
            .filter(pk=application_id, region__in=regions_for_specialist(specialist))
            .first()
        )
        if application is None:
            raise NotAllowed(_("That application is not in a region you cover."))
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
            application.organization = _organization_from_application(application, today=now.date())
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
    place = zip_lookup(application.zip_code)
    if place is None:  # validated at submission; the ZIP table ships with the code
        raise NetworkError(f"ZIP code {application.zip_code} has no known location.")
    return Organization.objects.create(
        **{f: getattr(application, f) for f in DETAIL_FIELDS},
        liaison=application.applicant,
        latitude=place.latitude,
        longitude=place.longitude,
        joined_on=today,
        last_reviewed_on=today,
    )


def organization_review_confirm(
    *, liaison: "User", organization_id: int, details: dict[str, Any]
) -> Organization:
    """The liaison's annual review: save any corrections and mark the record reviewed today."""
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
        for field_name in DETAIL_FIELDS:
            setattr(organization, field_name, details[field_name])
        organization.latitude, organization.longitude = place.latitude, place.longitude
        organization.last_reviewed_on = timezone.localdate()
        transaction.on_commit(selectors.directory_version_forget)
        organization.save(
            update_fields=[
                *DETAIL_FIELDS,
                "latitude",
                "longitude",
                "last_reviewed_on",
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
    return organization


def review_reminders_send(*, today: datetime.date | None = None) -> int:
    """Email each liaison whose annual review falls due within a reminder window.

    Windows come from settings (for example 30, 7 and 0 days before). A record gets the
    reminder of the narrowest window it is in, once per review cycle, so a day the scheduler
    missed is caught up the next day and running twice sends nothing twice.
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
        with transaction.atomic():
            _reminder, created = ReviewReminder.objects.get_or_create(
                organization=organization, due_on=due_on, days_before=window
            )
            if not created:
                continue
            liaison = liaisons.get(organization.liaison_id or 0)
            language = liaison.language if liaison else "en"
            email_send(
                to=[organization.liaison_email],
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
