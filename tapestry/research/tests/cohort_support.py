"""What the cohort builder's tests share: a release over a generated warehouse (built once per
session), researchers with current registered access, their workspaces, and signed-in
clients whose session completed two-factor sign-in.

Import the fixtures into a test module to use them (`from ... import cohort_release, ...`).
"""

import datetime
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tapestry.accounts.roles import Role
from tapestry.accounts.tests.factories import UserFactory
from tapestry.research.access import REGISTERED
from tapestry.research.models import AccessBypass, Institution, Release, Workspace
from tapestry.research.services import _summaries_store
from tapestry.research.warehouse.cohort import engines_close
from tapestry.research.warehouse.release import ReleaseSummaries, release_build


@pytest.fixture(scope="session")
def cohort_built(
    cohort_source: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, ReleaseSummaries]]:
    """The cohort tests' generated data built into a warehouse, with its summaries."""
    target = tmp_path_factory.mktemp("builder") / "release"
    summaries = release_build(cohort_source, target)
    yield target / "warehouse.duckdb", summaries
    engines_close()


@pytest.fixture
def cohort_release(db: None, cohort_built: tuple[Path, ReleaseSummaries]) -> Release:
    """A ready release over that warehouse, its concept and survey summaries stored (the
    builder's concept search and survey labels read them)."""
    path, summaries = cohort_built
    release = Release.objects.create(
        version="cohort-test",
        status=Release.Status.READY,
        source_path="generated",
        warehouse_path=str(path),
        participants=summaries.participants,
        events=summaries.events,
        cutoff_date=summaries.cutoff_date,
        finished_at=timezone.now(),
    )
    _summaries_store(release, summaries)
    return release


def staff_make() -> Any:
    return UserFactory.create(roles=[Role.PROGRAM_STAFF])


def researcher_make(*, email: str | None = None, language: str = "en") -> Any:
    """A researcher with current registered access: a real authenticator; program staff
    waive the other requirements until next year (bypasses count as met, access.py)."""
    user = UserFactory.create(
        email=email or f"researcher-{uuid.uuid4().hex[:8]}@example.org",
        roles=[Role.RESEARCHER],
        two_factor=True,
        preferred_language=language,
    )
    staff = staff_make()
    for requirement in REGISTERED:
        AccessBypass.objects.create(
            user=user,
            requirement=requirement,
            reason="test",
            ends_on=timezone.localdate() + datetime.timedelta(days=365),
            granted_by=staff,
        )
    return user


def access_withdraw(user: Any) -> None:
    """Registered access ends: the training bypass is withdrawn."""
    AccessBypass.objects.filter(user=user, requirement="training").update(
        withdrawn_at=timezone.now(), withdrawn_by=staff_make()
    )


def workspace_make(owner: Any, *, name: str = "Diabetes and blood pressure") -> Workspace:
    institution, _created = Institution.objects.get_or_create(
        name="Example University",
        defaults={
            "agreement_signed_on": datetime.date(2026, 1, 1),
            "agreement_expires_on": datetime.date(2030, 1, 1),
        },
    )
    return Workspace.objects.create(
        name=name,
        purpose="Who develops high blood sugar within a year of a diagnosis.",
        owner=owner,
        institution=institution,
    )


def client_for(user: Any) -> Client:
    """A client signed in as `user`, in a session that completed two-factor sign-in."""
    client = Client()
    client.force_login(user)
    session = client.session
    session["account_authentication_methods_user"] = str(user.pk)
    session["account_authentication_methods"] = [
        {"method": "mfa", "type": "totp", "at": time.time()}
    ]
    session.save()
    return client
