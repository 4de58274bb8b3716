"""What every step of a chunk shares: the calendar, the id scheme, the random helpers, and
the chunk's state (its generator, its participants, its visits).

Imports neither Django nor the ORM.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

CONSENT_START = datetime.date(2018, 5, 6)
END_DATE = datetime.date(2026, 9, 30)
ID_STRIDE = 1_000_000_000
EHR_SHARE = 0.85  # participants whose health records are shared with the program
# Share of acute episodes that reach the shared records (care elsewhere, no visit, ...).
ACUTE_CAPTURE = 0.5

Int = npt.NDArray[np.int64]
Float = npt.NDArray[np.float64]
Bool = npt.NDArray[np.bool_]

_EPOCH = datetime.date(1970, 1, 1)


def day_number(value: datetime.date) -> int:
    """Days since 1970-01-01, the generator's unit of time."""
    return (value - _EPOCH).days


END_DAY = day_number(END_DATE)


def dates(days: Int, mask: Bool | None = None) -> pa.Array:
    """A date32 Arrow array from day numbers (`mask` marks nulls)."""
    return pa.array(days.astype(np.int32), mask=mask).cast(pa.date32())


# ---------------------------------------------------------------------------------------------
# Random helpers
# ---------------------------------------------------------------------------------------------


def pick(rng: np.random.Generator, cumulative: Float) -> Int:
    """One category per row of a (rows * categories) cumulative probability table."""
    u = rng.random(int(cumulative.shape[0]))
    return (u[:, None] > cumulative).sum(axis=1).astype(np.int64)


def choose(
    rng: np.random.Generator, count: int, shares: tuple[float, ...] | list[float] | Float
) -> Int:
    """`count` draws of a category index with the given (unnormalised) shares."""
    cumulative = np.cumsum(np.asarray(shares, dtype=np.float64))
    cumulative /= cumulative[-1]
    cumulative[-1] = 1.0
    return np.searchsorted(cumulative, rng.random(count), side="right").astype(np.int64)


def segment_pick(rng: np.random.Generator, segment: Int, cumulative: Float) -> Int:
    """Pick within each row's segment of a concatenated cumulative table."""
    return np.searchsorted(cumulative, segment + rng.random(segment.shape[0]), side="right")


def uniform_position(rng: np.random.Generator, low: Int, high: Int) -> Int:
    """A whole number in [low, high) for each row (high > low)."""
    return low + np.floor(rng.random(low.shape[0]) * (high - low)).astype(np.int64)


def sex_factor(sex: Int, male: float, female: float) -> Float:
    """A factor by sex at birth; the mean of the two for intersex, other or unknown."""
    return np.where(sex == 0, male, np.where(sex == 1, female, 0.5 * (male + female)))


# ---------------------------------------------------------------------------------------------
# A chunk's state
# ---------------------------------------------------------------------------------------------


@dataclass
class People:
    """One chunk's participants; every array has one entry per participant."""

    n: int
    person_id: Int
    site: Int
    group: Int
    sex: Int  # 0 male, 1 female, 2 intersex, 3 none of these, -1 skipped/declined
    age: Float
    birth: Int  # days since 1970-01-01
    consent: Int
    survey_day: Int
    location: Int
    rural: Bool  # placed in a ZIP code on the rural list the generator was given
    ses: Float
    smoker: Int  # 0 never, 1 former, 2 current
    ehr: Bool
    death: Int  # day of death, -1 alive
    obs_start: Int
    obs_end: Int


@dataclass(frozen=True)
class Visits:
    """The chunk's visits, sorted by participant then day. Events are anchored at a visit by
    (participant index, position among that participant's visits)."""

    person: Int  # participant index of each visit
    first: Int  # per participant: the row of their first visit
    count: Int  # per participant: how many visits
    day: Int
    visit_id: Int

    def of(self, person: Int, position: Int) -> tuple[Int, Int]:
        """(visit row, visit day) of each event."""
        row = self.first[person] + position
        return row, self.day[row]


@dataclass(frozen=True)
class Chunk:
    """What identifies a chunk: its random generator (seeded from the seed and the chunk
    index, so chunks are independent) and its index (which prefixes its ids)."""

    rng: np.random.Generator
    index: int

    @classmethod
    def start(cls, seed: int, chunk_index: int) -> Chunk:
        return cls(np.random.default_rng(np.random.SeedSequence([seed, chunk_index])), chunk_index)

    def ids(self, count: int) -> Int:
        """Ids unique within a table: chunk index * ID_STRIDE + row number + 1."""
        return self.index * ID_STRIDE + np.arange(count, dtype=np.int64) + 1
