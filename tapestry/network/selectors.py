from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db.models import Count, F, Max, Prefetch, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone

from tapestry.core.api import PageFacts, order_by_language
from tapestry.core.geography import (
    ZipPlace,
    bounding_box,
    distance_miles,
    unit_vector,
    within_radius_dot,
)
from tapestry.network.models import (
    MembershipApplication,
    Organization,
    Region,
    RegionMap,
    RegionState,
    StateTerritory,
    organization_name_key,
)

if TYPE_CHECKING:
    from tapestry.accounts.api import User


@dataclass(frozen=True)
class DirectoryFilters:
    """Validated directory filters (see forms.DirectoryFilterForm)."""

    q: str = ""
    org_type: str = ""
    state: str = ""
    region: Region | None = None
    service: str = ""
    audience: str = ""
    near: ZipPlace | None = None
    radius_miles: int = 25


@dataclass
class DirectoryPage(PageFacts):
    """One page of the directory: Django's page of organization ids, with the rows loaded."""

    organizations: list[Organization]
    page_obj: Page[int]
    near: ZipPlace | None = None


def region_map_current(*, on: datetime.date | None = None) -> RegionMap:
    day = on or timezone.localdate()
    for region_map in RegionMap.objects.all():
        if region_map.in_force_on(day):
            return region_map
    raise RegionMap.DoesNotExist(f"No region map is in force on {day}.")


def region_for_state(*, state_code: str, on: datetime.date | None = None) -> Region | None:
    """The region a state belonged to on a day (today by default)."""
    region_map = region_map_current(on=on)
    link = (
        RegionState.objects.select_related("region")
        .filter(region_map=region_map, state_id=state_code)
        .first()
    )
    return link.region if link else None


def _name_field(language: str | None) -> str:
    """The column holding a place's name in `language` (states, regions and maps have both)."""
    return "name_es" if (language or "").startswith("es") else "name"


def states_in_name_order(*, language: str | None) -> QuerySet[StateTerritory]:
    """Every state and territory, alphabetical by its name in `language` (ICU's order).

    In Spanish "Míchigan" comes before "Minnesota" and "Nueva York" sits with the other N's.
    """
    return StateTerritory.objects.order_by(
        order_by_language(field=_name_field(language), language=language), "code"
    )


def regions_in_name_order(*, language: str | None) -> QuerySet[Region]:
    """Regions alphabetical by their name in `language` ("Región 2" before "Región 10")."""
    return Region.objects.order_by(
        order_by_language(field=_name_field(language), language=language), "code"
    )


def region_list(
    *, region_map: RegionMap | None = None, language: str | None = None
) -> QuerySet[Region]:
    """A map's regions (today's map by default) and each region's states, all in `language`'s
    alphabetical order."""
    region_map = region_map or region_map_current()
    return (
        regions_in_name_order(language=language)
        .filter(region_map=region_map)
        .prefetch_related(Prefetch("states", queryset=states_in_name_order(language=language)))
    )


def region_maps_with_regions(*, language: str | None) -> QuerySet[RegionMap]:
    """Every region map, newest first, each with its regions in `language`'s order."""
    return RegionMap.objects.prefetch_related(
        Prefetch("regions", queryset=regions_in_name_order(language=language))
    )


def region_maps() -> QuerySet[RegionMap]:
    return RegionMap.objects.prefetch_related("regions__states")


def _filtered(filters: DirectoryFilters) -> QuerySet[Organization]:
    organizations = Organization.objects.all()
    if filters.q:
        organizations = organizations.filter(name__icontains=filters.q)
    if filters.org_type:
        organizations = organizations.filter(org_type=filters.org_type)
    if filters.state:
        organizations = organizations.filter(state_id=filters.state)
    if filters.region is not None:
        organizations = organizations.filter(
            state_id__in=RegionState.objects.filter(region=filters.region).values("state_id")
        )
    if filters.service and filters.audience:
        organizations = organizations.filter(
            audience_codes__contains=f"|{filters.service}:{filters.audience}|"
        )
    elif filters.service:
        organizations = organizations.filter(service_codes__contains=f"|{filters.service}|")
    elif filters.audience:
        organizations = organizations.filter(audience_codes__contains=f":{filters.audience}|")
    return organizations


def organization_search(
    *, filters: DirectoryFilters, page: int = 1, page_size: int | None = None
) -> DirectoryPage:
    """One page of the directory. With `near`, results within the radius sorted by distance.

    Either way the database counts, orders and pages over ids; only the page's rows are
    loaded, and only they get an exact distance. A page past the end shows the last page.
    """
    page_size = page_size or settings.NETWORK_PAGE_SIZE
    organizations = _filtered(filters)
    origin = filters.near
    if origin is None:
        # Order on the (lower(name), zip_code) index, and page over ids only: sorting whole
        # rows to skip to a deep page spilled to disk on PostgreSQL (see benchmarks/README.md).
        ordered = organizations.order_by(Lower("name"), "zip_code", "pk")
    else:
        min_lat, max_lat, min_lon, max_lon = bounding_box(
            origin.latitude, origin.longitude, filters.radius_miles
        )
        x, y, z = unit_vector(origin.latitude, origin.longitude)
        # The bounding box narrows the candidates with the location index; the dot product
        # of unit vectors (larger is nearer) keeps those within the radius and orders them,
        # all in the database, so a 500-mile search moves 20 rows to Python, not thousands.
        ordered = (
            organizations.filter(
                latitude__range=(min_lat, max_lat), longitude__range=(min_lon, max_lon)
            )
            .alias(closeness=F("location_x") * x + F("location_y") * y + F("location_z") * z)
            .filter(closeness__gte=within_radius_dot(filters.radius_miles))
            .order_by("-closeness", Lower("name"), "pk")
        )
    page_obj = Paginator(ordered.values_list("pk", flat=True), page_size).get_page(page)
    page_ids = list(page_obj.object_list)
    by_pk = Organization.objects.select_related("state").in_bulk(page_ids)
    page_organizations = [by_pk[pk] for pk in page_ids]
    if origin is not None and page_organizations:
        miles = distance_miles(
            origin.latitude,
            origin.longitude,
            [organization.latitude for organization in page_organizations],
            [organization.longitude for organization in page_organizations],
        )
        for organization, distance in zip(page_organizations, miles.tolist(), strict=True):
            organization.distance_miles = round(distance, 1)
    return DirectoryPage(page_organizations, page_obj, near=origin)


DIRECTORY_VERSION_KEY = "network:directory-version"


def directory_version() -> str:
    """Part of the directory's cache key: changes when a member is added, edited or removed.

    Read from the database at most every NETWORK_DIRECTORY_VERSION_SECONDS; the services that
    change members forget it at once (directory_version_forget), so their changes show
    immediately, and any other change (the admin, a shell) shows within those seconds.
    """
    version = cache.get(DIRECTORY_VERSION_KEY)
    if version is None:
        state = Organization.objects.aggregate(count=Count("updated_at"), latest=Max("updated_at"))
        latest = state["latest"].timestamp() if state["latest"] else 0
        version = f"{state['count']}-{latest}"
        cache.set(DIRECTORY_VERSION_KEY, version, settings.NETWORK_DIRECTORY_VERSION_SECONDS)
    return version


def directory_version_forget() -> None:
    """Make the next directory_version() read the database (after a member changed)."""
    cache.delete(DIRECTORY_VERSION_KEY)


def organization_export_rows(
    *, filters: DirectoryFilters, regions: QuerySet[Region] | None
) -> QuerySet[Organization]:
    """Every organization matching the filters (for CSV), limited to `regions` if given."""
    organizations = _filtered(filters).select_related("state", "liaison")
    if regions is not None:
        organizations = organizations.filter(
            state_id__in=RegionState.objects.filter(region__in=regions).values("state_id")
        )
    return organizations.order_by("state_id", Lower("name"))


def organization_get(*, organization_id: int) -> Organization | None:
    return Organization.objects.select_related("state").filter(pk=organization_id).first()


def organization_duplicate(*, name: str, zip_code: str) -> Organization | None:
    """A member in the ZIP code whose name differs from `name` at most by case, accents,
    spaces or punctuation."""
    return Organization.objects.filter(
        name_key=organization_name_key(name), zip_code=zip_code
    ).first()


def application_pending_duplicate(*, name: str, zip_code: str) -> MembershipApplication | None:
    """A pending application for the same organization (compared as organization_duplicate)."""
    return MembershipApplication.objects.filter(
        name_key=organization_name_key(name),
        zip_code=zip_code,
        status=MembershipApplication.Status.PENDING,
    ).first()


def organizations_review_overdue(
    *, regions: QuerySet[Region], today: datetime.date | None = None
) -> QuerySet[Organization]:
    today = today or timezone.localdate()
    cutoff = today - datetime.timedelta(days=settings.NETWORK_ANNUAL_REVIEW_DAYS)
    return (
        Organization.objects.filter(
            last_reviewed_on__lt=cutoff,
            state_id__in=RegionState.objects.filter(region__in=regions).values("state_id"),
        )
        .select_related("state")
        .order_by("last_reviewed_on")
    )


def organizations_for_liaison(*, user: User) -> QuerySet[Organization]:
    return Organization.objects.filter(liaison=user).select_related("state")


def applications_for_applicant(*, user: User) -> QuerySet[MembershipApplication]:
    return MembershipApplication.objects.filter(applicant=user).select_related("region", "state")


def applications_for_regions(
    *, regions: QuerySet[Region], status: str | None = None
) -> QuerySet[MembershipApplication]:
    applications = MembershipApplication.objects.filter(region__in=regions).select_related(
        "region", "state", "applicant"
    )
    if status:
        applications = applications.filter(status=status)
    return applications.order_by("submitted_at")


def state_region_summary(*, region_map: RegionMap) -> list[dict[str, Any]]:
    """Every state and territory with its region in one map, for the map and its table."""
    links = {
        link.state_id: link.region
        for link in RegionState.objects.filter(region_map=region_map).select_related("region")
    }
    return [
        {"state": state, "region": links.get(state.code)}
        for state in StateTerritory.objects.order_by("tile_row", "tile_column")
    ]


def regions_with_member_counts(*, region_map: RegionMap, language: str | None) -> list[Region]:
    """The map's regions, each with `member_count` set from today's directory and its states
    in `language`'s alphabetical order."""
    per_state = dict(
        Organization.objects.values_list("state_id").annotate(n=Count("id")).order_by()
    )
    regions = list(region_list(region_map=region_map, language=language))
    for region in regions:
        region.member_count = sum(per_state.get(state.code, 0) for state in region.states.all())
    return regions
