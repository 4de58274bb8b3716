"""JSON API for the network directory: public, read-only.

Every response an endpoint can give is declared: 400 when a parameter breaks the constraints
the OpenAPI document states (checked by django-ninja before the endpoint runs), 404 when a
well-formed value names nothing (an id, a state, a region, a ZIP code, a region map).
"""

from django.forms import Form
from django.http import HttpRequest
from django.urls import reverse
from ninja import P, PathEx, Query, Router, Status

from tapestry.network import selectors
from tapestry.network.exports import organization_fields
from tapestry.network.forms import DirectoryFilterForm
from tapestry.network.models import Organization
from tapestry.network.schemas import (
    ORGANIZATION_ID_MAX,
    DirectoryQuery,
    ErrorOut,
    OrganizationOut,
    OrganizationPage,
    RegionOut,
    RegionsQuery,
    ServiceOut,
)

router = Router(tags=["network"])

# Form errors that mean "well formed, but names nothing": a state or region code no row has,
# a five-digit ZIP code the postal list lacks. The schema cannot list these (they are data).
_NOT_FOUND = {("state", "invalid_choice"), ("region", "invalid_choice"), ("near", "unknown_zip")}


def _organization_out(request: HttpRequest, org: Organization) -> OrganizationOut:
    fields = organization_fields(org)
    return OrganizationOut(
        **{
            **fields,
            "services": [ServiceOut(service=s, audiences=a) for s, a in org.services.items()],
            "joined_on": org.joined_on.isoformat(),
        },
        type_label=str(org.get_org_type_display()),
        latitude=org.latitude,
        longitude=org.longitude,
        distance_miles=org.distance_miles,
        url=request.build_absolute_uri(reverse("network:organization_detail", args=[org.pk])),
    )


def _form_errors(form: Form) -> dict[str, list[str]]:
    return {field: [str(error) for error in errors] for field, errors in form.errors.items()}


def _names_nothing(form: Form) -> bool:
    return all(
        (field, error.code) in _NOT_FOUND
        for field, errors in form.errors.as_data().items()
        for error in errors
    )


@router.get(
    "/organizations",
    response={200: OrganizationPage, 400: ErrorOut, 404: ErrorOut},
    summary="Search the member directory",
)
def organizations(
    request: HttpRequest, query: Query[DirectoryQuery]
) -> Status[OrganizationPage | ErrorOut]:
    """Filter by name (`q`), `type`, `state`, `region`, `service` and `audience`; with
    `near=<ZIP>&radius_miles=<N>` results are those within the radius, nearest first.
    A state, region or ZIP code that does not exist answers 404 with the parameter named."""
    params = query.dict(exclude_none=True)
    if "type" in params:
        params["org_type"] = params.pop("type")
    form = DirectoryFilterForm(params)
    if not form.is_valid():
        if _names_nothing(form):
            return Status(
                404,
                ErrorOut(detail="No such state, region or ZIP code.", errors=_form_errors(form)),
            )
        return Status(400, ErrorOut(detail="Invalid filters.", errors=_form_errors(form)))
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
    response={200: OrganizationOut, 400: ErrorOut, 404: ErrorOut},
    summary="One member organization",
)
def organization(
    request: HttpRequest,
    organization_id: PathEx[int, P(ge=1, le=ORGANIZATION_ID_MAX)],  # type: ignore[valid-type]
) -> Status[OrganizationOut | ErrorOut]:
    org = selectors.organization_get(organization_id=organization_id)
    if org is None:
        return Status(404, ErrorOut(detail="No member organization has that id."))
    return Status(200, _organization_out(request, org))


@router.get(
    "/regions",
    response={200: list[RegionOut], 400: ErrorOut, 404: ErrorOut},
    summary="Regions of every region map",
)
def regions(request: HttpRequest, query: Query[RegionsQuery]) -> Status[list[RegionOut] | ErrorOut]:
    """Every region with its states, newest map first; `map=<code>` keeps one map."""
    maps = selectors.region_maps()
    if query.map is not None:
        maps = maps.filter(code=query.map)
        if not maps.exists():
            return Status(404, ErrorOut(detail="No region map has that code."))
    return Status(
        200,
        [
            RegionOut(
                code=region.code,
                name=region.name,
                name_es=region.name_es,
                map=region_map.code,
                effective_from=region_map.effective_from.isoformat(),
                effective_to=(
                    region_map.effective_to.isoformat() if region_map.effective_to else None
                ),
                states=sorted(state.code for state in region.states.all()),
            )
            for region_map in maps
            for region in region_map.regions.all()
        ],
    )
