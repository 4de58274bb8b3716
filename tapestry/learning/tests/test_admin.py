"""The training platform's Django admin: every page opens for a superuser, and the records
nobody may change there (the audit trail, certificates, signing keys) cannot be."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from django.test import Client

from tapestry.learning import credentials
from tapestry.learning.models import AuditEntry, Certificate, SigningKey
from tapestry.learning.services import bypass_grant
from tapestry.learning.tests.factories import course_finish, course_make, requirement_make

if TYPE_CHECKING:
    from tapestry.accounts.api import User

pytestmark = pytest.mark.django_db

MODELS = [
    "course",
    "lesson",
    "quiz",
    "quizquestion",
    "requirement",
    "enrollment",
    "completion",
    "certificate",
    "auditentry",
    "creditentry",
    "statement",
    "signingkey",
]


@pytest.mark.parametrize("model", MODELS)
def test_every_admin_list_and_record_opens_for_a_superuser(
    admin_signed_in: Client, admin: User, alice_liaison: User, model: str
) -> None:
    course = course_make(compliance=True, ce_hours="2")
    course_finish(user_id=alice_liaison.pk, course=course)
    requirement = requirement_make(role="liaison", course=course)
    bypass_grant(user_id=alice_liaison.pk, requirement=requirement, actor=admin, reason="Trained")

    listing = admin_signed_in.get(f"/admin/learning/{model}/")

    assert listing.status_code == 200
    first = _first_pk(model)
    assert admin_signed_in.get(f"/admin/learning/{model}/{first}/change/").status_code == 200


def _first_pk(model: str) -> str:
    from django.apps import apps

    return str(apps.get_model("learning", model).objects.order_by("pk").first().pk)


def test_the_audit_trail_cannot_be_changed_added_or_deleted_in_the_admin(
    admin_signed_in: Client, admin: User, alice_liaison: User
) -> None:
    course = course_make(compliance=True)
    requirement = requirement_make(role="liaison", course=course)
    bypass_grant(user_id=alice_liaison.pk, requirement=requirement, actor=admin, reason="Trained")
    entry = AuditEntry.objects.get()

    change = admin_signed_in.post(
        f"/admin/learning/auditentry/{entry.pk}/change/",
        {"action": "bypass_withdrawn", "subject": "rewritten", "reason": "rewritten"},
    )
    delete = admin_signed_in.post(f"/admin/learning/auditentry/{entry.pk}/delete/", {"post": "yes"})
    add = admin_signed_in.get("/admin/learning/auditentry/add/")

    assert (change.status_code, delete.status_code, add.status_code) == (403, 403, 403)
    entry.refresh_from_db()
    assert (entry.action, entry.subject, entry.reason) == (
        "bypass_granted",
        str(requirement),
        "Trained",
    )
    page = admin_signed_in.get(f"/admin/learning/auditentry/{entry.pk}/change/").content.decode()
    assert 'name="reason"' not in page


def test_certificates_cannot_be_revoked_in_the_admin(
    admin_signed_in: Client, alice_liaison: User
) -> None:
    completion = course_finish(user_id=alice_liaison.pk, course=course_make())
    certificate = completion.certificate

    response = admin_signed_in.post(
        f"/admin/learning/certificate/{certificate.pk}/change/",
        {"revoked_reason": "no", "revoked_at_0": "2026-01-01", "revoked_at_1": "00:00"},
    )

    assert response.status_code == 403
    certificate = Certificate.objects.get(pk=certificate.pk)
    assert (certificate.revoked_at, certificate.revoked_reason) == (None, "")


def test_a_signing_key_never_shows_its_private_half(admin_signed_in: Client) -> None:
    credentials.signing_key_current()
    key = SigningKey.objects.exclude(private_pem="").first()
    assert key is not None

    page = admin_signed_in.get(f"/admin/learning/signingkey/{key.pk}/change/").content.decode()

    assert key.kid in page
    assert "PRIVATE KEY" not in page
