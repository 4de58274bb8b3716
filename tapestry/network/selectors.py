import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max, Prefetch, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone

from tapestry.core.api import order_by_language
from tapestry.network.geography import ZipPlace, bounding_box, distance_miles
from tapestry.network.models import (
    MembershipApplication,
    Organization,
    Region,
    RegionMap,
    RegionState,
    StateTerritory,
)


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
class DirectoryPage:
    organizations: list[Organization]
    total: int
    page: int
    num_pages: int
    page_size: int
    near: ZipPlace | None = None

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.num_pages


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
    """One page of the directory. With `near`, results within the radius sorted by distance."""
    page_size = page_size or settings.NETWORK_PAGE_SIZE
    organizations = _filtered(filters)
    if filters.near is None:
        total = organizations.count()
        num_pages = max(1, -(-total // page_size))
        page = min(max(page, 1), num_pages)
        start = (page - 1) * page_size
        # Order on the (lower(name), zip_code) index, and page over ids only: sorting whole
        # rows to skip to a deep page spilled to disk on PostgreSQL (see benchmarks/README.md).
        page_ids = list(
            organizations.order_by(Lower("name"), "zip_code", "pk").values_list("pk", flat=True)[
                start : start + page_size
            ]
        )
        by_pk = Organization.objects.select_related("state").in_bulk(page_ids)
        return DirectoryPage([by_pk[pk] for pk in page_ids], total, page, num_pages, page_size)

    origin = filters.near
    min_lat, max_lat, min_lon, max_lon = bounding_box(
        origin.latitude, origin.longitude, filters.radius_miles
    )
    # The bounding box narrows the candidates with the location index; the exact
    # distance is then computed only for those few rows.
    candidates = organizations.filter(
        latitude__range=(min_lat, max_lat), longitude__range=(min_lon, max_lon)
    ).values_list("pk", "latitude", "longitude", "name")
    within = []
    for pk, latitude, longitude, name in candidates:
        miles = distance_miles(origin.latitude, origin.longitude, latitude, longitude)
        if miles <= filters.radius_miles:
            within.append((miles, name.lower(), pk))
    within.sort()
    total = len(within)
    num_pages = max(1, -(-total // page_size))
    page = min(max(page, 1), num_pages)
    page_rows = within[(page - 1) * page_size : page * page_size]
    by_pk = Organization.objects.select_related("state").in_bulk([pk for _m, _n, pk in page_rows])
    page_organizations = []
    for miles, _name, pk in page_rows:
        organization = by_pk[pk]
        organization.distance_miles = round(miles, 1)
        page_organizations.append(organization)
    return DirectoryPage(page_organizations, total, page, num_pages, page_size, near=origin)


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
    cache.delete(DIRECTORY_VERSION_KEY)


def organization_export_rows(*, filters: DirectoryFilters, regions: QuerySet[Region] | None):
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
    return (
        Organization.objects.annotate(lower_name=Lower("name"))
        .filter(lower_name=name.strip().lower(), zip_code=zip_code)
        .first()
    )


def application_pending_duplicate(*, name: str, zip_code: str) -> MembershipApplication | None:
    return (
        MembershipApplication.objects.annotate(lower_name=Lower("name"))
        .filter(
            lower_name=name.strip().lower(),
            zip_code=zip_code,
            status=MembershipApplication.Status.PENDING,
        )
        .first()
    )


def organizations_review_overdue(*, regions: QuerySet[Region], today: datetime.date | None = None):
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


def organizations_for_liaison(*, user) -> QuerySet[Organization]:
    return Organization.objects.filter(liaison=user).select_related("state")


def applications_for_applicant(*, user) -> QuerySet[MembershipApplication]:
    return MembershipApplication.objects.filter(applicant=user).select_related("region", "state")


def applications_for_regions(*, regions: QuerySet[Region], status: str | None = None):
    applications = MembershipApplication.objects.filter(region__in=regions).select_related(
        "region", "state", "applicant"
    )
    if status:
        applications = applications.filter(status=status)
    return applications.order_by("submitted_at")


def state_region_summary(*, region_map: RegionMap) -> list[dict]:
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
