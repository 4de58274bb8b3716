"""Rotating the credential signing key (docs/operations.md): new credentials are signed with
the new key, and credentials signed before still verify against the published keys."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

import jwt
from django.core.management import call_command
from django.test import Client

from tapestry.learning.tests.factories import course_finish, course_make

if TYPE_CHECKING:
    from tapestry.accounts.api import User


def _verified_by_the_published_keys(token: str, visitor: Client) -> dict[str, Any]:
    """What a verifier does: take the key the token names from /.well-known/jwks.json."""
    kid = jwt.get_unverified_header(token)["kid"]
    published = {key["kid"]: key for key in visitor.get("/.well-known/jwks.json").json()["keys"]}
    claims: dict[str, Any] = jwt.decode(token, jwt.PyJWK(published[kid]).key, algorithms=["RS256"])
    return claims


def test_after_a_rotation_old_credentials_verify_and_new_ones_use_the_new_key(
    alice_liaison: User, rosa_spanish: User, visitor: Client
) -> None:
    course = course_make()
    before = course_finish(user_id=alice_liaison.pk, course=course).certificate
    output = io.StringIO()

    call_command("learning_signing_key_rotate", stdout=output)
    after = course_finish(user_id=rosa_spanish.pk, course=course).certificate

    old_kid = jwt.get_unverified_header(before.credential_jwt)["kid"]
    new_kid = jwt.get_unverified_header(after.credential_jwt)["kid"]
    assert old_kid != new_kid
    assert output.getvalue() == f"New signing key {new_kid} (RS256) signs from now on.\n"
    published = [key["kid"] for key in visitor.get("/.well-known/jwks.json").json()["keys"]]
    assert sorted(published) == sorted([old_kid, new_kid])
    assert _verified_by_the_published_keys(before.credential_jwt, visitor)["jti"].endswith(
        f"/learning/verify/{before.code}/"
    )
    assert _verified_by_the_published_keys(after.credential_jwt, visitor)["jti"].endswith(
        f"/learning/verify/{after.code}/"
    )
