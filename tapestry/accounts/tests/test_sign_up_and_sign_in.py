import re
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks

from tapestry.accounts.models import User
from tapestry.accounts.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-new-long-passphrase"


def _link_in(message: Any) -> str:
    match = re.search(r"http://testserver(/\S+)", message.body)
    assert match is not None, message.body
    return match.group(1)


def test_sign_up_sends_a_verification_email_and_does_not_sign_in(
    visitor: Client, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = visitor.post(
            "/accounts/signup/",
            {
                "full_name": "  Dr.  Aisha Bello ",
                "email": "Newcomer@Example.org",
                "password1": PASSWORD,
                "password2": PASSWORD,
            },
        )

    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    user = User.objects.get()
    assert (user.email, user.full_name) == ("newcomer@example.org", "Dr. Aisha Bello")
    assert list(EmailAddress.objects.values_list("email", "verified")) == [
        ("newcomer@example.org", False)
    ]
    assert [message.to for message in mail.outbox] == [["newcomer@example.org"]]
    assert mail.outbox[0].subject.startswith("[Tapestry] ")
    assert "/accounts/confirm-email/" in mail.outbox[0].body
    assert "_auth_user_id" not in visitor.session


def test_the_link_in_the_verification_email_verifies_the_address(
    visitor: Client, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        visitor.post(
            "/accounts/signup/",
            {
                "full_name": "Newcomer",
                "email": "newcomer@example.org",
                "password1": PASSWORD,
                "password2": PASSWORD,
            },
        )
    link = _link_in(mail.outbox[0])

    response = visitor.post(link)

    assert response.status_code == 302
    assert EmailAddress.objects.get(email="newcomer@example.org").verified is True


def test_sign_up_with_a_taken_address_creates_no_second_account(
    alice_liaison: User,
    visitor: Client,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        visitor.post(
            "/accounts/signup/",
            {"email": "alice@example.org", "password1": PASSWORD, "password2": PASSWORD},
        )

    assert list(User.objects.values_list("email", flat=True)) == ["alice@example.org"]
    assert "_auth_user_id" not in visitor.session


def test_sign_up_with_a_short_password_is_refused(visitor: Client) -> None:
    response = visitor.post(
        "/accounts/signup/",
        {"email": "newcomer@example.org", "password1": "short", "password2": "short"},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["password1"] == [
        "This password is too short. It must contain at least 10 characters."
    ]
    assert User.objects.count() == 0


def test_a_verified_person_signs_in_with_email_and_password(
    alice_liaison: User, visitor: Client
) -> None:
    response = visitor.post(
        "/accounts/login/", {"login": "alice@example.org", "password": PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == "/me/"
    assert visitor.session["_auth_user_id"] == str(alice_liaison.pk)


def test_a_person_whose_address_is_not_verified_is_not_signed_in(
    visitor: Client, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    UserFactory.create(email="unverified@example.org", verified_email=False)

    with django_capture_on_commit_callbacks(execute=True):
        response = visitor.post(
            "/accounts/login/", {"login": "unverified@example.org", "password": PASSWORD}
        )

    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert "_auth_user_id" not in visitor.session
    assert [message.to for message in mail.outbox] == [["unverified@example.org"]]


def test_a_wrong_password_is_refused(alice_liaison: User, visitor: Client) -> None:
    response = visitor.post(
        "/accounts/login/", {"login": "alice@example.org", "password": "not-her-password"}
    )

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "The email address and/or password you specified are not correct."
    ]
    assert "_auth_user_id" not in visitor.session


def test_after_five_failed_sign_ins_the_sixth_is_refused_even_with_the_right_password(
    alice_liaison: User, visitor: Client
) -> None:
    for _attempt in range(5):
        visitor.post("/accounts/login/", {"login": "alice@example.org", "password": "wrong-one"})

    response = visitor.post(
        "/accounts/login/", {"login": "alice@example.org", "password": PASSWORD}
    )

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Too many failed login attempts. Try again later."
    ]
    assert "_auth_user_id" not in visitor.session


def test_four_failed_sign_ins_do_not_lock_the_account(alice_liaison: User, visitor: Client) -> None:
    for _attempt in range(4):
        visitor.post("/accounts/login/", {"login": "alice@example.org", "password": "wrong-one"})

    response = visitor.post(
        "/accounts/login/", {"login": "alice@example.org", "password": PASSWORD}
    )

    assert response.status_code == 302
    assert visitor.session["_auth_user_id"] == str(alice_liaison.pk)


def test_guesses_from_another_address_do_not_lock_the_owner_out(alice_liaison: User) -> None:
    attacker = Client(REMOTE_ADDR="203.0.113.66")
    for attempt in range(20):
        attacker.post("/accounts/login/", {"login": "alice@example.org", "password": f"g{attempt}"})
    alice = Client(REMOTE_ADDR="198.51.100.7")

    response = alice.post("/accounts/login/", {"login": "alice@example.org", "password": PASSWORD})

    assert response.status_code == 302
    assert alice.session["_auth_user_id"] == str(alice_liaison.pk)
    # …while the attacker's own address stays throttled, even with the right password.
    refused = attacker.post(
        "/accounts/login/", {"login": "alice@example.org", "password": PASSWORD}
    )
    assert refused.context["form"].non_field_errors() == [
        "Too many failed login attempts. Try again later."
    ]


def test_one_address_guessing_at_many_accounts_backs_off(db: None) -> None:
    people = UserFactory.create_batch(11)
    attacker = Client(REMOTE_ADDR="203.0.113.66")
    for person in people[:10]:
        attacker.post("/accounts/login/", {"login": person.email, "password": "wrong-one"})

    response = attacker.post("/accounts/login/", {"login": people[10].email, "password": PASSWORD})

    assert response.status_code == 200
    assert "_auth_user_id" not in attacker.session


@pytest.mark.parametrize("settings_rate", ["3/h/key"])
def test_guesses_spread_over_many_addresses_stop_at_the_account_cap_for_new_browsers(
    alice_liaison: User, settings: Any, settings_rate: str
) -> None:
    settings.ACCOUNT_RATE_LIMITS = {
        **settings.ACCOUNT_RATE_LIMITS,
        "login_failed_account": settings_rate,
    }
    for attempt in range(3):
        Client(REMOTE_ADDR=f"192.0.2.{attempt + 1}").post(
            "/accounts/login/", {"login": "alice@example.org", "password": "wrong-one"}
        )
    fresh_browser = Client(REMOTE_ADDR="192.0.2.99")

    response = fresh_browser.post(
        "/accounts/login/", {"login": "alice@example.org", "password": PASSWORD}
    )

    assert response.status_code == 200
    assert "_auth_user_id" not in fresh_browser.session


def test_a_browser_the_owner_signed_in_from_before_gets_in_past_the_account_cap(
    alice_liaison: User, settings: Any
) -> None:
    settings.ACCOUNT_RATE_LIMITS = {
        **settings.ACCOUNT_RATE_LIMITS,
        "login_failed_account": "3/h/key",
    }
    alices_laptop = Client(REMOTE_ADDR="198.51.100.7")
    alices_laptop.post("/accounts/login/", {"login": "alice@example.org", "password": PASSWORD})
    alices_laptop.post("/accounts/logout/")
    for attempt in range(3):
        Client(REMOTE_ADDR=f"192.0.2.{attempt + 1}").post(
            "/accounts/login/", {"login": "alice@example.org", "password": "wrong-one"}
        )

    response = alices_laptop.post(
        "/accounts/login/", {"login": "alice@example.org", "password": PASSWORD}
    )

    assert response.status_code == 302
    assert alices_laptop.session["_auth_user_id"] == str(alice_liaison.pk)


def test_the_known_browser_cookie_of_one_account_does_not_help_another(
    alice_liaison: User, bob_applicant: User, settings: Any
) -> None:
    settings.ACCOUNT_RATE_LIMITS = {
        **settings.ACCOUNT_RATE_LIMITS,
        "login_failed_account": "3/h/key",
    }
    browser = Client(REMOTE_ADDR="198.51.100.7")
    browser.post("/accounts/login/", {"login": "alice@example.org", "password": PASSWORD})
    browser.post("/accounts/logout/")
    for attempt in range(3):
        Client(REMOTE_ADDR=f"192.0.2.{attempt + 1}").post(
            "/accounts/login/", {"login": "bob@example.org", "password": "wrong-one"}
        )

    response = browser.post("/accounts/login/", {"login": "bob@example.org", "password": PASSWORD})

    assert response.status_code == 200
    assert "_auth_user_id" not in browser.session


def test_sign_up_asks_for_a_name(visitor: Client) -> None:
    response = visitor.post(
        "/accounts/signup/",
        {
            "full_name": "   ",
            "email": "n@example.org",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors["full_name"] == ["This field is required."]
    assert User.objects.count() == 0


def test_the_sign_up_form_asks_for_the_name_first(visitor: Client) -> None:
    form = visitor.get("/accounts/signup/").context["form"]

    assert list(form.fields)[:2] == ["full_name", "email"]


def test_signing_up_on_the_spanish_pages_makes_spanish_the_preferred_language(
    visitor: Client, django_capture_on_commit_callbacks: Any
) -> None:
    visitor.cookies["django_language"] = "es"
    with django_capture_on_commit_callbacks(execute=True):
        visitor.post(
            "/accounts/signup/",
            {
                "full_name": "María José Pérez",
                "email": "mj@example.org",
                "password1": PASSWORD,
                "password2": PASSWORD,
            },
        )

    assert User.objects.get().preferred_language == "es"
    assert mail.outbox[0].body.startswith("Hola, María José Pérez:")


def test_the_dashboard_and_header_greet_a_person_by_their_whole_name(db: None) -> None:
    aisha = UserFactory.create(full_name="Dr. Aisha Bello")
    browser = Client()
    browser.force_login(aisha)

    page = browser.get("/me/").text

    assert "Welcome, Dr. Aisha Bello</h1>" in page
    assert '<span class="tapestry-signed-in-as">(Dr. Aisha Bello)</span>' in page


def test_the_signed_in_banner_is_in_the_persons_language(
    rosa_spanish: User, visitor: Client
) -> None:
    response = visitor.post(
        "/accounts/login/", {"login": "rosa@example.org", "password": PASSWORD}, follow=True
    )

    assert [str(m) for m in response.context["messages"]] == [
        "Ha iniciado sesión como Rosa Delgado."
    ]
    assert '<html lang="es"' in response.text


def test_the_signed_in_banner_follows_the_language_the_person_switched_to(
    rosa_spanish: User, visitor: Client
) -> None:
    visitor.cookies["django_language"] = "en"

    response = visitor.post(
        "/accounts/login/", {"login": "rosa@example.org", "password": PASSWORD}, follow=True
    )

    assert [str(m) for m in response.context["messages"]] == [
        "Successfully signed in as Rosa Delgado."
    ]


def test_the_signed_out_banner_is_in_the_persons_language(rosa_spanish: User) -> None:
    browser = Client()
    browser.force_login(rosa_spanish)

    response = browser.post("/accounts/logout/", follow=True)

    assert [str(m) for m in response.context["messages"]] == ["Ha cerrado sesión."]


def test_password_reset_emails_a_link_that_sets_a_new_password(
    alice_liaison: User,
    visitor: Client,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = visitor.post("/accounts/password/reset/", {"email": "alice@example.org"})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/done/"
    assert [message.to for message in mail.outbox] == [["alice@example.org"]]
    # allauth moves the key from the link into the session, then shows the form.
    set_password_page = visitor.get(_link_in(mail.outbox[0]))["Location"]
    response = visitor.post(
        set_password_page, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/key/done/"
    alice_liaison.refresh_from_db()
    assert alice_liaison.check_password(NEW_PASSWORD) is True
