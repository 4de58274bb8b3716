"""Factories for the network. States, region maps and regions come from the data migration."""

from typing import Any, TypeVar

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from tapestry.accounts.tests.factories import PASSWORD, TOTP_SECRET, UserFactory
from tapestry.core.geography import ZipPlace, zip_lookup
from tapestry.network.models import (
    MembershipApplication,
    Organization,
    OrganizationDetails,
    OrganizationType,
    Region,
    RegionSpecialist,
    StateTerritory,
)
from tapestry.network.selectors import region_for_state

__all__ = [
    "PASSWORD",
    "TOTP_SECRET",
    "MembershipApplicationFactory",
    "OrganizationFactory",
    "RegionSpecialistFactory",
    "UserFactory",
    "region",
    "zip_place",
]


def region(code: str) -> Region:
    """A region loaded by the data migration, by its code (`region-6`, `greater-midwest`)."""
    return Region.objects.get(code=code)


def zip_place(zip_code: str) -> ZipPlace:
    """The centroid of a ZIP code the tests rely on being known."""
    place = zip_lookup(zip_code)
    assert place is not None, f"test data uses an unknown ZIP code {zip_code}"
    return place


def _place(details: Any) -> ZipPlace:
    return zip_place(details.zip_code)


Details = TypeVar("Details", bound=OrganizationDetails)


class OrganizationDetailsFactory(DjangoModelFactory[Details]):
    """Shared fields; the ZIP code decides the city and the state."""

    class Meta:
        abstract = True

    name = factory.Sequence(lambda n: f"Lakeside Library {n}")
    org_type = OrganizationType.PUBLIC_LIBRARY
    address_line1 = factory.Sequence(lambda n: f"{n + 1} Main St")
    zip_code = "60601"
    city = factory.LazyAttribute(lambda details: _place(details).city)
    state = factory.LazyAttribute(
        lambda details: StateTerritory.objects.get(code=_place(details).state)
    )
    liaison_name = "Alice Liaison"
    liaison_email = "alice@example.org"
    services = factory.LazyFunction(dict)


class OrganizationFactory(OrganizationDetailsFactory[Organization]):
    class Meta:
        model = Organization

    latitude = factory.LazyAttribute(lambda organization: _place(organization).latitude)
    longitude = factory.LazyAttribute(lambda organization: _place(organization).longitude)
    joined_on = factory.LazyFunction(timezone.localdate)
    last_reviewed_on = factory.LazyFunction(timezone.localdate)
    # A member's liaison email was confirmed when it joined; tests of unconfirmed ones say so.
    liaison_email_confirmed_at = factory.LazyFunction(timezone.now)


class MembershipApplicationFactory(OrganizationDetailsFactory[MembershipApplication]):
    class Meta:
        model = MembershipApplication

    name = factory.Sequence(lambda n: f"Prairie Health Library {n}")
    applicant = factory.SubFactory(UserFactory)
    region = factory.LazyAttribute(
        lambda application: region_for_state(state_code=application.state.code)
    )
    status = MembershipApplication.Status.PENDING


class RegionSpecialistFactory(DjangoModelFactory[RegionSpecialist]):
    class Meta:
        model = RegionSpecialist

    user = factory.SubFactory(UserFactory)
    region = factory.LazyFunction(lambda: region("region-6"))
