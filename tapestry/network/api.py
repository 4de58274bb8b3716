"""What the other apps may use from the network: regions as plain values.

Other apps never query the network's models: they hold a region's code and ask here for its
name, the region of a state, or the region of a person's member organization.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction

from tapestry.accounts.api import Role, person_ensure, role_grant
from tapestry.network import selectors
from tapestry.network.models import (
    Audience,
    Organization,
    OrganizationType,
    Region,
    RegionMap,
    RegionSpecialist,
    RegionState,
    Service,
    StateTerritory,
)


@dataclass(frozen=True)
class RegionRef:
    """A region of the map in force: its code (stable within a map) and its names."""

    code: str
    name: str
    name_es: str

    def display_name(self, language: str | None) -> str:
        return (
            self.name_es if language and language.startswith("es") and self.name_es else self.name
        )


def _ref(region: Region) -> RegionRef:
    return RegionRef(code=region.code, name=region.name, name_es=region.name_es)


def regions(*, on: datetime.date | None = None) -> list[RegionRef]:
    """The regions of the map in force (today by default), by code; [] if no map is in force."""
    try:
        region_map = selectors.region_map_current(on=on)
    except RegionMap.DoesNotExist:
        return []
    return [_ref(region) for region in region_map.regions.order_by("code")]


def region_of_state(*, state_code: str, on: datetime.date | None = None) -> RegionRef | None:
    """The region a state (two-letter code) belongs to today, or None."""
    try:
        region = selectors.region_for_state(state_code=state_code.upper(), on=on)
    except RegionMap.DoesNotExist:
        return None
    return _ref(region) if region else None


def region_of_person(*, user_id: int) -> RegionRef | None:
    """The region of the member organization this person is the liaison of (the first by name
    if several), or None if they are no organization's liaison."""
    organization = (
        Organization.objects.filter(liaison_id=user_id).order_by("name").only("state_id").first()
    )
    return region_of_state(state_code=organization.state_id) if organization else None


@dataclass(frozen=True)
class OrganizationRef:
    """A member organization as other apps may show it: name, state, region code and type
    (an OrganizationType value: "public_library", ...)."""

    id: int
    name: str
    state_code: str
    region_code: str
    org_type: str = ""


def organizations_get(*, organization_ids: Iterable[int]) -> dict[int, OrganizationRef]:
    """The member organizations among these ids, by id, each with its region today."""
    organizations = Organization.objects.filter(pk__in=list(organization_ids)).only(
        "pk", "name", "state_id", "org_type"
    )
    region_by_state = _region_codes_by_state()
    return {
        organization.pk: OrganizationRef(
            id=organization.pk,
            name=organization.name,
            state_code=organization.state_id,
            region_code=region_by_state.get(organization.state_id, ""),
            org_type=organization.org_type,
        )
        for organization in organizations
    }


def organization_choices() -> list[tuple[int, str]]:
    """Every member organization as (id, "name, city, state") in name order, for a form."""
    return [
        (pk, f"{name}, {city}, {state}")
        for pk, name, city, state in Organization.objects.order_by("name", "pk").values_list(
            "pk", "name", "city", "state_id"
        )
    ]


def organizations_of_liaison(*, user_id: int) -> list[int]:
    """The ids of the member organizations this person is the liaison of."""
    return list(Organization.objects.filter(liaison_id=user_id).values_list("pk", flat=True))


def organization_liaison(*, organization_id: int) -> int | None:
    """The user id of this member organization's liaison today, or None (none, or no such
    organization)."""
    return (
        Organization.objects.filter(pk=organization_id).values_list("liaison_id", flat=True).first()
    )


def region_codes_of_specialist(*, user_id: int) -> list[str]:
    """The codes of the regions (of the map in force) this engagement specialist covers."""
    try:
        region_map = selectors.region_map_current()
    except RegionMap.DoesNotExist:
        return []
    return sorted(
        RegionSpecialist.objects.filter(user_id=user_id, region__region_map=region_map)
        .values_list("region__code", flat=True)
        .distinct()
    )


def _region_codes_by_state() -> dict[str, str]:
    try:
        region_map = selectors.region_map_current()
    except RegionMap.DoesNotExist:
        return {}
    return dict(
        RegionState.objects.filter(region_map=region_map).values_list("state_id", "region__code")
    )


@dataclass(frozen=True)
class OrganizationPlace:
    """Where a member organization stands: its street address and its ZIP code's centroid."""

    id: int
    name: str
    address_line1: str
    city: str
    state_code: str
    zip_code: str
    latitude: float
    longitude: float
    region_code: str


def organization_places(*, organization_ids: Iterable[int]) -> dict[int, OrganizationPlace]:
    """The addresses and locations of these member organizations, by id (an event held at a
    member's library takes its place from here)."""
    region_by_state = _region_codes_by_state()
    return {
        organization.pk: OrganizationPlace(
            id=organization.pk,
            name=organization.name,
            address_line1=organization.address_line1,
            city=organization.city,
            state_code=organization.state_id,
            zip_code=organization.zip_code,
            latitude=organization.latitude,
            longitude=organization.longitude,
            region_code=region_by_state.get(organization.state_id, ""),
        )
        for organization in Organization.objects.filter(pk__in=list(organization_ids))
    }


def organizations_in_regions(*, region_codes: Iterable[str]) -> list[int]:
    """The ids of the member organizations in these regions (of the map in force)."""
    codes = set(region_codes)
    states = [state for state, code in _region_codes_by_state().items() if code in codes]
    return list(Organization.objects.filter(state_id__in=states).values_list("pk", flat=True))


def specialists_of_region(*, region_code: str) -> list[int]:
    """The user ids of the engagement specialists covering this region (of the map in force),
    in the order they were assigned; [] for an unknown region or when no map is in force."""
    try:
        region_map = selectors.region_map_current()
    except RegionMap.DoesNotExist:
        return []
    return list(
        RegionSpecialist.objects.filter(region__region_map=region_map, region__code=region_code)
        .order_by("pk")
        .values_list("user_id", flat=True)
    )


def organization_service_set(
    *, organization_id: int, service: str, audiences: Iterable[str] | None
) -> None:
    """List a service ("document_delivery", a `Service` value) in the directory entry of this
    member organization for these audiences (`Audience` values), or remove it with None. Other
    apps call this when the service follows from what they hold (resource sharing's lending)."""
    if service not in Service.values:
        raise ValueError(f"unknown service {service!r}")
    with transaction.atomic():
        organization = Organization.objects.select_for_update().filter(pk=organization_id).first()
        if organization is None:
            return
        services = dict(organization.services)
        if audiences is None:
            services.pop(service, None)
        else:
            services[service] = sorted(set(audiences) & set(Audience.values))
        if services != organization.services:
            organization.services = services
            organization.save(update_fields=["services"])


def organization_liaison_account_ensure(*, organization_id: int) -> int | None:
    """The user id of this member organization's liaison, giving it an account first when it
    has none: the person with the liaison address on its record (made if needed, with no
    password, the liaison role granted). None for an unknown organization. Demos use it to give
    the members they act through their own liaison."""
    with transaction.atomic():
        organization = Organization.objects.select_for_update().filter(pk=organization_id).first()
        if organization is None:
            return None
        if organization.liaison_id is None:
            organization.liaison_id = person_ensure(
                email=organization.liaison_email, name=organization.liaison_name, language="en"
            )
            organization.save(update_fields=["liaison"])
        role_grant(user_id=organization.liaison_id, roles=[Role.LIAISON])
        return organization.liaison_id


def organization_type_choices() -> list[tuple[str, str]]:
    """Every organization type as (code, name in the active language), for a form."""
    return [(code, str(label)) for code, label in OrganizationType.choices]


def organization_type_label(code: str) -> str:
    """The name of an organization type ("public_library") in the active language; the code
    itself for an unknown one."""
    try:
        return str(OrganizationType(code).label)
    except ValueError:
        return code


def state_choices(*, language: str | None = None) -> list[tuple[str, str]]:
    """Every state, district and territory as (code, name in the reader's language), by code."""
    spanish = bool(language and language.startswith("es"))
    return [
        (code, (name_es or name) if spanish else name)
        for code, name, name_es in StateTerritory.objects.order_by("code").values_list(
            "code", "name", "name_es"
        )
    ]
