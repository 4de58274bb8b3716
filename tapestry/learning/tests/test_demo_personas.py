"""`manage.py learning_seed_demo`: the personas stand where the README's persona table says,
through real records (statements, certificates, CE credit), and running it again changes
nothing."""

from __future__ import annotations

import datetime
from decimal import Decimal
from io import StringIO
from pathlib import Path

import jwt
import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Sum
from django.utils import timezone

from tapestry.accounts.api import PERSONAS, person_roles
from tapestry.learning import api, services
from tapestry.learning.demo import IMPORTED_FROM, course_take
from tapestry.learning.models import (
    AuditEntry,
    Certificate,
    Completion,
    Course,
    CreditEntry,
    Enrollment,
    LessonView,
    Statement,
)


def _ids() -> dict[str, int]:
    """Each persona's user id, by email."""
    emails = [persona.email for persona in PERSONAS]
    return dict(get_user_model().objects.filter(email__in=emails).values_list("email", "pk"))


@pytest.fixture
def seeded(db: None) -> dict[str, int]:
    call_command("learning_seed_demo", stdout=StringIO())
    return _ids()


def _days_ago(moment: datetime.datetime | None) -> int:
    """Whole days (of 24 hours) between `moment` and now: the demo moves records back by whole
    days, and counting local dates instead would be a day off for an hour of every night
    between a moment in summer time and one in winter time."""
    assert moment is not None
    return round((timezone.now() - moment) / datetime.timedelta(days=1))


def test_the_researcher_is_current_on_the_registered_tier(seeded: dict[str, int]) -> None:
    researcher = seeded["researcher@tapestry.example"]

    (state,) = api.compliance_status(user_id=researcher)

    assert (state.role, state.course_slug, state.status) == (
        "researcher",
        "responsible-conduct-of-research",
        "compliant",
    )
    assert api.training_current(
        user_id=researcher, course_slug="responsible-conduct-of-research"
    ).current
    completion = Completion.objects.get(user_id=researcher)
    assert _days_ago(completion.completed_at) == 60
    assert _days_ago(completion.expires_at) == 60 - 365
    certificate = completion.certificate
    assert certificate.issued_at == completion.completed_at
    claims = jwt.decode(certificate.credential_jwt, options={"verify_signature": False})
    assert claims["nbf"] == int(completion.completed_at.timestamp())
    completed = Statement.objects.get(user_id=researcher, verb__endswith="/completed")
    assert _days_ago(completed.timestamp) == 60
    assert completed.body["timestamp"] == (
        completed.timestamp.astimezone(datetime.UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )
    moments = Statement.objects.filter(user_id=researcher).values_list("timestamp", flat=True)
    assert {_days_ago(moment) for moment in moments} == {60}


def test_the_provider_expires_within_15_days(seeded: dict[str, int]) -> None:
    provider = seeded["provider@tapestry.example"]

    (state,) = api.compliance_status(user_id=provider)

    assert (state.course_slug, state.status) == ("health-literacy-basics", "expiring")
    assert state.expires_at is not None
    assert 0 < (state.expires_at - timezone.now()).days < 15
    completion = Completion.objects.get(user_id=provider)
    assert _days_ago(completion.completed_at) == 355


def test_the_partner_is_half_way_through_the_spanish_course(seeded: dict[str, int]) -> None:
    partner = seeded["partner@tapestry.example"]

    (state,) = api.compliance_status(user_id=partner)

    assert (state.course_slug, state.status) == ("health-literacy-basics", "missing")
    spanish = Enrollment.objects.get(user_id=partner, course__slug="alfabetizacion-en-salud-basica")
    assert services.progress_percent(enrollment=spanish) == 50
    assert LessonView.objects.filter(enrollment=spanish).count() == 3
    assert Completion.objects.filter(user_id=partner).count() == 0


def test_a_spanish_completion_meets_the_english_requirement(seeded: dict[str, int]) -> None:
    partner = seeded["partner@tapestry.example"]
    spanish = Course.objects.get(slug="alfabetizacion-en-salud-basica")
    enrollment = Enrollment.objects.get(user_id=partner, course=spanish)

    course_take(user_id=partner, course=spanish)

    (state,) = api.compliance_status(user_id=partner)
    assert (state.course_slug, state.status) == ("health-literacy-basics", "compliant")
    assert services.progress_percent(enrollment=enrollment) == 100


def test_the_liaison_has_8_ce_hours_5_approved_and_an_imported_completion(
    seeded: dict[str, int],
) -> None:
    liaison = seeded["liaison@tapestry.example"]
    admin = seeded["admin@tapestry.example"]

    ledger = CreditEntry.objects.filter(user_id=liaison)

    assert ledger.aggregate(hours=Sum("hours"))["hours"] == Decimal("8")
    assert ledger.filter(approved=True).aggregate(hours=Sum("hours"))["hours"] == Decimal("5")
    from_course = ledger.get(completion__isnull=False)
    assert (from_course.title, from_course.hours, from_course.approved) == (
        "Finding Reliable Consumer Health Information",
        Decimal("3.0"),
        True,
    )
    imported = Completion.objects.get(user_id=liaison, provenance=Completion.Provenance.IMPORTED)
    assert (imported.course.slug, imported.source_system) == (
        "digital-literacy-research-participation",
        IMPORTED_FROM,
    )
    assert imported.recorded_by_id == admin
    assert Certificate.objects.filter(completion=imported).exists()
    audit = AuditEntry.objects.get(action=AuditEntry.Action.COMPLETION_IMPORTED)
    assert (audit.person_id, audit.actor_id) == (liaison, admin)


def test_running_the_seed_again_changes_nothing(seeded: dict[str, int]) -> None:
    def counts() -> dict[str, object]:
        return {
            "completions": list(Completion.objects.values_list("pk", "completed_at")),
            "certificates": Certificate.objects.count(),
            "statements": Statement.objects.count(),
            "credit": CreditEntry.objects.count(),
            "views": LessonView.objects.count(),
            "enrollments": Enrollment.objects.count(),
            "audit": AuditEntry.objects.count(),
            "versions": list(Course.objects.values_list("slug", "version")),
        }

    before = counts()
    output = StringIO()

    call_command("learning_seed_demo", stdout=output)

    assert counts() == before

    def local_day_in(days: int) -> datetime.date:
        # The expiry is a moment (365 days of 24 hours after the completion); its local date.
        return timezone.localdate(timezone.now() + datetime.timedelta(days=days))

    assert output.getvalue().splitlines()[1:] == [
        f"  Wei Chen: Responsible Conduct of Research: compliant, expires {local_day_in(365 - 60)}",
        f"  Dr. Aisha Bello: Health Literacy Basics: expiring, expires {local_day_in(365 - 355)}",
        "  Rosa Delgado: Health Literacy Basics: missing; "
        "Conceptos básicos de alfabetización en salud: 50% done",
        "  Lucía Ramírez: 8.0 CE hours (5.0 approved); Digital Literacy for Research Participation "
        "imported from Moodle (state library consortium)",
    ]
    assert person_roles(user_id=seeded["partner@tapestry.example"])[0].value == (
        "community_partner"
    )


def test_a_broken_course_file_stops_the_command_with_its_name(db: None, tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_text("{}", encoding="utf-8")

    with pytest.raises(CommandError, match=r"^broken.json: slug: Field required"):
        call_command("learning_seed_demo", courses=tmp_path, stdout=StringIO())

    assert Course.objects.count() == 0
    assert Enrollment.objects.count() == 0
