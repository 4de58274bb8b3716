"""Offline U.S. geography: ZIP code centroids from the `zipcodes` package, distances in miles.

The one place the project reads the ZIP list and measures distances: the directory's "near
me", the demo and benchmark members, and the research warehouse's sites and rural ZIP codes.
It imports no Django, so the warehouse (which must run without it) may use it too.

Reading the package's 42,000 records takes one to two seconds, so they are read once per
process and kept.
"""

import functools
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import zipcodes

EARTH_RADIUS_MILES = 3958.8


@dataclass(frozen=True)
class ZipPlace:
    zip_code: str
    city: str
    state: str
    county: str
    latitude: float
    longitude: float
    # The package's ZIP code type: STANDARD, PO BOX, UNIQUE (one building) or MILITARY.
    kind: str
    active: bool

    @property
    def is_ordinary(self) -> bool:
        """An active street-address ZIP code: where people live and members stand."""
        return self.kind == "STANDARD" and self.active


@functools.cache
def zip_places() -> tuple[ZipPlace, ...]:
    """Every ZIP code that has a centroid, in ZIP code order."""
    places = [
        ZipPlace(
            zip_code=row["zip_code"],
            city=row["city"],
            state=row["state"],
            county=row["county"] or "",
            latitude=float(row["lat"]),
            longitude=float(row["long"]),
            kind=row["zip_code_type"],
            active=bool(row["active"]),
        )
        for row in zipcodes.list_all()
        if row["lat"] and row["long"]
    ]
    places.sort(key=lambda place: place.zip_code)
    return tuple(places)


@functools.cache
def ordinary_zip_places() -> tuple[ZipPlace, ...]:
    """The active street-address ZIP codes (no PO boxes, single buildings or military)."""
    return tuple(place for place in zip_places() if place.is_ordinary)


@functools.cache
def _zip_index() -> dict[str, ZipPlace]:
    return {place.zip_code: place for place in zip_places()}


def zip_lookup(zip_code: str | None) -> ZipPlace | None:
    """The centroid of a five-digit ZIP code, or None if it is malformed or unknown."""
    zip_code = (zip_code or "").strip()
    if len(zip_code) != 5 or not zip_code.isdigit():
        return None
    return _zip_index().get(zip_code)


def distance_miles(
    latitude: float, longitude: float, latitudes: npt.ArrayLike, longitudes: npt.ArrayLike
) -> npt.NDArray[np.float64]:
    """Great-circle (haversine) distances from one point to many, all in degrees."""
    phi1 = np.radians(latitude)
    phi2 = np.radians(np.asarray(latitudes, dtype=np.float64))
    d_phi = phi2 - phi1
    d_lambda = np.radians(np.asarray(longitudes, dtype=np.float64) - longitude)
    a = np.sin(d_phi / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * np.arcsin(np.minimum(1.0, np.sqrt(a)))


def unit_vectors(latitudes: npt.ArrayLike, longitudes: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Points (degrees) as unit vectors from the earth's centre, one row (x, y, z) per point.

    Two points are within r miles of each other when their vectors' dot product is at least
    `within_radius_dot(r)`: plain arithmetic, so a database without trigonometry (SQLite) can
    filter and sort by distance, and numpy can compare thousands of points at once.
    """
    latitude = np.radians(np.asarray(latitudes, dtype=np.float64))
    longitude = np.radians(np.asarray(longitudes, dtype=np.float64))
    cos_latitude = np.cos(latitude)
    return np.stack(
        [cos_latitude * np.cos(longitude), cos_latitude * np.sin(longitude), np.sin(latitude)],
        axis=-1,
    )


def unit_vector(latitude: float, longitude: float) -> tuple[float, float, float]:
    """One point's unit vector (see unit_vectors)."""
    x, y, z = unit_vectors(latitude, longitude).tolist()
    return x, y, z


def within_radius_dot(radius_miles: float) -> float:
    """The smallest dot product of two unit vectors at most `radius_miles` apart."""
    return math.cos(min(radius_miles / EARTH_RADIUS_MILES, math.pi))


def bounding_box(
    latitude: float, longitude: float, radius_miles: float
) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lon, max_lon) that contains every point within the radius.

    A circle is widest in longitude north (or south) of its centre, where meridians converge,
    so the half-width is the circle's own, asin(sin r / cos latitude), not the distance
    divided by the width of a degree at the centre (which cut off the far corners of a
    500-mile circle). A circle around a pole or across the 180th meridian takes every
    longitude.
    """
    angle = radius_miles / EARTH_RADIUS_MILES
    d_lat = math.degrees(angle)
    min_lat, max_lat = latitude - d_lat, latitude + d_lat
    if max_lat >= 90 or min_lat <= -90:
        return max(min_lat, -90.0), min(max_lat, 90.0), -180.0, 180.0
    d_lon = math.degrees(math.asin(min(1.0, math.sin(angle) / math.cos(math.radians(latitude)))))
    min_lon, max_lon = longitude - d_lon, longitude + d_lon
    if min_lon < -180 or max_lon > 180:
        return min_lat, max_lat, -180.0, 180.0
    return min_lat, max_lat, min_lon, max_lon
