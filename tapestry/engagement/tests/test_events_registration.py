"""Registration without an account: confirmation before a seat, the waitlist and its
promotion, duplicates, cancelled events, and the emails in both languages."""

import re

import pytest
from django.core import mail
from django.test import Client
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks

from tapestry.engagement import services
from tapestry.engagement.models import Event, Registration
from tapestry.engagement.tests.factories import EventFactory, RegistrationFactory

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://\S+/engagement/events/registration/(confirm|cancel)/(\w+)/")


def links_in(message: mail.EmailMessage) -> dict[str, str]:
    return {kind: token for kind, token in LINK.findall(str(message.body))}


def register(
    capture: DjangoCaptureOnCommitCallbacks, event: Event, email: str, *, language: str = "en"
) -> tuple[Registration, dict[str, str]]:
    with capture(execute=True):
        registration = services.registration_create(
            event_id=event.pk, name=f"Name of {email}", email=email, language=language
        )
    return registration, links_in(mail.outbox[-1])


def test_a_registration_takes_no_seat_until_its_email_is_confirmed(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    event = EventFactory.create(capacity=1)

    registration, links = register(django_capture_on_commit_callbacks, event, "Ann@Example.net")

    assert registration.status == Registration.Status.PENDING
    assert registration.email == "ann@example.net"
    assert mail.outbox[-1].to == ["ann@example.net"]
    assert mail.outbox[-1].subject == f"Confirm your registration: {event.title}"
    assert set(links) == {"confirm", "cancel"}
    # Only hashes are stored: the link itself is nowhere in the row.
    assert links["confirm"] not in (registration.confirm_token_hash, registration.cancel_token_hash)
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = services.registration_confirm(token=links["confirm"])
    assert confirmed.status == Registration.Status.CONFIRMED
    assert mail.outbox[-1].subject == f"Your seat is confirmed: {event.title}"


def test_a_full_event_puts_the_next_confirmed_person_on_the_waitlist(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    event = EventFactory.create(capacity=1)
    RegistrationFactory.create(event=event)
    _registration, links = register(django_capture_on_commit_callbacks, event, "bo@example.net")

    with django_capture_on_commit_callbacks(execute=True):
        waiting = services.registration_confirm(token=links["confirm"])

    assert waiting.status == Registration.Status.WAITLISTED
    assert mail.outbox[-1].subject == f"You are on the waitlist: {event.title}"


def test_a_cancellation_seats_the_first_on_the_waitlist_and_emails_them(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    event = EventFactory.create(capacity=1)
    _seated, seated_links = register(django_capture_on_commit_callbacks, event, "a@example.net")
    _first, first_links = register(django_capture_on_commit_callbacks, event, "b@example.net")
    _second, second_links = register(django_capture_on_commit_callbacks, event, "c@example.net")
    for links in (seated_links, first_links, second_links):
        services.registration_confirm(token=links["confirm"])
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.registration_cancel(token=seated_links["cancel"])

    statuses = dict(Registration.objects.values_list("email", "status"))
    assert statuses == {
        "a@example.net": "cancelled",
        "b@example.net": "confirmed",
        "c@example.net": "waitlisted",
    }
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["b@example.net"], f"A seat freed up for you: {event.title}")
    ]


def test_confirming_twice_changes_nothing(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    event = EventFactory.create(capacity=5)
    _registration, links = register(django_capture_on_commit_callbacks, event, "a@example.net")
    first = services.registration_confirm(token=links["confirm"])

    again = services.registration_confirm(token=links["confirm"])

    assert again.status == first.status == Registration.Status.CONFIRMED
    assert again.seated_at == first.seated_at


def test_the_same_email_twice_on_one_event_is_refused_and_nothing_is_saved(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    event = EventFactory.create()
    register(django_capture_on_commit_callbacks, event, "a@example.net")
    sent = len(mail.outbox)

    with pytest.raises(services.RegistrationRefused, match="already registered"):
        services.registration_create(
            event_id=event.pk, name="Again", email="A@example.net ", language="en"
        )

    assert Registration.objects.count() == 1
    assert len(mail.outbox) == sent


def test_after_cancelling_the_same_email_may_register_again(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    event = EventFactory.create()
    _registration, links = register(django_capture_on_commit_callbacks, event, "a@example.net")
    services.registration_cancel(token=links["cancel"])

    again, _links = register(django_capture_on_commit_callbacks, event, "a@example.net")

    assert again.status == Registration.Status.PENDING
    assert Registration.objects.count() == 2


def test_a_cancelled_event_takes_no_registration() -> None:
    event = EventFactory.create(status=Event.Status.CANCELLED)

    with pytest.raises(services.RegistrationRefused, match="cancelled"):
        services.registration_create(event_id=event.pk, name="A", email="a@example.net")

    assert not Registration.objects.exists()


def test_a_draft_event_takes_no_registration() -> None:
    event = EventFactory.create(status=Event.Status.DRAFT)

    with pytest.raises(services.RegistrationRefused, match="no such event"):
        services.registration_create(event_id=event.pk, name="A", email="a@example.net")

    assert not Registration.objects.exists()


def test_a_confirm_link_of_an_event_cancelled_since_takes_no_seat(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    event = EventFactory.create()
    registration, links = register(django_capture_on_commit_callbacks, event, "a@example.net")
    Event.objects.filter(pk=event.pk).update(status=Event.Status.CANCELLED)

    with pytest.raises(services.RegistrationRefused):
        services.registration_confirm(token=links["confirm"])

    registration.refresh_from_db()
    assert registration.status == Registration.Status.PENDING


def test_an_unknown_link_is_refused() -> None:
    with pytest.raises(services.RegistrationLinkInvalid):
        services.registration_confirm(token="not-a-real-token")
    with pytest.raises(services.RegistrationLinkInvalid):
        services.registration_cancel(token="not-a-real-token")


def test_emails_speak_the_registrants_language(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    event = EventFactory.create(title="Salud en línea", language="es", capacity=1)

    _registration, links = register(
        django_capture_on_commit_callbacks, event, "rosa@example.net", language="es"
    )
    confirm_email = mail.outbox[-1]
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_confirm(token=links["confirm"])
    seated_email = mail.outbox[-1]

    assert confirm_email.subject == "Confirme su inscripción: Salud en línea"
    assert str(confirm_email.body).startswith(
        "Hola, Name of rosa@example.net:\n\nGracias por inscribirse en:\n\nSalud en línea\n"
    )
    assert "(Hora del Centro)" in str(confirm_email.body)
    assert "Por favor, confirme su inscripción con este enlace:" in str(confirm_email.body)
    assert seated_email.subject == "Su lugar está confirmado: Salud en línea"


def test_the_registration_page_flow_through_the_links(
    client: Client, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    event = EventFactory.create(capacity=3)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/engagement/events/{event.pk}/register/",
            {"name": "Ann Lee", "email": "ann@example.net", "zip_code": "60614", "role": "student"},
        )
    assert response.status_code == 200
    assert "Check your email" in response.content.decode()
    links = links_in(mail.outbox[-1])

    shown = client.get(f"/engagement/events/registration/confirm/{links['confirm']}/")
    assert shown.status_code == 200
    assert Registration.objects.get().status == "pending"  # opening the link is not confirming
    confirmed = client.post(f"/engagement/events/registration/confirm/{links['confirm']}/")
    assert confirmed.status_code == 200
    assert "You have a seat" in confirmed.content.decode()
    registration = Registration.objects.get()
    assert (registration.status, registration.zip_code, registration.role) == (
        "confirmed",
        "60614",
        "student",
    )
    cancelled = client.post(f"/engagement/events/registration/cancel/{links['cancel']}/")
    assert cancelled.status_code == 200
    assert Registration.objects.get().status == "cancelled"


def test_a_duplicate_on_the_page_is_a_409_with_the_reason(client: Client) -> None:
    event = EventFactory.create()
    RegistrationFactory.create(event=event, email="ann@example.net")

    response = client.post(
        f"/engagement/events/{event.pk}/register/", {"name": "Ann", "email": "ann@example.net"}
    )

    assert response.status_code == 409
    assert "ann@example.net is already registered for this event." in response.content.decode()
    assert Registration.objects.count() == 1


def test_a_cancelled_event_page_has_no_form_and_refuses_a_post(client: Client) -> None:
    event = EventFactory.create(status=Event.Status.CANCELLED)

    page = client.get(f"/engagement/events/{event.pk}/")
    response = client.post(
        f"/engagement/events/{event.pk}/register/", {"name": "Ann", "email": "ann@example.net"}
    )

    assert "This event was cancelled" in page.content.decode()
    assert 'name="email"' not in page.content.decode()
    assert response.status_code == 409
    assert not Registration.objects.exists()


def test_the_honeypot_saves_and_sends_nothing(client: Client) -> None:
    event = EventFactory.create()

    response = client.post(
        f"/engagement/events/{event.pk}/register/",
        {"name": "Bot", "email": "bot@example.net", "website": "http://spam.example"},
    )

    assert response.status_code == 200
    assert not Registration.objects.exists()
    assert mail.outbox == []


def test_the_honeypot_is_hidden_from_people_and_screen_readers(client: Client) -> None:
    event = EventFactory.create()

    html = client.get(f"/engagement/events/{event.pk}/").content.decode()

    assert '<div hidden><label for="id_website">' in html
    assert 'tabindex="-1"' in html


def test_a_flood_from_one_address_gets_429(client: Client, settings: object) -> None:
    settings.ENGAGEMENT_REGISTRATIONS_PER_ADDRESS_PER_HOUR = 2  # type: ignore[attr-defined]
    event = EventFactory.create()
    statuses = [
        client.post(
            f"/engagement/events/{event.pk}/register/",
            {"name": f"P{n}", "email": f"p{n}@example.net"},
        ).status_code
        for n in range(3)
    ]

    assert statuses == [200, 200, 429]
    assert Registration.objects.count() == 2


def test_behind_the_proxy_each_visitor_has_their_own_limit_and_a_made_up_address_none(
    client: Client, settings: object
) -> None:
    # Given the site behind one proxy (nginx appends the address it saw to X-Forwarded-For)
    settings.ENGAGEMENT_REGISTRATIONS_PER_ADDRESS_PER_HOUR = 1  # type: ignore[attr-defined]
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1  # type: ignore[attr-defined]
    event = EventFactory.create()

    def register(n: int, forwarded_for: str) -> int:
        return client.post(
            f"/engagement/events/{event.pk}/register/",
            {"name": f"P{n}", "email": f"p{n}@example.net"},
            headers={"X-Forwarded-For": forwarded_for},
        ).status_code

    # When two visitors register, and the first again claiming another address of its own
    statuses = [
        register(0, "198.51.100.7"),
        register(1, "203.0.113.9"),
        register(2, "10.9.9.9, 198.51.100.7"),
    ]

    # Then both had their one, and the made-up entry before the proxy's bought nothing
    assert statuses == [200, 200, 429]
    assert Registration.objects.count() == 2


def test_a_bad_form_is_a_400_with_the_field_named(client: Client) -> None:
    event = EventFactory.create()

    response = client.post(
        f"/engagement/events/{event.pk}/register/",
        {"name": "Ann", "email": "not an email", "zip_code": "00000"},
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "Enter a valid email address." in html
    assert "We could not find ZIP code “00000”" in html
    assert not Registration.objects.exists()
