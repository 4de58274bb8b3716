from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from django.test import Client

from tapestry.accounts.roles import Role
from tapestry.accounts.tests.factories import UserFactory

if TYPE_CHECKING:
    from tapestry.accounts.api import User

pytestmark = pytest.mark.django_db

TOTP_SETUP = "/accounts/2fa/totp/activate/"


def test_a_specialist_without_an_authenticator_is_sent_to_set_one_up(
    signed_in: Callable[[User], Client],
) -> None:
    specialist = UserFactory.create(roles=[Role.ENGAGEMENT_SPECIALIST])

    response = signed_in(specialist).get("/me/")

    assert response.status_code == 302
    assert response["Location"] == TOTP_SETUP


@pytest.mark.parametrize(
    "role",
    [
        Role.ENGAGEMENT_SPECIALIST,
        Role.REVIEWER,
        Role.PROGRAM_STAFF,
        Role.ADMINISTRATOR,
        Role.CONSORTIUM_STAFF,
    ],
)
def test_every_staff_role_without_an_authenticator_is_kept_out_of_the_network_pages(
    signed_in: Callable[[User], Client], role: Any
) -> None:
    person = UserFactory.create(roles=[role])

    response = signed_in(person).get("/network/")

    assert response.status_code == 302
    assert response["Location"] == TOTP_SETUP


def test_django_staff_without_an_authenticator_is_sent_to_set_one_up(
    signed_in: Callable[[User], Client],
) -> None:
    staff = UserFactory.create(is_staff=True)

    response = signed_in(staff).get("/admin/")

    assert response.status_code == 302
    assert response["Location"] == TOTP_SETUP


def test_the_totp_setup_page_itself_is_not_redirected_in_a_loop(
    signed_in: Callable[[User], Client],
) -> None:
    specialist = UserFactory.create(roles=[Role.ENGAGEMENT_SPECIALIST])

    response = signed_in(specialist).get(TOTP_SETUP)

    # allauth asks for the password again before adding an authenticator.
    assert response.status_code == 302
    assert (
        response["Location"]
        == "/accounts/reauthenticate/?next=%2Faccounts%2F2fa%2Ftotp%2Factivate%2F"
    )


def test_the_api_stays_reachable_without_an_authenticator(
    signed_in: Callable[[User], Client],
) -> None:
    specialist = UserFactory.create(roles=[Role.ENGAGEMENT_SPECIALIST])

    response = signed_in(specialist).get("/api/v1/network/regions")

    assert response.status_code == 200


def test_a_specialist_with_an_authenticator_goes_on(
    sam_specialist: User, sam_client: Client
) -> None:
    response = sam_client.get("/me/")

    assert response.status_code == 200


@pytest.mark.parametrize(
    "role", [Role.LIAISON, Role.RESEARCHER, Role.HEALTH_CARE_PROVIDER, Role.COMMUNITY_PARTNER]
)
def test_roles_that_do_not_need_a_second_factor_are_not_redirected(
    signed_in: Callable[[User], Client], role: Any
) -> None:
    person = UserFactory.create(roles=[role])

    response = signed_in(person).get("/me/")

    assert response.status_code == 200


def test_a_person_with_no_role_is_not_redirected(bob_client: Client) -> None:
    response = bob_client.get("/me/")

    assert response.status_code == 200


def test_anonymous_visitors_are_not_redirected_to_totp_setup(visitor: Client) -> None:
    response = visitor.get("/network/")

    assert response.status_code == 200
