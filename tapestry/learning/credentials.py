"""Certificates as Open Badges 3.0 credentials (W3C Verifiable Credentials 2.0) in the VC-JWT
form of Open Badges 3.0 section 8.2: the JWT payload is the credential itself, with `iss`,
`jti`, `sub` and `nbf` (and `exp` for a credential that expires) matching its fields, signed
RS256 with a key published at /.well-known/jwks.json.
"""

from __future__ import annotations

import base64
import datetime
import gzip
import hashlib
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.urls import reverse

from tapestry.learning.models import Certificate, SigningKey

CONTEXTS = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]


def _iso(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def issuer_id() -> str:
    return f"{settings.SITE_URL}{reverse('learning:issuer')}"


def status_list_url() -> str:
    return f"{settings.SITE_URL}{reverse('learning:status_list')}"


def learner_id(user_id: int) -> str:
    """A stable identifier of the learner that names no one (a UUID derived from the site and
    the user id): the credential travels, and an email address need not travel with it."""
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{settings.SITE_URL}/learners/{user_id}')}"


def signing_key_current(*, algorithm: str = SigningKey.Algorithm.RS256) -> SigningKey:
    """The newest active key with a private half; made (RSA 2048) on first use."""
    key = (
        SigningKey.objects.filter(algorithm=algorithm, retired_at__isnull=True)
        .exclude(private_pem="")
        .first()
    )
    return key if key is not None else signing_key_rotate()


def signing_key_rotate() -> SigningKey:
    """A new RSA 2048 key that signs from now on. The keys before it stay published in the
    JWKS (not retired), so every credential they signed still verifies (docs/operations.md)."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_jwk: dict[str, Any] = jwt.algorithms.RSAAlgorithm.to_jwk(
        private.public_key(), as_dict=True
    )
    kid = hashlib.sha256(f"{public_jwk['n']}{public_jwk['e']}".encode()).hexdigest()[:32]
    public_jwk.update({"kid": kid, "alg": "RS256", "use": "sig"})
    return SigningKey.objects.create(
        kid=kid, algorithm=SigningKey.Algorithm.RS256, public_jwk=public_jwk, private_pem=pem
    )


def credential_of(certificate: Certificate) -> dict[str, Any]:
    """The Open Badges 3.0 credential a certificate stands for (unsigned)."""
    completion = certificate.completion
    course = completion.course
    verify_path = reverse("learning:verify_code", kwargs={"code": certificate.code})
    credential: dict[str, Any] = {
        "@context": CONTEXTS,
        "id": f"{settings.SITE_URL}{verify_path}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer_id(), "type": ["Profile"], "name": settings.LEARNING_ISSUER_NAME},
        "validFrom": _iso(certificate.issued_at),
        "name": course.title,
        "credentialSubject": {
            "id": learner_id(completion.user_id),
            "type": ["AchievementSubject"],
            "achievement": {
                "id": f"{settings.SITE_URL}/learning/courses/{course.slug}/",
                "type": ["Achievement"],
                "name": course.title,
                "description": course.summary,
                "criteria": {"narrative": str(course.get_completion_rule_display())},
                "inLanguage": course.language,
                "version": str(completion.course_version),
            },
        },
        "credentialStatus": {
            "id": f"{status_list_url()}#{certificate.status_index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(certificate.status_index),
            "statusListCredential": status_list_url(),
        },
    }
    if completion.expires_at:
        credential["validUntil"] = _iso(completion.expires_at)
    if course.ce_hours:
        credential["credentialSubject"]["achievement"]["creditsAvailable"] = float(course.ce_hours)
    return credential


def jwt_claims(credential: dict[str, Any]) -> dict[str, Any]:
    """The credential with the JWT claims section 8.2 asks for, taken from its own fields."""
    claims = dict(credential)
    claims["iss"] = credential["issuer"]["id"]
    claims["jti"] = credential["id"]
    claims["sub"] = credential["credentialSubject"]["id"]
    claims["nbf"] = int(
        datetime.datetime.fromisoformat(credential["validFrom"].replace("Z", "+00:00")).timestamp()
    )
    if "validUntil" in credential:
        claims["exp"] = int(
            datetime.datetime.fromisoformat(
                credential["validUntil"].replace("Z", "+00:00")
            ).timestamp()
        )
    return claims


def jwt_sign(claims: dict[str, Any]) -> str:
    key = signing_key_current()
    return jwt.encode(
        claims, key.private_pem, algorithm="RS256", headers={"kid": key.kid, "typ": "JWT"}
    )


def credential_sign(*, certificate: Certificate) -> str:
    """The certificate's credential as a compact VC-JWT."""
    return jwt_sign(jwt_claims(credential_of(certificate)))


# The W3C Bitstring Status List's minimum length (16 KB), so a list says little about how
# many credentials exist.
STATUS_LIST_BITS = 131_072


def status_list_encoded(revoked_indexes: list[int]) -> str:
    """The list's `encodedList`: multibase base64url (prefix "u") of the GZIP-compressed
    bitstring whose bit i (left-most bit of the first byte is 0) is set when credential i is
    revoked."""
    size = max(STATUS_LIST_BITS, ((max(revoked_indexes, default=0) // 8) + 1) * 8)
    bits = bytearray(size // 8)
    for index in revoked_indexes:
        bits[index // 8] |= 0x80 >> (index % 8)
    compressed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).decode().rstrip("=")


def status_list_credential_jwt() -> str:
    """The signed BitstringStatusListCredential listing every revoked certificate."""
    url = status_list_url()
    revoked = list(
        Certificate.objects.filter(revoked_at__isnull=False).values_list("status_index", flat=True)
    )
    now = datetime.datetime.now(datetime.UTC)
    credential: dict[str, Any] = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": {"id": issuer_id(), "type": ["Profile"], "name": settings.LEARNING_ISSUER_NAME},
        "validFrom": _iso(now),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": status_list_encoded(revoked),
        },
    }
    claims = dict(credential, iss=credential["issuer"]["id"], jti=url, sub=f"{url}#list")
    claims["nbf"] = int(now.timestamp())
    return jwt_sign(claims)


def jwks() -> dict[str, Any]:
    """The public keys of every key not retired (keys imported with an archive included)."""
    return {"keys": [key.public_jwk for key in SigningKey.objects.filter(retired_at__isnull=True)]}


def issuer_profile() -> dict[str, Any]:
    return {
        "@context": CONTEXTS,
        "id": issuer_id(),
        "type": ["Profile"],
        "name": settings.LEARNING_ISSUER_NAME,
        "url": settings.SITE_URL,
    }
