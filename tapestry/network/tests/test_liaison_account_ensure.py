"""`organization_liaison_account_ensure`: a member with no liaison account gets one, for the
address on its record; one that has a liaison keeps it."""

from typing import Any

import pytest

from tapestry.accounts.api import Role, person_roles
from tapestry.network.api import organization_liaison, organization_liaison_account_ensure
from tapestry.network.tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


def test_a_member_without_a_liaison_account_gets_one_for_the_address_on_its_record() -> None:
    member = OrganizationFactory.create(
        liaison=None, liaison_name="Grace Liu", liaison_email="Grace.Liu@example.org"
    )

    user_id = organization_liaison_account_ensure(organization_id=member.pk)

    assert user_id is not None
    assert organization_liaison(organization_id=member.pk) == user_id
    assert person_roles(user_id=user_id) == [Role.LIAISON]
    assert organization_liaison_account_ensure(organization_id=member.pk) == user_id


def test_a_member_with_a_liaison_keeps_it(alice_library: Any, alice_liaison: Any) -> None:
    assert organization_liaison_account_ensure(organization_id=alice_library.pk) == (
        alice_liaison.pk
    )
    assert organization_liaison_account_ensure(organization_id=10**9) is None
