import pytest

from tapestry.accounts.models import ApiToken
from tapestry.accounts.services import api_token_create

pytestmark = pytest.mark.django_db


def _bearer(raw: str) -> dict[str, str]:
    return {"authorization": f"Bearer {raw}"}


def test_a_new_token_is_shown_once_and_only_its_hash_is_stored(
    alice_liaison, alice_client, audit_log
):
    response = alice_client.post("/me/api-tokens/", {"name": "reporting script"})

    assert response.status_code == 200
    raw = response.context["new_token"]
    assert raw.startswith("tap_")
    assert raw in response.text
    token = ApiToken.objects.get()
    assert (token.user, token.name, token.prefix) == (alice_liaison, "reporting script", raw[:12])
    assert token.token_hash == ApiToken.hash(raw)
    assert token.token_hash != raw
    assert raw not in alice_client.get("/me/api-tokens/").text
    assert audit_log() == [
        ("api_token.create", "alice@example.org", "accounts.apitoken", str(token.pk))
    ]


def test_a_token_without_a_name_is_refused(alice_client):
    response = alice_client.post("/me/api-tokens/", {"name": ""})

    assert response.status_code == 400
    assert response.context["new_token"] is None
    assert ApiToken.objects.count() == 0


def test_a_token_authenticates_the_api_as_its_owner(alice_liaison, client):
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


def test_a_revoked_token_no_longer_works(alice_liaison, alice_client, client, audit_log):
    token, raw = api_token_create(user=alice_liaison, name="script")

    response = alice_client.post(f"/me/api-tokens/{token.pk}/revoke/")

    assert response.status_code == 302
    assert response["Location"] == "/me/api-tokens/"
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert client.get("/api/v1/accounts/me", headers=_bearer(raw)).status_code == 401
    assert [row[0] for row in audit_log()] == ["api_token.create", "api_token.revoke"]


def test_another_persons_token_cannot_be_revoked(alice_client, bob_applicant, client, audit_log):
    bobs_token, raw = api_token_create(user=bob_applicant, name="bob's script")

    response = alice_client.post(f"/me/api-tokens/{bobs_token.pk}/revoke/")

    assert response.status_code == 302
    bobs_token.refresh_from_db()
    assert bobs_token.revoked_at is None
    assert client.get("/api/v1/accounts/me", headers=_bearer(raw)).status_code == 200
    assert [row[0] for row in audit_log()] == ["api_token.create"]


def test_revoking_needs_a_post(alice_liaison, alice_client):
    token, _raw = api_token_create(user=alice_liaison, name="script")

    response = alice_client.get(f"/me/api-tokens/{token.pk}/revoke/")

    assert response.status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None


def test_an_unknown_token_gets_401(db, client):
    response = client.get("/api/v1/accounts/me", headers=_bearer("tap_not-a-real-token"))

    assert response.status_code == 401
    assert response.json() == {"detail": "A valid API token is required."}


def test_no_token_gets_401(db, client):
    response = client.get("/api/v1/accounts/me")

    assert response.status_code == 401
    assert response.json() == {"detail": "A valid API token is required."}


def test_a_token_of_a_deactivated_person_gets_401(alice_liaison, client):
    _token, raw = api_token_create(user=alice_liaison, name="script")
    alice_liaison.is_active = False
    alice_liaison.save(update_fields=["is_active"])

    response = client.get("/api/v1/accounts/me", headers=_bearer(raw))

    assert response.status_code == 401


def test_the_tokens_page_needs_a_signed_in_person(visitor):
    response = visitor.post("/me/api-tokens/", {"name": "x"})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/me/api-tokens/"
    assert ApiToken.objects.count() == 0
