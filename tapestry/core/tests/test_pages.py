from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.base_user import AbstractBaseUser
from django.test import Client
from pytest_django.fixtures import Settings

pytestmark = pytest.mark.django_db

EXPECTED_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; object-src 'none'"
)


def test_home_page_is_served_in_english_by_default(visitor: Client) -> None:
    response = visitor.get("/")

    assert response.status_code == 200
    assert '<html lang="en">' in response.text


def test_home_page_is_served_in_spanish_to_a_spanish_browser(visitor: Client) -> None:
    response = visitor.get("/", headers={"accept-language": "es"})

    assert response.status_code == 200
    assert '<html lang="es">' in response.text


def test_unknown_page_gets_the_friendly_404_in_english(visitor: Client) -> None:
    response = visitor.get("/no-such-page/")

    assert response.status_code == 404
    assert '<html lang="en">' in response.text
    assert "We could not find that page" in response.text


def test_unknown_page_gets_the_404_in_spanish_to_a_spanish_browser(visitor: Client) -> None:
    response = visitor.get("/no-such-page/", headers={"accept-language": "es"})

    assert response.status_code == 404
    assert '<html lang="es">' in response.text
    assert "usa-button" in response.text


def test_unknown_page_gets_the_404_in_spanish_from_the_language_cookie(
    visitor: Client, settings: Settings
) -> None:
    visitor.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"

    response = visitor.get("/no-such-page/")

    assert response.status_code == 404
    assert '<html lang="es">' in response.text


def test_a_page_the_role_does_not_allow_gets_the_friendly_403_in_english(
    alice_client: Client,
) -> None:
    response = alice_client.get("/network/specialist/")

    assert response.status_code == 403
    assert '<html lang="en">' in response.text
    assert "You do not have access to this page" in response.text


def test_a_page_the_role_does_not_allow_gets_the_403_in_the_persons_spanish(
    rosa_spanish: AbstractBaseUser, signed_in: Callable[[AbstractBaseUser], Client]
) -> None:
    response = signed_in(rosa_spanish).get("/network/specialist/")

    assert response.status_code == 403
    assert '<html lang="es">' in response.text


def test_pages_link_the_favicon(visitor: Client) -> None:
    response = visitor.get("/")

    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in response.text


def test_the_conventional_favicon_address_points_to_the_icon(visitor: Client) -> None:
    response = visitor.get("/favicon.ico")

    assert response.status_code == 302
    assert response["Location"] == "/static/favicon.svg"


@pytest.mark.parametrize(
    ("language", "header"),
    [("en", "Tapestry administration"), ("es", "Administración de Tapestry")],
)
def test_the_admin_header_is_in_the_staff_members_language(
    admin_signed_in: Client, settings: Settings, language: str, header: str
) -> None:
    admin_signed_in.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    response = admin_signed_in.get("/admin/")

    assert response.status_code == 200
    assert header in response.text


def test_the_admin_blank_choice_is_in_spanish(admin_signed_in: Client, settings: Settings) -> None:
    admin_signed_in.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"

    response = admin_signed_in.get("/admin/network/organization/add/")

    assert ">Elija una opción</option>" in response.text
    assert "Select an option" not in response.text


def test_the_admin_strings_django_leaves_in_english_are_in_spanish(
    admin_signed_in: Client, settings: Settings
) -> None:
    admin_signed_in.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"

    response = admin_signed_in.get("/admin/network/organization/")

    assert ">Buscar organizaciones miembro</h2>" in response.text
    assert ">Paginación de organizaciones miembro</h2>" in response.text
    assert "Search member organizations" not in response.text


def test_pages_carry_the_content_security_policy(visitor: Client) -> None:
    response = visitor.get("/")

    assert response["Content-Security-Policy"] == EXPECTED_CSP


def test_pages_carry_the_security_headers(visitor: Client, settings: Settings) -> None:
    response = visitor.get("/")

    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Permissions-Policy"] == settings.PERMISSIONS_POLICY


def test_error_pages_carry_the_security_headers_too(visitor: Client) -> None:
    response = visitor.get("/no-such-page/")

    assert response["Content-Security-Policy"] == EXPECTED_CSP
    assert response["X-Frame-Options"] == "DENY"


def test_a_stale_form_gets_the_friendly_403_and_signs_no_one_in(
    alice_liaison: AbstractBaseUser,
) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.get("/accounts/login/")

    response = browser.post(
        "/accounts/login/",
        {
            "login": "alice@example.org",
            "password": "correct-horse-battery-staple",
            "csrfmiddlewaretoken": "a-token-from-an-old-page-that-no-longer-matches-the-cookie",
        },
    )

    assert response.status_code == 403
    assert "This form has expired" in response.text
    assert "_auth_user_id" not in browser.session


def test_a_form_without_any_token_gets_the_friendly_403_in_spanish(
    alice_liaison: AbstractBaseUser,
) -> None:
    browser = Client(enforce_csrf_checks=True, headers={"accept-language": "es"})

    response = browser.post(
        "/accounts/login/",
        {"login": "alice@example.org", "password": "correct-horse-battery-staple"},
    )

    assert response.status_code == 403
    assert '<html lang="es">' in response.text
    assert "_auth_user_id" not in browser.session
