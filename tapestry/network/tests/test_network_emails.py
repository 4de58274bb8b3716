"""Every network email, read as its recipient reads it, in English and in Spanish.

The organization is "O'Brien & Sons Children's Library": an apostrophe and an ampersand are
where HTML escaping used to show through (&#x27;, &amp;) in plain-text mail.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

import pytest
from django.core import mail
from django.utils import timezone

from tapestry.accounts.api import Role
from tapestry.network.models import MembershipApplication, Organization, StateTerritory
from tapestry.network.services import (
    membership_application_decide,
    membership_application_submit,
    review_reminders_send,
)
from tapestry.network.tests.factories import (
    MembershipApplicationFactory,
    OrganizationFactory,
    RegionSpecialistFactory,
    UserFactory,
    region,
)

if TYPE_CHECKING:
    from tapestry.accounts.api import User

pytestmark = pytest.mark.django_db

NAME = "O'Brien & Sons Children's Library"
GREETING = {"en": "Hello {name},", "es": "Hola, {name}:"}
SIGN_OFF = {"en": "Thank you for using Tapestry.", "es": "Gracias por usar Tapestry."}


def _no_entities(message: Any) -> None:
    for text in (message.subject, message.body):
        assert "&#" not in text and "&amp;" not in text and "&quot;" not in text, text


def _letter(message: Any, *, language: str, name: str) -> list[str]:
    """The lines between the greeting by `name` and the site's sign-off, checking both."""
    lines = str(message.body).splitlines()
    assert lines[:2] == [GREETING[language].format(name=name), ""]
    assert lines[-3:] == ["", SIGN_OFF[language], "http://127.0.0.1:8000"]
    return lines[2:-3]


@pytest.fixture
def applicant(request: Any) -> User:
    return UserFactory.create(
        email="ciara@example.org", full_name="Ciara O'Brien", preferred_language=request.param
    )


@pytest.mark.parametrize(
    ("language", "subject", "opening", "link_label"),
    [
        (
            "en",
            f"New membership application: {NAME}",
            f"{NAME} in Evanston, IL has applied to join the network. It is in Region 6, one "
            "of your regions.",
            "Review it here:",
        ),
        (
            "es",
            f"Nueva solicitud de membresía: {NAME}",
            f"{NAME}, en Evanston, IL, presentó una solicitud para unirse a la red. Está en "
            "Región 6, una de sus regiones.",
            "Revísela aquí:",
        ),
    ],
)
def test_the_specialists_notice(
    language: str,
    subject: str,
    opening: str,
    link_label: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    specialist = UserFactory.create(
        email="sam@example.org",
        full_name="Sam O'Connor",
        roles=[Role.ENGAGEMENT_SPECIALIST],
        preferred_language=language,
    )
    RegionSpecialistFactory.create(user=specialist, region=region("region-6"))
    bob = UserFactory.create(email="bob@example.org", full_name="Bob Applicant")
    details = {
        "name": NAME,
        "org_type": "public_library",
        "address_line1": "1703 Orrington Ave",
        "address_line2": "",
        "city": "Evanston",
        "state": StateTerritory.objects.get(code="IL"),
        "zip_code": "60201",
        "phone": "",
        "website": "",
        "library_id": "",
        "liaison_name": "Bob Applicant",
        "liaison_email": "bob@example.org",
        "services": {},
    }

    with django_capture_on_commit_callbacks(execute=True):
        application = membership_application_submit(applicant=bob, details=details)

    notice = mail.outbox[0]
    assert (notice.to, notice.subject) == (["sam@example.org"], subject)
    assert _letter(notice, language=language, name="Sam O'Connor") == [
        opening,
        "",
        f"{link_label} http://127.0.0.1:8000/network/specialist/applications/{application.pk}/",
    ]
    _no_entities(notice)


@pytest.mark.parametrize(
    ("applicant", "subject", "opening", "link_label"),
    [
        (
            "en",
            f"Welcome to the network: {NAME}",
            f"Good news: {NAME} is now a member of the network and appears in the public "
            "directory. You are its liaison.",
            "See the record:",
        ),
        (
            "es",
            f"Le damos la bienvenida a la red: {NAME}",
            f"Buenas noticias: {NAME} ya es miembro de la red y aparece en el directorio "
            "público. Usted es su enlace.",
            "Vea el registro:",
        ),
    ],
    indirect=["applicant"],
)
def test_the_approval(
    applicant: User,
    subject: str,
    opening: str,
    link_label: str,
    admin: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    application = MembershipApplicationFactory.create(
        applicant=applicant, name=NAME, zip_code="60201"
    )

    with django_capture_on_commit_callbacks(execute=True):
        membership_application_decide(specialist=admin, application_id=application.pk, approve=True)

    message = mail.outbox[-1]
    member = Organization.objects.get()
    assert (message.to, message.subject) == (["ciara@example.org"], subject)
    assert _letter(message, language=applicant.preferred_language, name="Ciara O'Brien") == [
        opening,
        "",
        f"{link_label} http://127.0.0.1:8000/network/organizations/{member.pk}/",
    ]
    _no_entities(message)


@pytest.mark.parametrize(
    ("applicant", "subject", "lines"),
    [
        (
            "en",
            f"Your application for {NAME}",
            [
                f"We could not approve the application for {NAME}.",
                "",
                'Reason: We need the director\'s "yes" & a ZIP code.',
                "",
                "You are welcome to apply again once this is resolved, or to reply to your "
                "regional office with questions.",
            ],
        ),
        (
            "es",
            f"Su solicitud para {NAME}",
            [
                f"No pudimos aprobar la solicitud de {NAME}.",
                "",
                'Motivo: We need the director\'s "yes" & a ZIP code.',
                "",
                "Puede volver a presentar una solicitud cuando esto se resuelva, o responder a "
                "su oficina regional si tiene preguntas.",
            ],
        ),
    ],
    indirect=["applicant"],
)
def test_the_rejection(
    applicant: User,
    subject: str,
    lines: list[str],
    admin: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    application = MembershipApplicationFactory.create(
        applicant=applicant, name=NAME, zip_code="60201"
    )

    with django_capture_on_commit_callbacks(execute=True):
        membership_application_decide(
            specialist=admin,
            application_id=application.pk,
            approve=False,
            reason='We need the director\'s "yes" & a ZIP code.',
        )

    message = mail.outbox[-1]
    assert (message.to, message.subject) == (["ciara@example.org"], subject)
    assert _letter(message, language=applicant.preferred_language, name="Ciara O'Brien") == lines
    _no_entities(message)
    assert MembershipApplication.objects.get().status == "rejected"


@pytest.mark.parametrize(
    ("applicant", "subject", "sentence"),
    [
        (
            "en",
            f"Please review your network record: {NAME}",
            f"The record for {NAME} is due for review by",
        ),
        ("es", f"Por favor, revise su registro en la red: {NAME}", NAME),
    ],
    indirect=["applicant"],
)
def test_the_annual_review_reminder(
    applicant: User, subject: str, sentence: str, django_capture_on_commit_callbacks: Any
) -> None:
    due_on = timezone.localdate() + datetime.timedelta(days=7)
    member = OrganizationFactory.create(
        name=NAME,
        liaison=applicant,
        liaison_name="Ciara O'Brien",
        liaison_email="ciara@example.org",
        last_reviewed_on=due_on - datetime.timedelta(days=365),
    )

    with django_capture_on_commit_callbacks(execute=True):
        review_reminders_send()

    message = mail.outbox[-1]
    assert (message.to, message.subject) == (["ciara@example.org"], subject)
    letter = _letter(message, language=applicant.preferred_language, name="Ciara O'Brien")
    assert sentence in letter[0]
    assert letter[-1].endswith(f" http://127.0.0.1:8000/network/organizations/{member.pk}/review/")
    _no_entities(message)
