"""The network's in-process api.py: regions as plain values for the other apps."""

import pytest

from tapestry.accounts.tests.factories import UserFactory
from tapestry.network import api
from tapestry.network.selectors import region_for_state
from tapestry.network.tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


def test_the_regions_in_force_are_the_seven_of_the_current_map() -> None:
    regions = api.regions()

    assert len(regions) == 7
    assert [region.code for region in regions] == sorted(region.code for region in regions)


def test_a_state_belongs_to_its_region_in_either_case_and_names_itself_in_spanish() -> None:
    georgia = region_for_state(state_code="GA")
    assert georgia is not None

    region = api.region_of_state(state_code="ga")

    assert region is not None
    assert region.code == georgia.code
    assert region.display_name("es") == (georgia.name_es or georgia.name)


def test_an_unknown_state_has_no_region() -> None:
    assert api.region_of_state(state_code="ZZ") is None


def test_a_liaison_is_in_the_region_of_their_organization_and_anyone_else_in_none() -> None:
    liaison, stranger = UserFactory.create(), UserFactory.create()
    organization = OrganizationFactory.create(liaison=liaison)
    expected = region_for_state(state_code=organization.state_id)
    assert expected is not None

    region = api.region_of_person(user_id=liaison.pk)

    assert region is not None and region.code == expected.code
    assert api.region_of_person(user_id=stranger.pk) is None
