"""The HHS poverty guidelines, kept as data in `research/data/poverty_guidelines.json`.

The guidelines ("federal poverty level") give an annual household income for each household
size, one table for the 48 contiguous states and the District of Columbia and one each for
Alaska and Hawaii. The file lists households of 1 to 8 people; a larger household adds the
table's amount per additional person (a household of 10 is the 8-person figure plus twice that
amount).

A year that is not in the file is an error here: callers that want the nearest published year
clamp first with `guideline_years()` (the UBR classifier does). A state other than Alaska or
Hawaii, or no state at all, uses the contiguous-states table; the guidelines define no separate
table for Puerto Rico or the other territories.

Imports neither Django nor the ORM.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa

DATA_FILE = Path(__file__).resolve().parents[1] / "data" / "poverty_guidelines.json"
LISTED_SIZES = 8  # the file lists households of 1..8 people

CONTIGUOUS, ALASKA, HAWAII = 0, 1, 2
_REGION_KEYS = ("contiguous", "AK", "HI")
_STATE_REGIONS = {"AK": ALASKA, "ALASKA": ALASKA, "HI": HAWAII, "HAWAII": HAWAII}


@dataclass(frozen=True)
class _Guidelines:
    first_year: int
    # amounts[year - first_year, region, size - 1] for sizes 1..8
    amounts: npt.NDArray[np.float64]
    # per_additional_person[year - first_year, region]
    per_additional_person: npt.NDArray[np.float64]

    @property
    def last_year(self) -> int:
        return self.first_year + self.amounts.shape[0] - 1


@cache
def _guidelines() -> _Guidelines:
    document = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    years = sorted(int(year) for year in document["years"])
    if years != list(range(years[0], years[-1] + 1)):
        raise ValueError(f"{DATA_FILE.name}: the years must have no gaps, found {years}")
    amounts = np.zeros((len(years), len(_REGION_KEYS), LISTED_SIZES), dtype=np.float64)
    per_person = np.zeros((len(years), len(_REGION_KEYS)), dtype=np.float64)
    for year_index, year in enumerate(years):
        entry = document["years"][str(year)]
        for region, key in enumerate(_REGION_KEYS):
            sizes = entry[key]["household_size"]
            if len(sizes) != LISTED_SIZES:
                raise ValueError(f"{DATA_FILE.name}: {year} {key} must list sizes 1 to 8")
            amounts[year_index, region] = sizes
            per_person[year_index, region] = entry[key]["per_additional_person"]
    amounts.setflags(write=False)
    per_person.setflags(write=False)
    return _Guidelines(years[0], amounts, per_person)


def guideline_years() -> range:
    """The years the table covers, oldest first (e.g. range(2018, 2026))."""
    table = _guidelines()
    return range(table.first_year, table.last_year + 1)


def guidelines_table() -> pa.Table:
    """The table as rows, for joins in a query engine: guideline_year, guideline_region
    (CONTIGUOUS / ALASKA / HAWAII), guideline_household_size (1..8), guideline_amount and
    guideline_per_additional_person (dollars)."""
    table = _guidelines()
    grid = np.meshgrid(
        np.arange(table.amounts.shape[0]),
        np.arange(table.amounts.shape[1]),
        np.arange(LISTED_SIZES),
        indexing="ij",
    )
    years, regions, sizes = (axis.ravel() for axis in grid)
    return pa.table(
        {
            "guideline_year": pa.array(years + table.first_year, pa.int64()),
            "guideline_region": pa.array(regions, pa.int64()),
            "guideline_household_size": pa.array(sizes + 1, pa.int64()),
            "guideline_amount": pa.array(table.amounts[years, regions, sizes], pa.float64()),
            "guideline_per_additional_person": pa.array(
                table.per_additional_person[years, regions], pa.float64()
            ),
        }
    )


def region_of_state(state: str | None) -> int:
    """CONTIGUOUS, ALASKA or HAWAII for a two-letter code or name (any case); None → CONTIGUOUS."""
    if state is None:
        return CONTIGUOUS
    return _STATE_REGIONS.get(state.strip().upper(), CONTIGUOUS)


def regions_of_states(states: Iterable[str | None]) -> npt.NDArray[np.int64]:
    """Vectorized `region_of_state` over a list or numpy array of codes or names."""
    values = states if isinstance(states, np.ndarray) else list(states)
    names = np.char.upper(np.char.strip(np.asarray(values, dtype=object).astype(str)))
    return np.select(
        [np.isin(names, ["AK", "ALASKA"]), np.isin(names, ["HI", "HAWAII"])],
        [ALASKA, HAWAII],
        CONTIGUOUS,
    ).astype(np.int64)


def poverty_line(year: int, household_size: int, state: str | None = None) -> float:
    """The poverty guideline in dollars for one household.

    `state` is a two-letter code or a state name; only Alaska and Hawaii have their own
    tables. Raises ValueError for a household smaller than 1 or a year outside the table.
    """
    if household_size < 1:
        raise ValueError(f"household size must be at least 1, not {household_size}")
    lines = poverty_lines(
        np.array([year]), np.array([household_size]), np.array([region_of_state(state)])
    )
    return float(lines[0])


def poverty_lines(
    years: npt.ArrayLike,
    household_sizes: npt.ArrayLike,
    regions: npt.ArrayLike | None = None,
) -> npt.NDArray[np.float64]:
    """Vectorized `poverty_line`: one guideline per element, as float64.

    `regions` holds CONTIGUOUS / ALASKA / HAWAII codes (see `region_of_state`); None means
    contiguous everywhere. Arrays broadcast against each other. A household size below 1
    gives NaN (no guideline) instead of raising, so callers can mask unknown households.
    Raises ValueError if any year is outside `guideline_years()`.
    """
    table = _guidelines()
    year_array = np.asarray(years, dtype=np.int64)
    size_array = np.asarray(household_sizes, dtype=np.int64)
    region_array = (
        np.zeros((), dtype=np.int64) if regions is None else np.asarray(regions, dtype=np.int64)
    )
    year_array, size_array, region_array = np.broadcast_arrays(year_array, size_array, region_array)
    if year_array.size and (
        year_array.min() < table.first_year or year_array.max() > table.last_year
    ):
        raise ValueError(
            f"poverty guidelines cover {table.first_year}-{table.last_year}; "
            f"got years {year_array.min()}-{year_array.max()}"
        )
    if region_array.size and (region_array.min() < 0 or region_array.max() > HAWAII):
        raise ValueError("regions must be CONTIGUOUS, ALASKA or HAWAII")
    year_index = year_array - table.first_year
    listed = np.clip(size_array, 1, LISTED_SIZES) - 1
    extra_people = np.maximum(size_array - LISTED_SIZES, 0)
    lines = (
        table.amounts[year_index, region_array, listed]
        + extra_people * table.per_additional_person[year_index, region_array]
    )
    return np.where(size_array >= 1, lines, np.nan)
