"""JSON API for the network directory: public, read-only."""

from django.http import HttpRequest
from django.urls import reverse
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError

from tapestry.network import selectors
from tapestry.network.forms import DirectoryFilterForm
from tapestry.network.models import Organization
from tapestry.network.schemas import (
    ErrorOut,
    OrganizationOut,
    OrganizationPage,
    RegionOut,
    ServiceOut,
)

router = Router(tags=["network"])


class DirectoryQuery(Schema):
    q: str | None = None
    type: str | None = None
    state: str | None = None
    region: str | None = None
    service: str | None = None
    audience: str | None = None
    near: str | None = None
    radius_miles: str | None = None
    page: str | None = None


def _organization_out(request: HttpRequest, org: Organization):
    return OrganizationOut(
        id=org.pk,
        name=org.name,
        type=org.org_type,
        type_label=str(org.get_org_type_display()),
        address_line1=org.address_line1,
        address_line2=org.address_line2,
        city=org.city,
        state=org.state_id,
        zip_code=org.zip_code,
        phone=org.phone,
        website=org.website,
        library_id=org.library_id,
        liaison_name=org.liaison_name,
        liaison_email=org.public_liaison_email,
        services=[ServiceOut(service=s, audiences=a) for s, a in org.services.items()],
        joined_on=org.joined_on.isoformat(),
        latitude=org.latitude,
        longitude=org.longitude,
        distance_miles=getattr(org, "distance_miles", None),
        url=request.build_absolute_uri(reverse("network:organization_detail", args=[org.pk])),
    )


@router.get(
    "/organizations",
    response={200: OrganizationPage, 400: ErrorOut},
    summary="Search the member directory",
)
def organizations(request: HttpRequest, query: Query[DirectoryQuery]):
    """Filter by name (`q`), `type`, `state`, `region`, `service` and `audience`; with
    `near=<ZIP>&radius_miles=<N>` results are those within the radius, nearest first."""
    params = query.dict(exclude_none=True)
    if "type" in params:
        params["org_type"] = params.pop("type")
    form = DirectoryFilterForm(params)
    if not form.is_valid():
        return Status(
            400,
            ErrorOut(
                detail="Invalid filters.",
                errors={field: [str(e) for e in errs] for field, errs in form.errors.items()},
            ),
        )
    filters = form.filters()
    result = selectors.organization_search(filters=filters, page=form.cleaned_data["page"] or 1)
    return Status(
        200,
        OrganizationPage(
            count=result.total,
            page=result.page,
            pages=result.num_pages,
            page_size=result.page_size,
            near=filters.near.zip_code if filters.near else None,
            radius_miles=filters.radius_miles if filters.near else None,
            results=[_organization_out(request, org) for org in result.organizations],
        ),
    )


@router.get(
    "/organizations/{organization_id}",
    response={200: OrganizationOut, 404: ErrorOut},
    summary="One member organization",
)
def organization(request: HttpRequest, organization_id: int):
    org = selectors.organization_get(organization_id=organization_id)
    if org is None:
        return Status(404, ErrorOut(detail="No member organization has that id."))
    return Status(200, _organization_out(request, org))


@router.get("/regions", response=list[RegionOut], summary="Regions of every region map")
def regions(request: HttpRequest, map: str | None = None):
    """Every region with its states, newest map first; `map=<code>` keeps one map."""
    maps = selectors.region_maps()
    if map is not None:
        maps = maps.filter(code=map)
        if not maps.exists():
            raise HttpError(404, "No region map has that code.")
    return [
        RegionOut(
            code=region.code,
            name=region.name,
            name_es=region.name_es,
            map=region_map.code,
            effective_from=region_map.effective_from.isoformat(),
            effective_to=region_map.effective_to.isoformat() if region_map.effective_to else None,
            states=sorted(state.code for state in region.states.all()),
        )
        for region_map in maps
        for region in region_map.regions.all()
    ]
