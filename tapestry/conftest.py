"""Shared fixtures: the named people every test may call on, and a few helpers.

Personas
- Alice (`alice_liaison`): liaison for Alice's library in Chicago (Region 6).
- Sam (`sam_specialist`): engagement specialist covering Region 6 (IL, IN, IA, MI, MN, OH, WI).
- Olga (`olga_other_specialist`): engagement specialist covering Region 1 (DE, DC, KY, ...).
- Paula (`paula_program_staff`): program staff, sees every region's export.
- Rosa (`rosa_spanish`): a community partner who reads Spanish.
- Adam (`admin`): administrator and Django staff.
- `visitor`: a browser that is not signed in.
Staff roles must have two-factor sign-in; their fixtures have a TOTP authenticator.
"""

from collections.abc import Callable, Iterator

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.apps import apps
from django.core.cache import cache
from django.test import Client
from django.utils import translation

from tapestry.accounts.api import Role
from tapestry.accounts.models import User
from tapestry.accounts.tests.factories import totp_code_now
from tapestry.network.models import Organization
from tapestry.network.tests.factories import (
    PASSWORD,
    TOTP_SECRET,
    OrganizationFactory,
    RegionSpecialistFactory,
    UserFactory,
    region,
)


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    # allauth keeps its rate-limit counters in the cache; one test's failures must not leak.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _english_outside_requests() -> Iterator[None]:
    # A request in Spanish leaves Spanish active in the thread; services called directly by
    # the next test would then speak Spanish too.
    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture
def alice_liaison(db: None) -> User:
    return UserFactory.create(
        email="alice@example.org", full_name="Alice Liaison", roles=[Role.LIAISON]
    )


@pytest.fixture
def alice_library(alice_liaison: User) -> Organization:
    return OrganizationFactory.create(
        name="Alice Memorial Library",
        zip_code="60601",
        liaison=alice_liaison,
        liaison_name="Alice Liaison",
        liaison_email="alice@example.org",
    )


@pytest.fixture
def bob_applicant(db: None) -> User:
    """Signed in, holds no role yet: the person who applies to join."""
    return UserFactory.create(email="bob@example.org", full_name="Bob Applicant")


@pytest.fixture
def sam_specialist(db: None) -> User:
    sam = UserFactory.create(
        email="sam@example.org",
        full_name="Sam Specialist",
        roles=[Role.ENGAGEMENT_SPECIALIST],
        two_factor=True,
    )
    RegionSpecialistFactory.create(user=sam, region=region("region-6"))
    return sam


@pytest.fixture
def olga_other_specialist(db: None) -> User:
    olga = UserFactory.create(
        email="olga@example.org",
        full_name="Olga Other",
        roles=[Role.ENGAGEMENT_SPECIALIST],
        preferred_language="es",
        two_factor=True,
    )
    RegionSpecialistFactory.create(user=olga, region=region("region-1"))
    return olga


@pytest.fixture
def paula_program_staff(db: None) -> User:
    return UserFactory.create(
        email="paula@example.org",
        full_name="Paula Program",
        roles=[Role.PROGRAM_STAFF],
        two_factor=True,
    )


@pytest.fixture
def rosa_spanish(db: None) -> User:
    return UserFactory.create(
        email="rosa@example.org",
        full_name="Rosa Delgado",
        roles=[Role.COMMUNITY_PARTNER],
        preferred_language="es",
    )


@pytest.fixture
def admin(db: None) -> User:
    return UserFactory.create(
        email="adam@example.org",
        full_name="Adam Admin",
        roles=[Role.ADMINISTRATOR],
        is_staff=True,
        is_superuser=True,
        two_factor=True,
    )


@pytest.fixture
def visitor() -> Client:
    return Client()


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _signed_in_with_second_factor(user: User) -> Client:
    """Staff pages need a session that completed two-factor sign-in, so sign in the way a
    person does: email and password, then the authenticator's current code."""
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, TOTP_SECRET)
    return sign_in_with_code(user)


def sign_in_with_code(user: User, client: Client | None = None) -> Client:
    client = client or Client()
    # allauth refuses a code used twice; a test may sign the same person in twice within one
    # 30-second window (two browsers), which a person would not.
    cache.delete(f"allauth.mfa.totp.used?user={user.pk}&code={totp_code_now()}")
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content[:500]
    assert response["Location"] == "/accounts/2fa/authenticate/", response["Location"]
    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code_now()})
    assert response.status_code == 302, response.content[:500]
    assert client.session["_auth_user_id"] == str(user.pk)
    return client


@pytest.fixture
def signed_in() -> Callable[[User], Client]:
    """A client signed in as the given person (no second factor set up)."""
    return _signed_in


@pytest.fixture
def staff_signed_in() -> Callable[[User], Client]:
    """A client signed in as the given staff person with a verified second factor."""
    return _signed_in_with_second_factor


@pytest.fixture
def alice_client(alice_liaison: User) -> Client:
    return _signed_in(alice_liaison)


@pytest.fixture
def bob_client(bob_applicant: User) -> Client:
    return _signed_in(bob_applicant)


@pytest.fixture
def sam_client(sam_specialist: User) -> Client:
    return _signed_in_with_second_factor(sam_specialist)


@pytest.fixture
def olga_client(olga_other_specialist: User) -> Client:
    return _signed_in_with_second_factor(olga_other_specialist)


@pytest.fixture
def paula_client(paula_program_staff: User) -> Client:
    return _signed_in_with_second_factor(paula_program_staff)


@pytest.fixture
def admin_signed_in(admin: User) -> Client:
    return _signed_in_with_second_factor(admin)


@pytest.fixture
def audit_log(db: None) -> Callable[[], list[tuple]]:
    """The audit trail, oldest first, as (action, actor email, target type, target id).

    Read through the app registry so the domain apps' tests need not import core's models,
    which the import contracts keep private to core.
    """
    audit_event = apps.get_model("core", "AuditEvent")

    def rows() -> list[tuple]:
        return [
            (
                event.action,
                event.actor.email if event.actor else None,
                event.target_type,
                event.target_id,
            )
            for event in audit_event.objects.select_related("actor").order_by("occurred_at", "pk")
        ]

    return rows
