"""Offline U.S. geography: ZIP code centroids from the `zipcodes` package, distances in miles."""

import functools
import math
from dataclasses import dataclass

import zipcodes

EARTH_RADIUS_MILES = 3958.8
MILES_PER_DEGREE_LATITUDE = 69.05


@dataclass(frozen=True)
class ZipPlace:
    zip_code: str
    city: str
    state: str
    latitude: float
    longitude: float


@functools.cache
def _zip_index() -> dict[str, ZipPlace]:
    index = {}
    for row in zipcodes.list_all():
        if not row["lat"] or not row["long"]:
            continue
        index[row["zip_code"]] = ZipPlace(
            zip_code=row["zip_code"],
            city=row["city"],
            state=row["state"],
            latitude=float(row["lat"]),
            longitude=float(row["long"]),
        )
    return index


def zip_lookup(zip_code: str) -> ZipPlace | None:
    """The centroid of a five-digit ZIP code, or None if it is malformed or unknown."""
    zip_code = (zip_code or "").strip()
    if len(zip_code) != 5 or not zip_code.isdigit():
        return None
    return _zip_index().get(zip_code)


def distance_miles(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(min(1.0, math.sqrt(a)))


def bounding_box(
    latitude: float, longitude: float, radius_miles: float
) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lon, max_lon) that contains every point within the radius."""
    d_lat = radius_miles / MILES_PER_DEGREE_LATITUDE
    cos_lat = max(math.cos(math.radians(latitude)), 0.01)
    d_lon = min(radius_miles / (MILES_PER_DEGREE_LATITUDE * cos_lat), 180.0)
    return latitude - d_lat, latitude + d_lat, longitude - d_lon, longitude + d_lon
