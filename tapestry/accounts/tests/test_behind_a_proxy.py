"""Sign-in limits behind a reverse proxy (TAPESTRY_TRUSTED_PROXY_COUNT).

Behind nginx every request reaches gunicorn from the proxy's address. The per-address sign-in
limits must then count the visitor's address, which the proxy appends to X-Forwarded-For, or
one person guessing passwords locks everyone out.
"""

from typing import Any

import pytest
from django.test import Client

from tapestry.accounts.models import User
from tapestry.accounts.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

PROXY = "127.0.0.1"
THROTTLED = "Too many failed login attempts. Try again later."


def _behind_the_proxy(visitor_address: str) -> Client:
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=visitor_address)


def _guess_twenty_times() -> Client:
    attacker = _behind_the_proxy("203.0.113.66")
    for attempt in range(20):
        attacker.post("/accounts/login/", {"login": "alice@example.org", "password": f"g{attempt}"})
    return attacker


def test_with_one_trusted_proxy_a_guesser_does_not_lock_out_the_owner_behind_the_same_proxy(
    alice_liaison: User, settings: Any
) -> None:
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    attacker = _guess_twenty_times()
    alice = _behind_the_proxy("198.51.100.7")

    response = alice.post("/accounts/login/", {"login": "alice@example.org", "password": PASSWORD})

    assert response.status_code == 302
    assert alice.session["_auth_user_id"] == str(alice_liaison.pk)
    # …while the guesser's own address stays throttled, even with the right password.
    refused = attacker.post(
        "/accounts/login/", {"login": "alice@example.org", "password": PASSWORD}
    )
    assert refused.context["form"].non_field_errors() == [THROTTLED]


def test_with_no_trusted_proxy_everyone_behind_it_shares_the_proxys_address(
    alice_liaison: User, settings: Any
) -> None:
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    _guess_twenty_times()
    alice = _behind_the_proxy("198.51.100.7")

    response = alice.post("/accounts/login/", {"login": "alice@example.org", "password": PASSWORD})

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [THROTTLED]
    assert "_auth_user_id" not in alice.session
