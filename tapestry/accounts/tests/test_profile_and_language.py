from collections.abc import Callable

import pytest
from django.test import Client
from pytest_django.fixtures import Settings

from tapestry.accounts.models import User

pytestmark = pytest.mark.django_db


def test_profile_page_shows_the_form(alice_client: Client) -> None:
    response = alice_client.get("/me/profile/")

    assert response.status_code == 200
    assert response.context["form"].initial == {
        "full_name": "Alice Liaison",
        "preferred_language": "en",
    }


def test_profile_saves_the_preferred_language_and_switches_the_interface(
    alice_liaison: User, alice_client: Client, settings: Settings
) -> None:
    response = alice_client.post(
        "/me/profile/", {"full_name": "Alice L. Liaison", "preferred_language": "es"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/me/profile/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    alice_liaison.refresh_from_db()
    assert (alice_liaison.full_name, alice_liaison.preferred_language) == (
        "Alice L. Liaison",
        "es",
    )
    assert '<html lang="es">' in alice_client.get("/me/profile/").text


def test_profile_refuses_a_language_we_do_not_offer_and_changes_nothing(
    alice_liaison: User, alice_client: Client, settings: Settings
) -> None:
    response = alice_client.post(
        "/me/profile/", {"full_name": "Someone Else", "preferred_language": "fr"}
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "preferred_language": ["Select a valid choice. fr is not one of the available choices."]
    }
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    alice_liaison.refresh_from_db()
    assert (alice_liaison.full_name, alice_liaison.preferred_language) == ("Alice Liaison", "en")


def test_profile_refuses_an_over_long_name_and_changes_nothing(
    alice_liaison: User, alice_client: Client
) -> None:
    response = alice_client.post(
        "/me/profile/", {"full_name": "A" * 151, "preferred_language": "en"}
    )

    assert response.status_code == 400
    alice_liaison.refresh_from_db()
    assert alice_liaison.full_name == "Alice Liaison"


def test_profile_needs_a_signed_in_person(visitor: Client) -> None:
    response = visitor.post("/me/profile/", {"full_name": "X", "preferred_language": "es"})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/me/profile/"
    assert User.objects.count() == 0


def test_a_person_who_prefers_spanish_is_served_spanish(
    rosa_spanish: User, signed_in: Callable[[User], Client]
) -> None:
    response = signed_in(rosa_spanish).get("/me/")

    assert response.status_code == 200
    assert '<html lang="es">' in response.text


def test_the_language_switcher_wins_over_the_stored_preference(
    rosa_spanish: User, signed_in: Callable[[User], Client], settings: Settings
) -> None:
    rosa = signed_in(rosa_spanish)
    rosa.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    response = rosa.get("/me/")

    assert '<html lang="en">' in response.text


def test_a_person_who_prefers_english_gets_english_even_from_a_spanish_browser(
    alice_client: Client,
) -> None:
    response = alice_client.get("/me/", headers={"accept-language": "es"})

    assert '<html lang="en">' in response.text


def test_the_language_switcher_sets_the_cookie(visitor: Client, settings: Settings) -> None:
    response = visitor.post("/i18n/setlang/", {"language": "es", "next": "/network/"})

    assert response.status_code == 302
    assert response["Location"] == "/network/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
