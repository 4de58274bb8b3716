"""Which ZIP codes count as rural, decided offline from the `zipcodes` package's centroids.

The official federal definitions of a rural area (the Federal Office of Rural Health Policy's
list, built from RUCA codes and census tracts) are files that would have to be downloaded,
and nothing may download here. So this module approximates them with a density rule over the
ZIP centroids that `zipcodes` ships:

    A ZIP code is rural when fewer than NEIGHBOR_THRESHOLD (5) *other* ordinary ZIP codes have
    their centroid within RADIUS_MILES (15 miles, great-circle distance) of its centroid.

"Ordinary" ZIP codes are the active STANDARD ones: those the Postal Service delivers to
addresses. PO-box-only, single-organization (UNIQUE) and retired ZIP codes are classified
by where their centroid sits but never count as neighbours, because they cluster in downtowns
and would make a small town's post office look like a suburb. MILITARY (APO/FPO) codes and
codes without coordinates are never rural. A ZIP code the package does not know is not rural
(unknown is not counted as underrepresented).

Tuning: postal ZIP codes are dense where people are, so the count of neighbours within 15
miles separates cities and their suburbs (Chicago 60601 has about 100) from towns that stand
alone (McCook, Nebraska, 69001 has 2). With these settings about 16% of the package's ZIP
codes are rural, and about 0.1% of the ZIP codes in the 40-odd largest U.S. cities.

Limits, to keep in mind when reading the numbers:
- It measures the density of ZIP codes, not of people: a ZIP code in a sparse rural county
  that borders a city can count as not rural, and a small city far from others (Cheyenne,
  Wyoming) can count as rural. Participants' own census tracts would be the better input.
- ZIP centroids are points; a large rural ZIP code that touches a town is judged by its
  centroid only.
- The `zipcodes` data is a snapshot; a ZIP code created after it was built is unknown here.

The set is computed once per process (well under two seconds, most of it reading the package's
records; the distance counting itself is vectorized numpy) and kept in memory.
"""

from functools import cache

import numpy as np
import numpy.typing as npt

from tapestry.core.geography import EARTH_RADIUS_MILES, unit_vectors, within_radius_dot, zip_places

RADIUS_MILES = 15.0
NEIGHBOR_THRESHOLD = 5
_QUERY_BLOCK = 256  # ZIP codes compared at once against their latitude band


def neighbor_counts(
    latitudes: npt.ArrayLike,
    longitudes: npt.ArrayLike,
    neighbor_latitudes: npt.ArrayLike,
    neighbor_longitudes: npt.ArrayLike,
    *,
    radius_miles: float = RADIUS_MILES,
) -> npt.NDArray[np.int64]:
    """For each point (degrees), how many neighbour points lie within `radius_miles`.

    Points are sorted by latitude and compared block by block against only the neighbours in
    their latitude band, so 40,000 points against 30,000 neighbours take a fraction of a second.
    A point that is also in the neighbour list counts itself.
    """
    query_lat = np.radians(np.asarray(latitudes, dtype=np.float64))
    other_lat = np.radians(np.asarray(neighbor_latitudes, dtype=np.float64))
    other_longitudes = np.asarray(neighbor_longitudes, dtype=np.float64)

    other_order = np.argsort(other_lat, kind="stable")
    other_lat_sorted = other_lat[other_order]
    other_vectors = unit_vectors(
        np.asarray(neighbor_latitudes, dtype=np.float64)[other_order], other_longitudes[other_order]
    )
    query_vectors = unit_vectors(latitudes, longitudes)

    angle = radius_miles / EARTH_RADIUS_MILES
    # Two unit vectors are within the radius when their dot product is at least cos(angle).
    min_dot = within_radius_dot(radius_miles)
    counts = np.zeros(query_lat.shape[0], dtype=np.int64)
    query_order = np.argsort(query_lat, kind="stable")
    for start in range(0, query_order.shape[0], _QUERY_BLOCK):
        block = query_order[start : start + _QUERY_BLOCK]
        low = np.searchsorted(other_lat_sorted, query_lat[block].min() - angle, side="left")
        high = np.searchsorted(other_lat_sorted, query_lat[block].max() + angle, side="right")
        # Three outer products rather than a matrix product: BLAS would split each small
        # product over threads, which on a busy machine made this ten times slower.
        query, other = query_vectors[block], other_vectors[low:high]
        dots = np.multiply.outer(query[:, 0], other[:, 0])
        dots += np.multiply.outer(query[:, 1], other[:, 1])
        dots += np.multiply.outer(query[:, 2], other[:, 2])
        counts[block] = (dots >= min_dot).sum(axis=1)
    return counts


@cache
def rural_zips() -> frozenset[str]:
    """The five-digit ZIP codes that count as rural under the rule in this module's docstring."""
    codes: list[str] = []
    latitudes: list[float] = []
    longitudes: list[float] = []
    ordinary: list[bool] = []
    for place in zip_places():
        if place.kind == "MILITARY":
            continue
        codes.append(place.zip_code)
        latitudes.append(place.latitude)
        longitudes.append(place.longitude)
        ordinary.append(place.is_ordinary)
    lat = np.array(latitudes)
    lon = np.array(longitudes)
    is_ordinary = np.array(ordinary, dtype=bool)
    counts = neighbor_counts(lat, lon, lat[is_ordinary], lon[is_ordinary])
    counts -= is_ordinary  # an ordinary ZIP code is not its own neighbour
    rural = counts < NEIGHBOR_THRESHOLD
    return frozenset(code for code, is_rural_zip in zip(codes, rural, strict=True) if is_rural_zip)


def is_rural(zip_code: str | None) -> bool:
    """Whether a ZIP code is rural; accepts ZIP+4 ("59001-1234"); unknown or malformed → False."""
    if not zip_code:
        return False
    return zip_code.strip()[:5] in rural_zips()
