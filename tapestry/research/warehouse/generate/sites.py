"""Enrollment sites (data/sites.csv) and the ZIP codes their participants live in.

Each participant is enrolled by one site (person.care_site_id) and lives in a real ZIP code
near it (person.location_id → location): most within NEAR_MILES of the site, closer ones more
often, and a share (the site's `rural`) in one of the RURAL_CANDIDATES nearest rural ZIP codes.
Which ZIP codes are rural is an input (a loaded FORHP list, see rural.py): with no list, nobody
is placed rurally (the rural share live near the site like the others). `location` holds one
row per ZIP code any site draws from.

Imports neither Django nor the ORM.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pyarrow as pa

from tapestry.core.geography import ZipPlace, distance_miles, ordinary_zip_places, zip_lookup
from tapestry.research.warehouse import clinical, schema
from tapestry.research.warehouse.datafiles import DATA_DIR, DataFileError, csv_rows
from tapestry.research.warehouse.generate.common import Float, Int

NEAR_MILES = 25.0  # urban and suburban ZIP codes a site draws most participants from
RURAL_CANDIDATES = 40  # the nearest rural ZIP codes a site draws its rural participants from
RURAL_MAX_MILES = 250.0


@dataclass(frozen=True)
class Site:
    code: str
    name: str
    state: str
    zip_code: str
    weight: float  # share of all participants
    start: datetime.date  # first consent
    mix: tuple[float, ...]  # share of each race and ethnicity group, in clinical race_groups order
    income: float  # median household income, dollars
    rural: float  # share of participants living in rural ZIP codes
    ses: float  # shift of the site's socioeconomic score


def load_sites(directory: Path = DATA_DIR, name: str = "sites.csv") -> tuple[Site, ...]:
    """The sites of data/sites.csv: the six launch sites (schema.LAUNCH_SITES) first, in that
    order, then the others. Raises DataFileError naming the row for a malformed one."""
    groups = [group.code for group in clinical.model().race_groups]
    sites: list[Site] = []
    for row in csv_rows(name, directory=directory):
        try:
            start = datetime.date.fromisoformat(row.text("start"))
        except ValueError:
            raise row.error(
                f"'start' must be a date (YYYY-MM-DD), not {row.values['start']!r}"
            ) from None
        zip_code = row.text("zip_code")
        if len(zip_code) != 5 or not zip_code.isdigit():
            raise row.error(f"'zip_code' must be five digits, not {zip_code!r}")
        site = Site(
            code=row.text("code"),
            name=row.text("name"),
            state=row.text("state"),
            zip_code=zip_code,
            weight=row.number("weight", minimum=0.0),
            start=start,
            mix=tuple(row.number(f"mix_{group}", minimum=0.0) for group in groups),
            income=row.number("median_income", minimum=0.0),
            rural=row.number("rural", minimum=0.0, maximum=1.0),
            ses=row.number("ses"),
        )
        row.finish()
        if site.code in {earlier.code for earlier in sites}:
            raise row.error(f"'code' {site.code!r} is used twice")
        if sum(site.mix) <= 0:
            raise row.error("the mix_* shares add up to 0")
        sites.append(site)
    launch = [(site.code, site.name, site.state, site.zip_code) for site in sites[:6]]
    if launch != list(schema.LAUNCH_SITES):
        raise DataFileError(f"{name}: the first six rows must be schema.LAUNCH_SITES, in order")
    return tuple(sites)


@cache
def all_sites() -> tuple[Site, ...]:
    """The sites, read once per process."""
    return load_sites()


@dataclass(frozen=True)
class Zips:
    codes: list[str]  # location rows, location_id = index + 1
    cities: list[str]
    states: list[str]
    counties: list[str]
    site_location: Int  # location index of each site's own ZIP code
    near_index: Int  # concatenated candidate location indexes, site by site
    near_cumulative: Float  # site index + cumulative weight in [0, 1)
    rural_index: Int
    rural_cumulative: Float
    places_rurally: bool  # built with a rural list that has codes near the sites


NO_RURAL_ZIPS: frozenset[str] = frozenset()


@cache
def zips(rural_zips: frozenset[str] = NO_RURAL_ZIPS) -> Zips:
    """The ZIP codes each site draws from, built once per process and rural list.

    `rural_zips` are the five-digit codes that count as rural (a FORHP list); a site's rural
    participants are drawn from the nearest of them. With none, the rural candidates are the
    site's near ZIP codes, so nobody is placed rurally.
    """
    records = ordinary_zip_places()
    lats = np.array([record.latitude for record in records])
    lons = np.array([record.longitude for record in records])
    is_rural = np.array([record.zip_code in rural_zips for record in records])
    chosen: dict[str, int] = {}
    near_parts: list[tuple[list[str], Float]] = []
    rural_parts: list[tuple[list[str], Float]] = []
    site_zips: list[ZipPlace] = []
    for site in all_sites():
        match = zip_lookup(site.zip_code)
        if match is None:
            raise DataFileError(f"sites.csv: site {site.code}: ZIP code {site.zip_code} is unknown")
        site_zips.append(match)
        miles = distance_miles(match.latitude, match.longitude, lats, lons)
        near = np.flatnonzero((miles <= NEAR_MILES) & ~is_rural)
        # Closer ZIP codes send more participants.
        near_parts.append(([records[i].zip_code for i in near], 1.0 / (1.0 + miles[near] / 4.0)))
        rural = np.flatnonzero(is_rural & (miles <= RURAL_MAX_MILES))
        rural = rural[np.argsort(miles[rural], kind="stable")[:RURAL_CANDIDATES]]
        if rural.size:
            rural_parts.append(([records[i].zip_code for i in rural], np.ones(len(rural))))
        else:  # no rural list (or none near): the "rural" share lives near the site
            rural_parts.append(near_parts[-1])
        for i in np.concatenate([near, rural]):
            chosen[records[i].zip_code] = int(i)
    by_code = {record.zip_code: record for record in records}
    for record in site_zips:
        by_code.setdefault(record.zip_code, record)
        chosen.setdefault(record.zip_code, -1)
    codes = sorted(chosen)
    position = {code: index for index, code in enumerate(codes)}

    def segments(parts: list[tuple[list[str], Float]]) -> tuple[Int, Float]:
        indexes: list[Int] = []
        cumulative: list[Float] = []
        for site_index, (site_codes, weights) in enumerate(parts):
            if not site_codes:  # no candidates: fall back to the site's own ZIP code
                site_codes, weights = [all_sites()[site_index].zip_code], np.ones(1)
            indexes.append(np.array([position[code] for code in site_codes], dtype=np.int64))
            shares = np.cumsum(weights) / weights.sum()
            shares[-1] = 1.0
            cumulative.append(site_index + shares)
        return np.concatenate(indexes), np.concatenate(cumulative)

    near_index, near_cumulative = segments(near_parts)
    rural_index, rural_cumulative = segments(rural_parts)
    return Zips(
        codes=codes,
        cities=[by_code[code].city.title() for code in codes],
        states=[by_code[code].state for code in codes],
        counties=[by_code[code].county for code in codes],
        site_location=np.array([position[record.zip_code] for record in site_zips]),
        near_index=near_index,
        near_cumulative=near_cumulative,
        rural_index=rural_index,
        rural_cumulative=rural_cumulative,
        places_rurally=bool(is_rural.any()),
    )


def location_table(rural_zips: frozenset[str] = NO_RURAL_ZIPS) -> pa.Table:
    """One `location` row per ZIP code any site draws from."""
    table = zips(rural_zips)
    count = len(table.codes)
    return pa.Table.from_arrays(
        [
            pa.array(np.arange(1, count + 1, dtype=np.int64)),
            pa.array(table.cities, pa.string()),
            pa.array(table.states, pa.string()),
            pa.array(table.codes, pa.string()),
            pa.array(table.counties, pa.string()),
        ],
        schema=schema.SCHEMAS["location"],
    )


def care_site_table(rural_zips: frozenset[str] = NO_RURAL_ZIPS) -> pa.Table:
    """One `care_site` row per site, care_site_id in data/sites.csv order."""
    sites = all_sites()
    return pa.Table.from_arrays(
        [
            pa.array(np.arange(1, len(sites) + 1, dtype=np.int64)),
            pa.array([site.name for site in sites], pa.string()),
            pa.array(zips(rural_zips).site_location + 1),
            pa.array([site.code for site in sites], pa.string()),
        ],
        schema=schema.SCHEMAS["care_site"],
    )
