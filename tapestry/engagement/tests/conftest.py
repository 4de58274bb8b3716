"""Fixtures of community engagement's tests, one block per part."""

# --- Program kits ---
# Alice (tapestry/conftest.py) is the liaison of a Chicago library (Region 6); Bea is the
# liaison of a Philadelphia library (Region 1). Sam covers Region 6, Olga Region 1.

from collections.abc import Iterator
from typing import Any

import pytest
import time_machine

from tapestry.accounts.api import Role
from tapestry.accounts.tests.factories import UserFactory
from tapestry.engagement.models import Kit
from tapestry.engagement.tests.factories import KitFactory, member_organization_make

# "Today" in the kit tests: a Monday, noon in New York.
KIT_TODAY = "2027-03-01 17:00Z"


@pytest.fixture
def kit_today() -> Iterator[None]:
    with time_machine.travel(KIT_TODAY, tick=False):
        yield


@pytest.fixture
def story_kit(db: None) -> Kit:
    return KitFactory.create(
        slug="story-time", name="Health literacy story time kit", name_es="Kit de cuentos"
    )


@pytest.fixture
def bea_liaison(db: None) -> Any:
    return UserFactory.create(
        email="bea@example.org",
        full_name="Bea Borrower",
        roles=[Role.LIAISON],
        preferred_language="es",
    )


@pytest.fixture
def bea_library(bea_liaison: Any) -> int:
    return member_organization_make(
        name="Free Library of Philadelphia", zip_code="19103", liaison=bea_liaison
    )
