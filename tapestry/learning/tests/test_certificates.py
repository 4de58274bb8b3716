"""Certificates: the PDF, the Open Badges 3.0 credential checked by an independent verifier
(openbadgeslib) and by PyJWT, baked badge images, revocation through the status list, the
public verification form and its rate limit, and the staff revoke page."""

from __future__ import annotations

import base64
import datetime
import gzip
import re
from typing import TYPE_CHECKING, Any

import jwt
import pytest
import time_machine
from cryptography.hazmat.primitives import serialization
from django.test import Client
from django.utils import timezone
from django.utils.formats import date_format
from openbadgeslib import baking as independent_baking
from openbadgeslib.ob3 import OB3VerificationError, OB3Verifier
from openbadgeslib.verify import verify_badge

from tapestry.learning import baking
from tapestry.learning.models import AuditEntry, Certificate
from tapestry.learning.services import certificate_revoke, completion_import
from tapestry.learning.tests.factories import course_finish, course_make
from tapestry.learning.tests.pdf import pdf_inflated
from tapestry.learning.views.certificates import certificate_html

if TYPE_CHECKING:
    from pytest_django.fixtures import Settings

    from tapestry.accounts.api import User

# A well-formed code no certificate has: the alphabet has no 0, 1, I, L or O.
UNKNOWN_CODE = "2222-3333-4444-5555"


def _certificate(user: User, **course: Any) -> Certificate:
    return course_finish(user_id=user.pk, course=course_make(**course)).certificate


def _pdf_strings(pdf: bytes) -> str:
    """The text strings of a PDF WeasyPrint wrote (link targets, bookmarks, document title),
    read from its compressed streams; WeasyPrint writes page text as glyph ids, not text."""
    blob = pdf_inflated(pdf)
    literal = [match.decode("latin-1") for match in re.findall(rb"\(([^()]*)\)", blob)]
    utf16 = [
        bytes.fromhex(match.decode()).decode("utf-16-be")
        for match in re.findall(rb"<feff([0-9a-fA-F]+)>", blob)
    ]
    return "\n".join(literal + utf16)


def _public_key(client: Client) -> Any:
    """The issuer's public key as a verifier would get it: from /.well-known/jwks.json."""
    response = client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    (key,) = response.json()["keys"]
    return jwt.PyJWK(key).key


def _through(client: Client) -> Any:
    """A fetcher for openbadgeslib that reads the site's URLs through the test client (no
    network): the status list URL in a credential is an absolute URL of SITE_URL."""

    def download(url: str) -> bytes:
        path = re.sub(r"^https?://[^/]+", "", url)
        response = client.get(path)
        assert response.status_code == 200, url
        return bytes(response.content)

    return download


def _revoked_indexes(client: Client, public_key: Any) -> set[int]:
    """The indexes set in the status list credential, its signature checked."""
    token = client.get("/learning/credentials/status/1/").content.decode()
    claims = jwt.decode(token, public_key, algorithms=["RS256"])
    encoded = claims["credentialSubject"]["encodedList"]
    assert encoded.startswith("u")
    bits = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    return {
        byte_index * 8 + bit
        for byte_index, byte in enumerate(bits)
        if byte
        for bit in range(8)
        if byte & (0x80 >> bit)
    }


# ---------------------------------------------------------------------------------------------
# Baking (no Django)

TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwczovL2V4YW1wbGUub3JnIn0.c2lnbmF0dXJl"


def test_a_png_badge_carries_the_credential_in_one_itxt_chunk_before_iend() -> None:
    baked = baking.png_bake(baking.badge_png(), TOKEN)

    assert baking.png_unbake(baked) == TOKEN
    # Read by another implementation too
    assert independent_baking.extract_png(baked, keyword=b"openbadgecredential") == TOKEN
    kinds = [kind for kind, _data in baking._png_chunks(baked)]
    assert kinds[-2:] == [b"iTXt", b"IEND"]
    rebaked = baking.png_bake(baked, "other.token.here")
    assert baking.png_unbake(rebaked) == "other.token.here"
    assert [kind for kind, _data in baking._png_chunks(rebaked)].count(b"iTXt") == 1
    assert baking.png_unbake(baking.badge_png()) is None


def test_a_svg_badge_carries_a_jwt_in_the_verify_attribute_and_json_as_text() -> None:
    drawn = baking.badge_svg(title="Privacy <basics>", issuer="Tapestry", label="Completed")

    baked = baking.svg_bake(drawn, TOKEN)

    assert baking.svg_unbake(baked) == TOKEN
    assert OB3Verifier.extract_token_from_svg(baked) == TOKEN
    text = baked.decode()
    assert text.startswith(
        '<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256" viewBox="0 0 256 256" '
        'role="img" aria-labelledby="badge-title" '
        'xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0">'
        f'<openbadges:credential verify="{TOKEN}"></openbadges:credential><title'
    )
    assert "Privacy &lt;basics&gt;" in text
    document = '{"type": ["VerifiableCredential"], "note": "a < b"}'
    assert baking.svg_unbake(baking.svg_bake(drawn, document)) == document
    assert baking.svg_unbake(drawn) is None
    with pytest.raises(baking.BakingError):
        baking.svg_bake(baked, TOKEN)


def test_images_that_are_not_what_they_claim_are_refused() -> None:
    png = baking.png_bake(baking.badge_png(), TOKEN)
    corrupted = png[:-20] + bytes([png[-20] ^ 0xFF]) + png[-19:]

    with pytest.raises(baking.BakingError, match="not a PNG"):
        baking.png_unbake(b"GIF89a")
    with pytest.raises(baking.BakingError, match="CRC"):
        baking.png_unbake(corrupted)
    with pytest.raises(baking.BakingError, match="truncated"):
        baking.png_unbake(png[:40])
    with pytest.raises(baking.BakingError, match="not an SVG"):
        baking.svg_unbake(b"<svg><unclosed></svg>")
    with pytest.raises(baking.BakingError, match="document type"):
        baking.svg_unbake(b'<!DOCTYPE svg [<!ENTITY a "aaaa">]><svg>&a;</svg>')


# ---------------------------------------------------------------------------------------------
# The PDF


def test_a_learner_downloads_their_certificate_as_a_pdf(
    alice_liaison: User, alice_client: Client, settings: Settings
) -> None:
    certificate = _certificate(alice_liaison, compliance=True, ce_hours="1.5")

    response = alice_client.get(f"/learning/certificates/{certificate.pk}/pdf/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="certificate-{certificate.code}.pdf"'
    )
    assert response.content.startswith(b"%PDF-")
    strings = _pdf_strings(response.content)
    assert f"{settings.SITE_URL}/learning/verify/{certificate.code}/" in strings
    assert "Certificate of completion · Privacy basics" in strings
    html = certificate_html(certificate)
    completion = certificate.completion
    assert "Alice Liaison" in html
    assert "Continuing-education hours</dt><dd>1.5</dd>" in html
    assert "Course version</dt><dd>1</dd>" in html
    assert "Completed in Tapestry" in html
    expires = date_format(timezone.localtime(completion.expires_at), "DATE_FORMAT")
    assert f"Valid until</dt><dd>{expires}</dd>" in html
    assert '<svg width="' in html  # the QR code, inline


def test_a_certificate_of_a_spanish_course_is_in_spanish(
    rosa_spanish: User, signed_in: Any
) -> None:
    certificate = _certificate(
        rosa_spanish, slug="privacidad", title="Privacidad básica", language="es", ce_hours="2"
    )

    response = signed_in(rosa_spanish).get(f"/learning/certificates/{certificate.pk}/pdf/")

    assert response.status_code == 200
    strings = _pdf_strings(response.content)
    assert "Certificado de finalización · Privacidad básica" in strings
    html = certificate_html(certificate)
    assert '<html lang="es">' in html
    assert "Se certifica que" in html
    assert "Horas de educación continua</dt><dd>2</dd>" in html
    assert "Completado en Tapestry" in html
    assert "Fecha de finalización" in html


def test_an_imported_completion_says_where_it_comes_from(
    alice_liaison: User, admin: User, alice_client: Client
) -> None:
    completion = completion_import(
        user_id=alice_liaison.pk,
        course=course_make(),
        completed_at=timezone.now() - datetime.timedelta(days=10),
        source_system="Moodle at Alice's library",
        actor=admin,
    )

    html = certificate_html(completion.certificate)
    page = alice_client.get(f"/learning/verify/?code={completion.certificate.code}")

    assert "Imported from Moodle at Alice&#x27;s library, which verified the completion" in html
    assert "Completed in Tapestry" not in html
    assert "Imported from Moodle at Alice&#x27;s library" in page.content.decode()


def test_another_persons_certificate_is_not_found_and_staff_may_download_anyones(
    alice_liaison: User,
    bob_client: Client,
    sam_client: Client,
    paula_client: Client,
    visitor: Client,
) -> None:
    certificate = _certificate(alice_liaison)
    paths = [
        f"/learning/certificates/{certificate.pk}/pdf/",
        f"/learning/certificates/{certificate.pk}/credential.jwt",
        f"/learning/certificates/{certificate.pk}/badge.png",
        f"/learning/certificates/{certificate.pk}/badge.svg",
    ]

    for path in paths:
        assert bob_client.get(path).status_code == 404
        assert sam_client.get(path).status_code == 404  # a specialist is no program staff
        assert visitor.get(path).status_code == 302
        assert paula_client.get(path).status_code == 200
    assert paula_client.get(f"/learning/certificates/{certificate.pk}/badge.gif").status_code == (
        404
    )


def test_a_revoked_certificate_is_no_longer_handed_out(
    alice_liaison: User, admin: User, alice_client: Client
) -> None:
    certificate = _certificate(alice_liaison)
    certificate_revoke(certificate_id=certificate.pk, actor=admin, reason="Taken by another")

    for suffix in ("pdf/", "credential.jwt", "badge.png", "badge.svg"):
        response = alice_client.get(f"/learning/certificates/{certificate.pk}/{suffix}")
        assert response.status_code == 410
        assert "was revoked on" in response.content.decode()
        assert "Taken by another" not in response.content.decode()


# ---------------------------------------------------------------------------------------------
# The Open Badges 3.0 credential


def test_an_independent_verifier_accepts_the_credential_until_it_is_revoked(
    alice_liaison: User, admin: User, alice_client: Client, visitor: Client
) -> None:
    certificate = _certificate(alice_liaison, compliance=True)
    token = alice_client.get(f"/learning/certificates/{certificate.pk}/credential.jwt")
    assert token["Content-Type"] == "application/vc+jwt"
    assert token.content.decode() == certificate.credential_jwt
    verifier = OB3Verifier(_public_key(visitor))

    credential = verifier.verify(
        token.content.decode(),
        check_status=True,
        verify_status_list=True,
        download=_through(visitor),
    )

    assert credential.achievement.name == "Privacy basics"
    certificate_revoke(certificate_id=certificate.pk, actor=admin, reason="Taken by another")
    with pytest.raises(OB3VerificationError, match="'revocation' is set at index"):
        verifier.verify(
            certificate.credential_jwt,
            check_status=True,
            verify_status_list=True,
            download=_through(visitor),
        )


def test_the_jwt_claims_match_the_credential_fields(
    alice_liaison: User, visitor: Client, settings: Settings
) -> None:
    certificate = _certificate(alice_liaison, compliance=True)
    completion = certificate.completion

    claims = jwt.decode(certificate.credential_jwt, _public_key(visitor), algorithms=["RS256"])

    site = settings.SITE_URL
    assert claims["iss"] == claims["issuer"]["id"] == f"{site}/learning/issuer/"
    assert claims["jti"] == claims["id"] == f"{site}/learning/verify/{certificate.code}/"
    assert claims["sub"] == claims["credentialSubject"]["id"]
    assert claims["sub"].startswith("urn:uuid:")
    assert claims["nbf"] == int(certificate.issued_at.timestamp())
    assert claims["validFrom"] == certificate.issued_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert completion.expires_at is not None
    assert claims["exp"] == int(completion.expires_at.timestamp())
    assert claims["credentialStatus"]["statusListIndex"] == str(certificate.status_index)


def test_the_baked_badges_verify_with_an_independent_verifier(
    alice_liaison: User, alice_client: Client, visitor: Client
) -> None:
    certificate = _certificate(alice_liaison)
    pem = (
        _public_key(visitor)
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )

    for fmt, content_type in (("png", "image/png"), ("svg", "image/svg+xml")):
        response = alice_client.get(f"/learning/certificates/{certificate.pk}/badge.{fmt}")
        assert response["Content-Type"] == content_type
        unbake = baking.png_unbake if fmt == "png" else baking.svg_unbake
        assert unbake(response.content) == certificate.credential_jwt
        result = verify_badge(response.content, "3", pubkey_pem=pem)
        assert (result.valid, result.trusted, result.reason) == (True, True, None)


def test_revoking_sets_that_certificates_bit_in_the_status_list_and_no_other(
    alice_liaison: User, bob_applicant: User, admin: User, visitor: Client
) -> None:
    kept = _certificate(alice_liaison)
    revoked = _certificate(bob_applicant, slug="other-course")
    public_key = _public_key(visitor)
    assert _revoked_indexes(visitor, public_key) == set()

    certificate_revoke(certificate_id=revoked.pk, actor=admin, reason="Taken by another")

    assert _revoked_indexes(visitor, public_key) == {revoked.status_index}
    assert kept.status_index != revoked.status_index


# ---------------------------------------------------------------------------------------------
# The public verification form


def test_a_visitor_verifies_a_code_typed_loosely(alice_liaison: User, visitor: Client) -> None:
    certificate = _certificate(alice_liaison)
    form = visitor.get("/learning/verify/")
    assert form.status_code == 200
    assert 'name="code"' in form.content.decode()
    typed = certificate.code.lower().replace("-", " ")

    response = visitor.get("/learning/verify/", {"code": typed})

    page = response.content.decode()
    assert response.status_code == 200
    assert "Valid" in page
    assert "Alice Liaison" in page
    assert "Privacy basics" in page
    assert "Completed in Tapestry" in page
    assert certificate.code in page
    assert "alice@example.org" not in page


def test_unknown_and_malformed_codes_are_told_apart(db: None, visitor: Client) -> None:
    unknown = visitor.get("/learning/verify/", {"code": UNKNOWN_CODE})
    too_short = visitor.get("/learning/verify/", {"code": "ABCD-EFGH"})
    look_alike = visitor.get("/learning/verify/O000-1111-IIII-LLLL/")
    odd_characters = visitor.get("/learning/verify/", {"code": "<script>ABCD-EFGH-JKMN"})

    assert unknown.status_code == 404
    assert "No certificate has this code" in unknown.content.decode()
    for response in (too_short, look_alike, odd_characters):
        assert response.status_code == 400
        assert "A verification code has 16 letters and digits" in response.content.decode()
    assert "<script>ABCD" not in odd_characters.content.decode()


def test_guessing_codes_is_limited_per_address_for_the_form_and_the_link(
    alice_liaison: User, settings: Settings
) -> None:
    settings.LEARNING_VERIFY_PER_ADDRESS_PER_HOUR = 3
    certificate = _certificate(alice_liaison)
    guesser = Client(REMOTE_ADDR="203.0.113.66")
    neighbour = Client(REMOTE_ADDR="198.51.100.7")

    assert guesser.get("/learning/verify/", {"code": UNKNOWN_CODE}).status_code == 404
    assert guesser.get("/learning/verify/", {"code": "nonsense"}).status_code == 400
    assert guesser.get(f"/learning/verify/{UNKNOWN_CODE}/").status_code == 404
    by_form = guesser.get("/learning/verify/", {"code": certificate.code})
    by_link = guesser.get(f"/learning/verify/{certificate.code}/")

    for response in (by_form, by_link):
        assert response.status_code == 429
        assert 0 < int(response["Retry-After"]) <= 3600
        assert "Many codes were checked from your connection" in response.content.decode()
        assert "Alice Liaison" not in response.content.decode()
    assert guesser.get("/learning/verify/").status_code == 200  # the empty form is no lookup
    assert neighbour.get(f"/learning/verify/{certificate.code}/").status_code == 200


# ---------------------------------------------------------------------------------------------
# Revoking


def test_program_staff_revoke_a_certificate_with_a_reason(
    alice_liaison: User, paula_program_staff: User, paula_client: Client, visitor: Client
) -> None:
    certificate = _certificate(alice_liaison)
    path = f"/learning/staff/certificates/{certificate.pk}/revoke/"
    page = paula_client.get(path)
    assert page.status_code == 200
    assert certificate.code in page.content.decode()
    assert "Alice Liaison" in page.content.decode()

    response = paula_client.post(path, {"reason": "The quiz was taken by someone else"})

    assert response.status_code == 302
    assert response["Location"] == path
    certificate.refresh_from_db()
    assert certificate.revoked_at is not None
    assert certificate.revoked_reason == "The quiz was taken by someone else"
    entry = AuditEntry.objects.get()
    assert (entry.actor_id, entry.action, entry.person_id) == (
        paula_program_staff.pk,
        "certificate_revoked",
        alice_liaison.pk,
    )
    assert _revoked_indexes(visitor, _public_key(visitor)) == {certificate.status_index}
    verdict = visitor.get(f"/learning/verify/{certificate.code}/").content.decode()
    assert "Revoked" in verdict
    assert "no longer counts" in verdict
    assert "taken by someone else" not in verdict
    again = paula_client.post(path, {"reason": "Twice"})
    assert again.status_code == 409
    assert "This certificate was already revoked." in again.content.decode()
    certificate.refresh_from_db()
    assert certificate.revoked_reason == "The quiz was taken by someone else"
    assert AuditEntry.objects.count() == 1


def test_a_revocation_without_a_reason_is_refused_and_changes_nothing(
    alice_liaison: User, admin_signed_in: Client
) -> None:
    certificate = _certificate(alice_liaison)

    response = admin_signed_in.post(
        f"/learning/staff/certificates/{certificate.pk}/revoke/", {"reason": "   "}
    )

    assert response.status_code == 400
    assert "Please correct the highlighted fields." in response.content.decode()
    certificate.refresh_from_db()
    assert certificate.revoked_at is None
    assert AuditEntry.objects.count() == 0


def test_only_program_staff_and_administrators_revoke(
    alice_liaison: User, alice_client: Client, sam_client: Client, visitor: Client
) -> None:
    certificate = _certificate(alice_liaison)
    path = f"/learning/staff/certificates/{certificate.pk}/revoke/"

    assert alice_client.post(path, {"reason": "Mine"}).status_code == 403
    assert sam_client.post(path, {"reason": "Region"}).status_code == 403
    assert visitor.post(path, {"reason": "Anyone"}).status_code == 302
    certificate.refresh_from_db()
    assert certificate.revoked_at is None
    assert AuditEntry.objects.count() == 0


def test_revoking_a_certificate_that_does_not_exist_is_not_found(paula_client: Client) -> None:
    assert paula_client.get("/learning/staff/certificates/999/revoke/").status_code == 404


def test_an_expired_completion_verifies_as_expired(alice_liaison: User, visitor: Client) -> None:
    certificate = _certificate(alice_liaison, compliance=True)
    expires_at = certificate.completion.expires_at
    assert expires_at is not None

    with time_machine.travel(expires_at + datetime.timedelta(days=1)):
        response = visitor.get("/learning/verify/", {"code": certificate.code})

    page = response.content.decode()
    assert response.status_code == 200
    assert "Expired" in page
    assert "the completion expired on" in page
    assert ">Valid<" not in page
