"""The administrator's sign-in, attacked through the real admin URL.

Django's own admin login form signed a person in with a password alone (no throttle, no
second factor) and that session reached every staff page. Now /admin/login/ hands over to
allauth, and the two-factor middleware wants a session that completed the second factor.
"""

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.test import Client

from tapestry.accounts.models import User
from tapestry.accounts.roles import Role
from tapestry.accounts.tests.factories import PASSWORD, TOTP_SECRET, UserFactory, totp_code_now

pytestmark = pytest.mark.django_db

STAFF_PAGES = ["/admin/", "/research/diversity/", "/network/export.csv", "/network/specialist/"]


def test_the_admin_url_sends_a_visitor_to_tapestrys_sign_in(visitor: Client) -> None:
    to_admin_login = visitor.get("/admin/")
    to_sign_in = visitor.get(to_admin_login["Location"])

    assert to_admin_login["Location"] == "/admin/login/?next=/admin/"
    assert to_sign_in.status_code == 302
    assert to_sign_in["Location"] == "/accounts/login/?next=%2Fadmin%2F"


def test_the_admin_login_form_no_longer_signs_anyone_in_with_a_password(
    admin: User, visitor: Client
) -> None:
    response = visitor.post(
        "/admin/login/?next=/admin/", {"username": admin.email, "password": PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2F"
    assert "_auth_user_id" not in visitor.session
    assert visitor.get("/admin/").status_code == 302


def test_the_administrator_signs_in_through_the_admin_url_with_password_and_code(
    admin: User, visitor: Client
) -> None:
    sign_in_page = visitor.get("/admin/", follow=True).redirect_chain[-1][0]

    password_step = visitor.post(sign_in_page, {"login": admin.email, "password": PASSWORD})
    assert password_step["Location"] == "/accounts/2fa/authenticate/"
    assert "_auth_user_id" not in visitor.session  # the password alone signs no one in
    code_step = visitor.post("/accounts/2fa/authenticate/", {"code": totp_code_now()})

    assert code_step.status_code == 302
    assert code_step["Location"] == "/admin/"
    admin_index = visitor.get("/admin/")
    assert admin_index.status_code == 200
    assert "Tapestry administration" in admin_index.text


def test_ten_wrong_passwords_at_the_admin_url_then_the_right_one_is_throttled(
    admin: User, visitor: Client
) -> None:
    sign_in_page = visitor.get("/admin/", follow=True).redirect_chain[-1][0]
    refusals = [
        visitor.post(sign_in_page, {"login": admin.email, "password": f"guess-{n}"})
        for n in range(10)
    ]

    response = visitor.post(sign_in_page, {"login": admin.email, "password": PASSWORD})

    assert [r.status_code for r in refusals] == [200] * 10
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Too many failed login attempts. Try again later."
    ]
    assert "_auth_user_id" not in visitor.session
    assert visitor.get("/admin/").status_code == 302


@pytest.mark.parametrize("staff_page", STAFF_PAGES)
def test_a_password_only_session_reaches_no_staff_page(admin: User, staff_page: str) -> None:
    # client.login is Django's password check, as the old admin form was: no second factor.
    browser = Client()
    assert browser.login(username=admin.email, password=PASSWORD) is True

    response = browser.get(staff_page)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    assert "_auth_user_id" not in browser.session  # signed out, to sign in properly
    sign_in_page = browser.get(response["Location"])
    assert [str(m) for m in sign_in_page.context["messages"]] == [
        "Staff pages need two-factor sign-in. Please sign in again with your code."
    ]


@pytest.mark.parametrize("staff_page", STAFF_PAGES)
def test_the_same_pages_open_after_password_and_code(
    admin_signed_in: Client, staff_page: str
) -> None:
    response = admin_signed_in.get(staff_page)

    assert response.status_code == 200


def test_a_specialist_with_a_password_only_session_gets_no_queue(sam_specialist: User) -> None:
    browser = Client()
    browser.login(username=sam_specialist.email, password=PASSWORD)

    response = browser.get("/network/specialist/")

    assert response.status_code == 302
    assert "_auth_user_id" not in browser.session


def test_a_session_that_set_up_its_authenticator_is_asked_for_a_code_before_staff_pages(
    visitor: Client,
) -> None:
    paula = UserFactory.create(email="paula@example.org", roles=[Role.PROGRAM_STAFF])
    visitor.post("/accounts/login/", {"login": paula.email, "password": PASSWORD})
    TOTP.activate(paula, TOTP_SECRET)  # as the setup page does

    asked = visitor.get("/research/diversity/")
    answered = visitor.post(asked["Location"], {"code": totp_code_now()})

    assert asked.status_code == 302
    assert asked["Location"] == "/accounts/2fa/reauthenticate/?next=%2Fresearch%2Fdiversity%2F"
    assert answered.status_code == 302
    assert answered["Location"] == "/research/diversity/"
    assert visitor.get("/research/diversity/").status_code == 200


def test_a_wrong_code_opens_nothing(admin: User, visitor: Client) -> None:
    visitor.post("/accounts/login/", {"login": admin.email, "password": PASSWORD})

    response = visitor.post("/accounts/2fa/authenticate/", {"code": "000000"})

    assert response.status_code == 200
    assert "_auth_user_id" not in visitor.session
    assert visitor.get("/admin/").status_code == 302
