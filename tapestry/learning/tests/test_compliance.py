"""The staff compliance pages: who sees whom, a person's page, bypasses (administrators only),
the audit trail and the reports with their CSV."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

import pytest
from django.test import Client
from django.utils import timezone

from tapestry.accounts.api import Role
from tapestry.accounts.tests.factories import UserFactory
from tapestry.learning import reports, services
from tapestry.learning.models import (
    AuditEntry,
    Bypass,
    Completion,
    Course,
    LearnerProfile,
    Requirement,
)
from tapestry.learning.tests.factories import requirement_make

if TYPE_CHECKING:
    from tapestry.accounts.api import User

pytestmark = pytest.mark.django_db


def _learner(email: str, name: str, region: str, organization: int | None = None) -> User:
    person = UserFactory.create(email=email, full_name=name, roles=[Role.COMMUNITY_PARTNER])
    LearnerProfile.objects.create(user=person, region_code=region, organization_id=organization)
    return person


@pytest.fixture
def learners(alice_library: Any) -> dict[str, User]:
    privacy = Course.objects.create(
        slug="privacy", title="Privacy basics", summary="A course.", compliance=True
    )
    requirement_make(role=Role.COMMUNITY_PARTNER, course=privacy)
    carla = _learner("carla@example.org", "Carla Chicago", "region-6", alice_library.pk)
    done = timezone.now() - datetime.timedelta(days=3)
    Completion.objects.create(
        user=carla,
        course=privacy,
        course_version=2,
        completed_at=done,
        expires_at=done + datetime.timedelta(days=365),
        provenance=Completion.Provenance.IMPORTED,
        source_system="State LMS",
        imported_at=done,
    )
    people = {
        "carla": carla,
        "dev": _learner("dev@example.org", "Dev Detroit", "region-6"),
        "erin": _learner("erin@example.org", "Erin East", "region-1"),
    }
    reports.standing_rebuild()  # profiles and the completion were written directly
    return people


def _names(response: object) -> list[str]:
    rows = response.context["rows"]  # type: ignore[attr-defined]
    return [person.full_name for person, _counts in rows]


def test_each_persona_sees_only_their_people(
    learners: dict[str, User],
    alice_client: Client,
    sam_client: Client,
    olga_client: Client,
    paula_client: Client,
) -> None:

    assert _names(alice_client.get("/learning/staff/")) == ["Carla Chicago"]
    assert _names(sam_client.get("/learning/staff/")) == ["Carla Chicago", "Dev Detroit"]
    assert _names(olga_client.get("/learning/staff/")) == ["Erin East"]
    assert _names(paula_client.get("/learning/staff/")) == [
        "Carla Chicago",
        "Dev Detroit",
        "Erin East",
    ]


def test_the_list_shows_status_counts_and_searches_by_name_or_email(
    learners: dict[str, User], paula_client: Client
) -> None:
    response = paula_client.get("/learning/staff/", {"q": "detroit"})
    by_email = paula_client.get("/learning/staff/", {"q": "CARLA@"})

    assert _names(response) == ["Dev Detroit"]
    [(_person, counts)] = by_email.context["rows"]
    assert (counts.compliant, counts.expiring, counts.expired, counts.missing) == (1, 0, 0, 0)
    assert "Carla Chicago" in by_email.content.decode()


def test_people_without_a_staff_role_are_refused(
    learners: dict[str, User], bob_client: Client, visitor: Client
) -> None:
    assert bob_client.get("/learning/staff/").status_code == 403
    assert bob_client.get(f"/learning/staff/people/{learners['carla'].pk}/").status_code == 403
    assert bob_client.get("/learning/staff/reports/").status_code == 403
    assert visitor.get("/learning/staff/").status_code == 302


def test_a_person_outside_the_scope_is_a_404_like_nobody(
    learners: dict[str, User], sam_client: Client
) -> None:
    assert sam_client.get(f"/learning/staff/people/{learners['erin'].pk}/").status_code == 404
    assert sam_client.get("/learning/staff/people/987654/").status_code == 404


def test_the_person_page_shows_status_and_provenance(
    learners: dict[str, User], sam_client: Client
) -> None:
    response = sam_client.get(f"/learning/staff/people/{learners['carla'].pk}/")

    page = response.content.decode()
    assert response.status_code == 200
    assert [
        (item.course_slug, item.status.value) for item, _role in response.context["statuses"]
    ] == [("privacy", "compliant")]
    assert "Imported from another learning system: State LMS" in page
    assert "version 2" in page
    # Only administrators see the bypass form.
    assert "Bypass a requirement" not in page


def test_an_administrator_bypasses_and_withdraws_with_reasons(
    learners: dict[str, User], admin: User, admin_signed_in: Client
) -> None:
    dev = learners["dev"]
    requirement = Requirement.objects.get()
    page = admin_signed_in.get(f"/learning/staff/people/{dev.pk}/")
    assert "Bypass a requirement" in page.content.decode()

    granted = admin_signed_in.post(
        f"/learning/staff/people/{dev.pk}/bypass/",
        {"requirement": requirement.pk, "reason": "Trained at the state program.", "ends_on": ""},
    )

    assert granted.status_code == 302
    bypass = Bypass.objects.get(user=dev)
    assert (bypass.requirement, bypass.reason, bypass.granted_by, bypass.ends_on) == (
        requirement,
        "Trained at the state program.",
        admin,
        None,
    )
    withdrawn = admin_signed_in.post(
        f"/learning/staff/people/{dev.pk}/bypasses/{bypass.pk}/withdraw/",
        {f"withdraw-{bypass.pk}-reason": "The state program was not accredited."},
    )
    assert withdrawn.status_code == 302
    bypass.refresh_from_db()
    assert bypass.withdrawn_at is not None
    assert list(AuditEntry.objects.order_by("pk").values_list("action", "person_id", "reason")) == [
        ("bypass_granted", dev.pk, "Trained at the state program."),
        ("bypass_withdrawn", dev.pk, "The state program was not accredited."),
    ]


def test_a_bypass_needs_a_reason_and_program_staff_may_not_bypass(
    learners: dict[str, User], admin_signed_in: Client, paula_client: Client
) -> None:
    dev = learners["dev"]
    requirement = Requirement.objects.get()

    no_reason = admin_signed_in.post(
        f"/learning/staff/people/{dev.pk}/bypass/", {"requirement": requirement.pk, "reason": " "}
    )
    past = admin_signed_in.post(
        f"/learning/staff/people/{dev.pk}/bypass/",
        {"requirement": requirement.pk, "reason": "Trained.", "ends_on": "2020-01-01"},
    )
    by_staff = paula_client.post(
        f"/learning/staff/people/{dev.pk}/bypass/",
        {"requirement": requirement.pk, "reason": "Trained elsewhere."},
    )

    assert no_reason.status_code == 400
    assert "Please correct the highlighted fields." in no_reason.content.decode()
    assert past.status_code == 400
    assert "A bypass must end after today." in past.content.decode()
    assert by_staff.status_code == 403
    assert not Bypass.objects.exists()
    assert not AuditEntry.objects.exists()


def test_a_bypass_of_someone_else_cannot_be_withdrawn_through_another_page(
    learners: dict[str, User], admin: User, admin_signed_in: Client
) -> None:
    requirement = Requirement.objects.get()
    bypass = Bypass.objects.create(
        user=learners["carla"], requirement=requirement, reason="Trained.", granted_by=admin
    )

    response = admin_signed_in.post(
        f"/learning/staff/people/{learners['dev'].pk}/bypasses/{bypass.pk}/withdraw/",
        {f"withdraw-{bypass.pk}-reason": "Mistake."},
    )

    assert response.status_code == 404
    bypass.refresh_from_db()
    assert bypass.withdrawn_at is None
    assert not AuditEntry.objects.exists()


def test_the_audit_trail_is_for_program_staff_and_administrators_and_filters_by_action(
    learners: dict[str, User], admin: User, paula_client: Client, sam_client: Client
) -> None:
    AuditEntry.objects.create(
        actor=admin, action=AuditEntry.Action.BYPASS_GRANTED, person=learners["dev"], reason="A"
    )
    AuditEntry.objects.create(
        actor=admin,
        action=AuditEntry.Action.CERTIFICATE_REVOKED,
        person=learners["carla"],
        reason="B",
    )

    everything = paula_client.get("/learning/staff/audit/")
    revocations = paula_client.get("/learning/staff/audit/", {"action": "certificate_revoked"})
    unknown = paula_client.get("/learning/staff/audit/", {"action": "deleted"})

    assert [entry.reason for entry, _actor, _person in everything.context["rows"]] == ["B", "A"]
    assert [entry.reason for entry, _actor, _person in revocations.context["rows"]] == ["B"]
    assert unknown.status_code == 400
    assert sam_client.get("/learning/staff/audit/").status_code == 403


def test_the_report_and_its_csv_count_the_callers_people(
    learners: dict[str, User], sam_client: Client, paula_client: Client
) -> None:
    by_region = paula_client.get("/learning/staff/reports/", {"group_by": "region"})
    csv = sam_client.get("/learning/staff/reports/compliance.csv", {"group_by": "role"})
    bad = paula_client.get("/learning/staff/reports/", {"group_by": "shoe_size"})

    assert by_region.status_code == 200
    assert [
        (row.key, row.counts.people, row.counts.compliant, row.counts.missing)
        for row in by_region.context["rows"]
    ] == [("region-1", 1, 0, 1), ("region-6", 2, 1, 1)]
    assert len(by_region.context["points"]) == 12
    assert "<svg" in by_region.content.decode()
    assert csv["Content-Type"] == "text/csv"
    assert b"".join(cast(Any, csv).streaming_content).decode().splitlines() == [
        "Role,People,Requirements,Compliant,Expiring,Expired,Missing,Met by a bypass,"
        "With a completion,Percent current",
        "Community partner,2,2,1,0,0,1,0,1,50",
    ]
    assert bad.status_code == 400


def test_the_pages_read_in_spanish(
    learners: dict[str, User],
    staff_signed_in: Callable[[User], Client],
    olga_other_specialist: User,
) -> None:
    client = staff_signed_in(olga_other_specialist)
    client.cookies["django_language"] = "es"

    home = client.get("/learning/staff/", headers={"accept-language": "es"})
    reports_page = client.get("/learning/staff/reports/", headers={"accept-language": "es"})

    assert "Cumplimiento de la capacitación" in home.content.decode()
    assert "Informes de capacitación" in reports_page.content.decode()


def test_liaisons_and_specialists_open_the_certificates_of_their_people_only(
    learners: dict[str, User], alice_client: Client, sam_client: Client
) -> None:
    carla = services.certificate_issue(completion=Completion.objects.get(user=learners["carla"]))
    done = timezone.now() - datetime.timedelta(days=3)
    erin = services.certificate_issue(
        completion=Completion.objects.create(
            user=learners["erin"],
            course=Course.objects.get(slug="privacy"),
            course_version=2,
            completed_at=done,
            expires_at=done + datetime.timedelta(days=365),
        )
    )
    person_page = alice_client.get(f"/learning/staff/people/{learners['carla'].pk}/")

    assert f'href="/learning/certificates/{carla.pk}/pdf/"' in person_page.content.decode()
    for client in (alice_client, sam_client):
        pdf = client.get(f"/learning/certificates/{carla.pk}/pdf/")
        assert (pdf.status_code, pdf["Content-Type"]) == (200, "application/pdf")
        assert client.get(f"/learning/certificates/{erin.pk}/pdf/").status_code == 404
    # Revoking stays with program staff and administrators.
    refused = alice_client.post(
        f"/learning/staff/certificates/{carla.pk}/revoke/", {"reason": "Wrong person."}
    )
    carla.refresh_from_db()
    assert refused.status_code == 403
    assert carla.revoked_at is None
