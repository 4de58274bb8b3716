"""The chain the rest builds on: a course taken to completion, and role → requirement →
status."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

import jwt
import pytest
import time_machine
from django.test import Client

from tapestry.accounts.api import Role, role_grant
from tapestry.learning import api, credentials
from tapestry.learning.models import AppendOnly, AuditEntry, Certificate, Enrollment, Quiz
from tapestry.learning.services import (
    Conflict,
    LearningError,
    NotAllowed,
    attempt_start,
    attempt_submit,
    bypass_grant,
    certificate_revoke,
    course_enroll,
)
from tapestry.learning.tests.factories import (
    course_finish,
    course_make,
    requirement_make,
    right_answers,
    wrong_answers,
)

if TYPE_CHECKING:
    from tapestry.accounts.api import User


def test_a_learner_completes_a_course_and_gets_a_signed_certificate(
    alice_liaison: User, client: Client
) -> None:
    course = course_make(compliance=True)

    completion = course_finish(user_id=alice_liaison.pk, course=course)

    certificate = completion.certificate
    assert completion.course_version == 1
    assert completion.score == 100
    assert completion.expires_at is not None
    assert (completion.expires_at - completion.completed_at).days == 365
    key = jwt.PyJWK(credentials.jwks()["keys"][0])
    claims = jwt.decode(
        certificate.credential_jwt, key, algorithms=["RS256"], options={"verify_aud": False}
    )
    assert claims["jti"] == claims["id"]
    assert claims["sub"] == claims["credentialSubject"]["id"]
    assert claims["iss"] == claims["issuer"]["id"]
    assert claims["credentialSubject"]["achievement"]["name"] == "Privacy basics"
    page = client.get(f"/learning/verify/{certificate.code.lower()}/")
    assert page.status_code == 200
    assert "Valid" in page.content.decode()


def test_a_quiz_submitted_twice_is_refused_and_changes_nothing(alice_liaison: User) -> None:
    course = course_make()
    quiz = Quiz.objects.get(module__course=course)
    enrollment = course_enroll(user_id=alice_liaison.pk, course=course)
    attempt = attempt_start(enrollment=enrollment, quiz=quiz)
    attempt_submit(attempt_id=attempt.pk, user_id=alice_liaison.pk, answers=wrong_answers(quiz))

    with pytest.raises(Conflict):
        attempt_submit(attempt_id=attempt.pk, user_id=alice_liaison.pk, answers=right_answers(quiz))

    attempt.refresh_from_db()
    assert (attempt.score, attempt.passed) == (0, False)


def test_tampered_answers_and_an_attempt_past_the_limit_are_refused(
    alice_liaison: User, bob_applicant: User
) -> None:
    course = course_make()
    quiz = Quiz.objects.get(module__course=course)
    quiz.attempts_allowed = 1
    quiz.save()
    enrollment = course_enroll(user_id=alice_liaison.pk, course=course)
    attempt = attempt_start(enrollment=enrollment, quiz=quiz)
    tampered = {question: [999_999] for question in right_answers(quiz)}

    with pytest.raises(LearningError):
        attempt_submit(attempt_id=attempt.pk, user_id=alice_liaison.pk, answers=tampered)
    with pytest.raises(NotAllowed):
        attempt_submit(attempt_id=attempt.pk, user_id=bob_applicant.pk, answers=right_answers(quiz))
    attempt_submit(attempt_id=attempt.pk, user_id=alice_liaison.pk, answers=wrong_answers(quiz))
    with pytest.raises(NotAllowed):
        attempt_start(enrollment=enrollment, quiz=quiz)


def test_granting_a_role_assigns_its_courses_and_the_status_follows(
    bob_applicant: User, admin: User
) -> None:
    registered = course_make(slug="registered-tier", title="Registered tier", compliance=True)
    requirement = requirement_make(role=Role.RESEARCHER, course=registered, due_days=30)

    role_grant(user_id=bob_applicant.pk, roles=[Role.RESEARCHER])

    enrollment = Enrollment.objects.get(user=bob_applicant, course=registered)
    assert enrollment.source == Enrollment.Source.ROLE
    assert [s.status for s in api.compliance_status(user_id=bob_applicant.pk)] == ["missing"]

    course_finish(user_id=bob_applicant.pk, course=registered)
    assert [s.status for s in api.compliance_status(user_id=bob_applicant.pk)] == ["compliant"]
    with time_machine.travel(datetime.timedelta(days=331)):
        assert api.training_current(user_id=bob_applicant.pk, course_slug="registered-tier") == (
            api.TrainingState("registered-tier", "expiring", True, enrollment_expiry(bob_applicant))
        )
    with time_machine.travel(datetime.timedelta(days=366)):
        states = api.compliance_status(user_id=bob_applicant.pk)
        assert [s.status for s in states] == ["expired"]
        bypass_grant(
            user_id=bob_applicant.pk, requirement=requirement, actor=admin, reason="Renewing late"
        )
        assert [s.bypassed for s in api.compliance_status(user_id=bob_applicant.pk)] == [True]


def enrollment_expiry(user: User) -> datetime.datetime | None:
    return user.completions.get().expires_at


def test_a_controlled_tier_course_opens_only_after_the_registered_tier(
    bob_applicant: User,
) -> None:
    registered = course_make(slug="registered-tier", title="Registered tier", compliance=True)
    controlled = course_make(slug="controlled-tier", title="Controlled tier", compliance=True)
    controlled.prerequisites.add(registered)
    enrollment = course_enroll(user_id=bob_applicant.pk, course=controlled)

    with pytest.raises(NotAllowed, match="Registered tier"):
        attempt_start(enrollment=enrollment, quiz=Quiz.objects.get(module__course=controlled))

    course_finish(user_id=bob_applicant.pk, course=registered)
    completion = course_finish(user_id=bob_applicant.pk, course=controlled)
    assert completion.course == controlled


def test_a_revocation_is_audited_and_the_trail_cannot_be_changed(
    alice_liaison: User, admin: User
) -> None:
    completion = course_finish(user_id=alice_liaison.pk, course=course_make())
    certificate = completion.certificate

    certificate_revoke(certificate_id=certificate.pk, actor=admin, reason="Quiz taken by another")

    entry = AuditEntry.objects.get()
    assert (entry.action, entry.person_id, entry.reason) == (
        "certificate_revoked",
        alice_liaison.pk,
        "Quiz taken by another",
    )
    assert Certificate.objects.get().revoked_at is not None
    with pytest.raises(AppendOnly):
        AuditEntry.objects.all().delete()
    entry.reason = "nothing happened"
    with pytest.raises(AppendOnly):
        entry.save()
