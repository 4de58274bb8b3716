"""Every email the platform sends, read as its recipient would, in English and in Spanish.

Each entry in EMAILS makes the platform send one message the way it happens for real (a
sign-up, a password reset, a decision, a reminder) and says who should get it and whose
name should greet them. The test then reads the message: a greeting with the person's whole
name, the site's name where allauth's templates put it, plain text without HTML entities
(names with apostrophes and ampersands as written), and the sign-off in the right language.

To cover a new email, write a function like the ones below and add it to EMAILS.
"""

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.utils import timezone

from tapestry.accounts.api import role_grant
from tapestry.accounts.models import User
from tapestry.accounts.roles import Role
from tapestry.accounts.tests.factories import PASSWORD, UserFactory
from tapestry.funding.awards import (
    award_close,
    award_create,
    extension_decide,
    extension_request,
    invoice_decide,
    invoice_submit,
    report_reminders_send,
    report_submit,
)
from tapestry.funding.models import Application, Award, AwardReport, ExtensionRequest, Opportunity
from tapestry.funding.services import (
    application_move,
    application_start,
    application_submit,
    budget_set,
    review_assign,
)
from tapestry.funding.states import Status
from tapestry.funding.tests.factories import OpportunityFactory
from tapestry.funding.tests.factories_awards import (
    ACKNOWLEDGEMENT,
    ACKNOWLEDGEMENT_ES,
    AwardedApplicationFactory,
)
from tapestry.funding.tests.factories_staff import (
    ApplicationFactory,
    AwardFactory,
    InvoiceFactory,
    member_add,
)
from tapestry.learning.services import expiry_warnings_send
from tapestry.learning.tests.factories import course_finish, course_make, requirement_make
from tapestry.network.models import OrganizationType, StateTerritory
from tapestry.network.services import (
    membership_application_decide,
    membership_application_submit,
    review_reminders_send,
)
from tapestry.network.tests.factories import (
    MembershipApplicationFactory,
    OrganizationFactory,
    RegionSpecialistFactory,
    region,
)
from tapestry.research.models import AccessBypass
from tapestry.research.services import (
    bypass_grant,
    bypass_withdraw,
    identity_attest,
    identity_check_request,
    identity_withdraw,
    workspace_create,
    workspace_member_add,
)
from tapestry.research.tests.researchers import program_staff, researcher_make
from tapestry.resources import services as resource_services
from tapestry.resources.tests.factories import PASSING_SHEET, text_write
from tapestry.sharing import services as sharing_services
from tapestry.sharing.models import PatronAgreement
from tapestry.sharing.tests.factories import LendingPolicyFactory
from tapestry.sharing.tests.factories import serial_holding as sharing_serial_holding
from tapestry.surveys.api import evaluation_attach, evaluation_invite
from tapestry.surveys.tests.factories import instrument_make

pytestmark = pytest.mark.django_db

# A name that HTML escaping would mangle (&#x27; and &amp;), so the test sees any escaping.
ORGANIZATION = "Cheyenne Children's Hospital & Clinic"
GREETING = {"en": "Hello {name},", "es": "Hola, {name}:"}
GREETING_NO_NAME = {"en": "Hello,", "es": "Hola:"}
SIGN_OFF = {"en": "Thank you for using Tapestry.", "es": "Gracias por usar Tapestry."}


@dataclass(frozen=True)
class Expected:
    """Who gets the message, whose name greets them ("" if they have no account), and a
    phrase the subject must contain."""

    to: str
    name: str
    subject_contains: str


def _person(email: str, name: str, language: str, **kwargs: Any) -> User:
    return UserFactory.create(email=email, full_name=name, preferred_language=language, **kwargs)


def _browser(language: str) -> Client:
    browser = Client()
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return browser


def _application_details(applicant_name: str, applicant_email: str) -> dict[str, Any]:
    return {
        "name": ORGANIZATION,
        "org_type": OrganizationType.HOSPITAL_LIBRARY,
        "address_line1": "2600 E 18th St",
        "address_line2": "",
        "city": "Chicago",
        "state": StateTerritory.objects.get(code="IL"),
        "zip_code": "60601",
        "phone": "",
        "website": "",
        "library_id": "",
        "liaison_name": applicant_name,
        "liaison_email": applicant_email,
        "services": {},
    }


# allauth's messages -------------------------------------------------------------------------


def sign_up_confirmation(language: str) -> Expected:
    _browser(language).post(
        "/accounts/signup/",
        {
            "full_name": "Dr. Aisha O'Neil",
            "email": "aisha@example.org",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    return Expected("aisha@example.org", "Dr. Aisha O'Neil", "Tapestry")


def password_reset(language: str) -> Expected:
    _person("rosa@example.org", "Rosa Delgado Núñez", language)
    _browser(language).post("/accounts/password/reset/", {"email": "rosa@example.org"})
    return Expected("rosa@example.org", "Rosa Delgado Núñez", "Tapestry")


def password_reset_for_an_unknown_address(language: str) -> Expected:
    _browser(language).post("/accounts/password/reset/", {"email": "nobody@example.org"})
    return Expected("nobody@example.org", "", "Tapestry")


def sign_up_with_a_taken_address(language: str) -> Expected:
    _person("wei@example.org", "Wei Chen", language)
    _browser(language).post(
        "/accounts/signup/",
        {
            "full_name": "Someone Else",
            "email": "wei@example.org",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    return Expected("wei@example.org", "Wei Chen", "Tapestry")


# The network's messages ---------------------------------------------------------------------


def application_received(language: str) -> Expected:
    specialist = _person(
        "sam@example.org", "Sam O'Connor", language, roles=[Role.ENGAGEMENT_SPECIALIST]
    )
    RegionSpecialistFactory.create(user=specialist, region=region("region-6"))
    applicant = _person("bob@example.org", "Bob Applicant", "en")
    membership_application_submit(
        applicant=applicant, details=_application_details("Bob Applicant", "bob@example.org")
    )
    return Expected("sam@example.org", "Sam O'Connor", ORGANIZATION)


def application_receipt(language: str) -> Expected:
    applicant = _person("bob@example.org", "Bob D'Angelo", language)
    membership_application_submit(
        applicant=applicant, details=_application_details("Bob D'Angelo", "bob@example.org")
    )
    return Expected("bob@example.org", "Bob D'Angelo", ORGANIZATION)


def liaison_email_confirmation(language: str) -> Expected:
    # The applicant names someone else as the liaison, who has no account yet.
    applicant = _person("bob@example.org", "Bob D'Angelo", language)
    membership_application_submit(
        applicant=applicant, details=_application_details("Lucía Ramírez", "lucia@example.org")
    )
    return Expected("lucia@example.org", "Lucía Ramírez", ORGANIZATION)


def _decided(language: str, *, approve: bool) -> Expected:
    specialist = _person(
        "sam@example.org", "Sam Specialist", "en", roles=[Role.ENGAGEMENT_SPECIALIST]
    )
    RegionSpecialistFactory.create(user=specialist, region=region("region-6"))
    applicant = _person("bob@example.org", "Bob D'Angelo", language)
    # Made directly, not submitted, so the applicant's receipt is not in the outbox too.
    application = MembershipApplicationFactory.create(
        applicant=applicant, **_application_details("Bob D'Angelo", "bob@example.org")
    )
    membership_application_decide(
        specialist=specialist,
        application_id=application.pk,
        approve=approve,
        reason="" if approve else "We couldn't confirm the address & phone.",
    )
    return Expected("bob@example.org", "Bob D'Angelo", ORGANIZATION)


def application_approved(language: str) -> Expected:
    return _decided(language, approve=True)


def application_rejected(language: str) -> Expected:
    return _decided(language, approve=False)


def review_reminder(language: str) -> Expected:
    liaison = _person("lucia@example.org", "Lucía Ramírez", language)
    OrganizationFactory.create(
        name=ORGANIZATION,
        liaison=liaison,
        liaison_name="Lucía Ramírez",
        liaison_email="lucia@example.org",
        last_reviewed_on=timezone.localdate()
        - datetime.timedelta(days=settings.NETWORK_ANNUAL_REVIEW_DAYS - 7),
    )
    review_reminders_send()
    return Expected("lucia@example.org", "Lucía Ramírez", ORGANIZATION)


# The surveys' messages ---------------------------------------------------------------------


def evaluation_invitation(language: str) -> Expected:
    # What learning sends when a course is completed: the course's evaluation, a one-time link.
    learner = _person("ana@example.org", "Ana O'Brien-Núñez", language)
    instrument = instrument_make(
        slug="course-evaluation",
        purpose="course_evaluation",
        title={"en": "Course evaluation: Health & wellness", "es": "Evaluación del curso"},
    )
    evaluation_attach(subject_kind="course", subject_ref="42", instrument_slug=instrument.slug)
    evaluation_invite(
        subject_kind="course",
        subject_ref="42",
        email=learner.email,
        language=language,
        person_id=learner.pk,
    )
    return Expected(
        "ana@example.org",
        "Ana O'Brien-Núñez",
        "Evaluación del curso" if language == "es" else "Health & wellness",
    )


# The training platform's messages ------------------------------------------------------------


def _compliance_course(language: str) -> Any:
    title = "Privacidad y salud: lo básico" if language == "es" else "Privacy & health: the basics"
    return course_make(slug="privacy", title=title, language=language, compliance=True)


def courses_assigned(language: str) -> Expected:
    course = _compliance_course(language)
    requirement_make(role=Role.COMMUNITY_PARTNER, course=course)
    learner = _person("ana@example.org", "Ana O'Brien-Núñez", language)
    role_grant(user_id=learner.pk, roles=[Role.COMMUNITY_PARTNER])
    subject = "Su rol requiere un curso" if language == "es" else "A course is required"
    return Expected("ana@example.org", "Ana O'Brien-Núñez", subject)


def training_expiring(language: str) -> Expected:
    course = _compliance_course(language)
    learner = _person("ana@example.org", "Ana O'Brien-Núñez", language)
    course_finish(user_id=learner.pk, course=course)
    in_a_week = timezone.localdate() + datetime.timedelta(
        days=settings.LEARNING_COMPLETION_VALID_DAYS - 7
    )
    expiry_warnings_send(today=in_a_week)
    return Expected("ana@example.org", "Ana O'Brien-Núñez", course.title)


# The events' messages (registration without an account) -----------------------------------

EVENT_TITLE = "Children's health & the internet"


def _ana_at_event(language: str, *, status: str, capacity: int = 5, seated: int = 0) -> Any:
    """Ana's registration at a hybrid event in this state, made without sending anything, so
    the service under test sends the only message."""
    from tapestry.engagement.tests.factories import EventFactory, RegistrationFactory

    event = EventFactory.create(
        title=EVENT_TITLE,
        capacity=capacity,
        format="hybrid",
        virtual_link="https://meet.example.org/x",
        accessibility_notes="Step-free entrance & captions.",
    )
    RegistrationFactory.create_batch(seated, event=event)
    return RegistrationFactory.create(
        event=event,
        name="Ana O'Brien-Núñez",
        email="ana@example.org",
        language=language,
        status=status,
    )


def _ana() -> Expected:
    return Expected("ana@example.org", "Ana O'Brien-Núñez", EVENT_TITLE)


def event_registration_confirmation(language: str) -> Expected:
    from tapestry.engagement import services as event_services
    from tapestry.engagement.tests.factories import EventFactory

    event = EventFactory.create(title=EVENT_TITLE)
    event_services.registration_create(
        event_id=event.pk, name="Ana O'Brien-Núñez", email="ana@example.org", language=language
    )
    return _ana()


def _confirmed_by_link(language: str, **event: Any) -> Expected:
    from tapestry.engagement import services as event_services
    from tapestry.engagement.models import registration_token

    registration = _ana_at_event(language, status="pending", **event)
    event_services.registration_confirm(token=registration_token(registration, "confirm"))
    return _ana()


def event_seat_confirmed(language: str) -> Expected:
    return _confirmed_by_link(language)


def event_waitlisted(language: str) -> Expected:
    return _confirmed_by_link(language, capacity=1, seated=1)


def event_seat_freed(language: str) -> Expected:
    from tapestry.engagement import services as event_services
    from tapestry.engagement.models import Registration, registration_token

    registration = _ana_at_event(language, status="waitlisted", capacity=1, seated=1)
    seated = Registration.objects.get(event=registration.event, status="confirmed")
    event_services.registration_cancel(token=registration_token(seated, "cancel"))
    return _ana()


def event_reminder(language: str) -> Expected:
    from tapestry.engagement import services as event_services
    from tapestry.engagement.models import Event

    registration = _ana_at_event(language, status="confirmed")
    soon = timezone.now() + datetime.timedelta(hours=20)
    Event.objects.filter(pk=registration.event_id).update(
        starts_at=soon, ends_at=soon + datetime.timedelta(hours=2)
    )
    event_services.event_reminders_send()
    return _ana()


def event_cancelled(language: str) -> Expected:
    from tapestry.engagement import services as event_services

    registration = _ana_at_event(language, status="confirmed")
    organizer = _person("lucia@example.org", "Lucía Ramírez", "en")
    registration.event.organizer = organizer
    registration.event.save(update_fields=["organizer"])
    event_services.event_cancel(
        actor=organizer, event_id=registration.event_id, reason="The room flooded & is closed."
    )
    return _ana()


# Researcher access --------------------------------------------------------------------------


def _researcher(language: str, **missing: bool) -> User:
    return researcher_make(
        email="wei.oneil@example.org",
        full_name="Wei O'Neil & Chen",
        language=language,
        **missing,
    )


def _program_staff(language: str) -> User:
    staff = program_staff()
    staff.preferred_language = language
    staff.save(update_fields=["preferred_language"])
    return staff


def identity_requested(language: str) -> Expected:
    staff = _program_staff(language)
    identity_check_request(user=_researcher("es" if language == "en" else "en", identity=False))
    return Expected(staff.email, "Dana Whitfield", "Wei O'Neil & Chen")


def identity_confirmed(language: str) -> Expected:
    researcher = _researcher(language, identity=False)
    identity_attest(actor=_program_staff(language), user_id=researcher.pk, method="video")
    return Expected(researcher.email, "Wei O'Neil & Chen", "")


def identity_withdrawn(language: str) -> Expected:
    researcher = _researcher(language)
    identity_withdraw(actor=_program_staff(language), user_id=researcher.pk, reason="A mix-up.")
    return Expected(researcher.email, "Wei O'Neil & Chen", "")


def bypass_granted(language: str) -> Expected:
    researcher = _researcher(language, training=False)
    bypass_grant(
        actor=_program_staff(language),
        user_id=researcher.pk,
        requirement="training",
        reason="Course & quiz down this week.",
        ends_on=timezone.localdate() + datetime.timedelta(days=14),
    )
    return Expected(researcher.email, "Wei O'Neil & Chen", "")


def bypass_withdrawn(language: str) -> Expected:
    researcher = _researcher(language, training=False)
    staff = _program_staff(language)
    # Granted earlier (no email of its own here): only the withdrawal is read.
    bypass = AccessBypass.objects.create(
        user=researcher,
        requirement="training",
        reason="Course & quiz down this week.",
        ends_on=timezone.localdate() + datetime.timedelta(days=14),
        granted_by=staff,
    )
    bypass_withdraw(actor=staff, user_id=researcher.pk, bypass_id=bypass.pk)
    return Expected(researcher.email, "Wei O'Neil & Chen", "")


def workspace_member_added(language: str) -> Expected:
    owner = researcher_make(email="priya@example.org", full_name="Priya Natarajan")
    workspace = workspace_create(
        user=owner,
        name="Blood pressure & salt",
        purpose="Whether salt intake and blood pressure move together in adults of every age group.",
        tier="registered",
    )
    member = _researcher(language)
    workspace_member_add(user=owner, workspace=workspace, email=member.email)
    return Expected(member.email, "Wei O'Neil & Chen", "Blood pressure & salt")


# Funding: applications, review, decisions and awards -----------------------------------------

# A call whose title HTML escaping would mangle, in each language; the emails name it in the
# reader's language, so the subject shows which one they got.
CALL_TITLE = {
    "en": "Children's Health & Reading Awards",
    "es": "Premios de Salud & Lectura para los Niños",
}


def _call() -> Opportunity:
    return OpportunityFactory.create(title=CALL_TITLE["en"], title_es=CALL_TITLE["es"])


def _liaison(language: str) -> User:
    """Lucía, liaison of the organization, the application's first member."""
    return _person("lucia@example.org", "Lucía O'Brien", language, roles=[Role.LIAISON])


def _funding_staff(language: str) -> User:
    return _person("dana@example.org", "Dana O'Neil", language, roles=[Role.PROGRAM_STAFF])


def _application_at(language: str, status: Status) -> tuple[Application, User]:
    """Lucía's application at `status`, written directly (no service, so no email of the
    steps before it), she its member."""
    liaison = _liaison(language)
    organization = OrganizationFactory.create(name=ORGANIZATION, liaison=liaison)
    application = ApplicationFactory.create(
        opportunity=_call(),
        organization_id=organization.pk,
        status=status,
        project_title="Story time & blood pressure checks",
        created_by=liaison,
    )
    member_add(application, liaison)
    return application, liaison


def _lucia(language: str) -> Expected:
    return Expected("lucia@example.org", "Lucía O'Brien", CALL_TITLE[language])


def funding_application_submitted(language: str) -> Expected:
    liaison = _liaison(language)
    organization = OrganizationFactory.create(name=ORGANIZATION, liaison=liaison)
    application = application_start(
        actor=liaison,
        opportunity=_call(),
        organization_id=organization.pk,
        project_title="Story time & blood pressure checks",
        summary="A librarian's story hour with a nurse's checks after it.",
    )
    budget_set(
        actor=liaison, application=application, lines=[("Cuffs & flyers", Decimal("850.00"))]
    )
    application = application_submit(actor=liaison, application=application)
    return Expected("lucia@example.org", "Lucía O'Brien", str(application.tracking_number))


def funding_screened(language: str) -> Expected:
    application, _liaison_user = _application_at(language, Status.SUBMITTED)
    application_move(actor=_funding_staff("en"), application=application, to=Status.SCREENED)
    return _lucia(language)


def funding_sent_for_review(language: str) -> Expected:
    application, _liaison_user = _application_at(language, Status.SCREENED)
    staff = _funding_staff("en")
    # The reviewer's own email is another entry's; only Lucía's is read here.
    review_assign(
        actor=staff,
        application=application,
        reviewer=_person("priya@example.org", "Priya N'Dour", "en", roles=[Role.REVIEWER]),
    )
    application_move(actor=staff, application=application, to=Status.UNDER_REVIEW)
    return _lucia(language)


def funding_reviewer_assigned(language: str) -> Expected:
    application, _liaison_user = _application_at("en", Status.SCREENED)
    reviewer = _person("priya@example.org", "Priya N'Dour", language, roles=[Role.REVIEWER])
    review_assign(actor=_funding_staff("en"), application=application, reviewer=reviewer)
    return Expected("priya@example.org", "Priya N'Dour", CALL_TITLE[language])


def _decision(language: str, to: Status, reason: str) -> Expected:
    application, _liaison_user = _application_at(language, Status.UNDER_REVIEW)
    application_move(actor=_funding_staff("en"), application=application, to=to, reason=reason)
    return _lucia(language)


def funding_awarded(language: str) -> Expected:
    return _decision(language, Status.AWARDED, "It reaches the county's families & children.")


def funding_declined(language: str) -> Expected:
    return _decision(language, Status.DECLINED, "The budget's costs aren't allowable & it's late.")


def funding_withdrawn(language: str) -> Expected:
    application, liaison = _application_at(language, Status.SUBMITTED)
    application_move(
        actor=liaison,
        application=application,
        to=Status.WITHDRAWN,
        reason="Our director's plans changed & the room is gone.",
    )
    return _lucia(language)


def _award(language: str, *, staff_language: str = "en") -> tuple[Award, User, User]:
    """An active award of Lucía's organization for a year from the first of this month,
    written directly (no award letter), with Dana of program staff."""
    liaison = _liaison(language)
    staff = _funding_staff(staff_language)
    organization = OrganizationFactory.create(name=ORGANIZATION, liaison=liaison)
    application = AwardedApplicationFactory.create(
        opportunity=_call(), organization_id=organization.pk, created_by=liaison
    )
    start = timezone.localdate().replace(day=1)
    award = AwardFactory.create(
        application=application,
        organization_id=organization.pk,
        amount=Decimal("4000.00"),
        period_start=start,
        period_end=start.replace(year=start.year + 1) - datetime.timedelta(days=1),
        acknowledgement=ACKNOWLEDGEMENT,
        acknowledgement_es=ACKNOWLEDGEMENT_ES,
        awarded_by=staff,
    )
    return award, liaison, staff


def _lucia_award(award: Award) -> Expected:
    return Expected("lucia@example.org", "Lucía O'Brien", award.number)


def _dana(award: Award) -> Expected:
    return Expected("dana@example.org", "Dana O'Neil", award.number)


def funding_award_letter(language: str) -> Expected:
    liaison = _liaison(language)
    organization = OrganizationFactory.create(name=ORGANIZATION, liaison=liaison)
    application = AwardedApplicationFactory.create(
        opportunity=_call(), organization_id=organization.pk, created_by=liaison
    )
    award = award_create(
        actor=_funding_staff("en"),
        application=application,
        amount=Decimal("3500.00"),
        acknowledgement="Funded by the Children's Health & Reading Awards.",
        acknowledgement_es="Financiado por los Premios de Salud & Lectura para los Niños.",
    )
    return _lucia_award(award)


def funding_invoice_submitted(language: str) -> Expected:
    award, liaison, _staff = _award("en", staff_language=language)
    today = timezone.localdate()
    invoice_submit(
        actor=liaison,
        award=award,
        billing_month=today,
        invoice_date=today,
        amount=Decimal("250.00"),
        description="The interpreter's fee & flyers.",
    )
    return _dana(award)


def funding_invoice_decided(language: str) -> Expected:
    award, liaison, staff = _award(language)
    invoice = InvoiceFactory.create(
        award=award,
        number=f"{award.number}-01",
        billing_month=award.period_start,
        invoice_date=award.period_start,
        submitted_by=liaison,
    )
    invoice_decide(
        actor=staff,
        invoice=invoice,
        to="returned",
        reason="The receipt's missing & so is the date.",
    )
    return _lucia_award(award)


def funding_report_overdue(language: str) -> Expected:
    award, _liaison_user, _staff = _award(language)
    today = timezone.localdate()
    AwardReport.objects.create(
        award=award, kind=AwardReport.Kind.INTERIM, due_on=today - datetime.timedelta(days=1)
    )
    report_reminders_send(today=today)
    return _lucia_award(award)


def funding_report_submitted(language: str) -> Expected:
    award, liaison, _staff = _award("en", staff_language=language)
    report = AwardReport.objects.create(
        award=award, kind=AwardReport.Kind.INTERIM, due_on=award.period_end
    )
    report_submit(
        actor=liaison,
        report=report,
        narrative="Two story hours & a health fair; the county's nurses came.",
        activity_report_ids=[],
    )
    return _dana(award)


def funding_extension_requested(language: str) -> Expected:
    award, liaison, _staff = _award("en", staff_language=language)
    extension_request(
        actor=liaison,
        award=award,
        requested_end=award.period_end + datetime.timedelta(days=60),
        reason="The fair moved to June & the school's gym is booked.",
    )
    return _dana(award)


def _extension_decided(language: str, *, approve: bool) -> Expected:
    award, liaison, staff = _award(language)
    extension = ExtensionRequest.objects.create(
        award=award,
        requested_end=award.period_end + datetime.timedelta(days=60),
        reason="The fair moved to June.",
        requested_by=liaison,
    )
    extension_decide(
        actor=staff,
        extension=extension,
        approve=approve,
        reason="" if approve else "The call's rules don't allow it & the money's spent.",
    )
    return _lucia_award(award)


def funding_extension_approved(language: str) -> Expected:
    return _extension_decided(language, approve=True)


def funding_extension_declined(language: str) -> Expected:
    return _extension_decided(language, approve=False)


def funding_award_closed(language: str) -> Expected:
    award, _liaison_user, staff = _award(language)
    award_close(actor=staff, award=award, note="Every report's in & every invoice is paid.")
    return _lucia_award(award)


# Health information resources -----------------------------------------------------------------

RESOURCE_TITLE = "Children's health & the internet"


def _resource_in_review(author_language: str) -> Any:
    """Ana's text in review, sent before the reviewer below exists, so only the step under test
    sends to them."""
    author = _person(
        "ana@example.org", "Ana O'Brien-Núñez", author_language, roles=[Role.ENGAGEMENT_SPECIALIST]
    )
    text = text_write(author=author, title=RESOURCE_TITLE)
    return resource_services.text_submit(actor=author, text=text)


def _resource_reviewer(language: str) -> User:
    return _person("wei@example.org", "Wei O'Neil & Chen", language, roles=[Role.REVIEWER])


def resource_review_requested(language: str) -> Expected:
    _resource_reviewer(language)
    author = _person(
        "ana@example.org", "Ana O'Brien-Núñez", "en", roles=[Role.ENGAGEMENT_SPECIALIST]
    )
    resource_services.text_submit(
        actor=author, text=text_write(author=author, title=RESOURCE_TITLE)
    )
    return Expected("wei@example.org", "Wei O'Neil & Chen", RESOURCE_TITLE)


def resource_returned(language: str) -> Expected:
    text = _resource_in_review(language)
    resource_services.text_return(
        actor=_resource_reviewer("en"),
        text=text,
        note="Say what the “A1C” test is & don't use the word “glycemic”.",
    )
    return Expected("ana@example.org", "Ana O'Brien-Núñez", RESOURCE_TITLE)


def resource_published(language: str) -> Expected:
    text = _resource_in_review(language)
    reviewer = _resource_reviewer("en")
    resource_services.clear_communication_record(actor=reviewer, text=text, answers=PASSING_SHEET)
    resource_services.text_publish(actor=reviewer, text=text)
    return Expected("ana@example.org", "Ana O'Brien-Núñez", RESOURCE_TITLE)


SHARED_TITLE = "Kids' sleep & screens"


def _sharing_libraries(lender_language: str, borrower_language: str) -> tuple[Any, Any]:
    """A public library and a medical library that lends it Nature, each with a liaison whose
    name has an apostrophe and an ampersand."""
    borrower_liaison = _person(
        "nora@example.org", "Nora O'Hara & Kim", borrower_language, roles=[Role.LIAISON]
    )
    borrower = OrganizationFactory.create(
        name="O'Hare & Elm Public Library",
        org_type=OrganizationType.PUBLIC_LIBRARY,
        liaison=borrower_liaison,
    )
    lender_liaison = _person(
        "liam@example.org", "Liam D'Souza & Ng", lender_language, roles=[Role.LIAISON]
    )
    lender = OrganizationFactory.create(
        name="St. Mary's & Rush Medical Library", zip_code="60612", liaison=lender_liaison
    )
    LendingPolicyFactory.create(organization_id=lender.pk, accepts_patron_requests=False)
    sharing_serial_holding(lender)
    return borrower, lender


def _sharing_request(borrower: Any, **changes: Any) -> Any:
    values: dict[str, Any] = {
        "issn": "0028-0836",
        "journal_title": "Nature",
        "year": 2024,
        "title": SHARED_TITLE,
        "needed_by": timezone.localdate() + datetime.timedelta(days=14),
        "max_cost_cents": 2000,
        "compliance": "ccg",
    }
    values.update(changes)
    return sharing_services.request_create(
        actor=borrower.liaison, borrower_id=borrower.pk, **values
    )


def sharing_lender_asked(language: str) -> Expected:
    borrower, _lender = _sharing_libraries(language, "en")
    _sharing_request(borrower)
    return Expected("liam@example.org", "Liam D'Souza & Ng", SHARED_TITLE)


def sharing_filled(language: str) -> Expected:
    borrower, lender = _sharing_libraries("en", language)
    request = _sharing_request(borrower)
    sharing_services.request_fill(
        actor=lender.liaison, lender_id=lender.pk, request_id=request.pk, method="mail"
    )
    return Expected("nora@example.org", "Nora O'Hara & Kim", request.reference)


def sharing_unfilled(language: str) -> Expected:
    borrower, _lender = _sharing_libraries("en", language)
    request = _sharing_request(borrower, max_cost_cents=0)
    return Expected("nora@example.org", "Nora O'Hara & Kim", request.reference)


def _sharing_patron(language: str) -> tuple[Any, Any, Any]:
    borrower, lender = _sharing_libraries("en", "en")
    LendingPolicyFactory.create(
        organization_id=borrower.pk, accepts_patron_requests=True, lends=False
    )
    patron = _person("pat@example.org", "Pat O'Malley & Ruiz", language)
    return borrower, lender, patron


def sharing_agreement_asked(language: str) -> Expected:
    borrower, _lender = _sharing_libraries("en", language)
    LendingPolicyFactory.create(
        organization_id=borrower.pk, accepts_patron_requests=True, lends=False
    )
    patron = _person("pat@example.org", "Pat O'Malley & Ruiz", "en")
    sharing_services.agreement_ask(
        person=patron, organization_id=borrower.pk, is_health_professional=True
    )
    return Expected("nora@example.org", "Nora O'Hara & Kim", "")


def sharing_agreement_decided(language: str) -> Expected:
    borrower, _lender, patron = _sharing_patron(language)
    agreement = sharing_services.agreement_ask(
        person=patron, organization_id=borrower.pk, is_health_professional=False
    )
    sharing_services.agreement_decide(
        actor=borrower.liaison, agreement_id=agreement.pk, approve=True
    )
    return Expected("pat@example.org", "Pat O'Malley & Ruiz", "O'Hare & Elm Public Library")


def _sharing_patron_request(borrower: Any, patron: Any) -> Any:
    # The agreement made directly: its own emails are the entries above.
    PatronAgreement.objects.create(
        organization_id=borrower.pk, person=patron, status=PatronAgreement.Status.APPROVED
    )
    return sharing_services.patron_request_create(
        person=patron,
        organization_id=borrower.pk,
        issn="0028-0836",
        journal_title="Nature",
        year=2024,
        title=SHARED_TITLE,
        needed_by=timezone.localdate() + datetime.timedelta(days=14),
    )


def sharing_patron_request(language: str) -> Expected:
    borrower, _lender = _sharing_libraries("en", language)
    LendingPolicyFactory.create(
        organization_id=borrower.pk, accepts_patron_requests=True, lends=False
    )
    patron = _person("pat@example.org", "Pat O'Malley & Ruiz", "en")
    request = _sharing_patron_request(borrower, patron)
    return Expected("nora@example.org", "Nora O'Hara & Kim", request.reference)


def sharing_patron_declined(language: str) -> Expected:
    borrower, _lender, patron = _sharing_patron(language)
    request = _sharing_patron_request(borrower, patron)
    sharing_services.patron_request_decline(
        actor=borrower.liaison, request_id=request.pk, note="We hold it: come & read it here."
    )
    return Expected("pat@example.org", "Pat O'Malley & Ruiz", "O'Hare & Elm Public Library")


def sharing_patron_filled(language: str) -> Expected:
    borrower, lender, patron = _sharing_patron(language)
    request = _sharing_patron_request(borrower, patron)
    sharing_services.patron_request_approve(
        actor=borrower.liaison,
        request_id=request.pk,
        patron_reference="PAT-1",
        max_cost_cents=2000,
        compliance="ccg",
    )
    sharing_services.request_fill(
        actor=lender.liaison, lender_id=lender.pk, request_id=request.pk, method="mail"
    )
    return Expected("pat@example.org", "Pat O'Malley & Ruiz", "O'Hare & Elm Public Library")


EMAILS: dict[str, Callable[[str], Expected]] = {
    "sign-up confirmation": sign_up_confirmation,
    "password reset": password_reset,
    "password reset for an unknown address": password_reset_for_an_unknown_address,
    "sign-up with a taken address": sign_up_with_a_taken_address,
    "application received": application_received,
    "application receipt": application_receipt,
    "liaison email confirmation": liaison_email_confirmation,
    "application approved": application_approved,
    "application rejected": application_rejected,
    "review reminder": review_reminder,
    "evaluation invitation": evaluation_invitation,
    "courses assigned": courses_assigned,
    "training expiring": training_expiring,
    "event registration confirmation": event_registration_confirmation,
    "event seat confirmed": event_seat_confirmed,
    "event waitlisted": event_waitlisted,
    "event seat freed": event_seat_freed,
    "event reminder": event_reminder,
    "event cancelled": event_cancelled,
    "identity check requested": identity_requested,
    "identity confirmed": identity_confirmed,
    "identity withdrawn": identity_withdrawn,
    "research bypass granted": bypass_granted,
    "research bypass withdrawn": bypass_withdrawn,
    "added to a workspace": workspace_member_added,
    "funding application submitted": funding_application_submitted,
    "funding application screened": funding_screened,
    "funding application sent for review": funding_sent_for_review,
    "funding reviewer assigned": funding_reviewer_assigned,
    "funding decision: awarded": funding_awarded,
    "funding decision: declined": funding_declined,
    "funding application withdrawn": funding_withdrawn,
    "funding award letter": funding_award_letter,
    "funding invoice submitted (to staff)": funding_invoice_submitted,
    "funding invoice decided": funding_invoice_decided,
    "funding report overdue reminder": funding_report_overdue,
    "funding report submitted (to staff)": funding_report_submitted,
    "funding extension requested (to staff)": funding_extension_requested,
    "funding extension approved": funding_extension_approved,
    "funding extension declined": funding_extension_declined,
    "funding award closed": funding_award_closed,
    "resource sent for review (to reviewers)": resource_review_requested,
    "resource returned to its author": resource_returned,
    "resource published": resource_published,
    "sharing: a lender is asked": sharing_lender_asked,
    "sharing: the request is filled": sharing_filled,
    "sharing: nobody could fill it": sharing_unfilled,
    "sharing: a person asks a library": sharing_agreement_asked,
    "sharing: the library answers the person": sharing_agreement_decided,
    "sharing: a patron's request to approve": sharing_patron_request,
    "sharing: a patron's request declined": sharing_patron_declined,
    "sharing: a patron's item arrived": sharing_patron_filled,
}

# &amp; &#x27; &#39; … anywhere in a plain-text message means it was escaped for HTML.
HTML_ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);")
# "Hello from !", "an account on ." and "using !": a word, a space, then punctuation.
EMPTY_PLACEHOLDER = re.compile(r"\w [.!?,:;]")


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("email", list(EMAILS))
def test_every_email_reads_right(
    email: str, language: str, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        expected = EMAILS[email](language)

    messages = [message for message in mail.outbox if message.to == [expected.to]]
    assert len(messages) == 1, [m.subject for m in mail.outbox]
    subject, body = str(messages[0].subject), str(messages[0].body)
    lines = body.splitlines()
    greeting = (
        GREETING[language].format(name=expected.name)
        if expected.name
        else GREETING_NO_NAME[language]
    )
    assert lines[0] == greeting
    assert expected.subject_contains in subject
    assert HTML_ENTITY.search(subject) is None, subject
    assert HTML_ENTITY.search(body) is None, body
    assert EMPTY_PLACEHOLDER.search(body) is None, body
    assert SIGN_OFF[language] in lines
    other_language = "es" if language == "en" else "en"
    assert SIGN_OFF[other_language] not in body
    assert "\n\n\n" not in body
