"""The staff scope and the compliance counts made in SQL, checked against a slow, obviously
right oracle: `selectors.compliance_of` person by person."""

from __future__ import annotations

import datetime
import io
import random
from collections import Counter
from typing import TYPE_CHECKING, Any

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.utils import timezone

from tapestry.accounts.api import Role, role_grant
from tapestry.accounts.tests.factories import UserFactory
from tapestry.learning import reports, selectors, services
from tapestry.learning.models import (
    Bypass,
    Certificate,
    Completion,
    Course,
    LearnerProfile,
    Requirement,
    Standing,
)
from tapestry.learning.tests.factories import course_finish, course_make, requirement_make

if TYPE_CHECKING:
    from tapestry.accounts.api import User

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 6, 15, 12, 0, tzinfo=datetime.UTC)
VALID = datetime.timedelta(days=365)


def course_new(slug: str, *, compliance: bool = True, **fields: Any) -> Course:
    return Course.objects.create(
        slug=slug,
        title=slug.replace("-", " ").capitalize(),
        summary="A course.",
        compliance=compliance,
        status=Course.Status.PUBLISHED,
        **fields,
    )


def completion_new(
    *, user: User, course: Course, days_ago: float, revoked: bool = False
) -> Completion:
    """A completion `days_ago` before NOW expiring as a compliance completion does; with a
    revoked certificate if asked."""
    done = NOW - datetime.timedelta(days=days_ago)
    completion = Completion.objects.create(
        user=user,
        course=course,
        course_version=1,
        completed_at=done,
        expires_at=done + VALID if course.compliance else None,
    )
    if revoked:
        Certificate.objects.create(
            completion=completion,
            code=f"REVOKED-{completion.pk}",
            issued_at=done,
            status_index=completion.pk,
            revoked_at=done + datetime.timedelta(days=1),
            revoked_reason="Wrong person.",
        )
    # As the services do after a completion or a revocation.
    reports.standing_refresh(user_ids=[user.pk])
    return completion


def learner(
    email: str, *, roles: list[Role], organization_id: int | None = None, region: str = ""
) -> User:

    user = UserFactory.create(email=email, roles=roles)
    LearnerProfile.objects.create(user=user, organization_id=organization_id, region_code=region)
    reports.standing_refresh(user_ids=[user.pk])  # as learner_profile_save does
    return user


# ---------------------------------------------------------------------------------------------
# Scope, persona by persona


@pytest.fixture
def people_of_three_places(alice_library: Any) -> dict[str, User]:
    """Three partners who need a course: one at Alice's library (Region 6), one at another
    Region 6 organization, one in Region 1; a fourth without a profile."""
    requirement_make(role=Role.COMMUNITY_PARTNER, course=course_new("privacy"))
    elsewhere = alice_library.pk + 1000  # another Region 6 organization
    return {
        "at_alice": learner(
            "carla@example.org",
            roles=[Role.COMMUNITY_PARTNER],
            organization_id=alice_library.pk,
            region="region-6",
        ),
        "region_6": learner(
            "dev@example.org",
            roles=[Role.COMMUNITY_PARTNER],
            organization_id=elsewhere,
            region="region-6",
        ),
        "region_1": learner("erin@example.org", roles=[Role.COMMUNITY_PARTNER], region="region-1"),
        "no_profile": UserFactory.create(email="finn@example.org", roles=[Role.COMMUNITY_PARTNER]),
    }


def _emails(user: User) -> list[str]:
    scope = reports.scope_of(user)
    return [person.email for person in reports.people_with_requirements(scope)]


def test_alice_the_liaison_sees_only_her_organizations_learners(
    people_of_three_places: dict[str, User], alice_liaison: User, alice_library: Any
) -> None:
    assert reports.scope_of(alice_liaison) == reports.Scope(organization_ids=(alice_library.pk,))
    assert _emails(alice_liaison) == ["carla@example.org"]


def test_sam_sees_his_region_and_olga_hers(
    people_of_three_places: dict[str, User],
    sam_specialist: User,
    olga_other_specialist: User,
) -> None:
    assert reports.scope_of(sam_specialist) == reports.Scope(region_codes=("region-6",))
    assert sorted(_emails(sam_specialist)) == ["carla@example.org", "dev@example.org"]
    assert _emails(olga_other_specialist) == ["erin@example.org"]


def test_program_staff_and_administrators_see_everyone_and_bob_nobody(
    people_of_three_places: dict[str, User],
    paula_program_staff: User,
    admin: User,
    bob_applicant: User,
) -> None:
    everyone = sorted(
        ["carla@example.org", "dev@example.org", "erin@example.org", "finn@example.org"]
    )

    assert sorted(_emails(paula_program_staff)) == everyone
    assert sorted(_emails(admin)) == everyone
    assert reports.scope_of(bob_applicant).nobody
    assert _emails(bob_applicant) == []
    assert (
        reports.compliance_counts(reports.scope_of(bob_applicant), grouping=reports.Grouping.ROLE)
        == []
    )


def test_in_scope_answers_per_person(
    people_of_three_places: dict[str, User], sam_specialist: User, alice_liaison: User
) -> None:
    sam = reports.scope_of(sam_specialist)
    alice = reports.scope_of(alice_liaison)

    assert reports.in_scope(sam, user_id=people_of_three_places["region_6"].pk)
    assert not reports.in_scope(sam, user_id=people_of_three_places["region_1"].pk)
    assert not reports.in_scope(alice, user_id=people_of_three_places["region_6"].pk)
    assert not reports.in_scope(sam, user_id=999_999)


def test_a_report_counts_only_the_callers_people(
    people_of_three_places: dict[str, User], sam_specialist: User
) -> None:
    with time_machine.travel(NOW, tick=False):
        completion_new(
            user=people_of_three_places["at_alice"],
            course=Course.objects.get(slug="privacy"),
            days_ago=10,
        )
        rows = reports.compliance_counts(
            reports.scope_of(sam_specialist), grouping=reports.Grouping.REGION
        )

    assert [
        (row.key, row.counts.people, row.counts.compliant, row.counts.missing) for row in rows
    ] == [("region-6", 2, 1, 1)]


# ---------------------------------------------------------------------------------------------
# The SQL against the oracle


ROLES = [Role.COMMUNITY_PARTNER, Role.HEALTH_CARE_PROVIDER, Role.RESEARCHER]
REGIONS = ["region-1", "region-6", ""]


def population(seed: int) -> list[User]:
    """People with random roles, profiles, completions (current, in the renewal window,
    expired, renewed, revoked, in either language), and bypasses (active, withdrawn, ended)."""
    rng = random.Random(seed)
    english = course_new("hipaa")
    spanish = course_new("hipaa-es", language="es", translation_of=english)
    ethics = course_new("ethics")
    intro = course_new("welcome", compliance=False)
    security = course_new("security")
    requirements = [
        requirement_make(role=Role.COMMUNITY_PARTNER, course=english),
        requirement_make(role=Role.COMMUNITY_PARTNER, course=intro),
        requirement_make(role=Role.HEALTH_CARE_PROVIDER, course=spanish),
        requirement_make(role=Role.HEALTH_CARE_PROVIDER, course=ethics),
        requirement_make(role=Role.RESEARCHER, course=security),
    ]
    granter = UserFactory.create(email="granter@example.org")
    courses = [english, spanish, ethics, intro, security]
    people = []
    for index in range(24):
        roles = rng.sample(ROLES, rng.randint(0, 2))
        user = UserFactory.create(email=f"p{index}@example.org")
        # Roles given by adding the group, as the Django admin does (no assignment emails).
        for role in roles:
            user.groups.add(Group.objects.get_or_create(name=role.value)[0])
        if rng.random() < 0.8:
            LearnerProfile.objects.create(
                user=user,
                organization_id=rng.choice([None, 1, 2, 3]),
                region_code=rng.choice(REGIONS),
            )
        for course in courses:
            for _completion in range(rng.choice([0, 0, 1, 1, 2])):
                completion_new(
                    user=user,
                    course=course,
                    days_ago=rng.choice([3, 100, 329.5, 330.5, 340, 364.9, 365.1, 400, 800]),
                    revoked=rng.random() < 0.15,
                )
        for requirement in requirements:
            if rng.random() < 0.15:
                Bypass.objects.create(
                    user=user,
                    requirement=requirement,
                    reason="Trained elsewhere.",
                    granted_by=granter,
                    ends_on=rng.choice(
                        [
                            None,
                            NOW.date() + datetime.timedelta(days=9),
                            NOW.date() - datetime.timedelta(days=1),
                            NOW.date(),
                        ]
                    ),
                    withdrawn_at=rng.choice([None, None, NOW]),
                )
        people.append(user)
    # One deactivated person: the report leaves them out.
    people[0].is_active = False
    people[0].save(update_fields=["is_active"])
    # Roles, profiles and bypasses were written directly (roles as the Django admin gives
    # them): the daily rebuild brings the standings up to date.
    reports.standing_rebuild()
    return people


def oracle_by_person(people: list[User]) -> dict[int, Counter[str]]:
    return {
        person.pk: Counter(item.status.value for item in selectors.compliance_of(user_id=person.pk))
        for person in people
        if person.is_active
    }


def oracle_by_group(people: list[User], grouping: str) -> dict[Any, Counter[str]]:
    groups: dict[Any, Counter[str]] = {}
    for person in people:
        if not person.is_active:
            continue
        profile = LearnerProfile.objects.filter(user=person).first()
        for item in selectors.compliance_of(user_id=person.pk):
            key = {
                reports.Grouping.ROLE: item.role,
                reports.Grouping.REGION: profile.region_code if profile else "",
                reports.Grouping.ORGANIZATION: profile.organization_id if profile else None,
                reports.Grouping.COURSE: item.course_id,
            }[grouping]
            groups.setdefault(key, Counter())[item.status.value] += 1
            groups[key]["bypassed"] += item.via == "bypass"
            groups[key]["completed"] += item.completion_id is not None
    return groups


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_the_sql_counts_agree_with_compliance_of_person_by_person(seed: int) -> None:
    with time_machine.travel(NOW, tick=False):
        people = population(seed)
        expected = oracle_by_person(people)
        found = reports.counts_by_person(user_ids=list(expected))

    assert {
        user_id: Counter(
            {
                status: getattr(counts, status)
                for status in ("compliant", "expiring", "expired", "missing")
            }
        )
        for user_id, counts in found.items()
    } == {user_id: Counter(dict(counter)) for user_id, counter in expected.items()}
    # The population covers every status.
    assert set(sum(expected.values(), Counter())) == {"compliant", "expiring", "expired", "missing"}


@pytest.mark.parametrize("seed", [5, 6])
@pytest.mark.parametrize("grouping", ["role", "region", "organization", "course"])
def test_the_sql_counts_by_group_agree_with_the_oracle(seed: int, grouping: str) -> None:
    with time_machine.travel(NOW, tick=False):
        people = population(seed)
        expected = oracle_by_group(people, grouping)
        rows = reports.compliance_counts(reports.Scope(everyone=True), grouping=grouping)

    found = {
        row.key: Counter(
            {
                name: getattr(row.counts, name)
                for name in ("compliant", "expiring", "expired", "missing", "bypassed", "completed")
                if getattr(row.counts, name)
            }
        )
        for row in rows
    }
    assert found == {key: +counter for key, counter in expected.items()}


def oracle_over_time(people: list[User], ends: list[datetime.date]) -> list[tuple[int, int]]:
    """Per month end: pairs with a standing completion valid then, and all pairs today."""
    pairs = [
        (person, item)
        for person in people
        if person.is_active
        for item in selectors.compliance_of(user_id=person.pk)
    ]
    points = []
    for end in ends:
        moment = timezone.make_aware(
            datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min)
        )
        current = 0
        for person, item in pairs:
            family = Course.objects.get(pk=item.course_id).family_ids()
            valid = [
                completion
                for completion in Completion.objects.filter(user=person, course_id__in=family)
                if not Certificate.objects.filter(
                    completion=completion, revoked_at__isnull=False
                ).exists()
                and completion.completed_at < moment
                and (completion.expires_at is None or completion.expires_at >= moment)
            ]
            current += bool(valid)
        points.append((current, len(pairs)))
    return points


def test_the_monthly_shares_agree_with_the_oracle() -> None:
    with time_machine.travel(NOW, tick=False):
        people = population(7)
        points = reports.compliance_over_time(reports.Scope(everyone=True))
        ends = reports.month_ends(today=NOW.date())

        expected = oracle_over_time(people, ends)

    assert [point.month_end for point in points] == ends
    assert ends[0] == datetime.date(2025, 6, 30)
    assert ends[-1] == datetime.date(2026, 5, 31)
    assert [(point.current, point.total) for point in points] == expected
    assert len({point.current for point in points}) > 1


def test_requirements_of_people_no_longer_in_the_role_are_not_counted() -> None:
    with time_machine.travel(NOW, tick=False):
        course = course_new("privacy")
        requirement_make(role=Role.COMMUNITY_PARTNER, course=course)
        holder = learner("gia@example.org", roles=[Role.COMMUNITY_PARTNER], region="region-6")
        former = learner("hal@example.org", roles=[Role.COMMUNITY_PARTNER], region="region-6")
        former.groups.clear()  # in the Django admin: the report knows at the daily rebuild
        completion_new(user=holder, course=course, days_ago=340)
        reports.standing_rebuild()

        rows = reports.compliance_counts(reports.Scope(everyone=True), grouping="course")

    assert [
        (row.label, row.counts.people, row.counts.expiring, row.counts.total) for row in rows
    ] == [("Privacy", 1, 1, 1)]
    assert Requirement.objects.count() == 1


def test_the_csv_rows_have_a_header_and_one_row_per_group() -> None:
    with time_machine.travel(NOW, tick=False):
        course = course_new("privacy")
        requirement_make(role=Role.COMMUNITY_PARTNER, course=course)
        person = learner("gia@example.org", roles=[Role.COMMUNITY_PARTNER], region="region-6")
        completion_new(user=person, course=course, days_ago=10)
        rows = reports.compliance_counts(reports.Scope(everyone=True), grouping="role")

    assert list(reports.csv_rows(rows, grouping="role")) == [
        [
            "Role",
            "People",
            "Requirements",
            "Compliant",
            "Expiring",
            "Expired",
            "Missing",
            "Met by a bypass",
            "With a completion",
            "Percent current",
        ],
        ["Community partner", 1, 1, 1, 0, 0, 0, 0, 1, 100],
    ]


# ---------------------------------------------------------------------------------------------
# The standings the report reads follow every change the services make


def _standings() -> list[tuple[Any, ...]]:
    return list(
        Standing.objects.order_by("user_id", "requirement_id").values_list(
            "user_id",
            "requirement_id",
            "course_id",
            "region_code",
            "organization_id",
            "done_at",
            "ends_at",
            "forever",
            "bypassed",
            "bypass_ends_on",
            "first_of_person",
            "first_of_course",
        )
    )


def _as_rebuilt() -> list[tuple[Any, ...]]:
    """The standings a full rebuild makes (the table is put back as it was)."""
    kept = _standings()
    reports.standing_rebuild()
    rebuilt = _standings()
    assert kept == rebuilt, "the services left the standings behind"
    return rebuilt


def test_every_service_keeps_the_standings_as_a_rebuild_would(
    alice_library: Any, admin: User
) -> None:
    english = course_make(slug="privacy", compliance=True)
    spanish = course_make(slug="privacidad", title="Privacidad", language="es", compliance=True)
    ethics = course_make(slug="ethics", title="Ethics", compliance=True)
    services.requirement_add(
        role=Role.COMMUNITY_PARTNER, course_id=english.pk, due_days=30, actor=admin
    )
    gia = UserFactory.create(email="gia@example.org")
    role_grant(user_id=gia.pk, roles=[Role.COMMUNITY_PARTNER])
    assert [(row[0], row[5]) for row in _as_rebuilt()] == [(gia.pk, None)]

    services.learner_profile_save(user_id=gia.pk, organization_id=alice_library.pk)
    rows = _as_rebuilt()
    assert (rows[0][3], rows[0][4]) == ("region-6", alice_library.pk)

    completion = course_finish(user_id=gia.pk, course=spanish)  # not yet its translation
    assert _as_rebuilt()[0][5] is None
    services.course_update(
        course_id=spanish.pk, actor=admin, settings_values={"translation_of": english}
    )
    assert _as_rebuilt()[0][5] == completion.completed_at

    services.certificate_revoke(
        certificate_id=completion.certificate.pk, actor=admin, reason="Wrong person."
    )
    assert _as_rebuilt()[0][5] is None
    imported = services.completion_import(
        user_id=gia.pk,
        course=english,
        completed_at=timezone.now() - datetime.timedelta(days=40),
        source_system="State LMS",
        actor=admin,
    )
    assert _as_rebuilt()[0][5] == imported.completed_at

    services.requirement_add(
        role=Role.COMMUNITY_PARTNER, course_id=ethics.pk, due_days=30, actor=admin
    )
    requirement = Requirement.objects.get(course=ethics)
    bypass = services.bypass_grant(
        user_id=gia.pk, requirement=requirement, actor=admin, reason="Trained elsewhere."
    )
    assert [row[8] for row in _as_rebuilt()] == [False, True]
    services.bypass_withdraw(bypass_id=bypass.pk, actor=admin, reason="Not so.")
    assert [row[8] for row in _as_rebuilt()] == [False, False]

    services.requirement_remove(requirement_id=requirement.pk, actor=admin)
    assert [row[1] for row in _as_rebuilt()] == [Requirement.objects.get(course=english).pk]


def test_the_rebuild_command_brings_roles_given_in_the_admin_into_the_report() -> None:
    course = course_new("privacy")
    requirement_make(role=Role.COMMUNITY_PARTNER, course=course)
    person = UserFactory.create(email="gia@example.org")
    person.groups.add(Group.objects.get_or_create(name=Role.COMMUNITY_PARTNER.value)[0])
    before = reports.compliance_counts(reports.Scope(everyone=True), grouping="role")
    output = io.StringIO()

    call_command("learning_standing_rebuild", stdout=output)

    rows = reports.compliance_counts(reports.Scope(everyone=True), grouping="role")
    assert before == []
    assert [(row.key, row.counts.people, row.counts.missing) for row in rows] == [
        (Role.COMMUNITY_PARTNER.value, 1, 1)
    ]
    assert output.getvalue() == "1 standings worked out.\n"
