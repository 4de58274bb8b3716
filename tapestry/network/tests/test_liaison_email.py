"""The liaison email typed into the join form is confirmed before it is published or mailed.

Bob applies for Prairie Library and names its librarian, Lena, as the liaison, at an address
that is not his. Lena gets a link; until she follows it the directory does not show the
address and reminders do not go to it.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from tapestry.network.models import (
    DETAIL_FIELDS,
    MembershipApplication,
    Organization,
    OrganizationType,
    ReviewReminder,
    StateTerritory,
)
from tapestry.network.services import (
    ConfirmationLinkInvalid,
    NotAllowed,
    liaison_confirmation_token,
    liaison_email_confirm,
    liaison_email_confirmation_resend,
    membership_application_decide,
    membership_application_submit,
    organization_review_confirm,
    review_reminders_send,
)
from tapestry.network.tests.factories import OrganizationFactory

if TYPE_CHECKING:
    from tapestry.accounts.api import User

pytestmark = pytest.mark.django_db

LENA = "lena@prairie.example.org"
LINK = re.compile(r"http://\S+/network/liaison-email/confirm/(\S+)/")


def _details(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "Prairie Library",
        "org_type": OrganizationType.PUBLIC_LIBRARY,
        "address_line1": "1703 Orrington Ave",
        "address_line2": "",
        "city": "Evanston",
        "state": StateTerritory.objects.get(code="IL"),
        "zip_code": "60201",
        "phone": "(847) 555-0100 ext. 12",
        "website": "https://prairie.example.org",
        "library_id": "ILPRA",
        "liaison_name": "Lena Librarian",
        "liaison_email": LENA,
        "services": {"reference": ["public"]},
        **overrides,
    }


def _apply(bob: User, callbacks: Any, language: str = "en") -> MembershipApplication:
    with callbacks(execute=True):
        return membership_application_submit(applicant=bob, details=_details(), language=language)


def _link_path(message: Any) -> str:
    match = LINK.search(message.body)
    assert match is not None, message.body
    return f"/network/liaison-email/confirm/{match.group(1)}/"


def _state() -> tuple[list[tuple], list[tuple], int]:
    """What confirming may change: both kinds of record's confirmation, and the mail sent."""
    return (
        list(
            MembershipApplication.objects.order_by("pk").values_list(
                "pk", "liaison_email_confirmed_at"
            )
        ),
        list(Organization.objects.order_by("pk").values_list("pk", "liaison_email_confirmed_at")),
        len(mail.outbox),
    )


def test_a_liaison_email_that_is_not_the_applicants_waits_for_confirmation(
    bob_applicant: User, sam_specialist: User, django_capture_on_commit_callbacks: Any
) -> None:
    application = _apply(bob_applicant, django_capture_on_commit_callbacks)

    assert application.liaison_email_confirmed_at is None
    assert [(message.to, message.subject) for message in mail.outbox] == [
        (["sam@example.org"], "New membership application: Prairie Library"),
        (["bob@example.org"], "We received your application for Prairie Library"),
        ([LENA], "Please confirm the liaison email for Prairie Library"),
    ]
    assert f"We also sent a link to {LENA} to confirm the liaison email." in mail.outbox[1].body


@pytest.mark.parametrize(
    ("language", "subject", "greeting", "opening", "expiry", "sign_off"),
    [
        (
            "en",
            "Please confirm the liaison email for O'Brien & Sons Library",
            "Hello Lena Librarian,",
            f"Bob Applicant gave {LENA} as the network liaison email of O'Brien & Sons Library "
            "in Evanston, IL. Please confirm that this address reaches the liaison:",
            "The link works for 7 days. Until the address is confirmed, the member directory "
            "does not show it and no reminders are sent to it. If you do not know this "
            "organization, ignore this email: nothing will be published.",
            "Thank you for using Tapestry.",
        ),
        (
            "es",
            "Confirme el correo electrónico del enlace de O'Brien & Sons Library",
            "Hola, Lena Librarian:",
            f"Bob Applicant indicó {LENA} como correo electrónico del enlace con la red de "
            "O'Brien & Sons Library en Evanston, IL. Confirme que esta dirección llega al enlace:",
            "El enlace funciona durante 7 días. Mientras la dirección no esté confirmada, el "
            "directorio de miembros no la muestra y no se le envían recordatorios. Si no conoce "
            "esta organización, ignore este correo electrónico: no se publicará nada.",
            "Gracias por usar Tapestry.",
        ),
    ],
)
def test_the_confirmation_email_reads_well_in_each_language(
    bob_applicant: User,
    language: str,
    subject: str,
    greeting: str,
    opening: str,
    expiry: str,
    sign_off: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        membership_application_submit(
            applicant=bob_applicant,
            details=_details(name="O'Brien & Sons Library"),
            language=language,
        )

    message = mail.outbox[-1]
    assert (message.to, message.subject) == ([LENA], subject)
    body = str(message.body)
    lines = body.splitlines()
    link = LINK.search(body)
    assert link is not None
    assert lines == [
        greeting,
        "",
        opening,
        "",
        link.group(0),
        "",
        expiry,
        "",
        sign_off,
        "http://127.0.0.1:8000",
    ]
    text = f"{message.subject}\n{message.body}"
    assert "&#" not in text
    assert "&amp;" not in text


def test_the_link_opens_a_page_that_changes_nothing_until_the_button_is_pressed(
    bob_applicant: User, django_capture_on_commit_callbacks: Any
) -> None:
    _apply(bob_applicant, django_capture_on_commit_callbacks)
    path = _link_path(mail.outbox[-1])
    before = _state()

    response = Client().get(path)

    assert response.status_code == 200
    assert f"Confirm that {LENA} reaches the network liaison of Prairie Library." in response.text
    assert _state() == before


def test_following_the_link_confirms_the_address_for_anyone_holding_it(
    bob_applicant: User,
    audit_log: Callable[[], list[tuple]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    application = _apply(bob_applicant, django_capture_on_commit_callbacks)
    path = _link_path(mail.outbox[-1])
    lena = Client()  # Lena has no account; holding the link is the proof

    response = lena.post(path, follow=True)

    assert response.status_code == 200
    assert (
        f"Thank you. {LENA} is confirmed as the liaison email of Prairie Library." in response.text
    )
    assert f"{LENA} is the confirmed liaison email of Prairie Library." in response.text
    application.refresh_from_db()
    assert application.liaison_email_confirmed_at is not None
    assert audit_log()[-1] == (
        "liaison_email.confirm",
        None,
        "network.membershipapplication",
        str(application.pk),
    )


def test_confirming_twice_changes_nothing_the_second_time(
    bob_applicant: User, django_capture_on_commit_callbacks: Any
) -> None:
    _apply(bob_applicant, django_capture_on_commit_callbacks)
    path = _link_path(mail.outbox[-1])
    Client().post(path)
    before = _state()

    response = Client().post(path, follow=True)

    assert response.status_code == 200
    assert _state() == before


def test_an_expired_link_is_refused_with_a_400_and_nothing_changes(
    bob_applicant: User, django_capture_on_commit_callbacks: Any
) -> None:
    application = _apply(bob_applicant, django_capture_on_commit_callbacks)
    eight_days_ago = timezone.now() - datetime.timedelta(days=8)
    token = liaison_confirmation_token(
        kind="application", record_id=application.pk, email=LENA, issued_at=eight_days_ago
    )
    before = _state()

    page = Client().get(f"/network/liaison-email/confirm/{token}/")
    sent = Client().post(f"/network/liaison-email/confirm/{token}/")

    expired = (
        "This confirmation link has expired. The applicant or liaison can send a new one "
        "from their membership page."
    )
    assert (page.status_code, sent.status_code) == (400, 400)
    assert expired in page.text and expired in sent.text
    assert _state() == before


def test_a_link_is_good_for_seven_days_and_no_longer(
    bob_applicant: User, django_capture_on_commit_callbacks: Any
) -> None:
    application = _apply(bob_applicant, django_capture_on_commit_callbacks)
    issued = timezone.now().replace(microsecond=0)  # tokens carry whole seconds
    token = liaison_confirmation_token(
        kind="application", record_id=application.pk, email=LENA, issued_at=issued
    )

    with pytest.raises(ConfirmationLinkInvalid):
        liaison_email_confirm(token=token, now=issued + datetime.timedelta(days=7, seconds=1))
    confirmed = liaison_email_confirm(token=token, now=issued + datetime.timedelta(days=7))

    assert confirmed.liaison_email_confirmed_at == issued + datetime.timedelta(days=7)


def test_a_link_for_an_address_no_longer_in_use_confirms_nothing(
    bob_applicant: User, django_capture_on_commit_callbacks: Any
) -> None:
    application = _apply(bob_applicant, django_capture_on_commit_callbacks)
    path = _link_path(mail.outbox[-1])
    MembershipApplication.objects.filter(pk=application.pk).update(
        liaison_email="someone.else@example.org"
    )
    before = _state()

    response = Client().post(path)

    assert response.status_code == 400
    assert (
        "This link was sent to an address that is no longer the liaison email of the "
        "organization, so it confirms nothing. Nothing was changed." in response.text
    )
    assert _state() == before


def test_a_link_for_another_record_cannot_be_forged(
    bob_applicant: User, django_capture_on_commit_callbacks: Any
) -> None:
    _apply(bob_applicant, django_capture_on_commit_callbacks)
    token = _link_path(mail.outbox[-1]).split("/")[-2]
    before = _state()

    response = Client().post(f"/network/liaison-email/confirm/{token[:-2]}xx/")

    assert response.status_code == 400
    assert "This confirmation link is not valid." in response.text
    assert _state() == before


def test_the_applicants_own_verified_address_needs_no_link(
    bob_applicant: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        application = membership_application_submit(
            applicant=bob_applicant, details=_details(liaison_email="BOB@example.org")
        )

    assert application.liaison_email_confirmed_at is not None
    assert [message.to for message in mail.outbox] == [["bob@example.org"]]


# After approval


def _approved(bob: User, sam: User, callbacks: Any) -> Organization:
    application = _apply(bob, callbacks)
    membership_application_decide(specialist=sam, application_id=application.pk, approve=True)
    return Organization.objects.get(name="Prairie Library")


def test_an_unconfirmed_liaison_email_is_not_published(
    bob_applicant: User, sam_specialist: User, django_capture_on_commit_callbacks: Any
) -> None:
    member = _approved(bob_applicant, sam_specialist, django_capture_on_commit_callbacks)

    page = Client().get(f"/network/organizations/{member.pk}/")
    api = Client().get(f"/api/v1/network/organizations/{member.pk}")

    assert member.liaison_email_confirmed_at is None
    assert "Lena Librarian" in page.text
    assert LENA not in page.text
    assert api.json()["liaison_email"] == ""


def test_confirming_the_applications_link_after_approval_publishes_the_address(
    bob_applicant: User, sam_specialist: User, django_capture_on_commit_callbacks: Any
) -> None:
    member = _approved(bob_applicant, sam_specialist, django_capture_on_commit_callbacks)
    path = _link_path(next(m for m in mail.outbox if m.to == [LENA]))

    Client().post(path)

    member.refresh_from_db()
    assert member.liaison_email_confirmed_at is not None
    assert f'href="mailto:{LENA}"' in Client().get(f"/network/organizations/{member.pk}/").text
    assert (
        Client().get(f"/api/v1/network/organizations/{member.pk}").json()["liaison_email"] == LENA
    )


def test_reminders_go_to_the_liaisons_own_address_until_the_typed_one_is_confirmed(
    bob_applicant: User, sam_specialist: User, django_capture_on_commit_callbacks: Any
) -> None:
    member = _approved(bob_applicant, sam_specialist, django_capture_on_commit_callbacks)
    due_in_a_week = timezone.localdate() + datetime.timedelta(days=7)
    Organization.objects.filter(pk=member.pk).update(
        last_reviewed_on=due_in_a_week - datetime.timedelta(days=365)
    )
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        review_reminders_send()

    assert [message.to for message in mail.outbox] == [["bob@example.org"]]


def test_a_record_with_no_confirmed_address_and_no_liaison_gets_no_reminder(
    django_capture_on_commit_callbacks: Any,
) -> None:
    due_in_a_week = timezone.localdate() + datetime.timedelta(days=7)
    OrganizationFactory.create(
        liaison_email=LENA,
        liaison_email_confirmed_at=None,
        last_reviewed_on=due_in_a_week - datetime.timedelta(days=365),
    )

    with django_capture_on_commit_callbacks(execute=True):
        sent = review_reminders_send()

    assert sent == 0
    assert mail.outbox == []
    assert ReviewReminder.objects.count() == 0


# The annual review and sending the link again


def test_a_new_liaison_email_in_the_annual_review_waits_for_its_own_confirmation(
    alice_liaison: User, alice_library: Organization, django_capture_on_commit_callbacks: Any
) -> None:
    details = {
        field: getattr(alice_library, field) for field in DETAIL_FIELDS if field != "liaison_email"
    }

    with django_capture_on_commit_callbacks(execute=True):
        organization_review_confirm(
            liaison=alice_liaison,
            organization_id=alice_library.pk,
            details={**details, "liaison_email": "desk@alice.example.org"},
        )

    alice_library.refresh_from_db()
    assert alice_library.liaison_email_confirmed_at is None
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["desk@alice.example.org"], "Please confirm the liaison email for Alice Memorial Library")
    ]
    assert "/network/liaison-email/confirm/" in mail.outbox[0].body


def test_the_applicant_can_send_the_link_again(
    bob_applicant: User, django_capture_on_commit_callbacks: Any
) -> None:
    application = _apply(bob_applicant, django_capture_on_commit_callbacks)
    cache.clear()  # ten minutes later
    bob = Client()
    bob.force_login(bob_applicant)

    with django_capture_on_commit_callbacks(execute=True):
        response = bob.post(
            "/network/liaison-email/resend/",
            {"kind": "application", "record_id": application.pk},
            follow=True,
        )

    assert f"We sent a new link to {LENA}." in response.text
    assert [m.to for m in mail.outbox[-2:]] == [[LENA], [LENA]]


def test_nobody_else_can_send_the_link(
    bob_applicant: User, alice_liaison: User, django_capture_on_commit_callbacks: Any
) -> None:
    application = _apply(bob_applicant, django_capture_on_commit_callbacks)
    sent_before = len(mail.outbox)

    with pytest.raises(NotAllowed), django_capture_on_commit_callbacks(execute=True):
        liaison_email_confirmation_resend(
            user=alice_liaison, kind="application", record_id=application.pk, language="en"
        )

    assert len(mail.outbox) == sent_before


def test_a_new_link_waits_ten_minutes_after_the_last(
    bob_applicant: User, django_capture_on_commit_callbacks: Any
) -> None:
    application = _apply(bob_applicant, django_capture_on_commit_callbacks)
    sent_before = len(mail.outbox)
    bob = Client()
    bob.force_login(bob_applicant)

    with django_capture_on_commit_callbacks(execute=True):
        response = bob.post(
            "/network/liaison-email/resend/",
            {"kind": "application", "record_id": application.pk},
            follow=True,
        )

    assert (
        f"A link went to {LENA} a few minutes ago; no new one was sent. Please check that "
        "mailbox, or ask again in ten minutes." in response.text
    )
    assert len(mail.outbox) == sent_before
