"""Shapes of the network API: the directory's query parameters and what it answers.

The query parameters carry their constraints (lengths, patterns, ranges, choices) so that the
OpenAPI document says exactly which requests are well formed: django-ninja checks them before
the endpoint runs and answers 400 naming the parameter, and every request they allow is one the
directory form accepts (tests/api/test_fuzz_public_api.py holds both sides to that).
"""

from typing import Annotated

from django.conf import settings
from ninja import Schema
from pydantic import Field
from pydantic.json_schema import SkipJsonSchema

from tapestry.core.schemas import CONTROL_CHARACTERS_PATTERN, ErrorOut, MessageOut
from tapestry.network.models import Audience, OrganizationType, Service

__all__ = [
    "DIRECTORY_NAME_PATTERN",
    "DirectoryQuery",
    "ErrorOut",
    "MessageOut",
    "OrganizationOut",
    "OrganizationPage",
    "RegionOut",
    "RegionsQuery",
    "ServiceOut",
]

# What the directory form's plain-text check lets through (network.forms.plain_text_error).
DIRECTORY_NAME_PATTERN = CONTROL_CHARACTERS_PATTERN
# Region and region-map codes are lower-case words joined by hyphens ("region-6").
CODE_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
ORGANIZATION_ID_MAX = 2**63 - 1  # the largest id a 64-bit primary key holds
PAGE_MAX = 100_000
# An optional parameter is left out, never sent as null: keep null out of the document.
Absent = SkipJsonSchema[None]


class DirectoryQuery(Schema):
    """The directory's filters. Every one is optional; none may be sent empty."""

    # Constraints sit on the non-null branch: pydantic leaves a pattern given to a whole
    # optional field out of the JSON schema (it still checks it), and the document must show it.
    q: Annotated[str, Field(max_length=100, pattern=DIRECTORY_NAME_PATTERN)] | Absent = Field(
        default=None,
        description="Words of the organization's name. At most 100 characters; no control "
        "characters.",
    )
    type: OrganizationType | Absent = Field(default=None, description="Organization type.")
    state: Annotated[str, Field(pattern=r"^[A-Za-z]{2}$")] | Absent = Field(
        default=None,
        description="Two-letter state or territory code, in either case (`KY`, `ky`). "
        "A code no state has answers 404.",
    )
    region: Annotated[str, Field(max_length=50, pattern=CODE_PATTERN)] | Absent = Field(
        default=None,
        description="Region code from `/network/regions` (`region-6`). An unknown code answers "
        "404.",
    )
    service: Service | Absent = Field(default=None, description="A service offered.")
    audience: Audience | Absent = Field(
        default=None, description="Who the service is open to; with `service`, for that service."
    )
    near: Annotated[str, Field(pattern=r"^[0-9]{5}$")] | Absent = Field(
        default=None,
        description="Five-digit U.S. ZIP code: results within `radius_miles` of it, nearest "
        "first. A ZIP code that does not exist answers 404.",
    )
    radius_miles: Annotated[int, Field(ge=1, le=settings.NETWORK_MAX_RADIUS_MILES)] | Absent = (
        Field(
            default=None,
            description="Search radius around `near`, in miles (default "
            f"{settings.NETWORK_DEFAULT_RADIUS_MILES}).",
        )
    )
    page: Annotated[int, Field(ge=1, le=PAGE_MAX)] | Absent = Field(
        default=None, description="Page number; a page past the last gives the last."
    )


class RegionsQuery(Schema):
    map: Annotated[str, Field(max_length=50, pattern=CODE_PATTERN)] | Absent = Field(
        default=None,
        description="Keep one region map (`seven-regions-2021`). An unknown code answers 404.",
    )


class RegionOut(Schema):
    code: str
    name: str
    name_es: str
    map: str
    effective_from: str
    effective_to: str | None
    states: list[str]


class ServiceOut(Schema):
    service: str
    audiences: list[str]


class OrganizationOut(Schema):
    id: int
    name: str
    type: str
    type_label: str
    address_line1: str
    address_line2: str
    city: str
    state: str
    zip_code: str
    phone: str
    website: str
    library_id: str
    liaison_name: str
    liaison_email: str
    services: list[ServiceOut]
    joined_on: str
    latitude: float
    longitude: float
    distance_miles: float | None = None
    url: str


class OrganizationPage(Schema):
    count: int
    page: int
    pages: int
    page_size: int
    near: str | None
    radius_miles: int | None
    results: list[OrganizationOut]
