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


def _no_entities(message: Any) -> None:
    for text in (message.subject, message.body):
        assert "&#" not in text and "&amp;" not in text and "&quot;" not in text, text


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
        email="sam@example.org", roles=[Role.ENGAGEMENT_SPECIALIST], preferred_language=language
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
    assert notice.body.startswith(opening)
    assert (
        f"{link_label} http://127.0.0.1:8000/network/specialist/applications/{application.pk}/"
        in notice.body
    )
    _no_entities(notice)


@pytest.mark.parametrize(
    ("applicant", "subject", "opening"),
    [
        (
            "en",
            f"Welcome to the network: {NAME}",
            f"Good news: {NAME} is now a member of the network",
        ),
        ("es", f"Le damos la bienvenida a la red: {NAME}", f"Buenas noticias: {NAME}"),
    ],
    indirect=["applicant"],
)
def test_the_approval(
    applicant: User,
    subject: str,
    opening: str,
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
    assert message.body.startswith(opening)
    assert f"/network/organizations/{member.pk}/" in message.body
    _no_entities(message)


@pytest.mark.parametrize(
    ("applicant", "subject", "lines"),
    [
        (
            "en",
            f"Your application for {NAME}",
            [
                f"We could not approve the application for {NAME}.",
                'Reason: We need the director\'s "yes" & a ZIP code.',
            ],
        ),
        (
            "es",
            f"Su solicitud para {NAME}",
            [
                f"No pudimos aprobar la solicitud de {NAME}.",
                'Motivo: We need the director\'s "yes" & a ZIP code.',
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
    assert message.body.splitlines()[0] == lines[0]
    assert lines[1] in message.body.splitlines()
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
        liaison_email="ciara@example.org",
        last_reviewed_on=due_on - datetime.timedelta(days=365),
    )

    with django_capture_on_commit_callbacks(execute=True):
        review_reminders_send()

    message = mail.outbox[-1]
    assert (message.to, message.subject) == (["ciara@example.org"], subject)
    assert sentence in message.body
    assert f"/network/organizations/{member.pk}/review/" in message.body
    _no_entities(message)
