from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from tapestry.accounts.models import ApiToken, User
from tapestry.accounts.services import ApiTokenError, api_token_create

if TYPE_CHECKING:
    from tapestry.accounts.api import User

pytestmark = pytest.mark.django_db


def _bearer(raw: str) -> dict[str, str]:
    return {"authorization": f"Bearer {raw}"}


def test_a_new_token_is_shown_once_and_only_its_hash_is_stored(
    alice_liaison: User, alice_client: Client, audit_log: Callable[[], list[tuple]]
) -> None:
    response = alice_client.post(
        "/me/api-tokens/",
        {"name": "reporting script", "scopes": ["read", "research"], "expires_in_days": "30"},
    )

    assert response.status_code == 200
    raw = response.context["new_token"]
    assert raw.startswith("tap_")
    assert raw in response.text
    token = ApiToken.objects.get()
    assert (token.user, token.name, token.prefix) == (alice_liaison, "reporting script", raw[:12])
    assert token.scopes == ["read", "research"]
    assert token.expires_at is not None
    assert token.expires_at.date() == (token.created_at + datetime.timedelta(days=30)).date()
    assert token.token_hash == ApiToken.hash(raw)
    assert token.token_hash != raw
    assert raw not in alice_client.get("/me/api-tokens/").text
    assert audit_log() == [
        ("api_token.create", "alice@example.org", "accounts.apitoken", str(token.pk))
    ]


def test_a_token_without_a_name_is_refused(alice_client: Client) -> None:
    response = alice_client.post("/me/api-tokens/", {"name": ""})

    assert response.status_code == 400
    assert response.context["new_token"] is None
    assert ApiToken.objects.count() == 0


def test_a_token_authenticates_the_api_as_its_owner(alice_liaison: User, client: Client) -> None:
    token, raw = api_token_create(user=alice_liaison, name="script")

    response = client.get("/api/v1/accounts/me", headers=_bearer(raw))

    assert response.status_code == 200
    assert response.json() == {
        "email": "alice@example.org",
        "full_name": "Alice Liaison",
        "preferred_language": "en",
        "roles": ["liaison"],
    }
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_a_revoked_token_no_longer_works(
    alice_liaison: User, alice_client: Client, client: Client, audit_log: Callable[[], list[tuple]]
) -> None:
    token, raw = api_token_create(user=alice_liaison, name="script")

    response = alice_client.post(f"/me/api-tokens/{token.pk}/revoke/")

    assert response.status_code == 302
    assert response["Location"] == "/me/api-tokens/"
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert client.get("/api/v1/accounts/me", headers=_bearer(raw)).status_code == 401
    assert [row[0] for row in audit_log()] == ["api_token.create", "api_token.revoke"]


def test_another_persons_token_cannot_be_revoked(
    alice_client: Client, bob_applicant: User, client: Client, audit_log: Callable[[], list[tuple]]
) -> None:
    bobs_token, raw = api_token_create(user=bob_applicant, name="bob's script")

    response = alice_client.post(f"/me/api-tokens/{bobs_token.pk}/revoke/")

    assert response.status_code == 302
    bobs_token.refresh_from_db()
    assert bobs_token.revoked_at is None
    assert client.get("/api/v1/accounts/me", headers=_bearer(raw)).status_code == 200
    assert [row[0] for row in audit_log()] == ["api_token.create"]


def test_revoking_needs_a_post(alice_liaison: User, alice_client: Client) -> None:
    token, _raw = api_token_create(user=alice_liaison, name="script")

    response = alice_client.get(f"/me/api-tokens/{token.pk}/revoke/")

    assert response.status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None


def test_an_unknown_token_gets_401(db: None, client: Client) -> None:
    response = client.get("/api/v1/accounts/me", headers=_bearer("tap_not-a-real-token"))

    assert response.status_code == 401
    assert response.json() == {"detail": "A valid API token is required."}


def test_no_token_gets_401(db: None, client: Client) -> None:
    response = client.get("/api/v1/accounts/me")

    assert response.status_code == 401
    assert response.json() == {"detail": "A valid API token is required."}


def test_a_token_of_a_deactivated_person_gets_401(alice_liaison: User, client: Client) -> None:
    _token, raw = api_token_create(user=alice_liaison, name="script")
    alice_liaison.is_active = False
    alice_liaison.save(update_fields=["is_active"])

    response = client.get("/api/v1/accounts/me", headers=_bearer(raw))

    assert response.status_code == 401


def test_the_tokens_page_needs_a_signed_in_person(visitor: Client) -> None:
    response = visitor.post("/me/api-tokens/", {"name": "x"})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/me/api-tokens/"
    assert ApiToken.objects.count() == 0


def test_the_tokens_page_shows_each_tokens_scopes_and_expiry(
    alice_liaison: User, alice_client: Client
) -> None:
    api_token_create(
        user=alice_liaison, name="reporting script", scopes=["research"], expires_in_days=365
    )

    page = alice_client.get("/me/api-tokens/").text

    assert "<td>Research statistics</td>" in page
    expected = timezone.localdate() + datetime.timedelta(days=365)
    assert expected.strftime("%-d %b %Y") in page  # one date format across the site
    assert 'name="scopes" id="id_scopes_0" value="read" checked' in page
    assert 'name="expires_in_days" id="id_expires_in_days_1" value="90" checked' in page


def test_a_token_with_no_scope_is_refused_and_nothing_is_made(alice_client: Client) -> None:
    response = alice_client.post(
        "/me/api-tokens/", {"name": "script", "scopes": [], "expires_in_days": "90"}
    )

    assert response.status_code == 400
    assert response.context["form"].errors["scopes"] == [
        "Choose at least one thing the token may do."
    ]
    assert ApiToken.objects.count() == 0


def test_a_lifetime_that_is_not_offered_is_refused(
    alice_liaison: User, alice_client: Client
) -> None:
    response = alice_client.post(
        "/me/api-tokens/", {"name": "script", "scopes": ["read"], "expires_in_days": "3650"}
    )

    assert response.status_code == 400
    assert ApiToken.objects.count() == 0
    with pytest.raises(ApiTokenError):
        api_token_create(user=alice_liaison, name="script", expires_in_days=3650)
    assert ApiToken.objects.count() == 0


def test_an_expired_token_gets_401_saying_it_expired(alice_liaison: User, client: Client) -> None:
    token, raw = api_token_create(user=alice_liaison, name="script")
    ApiToken.objects.filter(pk=token.pk).update(
        expires_at=datetime.datetime(2026, 1, 31, 12, tzinfo=datetime.UTC)
    )

    response = client.get("/api/v1/accounts/me", headers=_bearer(raw))

    assert response.status_code == 401
    assert response.json() == {
        "detail": "This API token expired on 2026-01-31. Make a new one on the API tokens page."
    }
    token.refresh_from_db()
    assert token.last_used_at is None


def test_a_token_without_the_read_scope_gets_403_naming_the_scope(
    alice_liaison: User, client: Client
) -> None:
    _token, raw = api_token_create(user=alice_liaison, name="script", scopes=["research"])

    response = client.get("/api/v1/accounts/me", headers=_bearer(raw))

    assert response.status_code == 403
    assert response.json() == {
        "detail": "This API token does not have the “read” scope. "
        "Make a token with that scope on the API tokens page."
    }


def test_the_openapi_document_declares_401_403_and_429_for_the_token_endpoint(
    client: Client,
) -> None:
    responses = client.get("/api/v1/openapi.json").json()["paths"]["/api/v1/accounts/me"]["get"][
        "responses"
    ]

    assert sorted(responses) == ["200", "401", "403", "429"]


@override_settings(API_THROTTLE_ANONYMOUS="3/m")
def test_the_public_api_answers_429_past_the_limit_from_one_address(client: Client) -> None:
    statuses = [client.get("/api/v1/network/regions").status_code for _ in range(4)]
    elsewhere = Client(REMOTE_ADDR="192.0.2.50").get("/api/v1/network/regions")

    assert statuses == [200, 200, 200, 429]
    assert elsewhere.status_code == 200


@override_settings(API_THROTTLE_ANONYMOUS="2/m")
def test_a_made_up_forwarded_address_buys_no_new_budget(client: Client) -> None:
    # With no trusted proxy (the default) the header is the client's own claim.
    statuses = [
        client.get("/api/v1/network/regions", headers={"X-Forwarded-For": f"192.0.2.{n}"})
        for n in range(3)
    ]

    assert [response.status_code for response in statuses] == [200, 200, 429]


@override_settings(API_THROTTLE_ANONYMOUS="1/m")
def test_a_throttled_answer_says_when_to_come_back(client: Client) -> None:
    client.get("/api/v1/network/regions")

    response = client.get("/api/v1/network/regions")

    assert response.status_code == 429
    assert response.json() == {"detail": "Too many requests."}
    assert 1 <= int(response["Retry-After"]) <= 60
