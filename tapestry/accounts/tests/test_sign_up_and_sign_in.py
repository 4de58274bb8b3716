import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client

from tapestry.accounts.models import User
from tapestry.accounts.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-new-long-passphrase"


def _link_in(message) -> str:
    match = re.search(r"http://testserver(/\S+)", message.body)
    assert match is not None, message.body
    return match.group(1)


def test_sign_up_sends_a_verification_email_and_does_not_sign_in(
    visitor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = visitor.post(
            "/accounts/signup/",
            {"email": "Newcomer@Example.org", "password1": PASSWORD, "password2": PASSWORD},
        )

    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    user = User.objects.get()
    assert user.email == "newcomer@example.org"
    assert list(EmailAddress.objects.values_list("email", "verified")) == [
        ("newcomer@example.org", False)
    ]
    assert [message.to for message in mail.outbox] == [["newcomer@example.org"]]
    assert mail.outbox[0].subject.startswith("[Tapestry] ")
    assert "/accounts/confirm-email/" in mail.outbox[0].body
    assert "_auth_user_id" not in visitor.session


def test_the_link_in_the_verification_email_verifies_the_address(
    visitor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        visitor.post(
            "/accounts/signup/",
            {"email": "newcomer@example.org", "password1": PASSWORD, "password2": PASSWORD},
        )
    link = _link_in(mail.outbox[0])

    response = visitor.post(link)

    assert response.status_code == 302
    assert EmailAddress.objects.get(email="newcomer@example.org").verified is True


def test_sign_up_with_a_taken_address_creates_no_second_account(
    alice_liaison, visitor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        visitor.post(
            "/accounts/signup/",
            {"email": "alice@example.org", "password1": PASSWORD, "password2": PASSWORD},
        )

    assert list(User.objects.values_list("email", flat=True)) == ["alice@example.org"]
    assert "_auth_user_id" not in visitor.session


def test_sign_up_with_a_short_password_is_refused(visitor):
    response = visitor.post(
        "/accounts/signup/",
        {"email": "newcomer@example.org", "password1": "short", "password2": "short"},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["password1"] == [
        "This password is too short. It must contain at least 10 characters."
    ]
    assert User.objects.count() == 0


def test_a_verified_person_signs_in_with_email_and_password(alice_liaison, visitor):
    response = visitor.post(
        "/accounts/login/", {"login": "alice@example.org", "password": PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == "/me/"
    assert visitor.session["_auth_user_id"] == str(alice_liaison.pk)


def test_a_person_whose_address_is_not_verified_is_not_signed_in(
    visitor, django_capture_on_commit_callbacks
):
    UserFactory.create(email="unverified@example.org", verified_email=False)

    with django_capture_on_commit_callbacks(execute=True):
        response = visitor.post(
            "/accounts/login/", {"login": "unverified@example.org", "password": PASSWORD}
        )

    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert "_auth_user_id" not in visitor.session
    assert [message.to for message in mail.outbox] == [["unverified@example.org"]]


def test_a_wrong_password_is_refused(alice_liaison, visitor):
    response = visitor.post(
        "/accounts/login/", {"login": "alice@example.org", "password": "not-her-password"}
    )

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "The email address and/or password you specified are not correct."
    ]
    assert "_auth_user_id" not in visitor.session


def test_after_five_failed_sign_ins_the_sixth_is_refused_even_with_the_right_password(
    alice_liaison, visitor
):
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


def test_four_failed_sign_ins_do_not_lock_the_account(alice_liaison, visitor):
    for _attempt in range(4):
        visitor.post("/accounts/login/", {"login": "alice@example.org", "password": "wrong-one"})

    response = visitor.post(
        "/accounts/login/", {"login": "alice@example.org", "password": PASSWORD}
    )

    assert response.status_code == 302
    assert visitor.session["_auth_user_id"] == str(alice_liaison.pk)


def test_throttling_counts_per_account_across_browsers(alice_liaison):
    for attempt in range(5):
        Client(REMOTE_ADDR=f"192.0.2.{attempt + 1}").post(
            "/accounts/login/", {"login": "alice@example.org", "password": "wrong-one"}
        )
    fresh_browser = Client(REMOTE_ADDR="192.0.2.99")

    response = fresh_browser.post(
        "/accounts/login/", {"login": "alice@example.org", "password": PASSWORD}
    )

    assert response.status_code == 200
    assert "_auth_user_id" not in fresh_browser.session


def test_password_reset_emails_a_link_that_sets_a_new_password(
    alice_liaison, visitor, django_capture_on_commit_callbacks
):
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
