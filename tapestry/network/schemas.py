from ninja import Schema


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


class ErrorOut(Schema):
    detail: str
    errors: dict[str, list[str]] = {}
